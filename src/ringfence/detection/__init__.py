"""Detection: Sigma rules over access events enriched as of their own time, in batch and live."""
