"""Alerts: warning rules, their evaluation, notifications and the scheduler (built in issue 4)."""
