"""Writes of ID governance: reconciliation, findings, authentication reviews, campaigns."""
