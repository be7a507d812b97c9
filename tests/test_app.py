"""The entry point and the 项目库 page: AppTest smoke runs and the real server holding the database."""
from __future__ import annotations

import datetime as dt
import http.client
import json
import subprocess
import sys
import time
from pathlib import Path

import xlsxwriter
from streamlit.testing.v1 import AppTest

from pipelines.ingest.run import ingest_file
from pipelines.store import db
from tests.conftest import ADMIN
from tests.server import ROOT, get, running_server
from ui.auth import TEST_ACTOR_KEY

HEADERS = ["报告期", "填报单位", "项目名称", "投资方", "产业类别", "计划总投资(万元)", "签约日期", "开工日期"]
ROWS = [
    ["2024-10", "U01", "年产5万吨高性能纤维项目", "青岚新材料有限公司", "制造业", 80000, "2024-03-08", "2024-06-01"],
    ["2024-10", "U01", "智能装备产业园", "青岚装备有限公司", "制造业", 30000, "2024-09-01", ""],
    ["2024-10", "U02", "古镇文旅综合体", "青岚文旅集团", "文旅", 12000, "", ""],
]


def _load_sample(con, tmp_path: Path) -> None:
    path = tmp_path / "sample.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADERS)
    for i, row in enumerate(ROWS, start=1):
        sheet.write_row(i, 0, row)
    book.close()
    report = ingest_file(con, path, ADMIN, received_at=dt.datetime(2024, 11, 5))
    assert report.rows_loaded == 3


def _app() -> AppTest:
    """The entry point run as an admin (ui.auth's test seam: AppTest cannot send a session cookie), then the
    项目库 page opened from the menu (admins land on the big screen)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.session_state[TEST_ACTOR_KEY] = ADMIN
    at.run()
    assert not at.exception
    return at.switch_page("pages/projects.py").run()


def test_project_library_lists_projects_as_of_today(units, tmp_path):
    """The 项目库 page renders through the entry point and lists every loaded project with its stage."""
    _load_sample(units, tmp_path)
    units.close()
    at = _app()
    assert not at.exception
    assert at.title[0].value == "项目库"
    table = at.dataframe[0].value
    assert sorted(table["项目名称"]) == sorted(r[2] for r in ROWS)
    assert dict(zip(table["项目名称"], table["所处阶段"])) == {
        "年产5万吨高性能纤维项目": "开工", "智能装备产业园": "签约", "古镇文旅综合体": "未登记节点"}
    assert at.metric[0].value == "3"


def test_project_library_filters_by_unit(units, tmp_path):
    """Choosing a unit in the filter leaves only that unit's projects."""
    _load_sample(units, tmp_path)
    units.close()
    at = _app()
    at.multiselect[0].select("U02").run()
    assert list(at.dataframe[0].value["项目名称"]) == ["古镇文旅综合体"]


def test_project_library_as_of_before_first_report_is_empty(units, tmp_path):
    """As of a day before the first submission arrived, the library shows no project."""
    _load_sample(units, tmp_path)
    units.close()
    at = _app()
    at.date_input[0].set_value(dt.date(2024, 11, 4)).run()
    assert len(at.dataframe[0].value) == 0


def test_empty_database_explains_how_to_start(tmp_path):
    """With no data the page says how to load some instead of showing an empty table."""
    at = _app()
    assert not at.exception
    assert "pipelines.demo" in at.info[0].value


def test_server_owns_database_and_cli_refuses(units, tmp_path):
    """The running server holds the database: /api/health reports it, and the ingest and timeline commands
    refuse in one line."""
    _load_sample(units, tmp_path)
    units.close()
    path = tmp_path / "test.duckdb"
    with running_server(path) as base:
        health = json.loads(get(f"{base}/api/health"))
        assert health["status"] == "ok" and health["projects"] == 3 and health["schema_version"] >= 1
        for command in (["pipelines.ingest", str(tmp_path / "sample.xlsx")], ["pipelines.timeline"]):
            done = subprocess.run([sys.executable, "-m", *command, "--db", str(path)],
                                  cwd=ROOT, capture_output=True, text=True, timeout=60)
            assert done.returncode == 2, command
            assert len(done.stderr.strip().splitlines()) == 1 and "占用" in done.stderr
    con = db.connect(path)
    assert con.execute("SELECT count(*) FROM submissions").fetchone()[0] == 1
    con.close()


def test_an_idle_connection_is_kept_for_the_next_request(units, tmp_path):
    """A client (or a reverse proxy) that reuses a connection idle for longer than uvicorn's default 5 s gets its
    answer: the server keeps idle connections [server] keep_alive_seconds (75)."""
    units.close()
    db_file = tmp_path / "test.duckdb"
    with running_server(db_file) as base:
        connection = http.client.HTTPConnection(base.removeprefix("http://"), timeout=30)
        try:
            connection.request("GET", "/api/health")
            first = connection.getresponse()
            first.read()
            time.sleep(6.5)
            connection.request("GET", "/api/health")
            second = connection.getresponse()
            assert (first.status, second.status, json.loads(second.read())["status"]) == (200, 200, "ok")
        finally:
            connection.close()


def test_a_run_of_loads_is_followed_by_one_warm_up(monkeypatch):
    """app._WarmUpAfterLoads: each load restarts the wait, so three loads in quick succession warm the caches once,
    [server] warm_up_after_load_seconds after the last; 0 turns it off."""
    import threading

    import app
    from pipelines import settings

    warmed = threading.Event()
    calls: list[float] = []
    monkeypatch.setattr(app, "_warm_up", lambda: (calls.append(time.monotonic()), warmed.set()))
    settings.use(settings.load(overrides={"server": {"warm_up_after_load_seconds": 0.3}}))
    try:
        warm_ups = app._WarmUpAfterLoads()
        started = time.monotonic()
        for submission in (1, 2, 3):
            warm_ups.loaded(submission)
            time.sleep(0.1)
        last_load = time.monotonic()
        assert warmed.wait(5)
        time.sleep(0.5)  # no second warm-up follows
        assert len(calls) == 1 and calls[0] - last_load >= 0.15 and calls[0] - started >= 0.5
        settings.use(settings.load(overrides={"server": {"warm_up_after_load_seconds": 0}}))
        warm_ups.loaded(4)
        time.sleep(0.3)
        assert len(calls) == 1
        warm_ups.stop()
    finally:
        settings.use(None)
