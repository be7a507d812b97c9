"""Pipelines: everything that reads, checks, stores and computes, without Streamlit. Floors, lowest first; a module
imports only from its own floor or lower (tests/test_layers.py keeps it so):

1. ground — settings, vocabulary (+ warning grades), access (actors, OutOfScope, landing page per role), months,
   cells, export
2. store/ — db (the DuckDB file, migrations, transactions), queries (named SQL in store/sql), state, timeline
3. figures/ (measures, duty, assessment, guidance), ingest/ (workbook → … → load, inbox, desk, run, the command),
   admin/ (users, tokens, overrides, register), and cli (what every command shares; only commands import it)
4. alerts/ (a package beside this one: rules, evaluation, channels, notifications, scheduler)
5. screens/ (what each screen shows), bulletin/ (the 通报), demo/, and the commands report.py, template.py,
   timeline.py
Above them: api.py and ui/, then pages/ and app.py."""
