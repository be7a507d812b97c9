"""Pipelines: the store, reading and validating workbooks, loading them, and the figures built on them."""
