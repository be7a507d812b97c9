"""The store: the DuckDB file (schema, migrations, connection), named SQL, the as-of state and its stored timeline."""
