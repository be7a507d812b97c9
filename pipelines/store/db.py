"""The DuckDB store: opening it, migrating its schema, and the one connection a server process owns."""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb

from pipelines.store import timeline
from pipelines.vocabulary import MILESTONES

SCHEMA_DIR = Path(__file__).parent / "sql" / "schema"
# The migration that creates the timeline tables: a database that had snapshots before it gets them built.
TIMELINE_MIGRATION = 9
# The migrations after which the stored timeline is rebuilt: it gained columns (16: the money and the baseline of
# 本年完成投资).
TIMELINE_REBUILDS = frozenset({TIMELINE_MIGRATION, 16})
MACROS_FILE = Path(__file__).parent / "sql" / "macros.sql"


class StoreBusy(RuntimeError):
    """Another process (normally the dashboard server) holds the database."""


def migrations() -> list[tuple[int, Path]]:
    """Schema files in the order they apply: (version, path), version from the file name's number."""
    return sorted((int(p.name.split("_", 1)[0]), p) for p in SCHEMA_DIR.glob("*.sql"))


def _stage_macro() -> str:
    # The furthest milestone reached by day d; generated from the one list of milestones.
    # Identifiers come from pipelines.vocabulary, never from input.
    branches = " ".join(
        f"WHEN r.{m.date_field} <= d THEN '{m.id}'" for m in reversed(MILESTONES)
    )
    return f"CREATE OR REPLACE MACRO stage_of(r, d) AS CASE {branches} END"


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply every schema file not yet applied, each in its own transaction, and (re)create the macros;
    return the schema version."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP)"
    )
    done = {v for (v,) in con.execute("SELECT version FROM schema_migrations").fetchall()}
    applied = []
    for version, path in migrations():
        if version in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(path.read_text(encoding="utf-8"))
            con.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", [version, path.name, dt.datetime.now()])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(version)
    con.execute(_stage_macro())
    con.execute(MACROS_FILE.read_text(encoding="utf-8"))
    if TIMELINE_REBUILDS & set(applied):  # after the macros: the timeline is computed with them
        with transaction(con):
            timeline.rebuild(con)
    return con.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]


def connect(path: str | Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the database file (migrated unless read-only), or raise StoreBusy if another process holds it."""
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise StoreBusy(
                f"数据库 {path} 正被另一进程（通常是看板服务）占用：请通过服务操作，或先停止服务后再运行此命令"
            ) from exc
        raise
    if not read_only:
        migrate(con)
    return con


# The connection owned by this server process, opened by the app's lifespan.
_server_connection: duckdb.DuckDBPyConnection | None = None
_server_path: Path | None = None
_lock = threading.Lock()


def open_for_process(path: str | Path) -> duckdb.DuckDBPyConnection:
    """Open the database as this process's one connection (idempotent for the same path)."""
    global _server_connection, _server_path
    with _lock:
        if _server_connection is None:
            _server_connection = connect(path)
            _server_path = Path(path)
        return _server_connection


def close_for_process() -> None:
    """Checkpoint and close this process's connection."""
    global _server_connection, _server_path
    with _lock:
        if _server_connection is not None:
            with contextlib.suppress(duckdb.Error):
                _server_connection.execute("CHECKPOINT")
            _server_connection.close()
        _server_connection = None
        _server_path = None


def process_connection() -> duckdb.DuckDBPyConnection:
    """The process's connection; opens the configured database on first use (e.g. under AppTest)."""
    if _server_connection is None:
        from pipelines.settings import db_path

        return open_for_process(db_path())
    return _server_connection


@contextlib.contextmanager
def cursor() -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor of the process's connection for the calling thread; closed on exit."""
    cur = process_connection().cursor()
    try:
        yield cur
    finally:
        cur.close()


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN … COMMIT, or ROLLBACK and re-raise: nothing of a failed block stays."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def audit(con: duckdb.DuckDBPyConnection, actor: str, action: str, subject: str | None, detail: dict) -> None:
    """Append one entry to the audit log (inside the caller's transaction)."""
    con.execute(
        "INSERT INTO audit_log VALUES (nextval('audit_ids'), ?, ?, ?, ?, ?)",
        [dt.datetime.now(), actor, action, subject, json.dumps(detail, ensure_ascii=False, default=str)],
    )
