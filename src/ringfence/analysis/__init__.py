"""Periodic access-log analysis campaigns and go-live verification, with signed, frozen reports."""
