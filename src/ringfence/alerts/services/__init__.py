"""Every write of the alerts app: intake of findings, triage, suppressions, notifications."""
