"""Alerts: the warning rules of DOMAIN §8 as data, their evaluation into keyed warnings, and notifications."""
