"""Ingestion: read → validate → normalise → load a workbook, the inbox folder, the submission desk;
`python -m pipelines.ingest`."""
