"""Ingestion: log files and streams into the lake, with checkpoints, quarantine and health figures."""
