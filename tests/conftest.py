"""Shared fixtures: a fresh temporary database per test, the unit register loaded into it, an as-of clock."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import streamlit as st

from pipelines import settings
from pipelines.access import Actor
from pipelines.store import db

ADMIN = Actor("测试管理员", "admin")


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Every test runs on its own database file and default settings, whatever the environment says."""
    monkeypatch.setenv("ZS_DB", str(tmp_path / "test.duckdb"))
    for key in ("dir", "archive_dir", "rejected_dir"):  # never the repository's own data/inbox
        monkeypatch.setenv(f"ZS_INBOX_{key.upper()}", str(tmp_path / key))
    monkeypatch.delenv("ZS_SETTINGS", raising=False)
    settings.use(None)
    # Page caches are keyed by the store's data version (its latest submission id), which every fresh test
    # database restarts at 1: a cache left by an earlier test would answer for this one.
    st.cache_data.clear()
    st.cache_resource.clear()  # the shared assessments (ui.data.assessment) are keyed the same way
    yield
    db.close_for_process()
    settings.use(None)


@pytest.fixture
def browser():
    """The system's Chromium driven by Playwright (headless, no calls out)."""
    from playwright.sync_api import sync_playwright

    from tests.server import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def con(tmp_path: Path):
    """A migrated, empty database of this test's own."""
    connection = db.connect(tmp_path / "test.duckdb")
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


DEMO_UNTIL = "2026-10"


@pytest.fixture(scope="session")
def demo_county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo county (pipelines.demo: 8 units, some 420 projects, its accounts with password demo) until October
    2026, built once for the session. A test that writes to it or serves it copies the file first."""
    from pipelines.demo.__main__ import main as demo_main

    base = tmp_path_factory.mktemp("demo_county")
    settings.use(None)
    assert demo_main(["--until", DEMO_UNTIL, "--db", str(base / "demo.duckdb"), "--out", str(base / "files")]) == 0
    return base / "demo.duckdb"
