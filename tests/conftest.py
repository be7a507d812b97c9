"""Shared fixtures: a fresh temporary database per test, the unit register loaded into it, an as-of clock."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipelines import settings, store
from pipelines.access import Actor

ADMIN = Actor("测试管理员", "admin")


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Every test runs on its own database file and default settings, whatever the environment says."""
    monkeypatch.setenv("ZS_DB", str(tmp_path / "test.duckdb"))
    monkeypatch.delenv("ZS_SETTINGS", raising=False)
    settings.use(None)
    yield
    store.close_for_process()
    settings.use(None)


@pytest.fixture
def con(tmp_path: Path):
    """A migrated, empty database of this test's own."""
    connection = store.connect(tmp_path / "test.duckdb")
    yield connection
    connection.close()


@pytest.fixture
def units(con):
    """Three units in two assessment groups, registered directly (the register workbook has tests of its own)."""
    now = dt.datetime(2024, 1, 1)
    con.executemany(
        "INSERT INTO units VALUES (?, ?, ?, ?, ?, ?)",
        [
            ("U01", "经济开发区", "园区", "园区组", now, now),
            ("U02", "城东街道", "乡镇街道", "乡镇组", now, now),
            ("U03", "城西街道", "乡镇街道", "乡镇组", now, now),
        ],
    )
    return con
