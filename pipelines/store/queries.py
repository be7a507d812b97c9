"""Named SQL: each query lives in pipelines/store/sql/<name>.sql and runs with $named bound parameters."""
from __future__ import annotations

import functools
from pathlib import Path

import duckdb
import pandas as pd

SQL_DIR = Path(__file__).parent / "sql"


@functools.cache
def sql(name: str) -> str:
    """The text of pipelines/store/sql/<name>.sql."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def rows(con: duckdb.DuckDBPyConnection, name: str, **params: object) -> list[tuple]:
    """The result of the named query as tuples."""
    return con.execute(sql(name), params).fetchall()


def frame(con: duckdb.DuckDBPyConnection, name: str, **params: object) -> pd.DataFrame:
    """The result of the named query as a DataFrame."""
    return con.execute(sql(name), params).df()
