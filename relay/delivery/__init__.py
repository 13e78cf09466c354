"""Delivery: outbox planning, the dispatcher, delivery rows, receipts, approvals, translation hooks."""
