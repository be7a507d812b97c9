"""Alerts: the warning rules of DOMAIN §8 as data, their evaluation into keyed warnings, what the 预警中心 reads,
the notification channels and deliveries, and the scheduler that runs them (floor 4: imports pipelines, never ui)."""
