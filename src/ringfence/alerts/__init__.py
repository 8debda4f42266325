"""Alerts raised by detection rules, and the analyst's work on them: triage, suppressions, notifications."""
