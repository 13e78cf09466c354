"""Offline translation behind one contract (argostranslate, Apertium), with protection and memory."""
