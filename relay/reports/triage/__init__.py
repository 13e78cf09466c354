"""Triage of citizen reports: which of the 2010 responders' categories a report belongs to.

`model.py` applies the shipped linear model (`haiti2010.json`, made by `train.py` from the real Mission
4636 messages); it needs nothing but the standard library, so the relay does not carry scikit-learn.
"""
