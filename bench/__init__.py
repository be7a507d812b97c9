"""Benchmarks, not tests: run from the repository root as `python -m bench.<name>` (report, ingest, alerts, pages,
screen, soak)."""
