"""api.py on a real server: health without a token; the §9 report and submissions only with a valid API token
(refused without one, with a revoked or expired one, or one of a disabled user); a unit token reads only its own
unit and its rows of another unit are rejected; a leader may not submit; the size limit; and the ingest CLI
handing its files to the server that holds the database.

One server serves the whole module (started once: it takes seconds). Its database holds the unit register and
经济开发区's October report received 2024-11-05; every submission a test makes is received after AS_OF or is
refused, so the report as of AS_OF is the same whatever the order the tests run in."""
from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import duckdb
import pytest
import requests
from starlette.applications import Starlette
from urllib3 import encode_multipart_formdata

import api
from pipelines import settings
from pipelines.access import Actor
from pipelines.admin import tokens, users
from pipelines.ingest.__main__ import HAND_OFF_HINT
from pipelines.ingest.run import ingest_file
from pipelines.report import report
from pipelines.store import db
from tests.fixtures import build
from tests.server import ROOT, free_port, running_server

ADMIN = Actor("测试管理员", "admin")
AS_OF = "2024-11-30"
LIMIT_MB = 0.05  # the server's ingest.max_file_mb: 52,428.8 bytes
INVALID = {"error": "invalid_token", "message": "API 令牌无效、已撤销或已过期，或其用户已停用"}
MISSING = {"error": "missing_token", "message": "缺少 API 令牌：请求头须带 Authorization: Bearer zsk_…（令牌由管理员创建）"}


@dataclass
class Server:
    base: str
    db: Path
    reference: Path  # a copy of the server's database as it started, for the CLI to load the same files into
    tokens: dict[str, str]  # by who holds them: admin, leader, u01, u03, revoked, expired, disabled
    report: dict  # the §9 report as of AS_OF, computed before the server started


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Server:
    """The running server and the tokens made before it started: one per role, plus a revoked, an expired and a
    disabled user's token."""
    folder = tmp_path_factory.mktemp("api")
    db_file = folder / "server.duckdb"
    con = db.connect(db_file)
    config = settings.load(env={})
    ingest_file(con, build.unit_register(folder), received_at=dt.datetime(2024, 11, 1), config=config)
    ingest_file(con, build.zone_report(folder), period=dt.date(2024, 10, 1), received_at=dt.datetime(2024, 11, 5),
                config=config)
    users.create_demo_accounts(con, ADMIN)
    made = {name: tokens.create_token(con, ADMIN, name, "测试") for name in ("admin", "leader", "u01", "u03")}
    made["revoked"] = tokens.create_token(con, ADMIN, "u01", "已撤销")
    tokens.revoke_token(con, ADMIN, int(tokens.list_tokens(con)["id"].max()))
    now = dt.datetime.now()
    made["expired"] = tokens.create_token(con, ADMIN, "u01", "已到期", expires_at=now - dt.timedelta(days=1),
                                          now=now - dt.timedelta(days=2))
    made["disabled"] = tokens.create_token(con, ADMIN, "u02", "账户停用")
    users.set_disabled(con, ADMIN, "u02", True)
    expected = json.loads(json.dumps(report(con, dt.date.fromisoformat(AS_OF), config)))
    con.close()
    shutil.copy(db_file, folder / "reference.duckdb")
    # The row and column guards opened wide, so that a far-corner file reaches the native reader (and makes it
    # abort in its child process) instead of being refused by the scan before it.
    wide_open = {"ZS_INGEST_MAX_COLUMNS": "16384", "ZS_INGEST_MAX_ROWS": "2000000"}
    with running_server(db_file, {"ZS_INGEST_MAX_FILE_MB": str(LIMIT_MB), **wide_open}) as base:
        yield Server(base, db_file, folder / "reference.duckdb", made, expected)


def _get(server: Server, path: str, who: str | None = None) -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {server.tokens[who]}"} if who else {}
    answer = requests.get(server.base + path, headers=headers, timeout=60)
    return answer.status_code, answer.json()


def _submit(server: Server, path: Path, who: str | None, **fields: str) -> tuple[int, dict]:
    """POST a workbook as `who` (None: without a token) with these form fields, as curl -F and browsers do."""
    headers = {"Authorization": f"Bearer {server.tokens[who]}"} if who else {}
    answer = requests.post(f"{server.base}/api/submissions", headers=headers, data=fields,
                           files={"file": (path.name, path.read_bytes())}, timeout=60)
    return answer.status_code, answer.json()


def test_a_file_that_makes_the_reader_abort_costs_one_answer_not_the_server(server, tmp_path):
    """A 5 KB xlsx with one cell at XFD1048576 makes the native reader abort (it would allocate the whole sheet):
    the upload is answered with the reason, recorded as rejected, and the server goes on serving."""
    status, answer = _submit(server, build.far_corner(tmp_path), "admin")
    [file] = answer["files"]
    assert (status, file["status"]) == (200, "rejected")
    assert file["message"].startswith("文件无法读取：读取时超出内存上限")
    assert _get(server, "/api/health")[0] == 200
    assert _get(server, f"/api/report?as_of={AS_OF}", "admin")[0] == 200


def _data_version(server: Server) -> int:
    """The newest submission's id in the server's database (each file stored, even a rejected one, moves it)."""
    return _get(server, "/api/health")[1]["data_version"]


def _cli(*args: str, api: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`python -m pipelines.ingest ARGS` with ZS_API_URL/ZS_API_TOKEN set to `api` only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZS_API_")} | (api or {})
    return subprocess.run([sys.executable, "-m", "pipelines.ingest", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def _without_ids(answer: dict) -> list[dict]:
    return [{**report, "submission_id": None} for report in answer["files"]]


# ------------------------------------------------------------------------------------------------------- health

def test_health_answers_without_a_token(server):
    """/api/health needs no token: status ok, the schema version, the register and the one project report."""
    status, body = _get(server, "/api/health")
    assert status == 200
    assert (body["status"], body["schema_version"], body["units"]) == ("ok", db.migrations()[-1][0], 5)


# ------------------------------------------------------------------------------------------------------- report

@pytest.mark.parametrize("who", ["admin", "leader"])
def test_admins_and_leaders_get_the_whole_report(server, who):
    """An admin's or a leader's token reads the §9 report of every unit, as report.report computes it."""
    status, body = _get(server, f"/api/report?as_of={AS_OF}", who)
    assert status == 200
    assert body == server.report
    assert sorted(unit["code"] for unit in body["units"]) == ["U01", "U02", "U03", "U04", "U05"]


def test_a_unit_token_reads_only_its_own_unit(server):
    """U01's token gets U01's row alone under "units" (2024 signings of 经济开发区: 生物医药中试基地 80,000 and
    数字经济产业园 30,000 万元; the 2023 one is last year's), and the county's overall figures unchanged."""
    status, body = _get(server, f"/api/report?as_of={AS_OF}", "u01")
    assert status == 200
    assert body == {**server.report, "units": [u for u in server.report["units"] if u["code"] == "U01"]}
    assert (body["units"][0]["signed"], body["units"][0]["signed_amount_wan"]) == (2, 110000)


@pytest.mark.parametrize("path", [f"/api/report?as_of={AS_OF}", "/api/submissions"])
@pytest.mark.parametrize("who, header, expected", [
    (None, None, MISSING),
    (None, "Basic YWRtaW46ZGVtbw==", MISSING),
    (None, "Bearer zsk_" + "A" * 43, INVALID),
    ("revoked", None, INVALID),
    ("expired", None, INVALID),
    ("disabled", None, INVALID),
])
def test_requests_without_a_valid_token_are_refused(server, path, who, header, expected):
    """No token, another scheme, an unknown, revoked or expired token, or the token of a disabled user: 401 with
    the reason as JSON and WWW-Authenticate: Bearer, on both routes."""
    headers = {"Authorization": header or f"Bearer {server.tokens[who]}"} if header or who else {}
    method = requests.post if path == "/api/submissions" else requests.get
    answer = method(server.base + path, headers=headers, timeout=60)
    assert (answer.status_code, answer.json(), answer.headers["www-authenticate"]) == (401, expected, "Bearer")


@pytest.mark.parametrize("query", ["", "?as_of=", "?as_of=2024-13-01", "?as_of=2024/11/30", "?as_of=yesterday"])
def test_report_needs_a_real_day(server, query):
    """A missing or malformed as_of is a 400 naming the format."""
    assert _get(server, f"/api/report{query}", "admin") == (400, {
        "error": "bad_as_of", "message": "as_of 须为 YYYY-MM-DD 格式的日期，如 /api/report?as_of=2024-11-30"})


def test_the_report_for_a_month_known_by_a_day(server):
    """`?period=2024-11&known_by=2024-12-10` is the month's report (DOMAIN §4): period end 11-30, files received by
    12-10, as pipelines.report.month_report computes it from the same database; a unit token gets its own unit."""
    from pipelines.report import month_report

    status, body = _get(server, "/api/report?period=2024-11&known_by=2024-12-10", "admin")
    con = db.connect(server.reference, read_only=True)
    try:
        expected = month_report(con, dt.date(2024, 11, 1), dt.date(2024, 12, 10))
    finally:
        con.close()
    assert status == 200 and body == expected
    assert (body["period_end"], body["known_by"], body["period"], body["due_date"]) == (
        "2024-11-30", "2024-12-10", "2024-11", "2024-12-10")
    status, mine = _get(server, "/api/report?period=2024-11&known_by=2024-12-10", "u01")
    assert [u["code"] for u in mine["units"]] == ["U01"]


@pytest.mark.parametrize("query, error", [
    ("?period=2024-13", "bad_period"), ("?period=2024-11&as_of=2024-11-30", "bad_period"),
    ("?period=2024-11&known_by=2024-11-29", "bad_known_by"), ("?known_by=2024-12-10", "bad_known_by"),
    ("?period=2024-11&known_by=9999-12-31", "bad_known_by"),
])
def test_a_month_report_needs_a_month_and_a_knowledge_day_after_it(server, query, error):
    """A malformed month, as_of beside period, a knowledge day before the month ends or out of range: 400."""
    status, body = _get(server, f"/api/report{query}", "admin")
    assert (status, body["error"]) == (400, error)


# ------------------------------------------------------------------------------------------------------ 督办事项

def _post(server: Server, path: str, who: str, body: object) -> tuple[int, dict]:
    answer = requests.post(server.base + path, headers={"Authorization": f"Bearer {server.tokens[who]}"},
                           json=body, timeout=60)
    return answer.status_code, answer.json()


def test_a_task_through_the_api_with_back_filled_dates(server):
    """The admin back-fills a task's paper record: issued to U01 on 2024-11-02 (deadline 11-10), answered 11-09,
    returned 11-12, extended 11-13 to 11-20, answered 11-18, closed 11-19. GET lists it as it stood each day."""
    status, body = _post(server, "/api/tasks", "admin", {
        "title": "推进生物医药中试基地开工", "unit": "U01", "deadline": "2024-11-10", "important": True,
        "requirement": "月底前开工", "at": "2024-11-02T09:00:00"})
    assert status == 201, body
    code = body["task"]["code"]
    for action, fields in (("respond", {"text": "已协调", "at": "2024-11-09T09:00"}),
                           ("return", {"reason": "未写开工时间", "at": "2024-11-12T09:00"}),
                           ("extend", {"deadline": "2024-11-20", "reason": "报批", "at": "2024-11-13T09:00"}),
                           ("respond", {"answer": "11月25日开工", "at": "2024-11-18T09:00"}),
                           ("close", {"note": "同意", "at": "2024-11-19T09:00"})):
        status, body = _post(server, f"/api/tasks/{code}/{action}", "admin", fields)
        assert status == 200, body
    states = {}
    for day in ("2024-11-01", "2024-11-05", "2024-11-09", "2024-11-12", "2024-11-14", "2024-11-19"):
        found = [t for t in _get(server, f"/api/tasks?as_of={day}", "admin")[1]["tasks"] if t["code"] == code]
        states[day] = (found[0]["state"], found[0]["deadline"], found[0]["late"]) if found else None
    assert states == {"2024-11-01": None, "2024-11-05": ("open", "2024-11-10", False),
                      "2024-11-09": ("responded", "2024-11-10", False), "2024-11-12": ("open", "2024-11-10", True),
                      "2024-11-14": ("open", "2024-11-20", False), "2024-11-19": ("closed", "2024-11-20", False)}
    assert _post(server, f"/api/tasks/{code}/return", "admin", {"reason": "x"})[0] == 409  # closed


def test_a_unit_answers_its_own_task_only(server):
    """U01's token answers U01's task (not dated: a unit cannot back-fill); U03's token neither sees nor answers
    it; a leader cannot issue; an admin's date before the task's previous action is refused."""
    status, body = _post(server, "/api/tasks", "admin", {"title": "补报10月进展", "unit": "U01",
                                                         "deadline": (dt.date.today() + dt.timedelta(days=5)).isoformat()})
    code = body["task"]["code"]
    assert _post(server, "/api/tasks", "leader", {"title": "x", "unit": "U01", "deadline": "2030-01-01"})[0] == 403
    assert _post(server, f"/api/tasks/{code}/respond", "u03", {"text": "x"})[0] == 404
    assert _post(server, f"/api/tasks/{code}/respond", "u01", {"text": "x", "at": "2024-11-02T09:00"})[0] == 403
    status, body = _post(server, f"/api/tasks/{code}/respond", "u01", {"text": "已补报"})
    assert status == 200 and body["task"]["state"] == "responded"
    status, body = _post(server, f"/api/tasks/{code}/return", "admin", {"reason": "x", "at": "2024-11-01T09:00"})
    assert status == 400 and "早于该事项上一次操作" in body["message"]
    today = dt.date.today().isoformat()
    assert [t["code"] for t in _get(server, f"/api/tasks?as_of={today}", "u03")[1]["tasks"]] == []
    assert code in [t["code"] for t in _get(server, f"/api/tasks?as_of={today}", "u01")[1]["tasks"]]
    assert _get(server, "/api/tasks?as_of=2024-13-01", "admin")[0] == 400


def test_task_refusals_over_http(server):
    """Malformed JSON, a bad date, an unknown task and action: 400 or 404 with the reason."""
    answer = requests.post(server.base + "/api/tasks", headers={"Authorization": f"Bearer {server.tokens['admin']}"},
                           data=b"{not json", timeout=60)
    assert (answer.status_code, answer.json()["error"]) == (400, "bad_json")
    assert _post(server, "/api/tasks", "admin", {"title": "x", "unit": "U01", "deadline": "2024-13-01"})[0] == 400
    assert _post(server, "/api/tasks/DB1999-001/close", "admin", {})[0] == 404
    status, body = _post(server, "/api/tasks/DB1999-001/delete", "admin", {})
    assert status == 400 and "不支持的操作" in body["message"]
    status, body = _post(server, "/api/tasks", "admin", {"title": "x", "unit": "U01", "deadline": "2030-01-01",
                                                         "source": "warning", "warnings": [{"rule": "task_due"}]})
    assert status == 400 and "rule 和 subject" in body["message"]


def test_a_task_from_several_warnings_over_http(server):
    """POST /api/tasks with "warnings" (objects or [rule, subject] pairs) issues one task naming each."""
    status, body = _post(server, "/api/tasks", "admin", {
        "title": "推进两个签约项目开工", "unit": "U01", "deadline": "2030-01-01", "source": "warning",
        "warnings": [{"rule": "signed_not_commenced", "subject": "P1"}, ["signed_not_commenced", "P2"]]})
    assert status == 201, body
    assert api._body_warnings({"warnings": [{"rule": "a", "subject": "1"}, ["b", "2"]]}) == [("a", "1"), ("b", "2")]
    assert api._body_warnings({}) is None
    with pytest.raises(ValueError, match="最多 200 条"):
        api._body_warnings({"warnings": "signed_not_commenced"})


# -------------------------------------------------------------------------------------------------- submissions

def test_an_admin_submission_answers_exactly_like_the_cli(server, tmp_path):
    """城东街道's report sent by an admin with received_at loads, and the answer is what
    `python -m pipelines.ingest --json` prints for the same file on a copy of the same database (the submission's
    number is the server database's own)."""
    path = build.town_report(tmp_path)
    status, answer = _submit(server, path, "admin", received_at="2024-12-05")
    assert status == 200
    reference = tmp_path / "reference.duckdb"
    shutil.copy(server.reference, reference)
    done = _cli(str(path), "--db", str(reference), "--received-at", "2024-12-05", "--json")
    assert (done.returncode, done.stderr) == (0, "")
    assert _without_ids(answer) == _without_ids(json.loads(done.stdout))
    assert (answer["files"][0]["status"], answer["files"][0]["rows_loaded"]) == ("loaded", 3)
    assert isinstance(answer["files"][0]["submission_id"], int)


def test_a_unit_tokens_rows_of_another_unit_are_rejected(server, tmp_path):
    """城西街道's token sends one row of its own and one of 城东街道: its own row loads, the other is rejected with
    the reason."""
    rows = [build.report_row("城西物流园", unit="城西街道"), build.report_row("城东商业综合体", unit="城东街道")]
    path = build.write_xlsx(tmp_path / "城西10月.xlsx", build.project_table(rows))
    status, answer = _submit(server, path, "u03")
    assert status == 200
    report = answer["files"][0]
    assert (report["file"], report["status"], report["rows_loaded"], report["rows_rejected"]) == (
        "城西10月.xlsx", "loaded", 1, 1)
    assert report["rejections"] == [{"sheet": "项目进展", "row": 3, "column": "填报单位",
                                     "reason": "第3行（城东商业综合体）填报单位 只能填报本单位（城西街道）的项目，此行是“城东街道”的"}]


def test_who_may_send_what(server, tmp_path):
    """A leader may not submit (403); a unit user may not back-date (received_at: 403);
    a request without a file or with a malformed period is a 400. None of them stores anything."""
    path = build.west_report_csv(tmp_path, "utf-8")
    before = _data_version(server)
    assert _submit(server, path, "leader") == (403, {"error": "may_not_submit",
                                                     "message": "领导账户只能查看，不能报送数据"})
    assert _submit(server, path, "u03", received_at="2024-11-05") == (403, {
        "error": "received_at_admin_only", "message": "只有管理员可以指定收到时间（received_at）"})
    no_file = requests.post(f"{server.base}/api/submissions", data={"period": "2024-10"}, timeout=60,
                            headers={"Authorization": f"Bearer {server.tokens['admin']}"})
    assert (no_file.status_code, no_file.json()["error"]) == (400, "missing_file")
    status, body = _submit(server, path, "admin", period="十月")
    assert (status, body["error"]) == (400, "bad_period")
    assert _data_version(server) == before


def test_files_over_the_size_limit_are_refused_with_413(server, tmp_path):
    """With ingest.max_file_mb = 0.05: a file one byte over the limit, a much larger one and a large one sent
    chunked without a Content-Length are each a 413, and nothing is stored; a file at the limit is read (and
    rejected as not a workbook)."""
    limit = int(LIMIT_MB * (1 << 20))
    too_large = (413, {"error": "file_too_large", "message": "文件超过上限 0.05MB，请分批上传"})
    before = _data_version(server)
    for size in (limit + 1, 10 * limit):
        path = tmp_path / f"{size}.xlsx"
        path.write_bytes(b"x" * size)
        assert _submit(server, path, "admin") == too_large
    body, content_type = encode_multipart_formdata({"file": ("大文件.xlsx", b"x" * (10 * limit))})
    chunked = requests.post(f"{server.base}/api/submissions", data=iter([body[i:i + 8192] for i in
                                                                         range(0, len(body), 8192)]),
                            headers={"Authorization": f"Bearer {server.tokens['admin']}",
                                     "Content-Type": content_type}, timeout=60)
    assert "content-length" not in chunked.request.headers
    assert (chunked.status_code, chunked.json()) == too_large
    assert _data_version(server) == before
    at_limit = tmp_path / "刚好.xlsx"
    at_limit.write_bytes(b"x" * limit)
    status, answer = _submit(server, at_limit, "admin")
    assert (status, answer["files"][0]["status"]) == (200, "rejected")
    assert answer["files"][0]["message"] == "文件扩展名为 .xlsx，但内容不是 Excel 工作簿（可能是改了扩展名的其他文件）"


# ------------------------------------------------------------------------------------------------ CLI hand-off

def test_the_cli_hands_its_files_to_the_server(server, tmp_path):
    """With ZS_API_URL and ZS_API_TOKEN set, the CLI opens no database file and sends each file to the server: the
    same JSON as loading them itself, and exit 1 because one file was rejected whole."""
    files = [str(build.west_report_csv(tmp_path, "gbk")), str(build.renamed_text(tmp_path))]
    handed = _cli(*files, "--received-at", "2024-12-06", "--json",
                  api={"ZS_API_URL": server.base, "ZS_API_TOKEN": server.tokens["admin"]})
    assert not settings.db_path().exists()
    reference = tmp_path / "reference.duckdb"
    shutil.copy(server.reference, reference)
    local = _cli(*files, "--db", str(reference), "--received-at", "2024-12-06", "--json")
    assert (handed.returncode, handed.stderr) == (local.returncode, local.stderr) == (1, "")
    assert _without_ids(json.loads(handed.stdout)) == _without_ids(json.loads(local.stdout))
    assert [f["status"] for f in json.loads(handed.stdout)["files"]] == ["loaded", "rejected"]


def test_the_cli_says_in_one_line_why_the_server_did_not_take_a_file(server, tmp_path):
    """--server/--token with a revoked token, or a server that is not there: exit 2, one line on stderr. A server
    and --db together are a usage error."""
    path = str(build.zone_report(tmp_path, "开发区.xlsx"))
    revoked = _cli(path, "--json", "--server", server.base, "--token", server.tokens["revoked"])
    assert (revoked.returncode, json.loads(revoked.stdout)) == (2, {"files": []})
    assert revoked.stderr == f"服务拒收 开发区.xlsx（HTTP 401）：{INVALID['message']}\n"
    nowhere = f"http://127.0.0.1:{free_port()}"
    gone = _cli(path, "--server", nowhere, "--token", server.tokens["admin"])
    assert (gone.returncode, gone.stdout) == (2, "")
    assert gone.stderr.startswith(f"无法连接服务 {nowhere}：") and len(gone.stderr.splitlines()) == 1
    both = _cli(path, "--db", str(server.db), api={"ZS_API_URL": server.base})
    assert both.returncode == 2 and both.stderr.endswith("error: --db 与 --server（或 ZS_API_URL）只能用其一\n")


def test_the_cli_without_a_server_refuses_in_one_line_saying_how_to_hand_off(server, tmp_path):
    """Without ZS_API_URL the CLI refuses as before (exit 2, one line, nothing printed) and says how to send the
    files through the server."""
    done = _cli(str(build.town_report(tmp_path)), "--db", str(server.db), "--json")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (f"数据库 {server.db} 正被另一进程（通常是看板服务）占用：请通过服务操作，或先停止服务后再"
                           f"运行此命令；{HAND_OFF_HINT}\n")


@pytest.mark.parametrize("declared, most_pulled", [(True, 0), (False, int(LIMIT_MB * (1 << 20)) + 64 * 1024 + 8192)])
def test_a_body_over_the_limit_is_not_read_to_its_end(units, monkeypatch, declared, most_pulled):
    """In process, a 1.6 MB upload: refused with 413 on its Content-Length before any of it is read, or, sent
    without one, once the limit and the multipart allowance (64 KiB) have come in; the rest is never pulled."""
    users.create_demo_accounts(units, ADMIN)
    token = tokens.create_token(units, ADMIN, "admin", "测试")
    units.close()
    monkeypatch.setenv("ZS_INGEST_MAX_FILE_MB", str(LIMIT_MB))
    settings.use(None)
    head = b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.xlsx"\r\n\r\n'
    pulled, sent = [], []

    async def receive() -> dict:
        pulled.append(head if not pulled else b"x" * 8192)
        return {"type": "http.request", "body": pulled[-1], "more_body": len(pulled) < 200}

    async def send(message: dict) -> None:
        sent.append(message)

    headers = [(b"authorization", f"Bearer {token}".encode()), (b"content-type", b"multipart/form-data; boundary=b")]
    headers += [(b"content-length", str(100 << 20).encode())] if declared else []
    scope = {"type": "http", "method": "POST", "path": "/api/submissions", "root_path": "", "query_string": b"",
             "headers": headers, "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8501), "scheme": "http"}
    asyncio.run(Starlette(routes=api.ROUTES)(scope, receive, send))
    assert (sent[0]["status"], json.loads(sent[1]["body"])["error"]) == (413, "file_too_large")
    assert sum(map(len, pulled)) <= most_pulled


HOSTILE = ["9999-12-31", "0001-01-01", "1899-12-31", "2100-01-01", "2024-02-30", "2024-13-01", "", " ", "NaN", "-1",
           "1e308", "2024-11-30T25:00", "x" * 5000, "../../etc/passwd", "2024-11-30\x00", "２０２４-１１-３０", "null",
           "<script>alert(1)</script>", "' OR 1=1 --", "99999999999999999999"]


@pytest.mark.parametrize("value", HOSTILE)
def test_no_route_answers_500_to_a_hostile_value(server, tmp_path, value):
    """Every input of every route given a hostile value is answered 2xx/3xx/4xx with a reason, never 500."""
    status, body = _get(server, "/api/report?" + urlencode({"as_of": value}), "admin")
    assert status == 400 and body["error"] == "bad_as_of" and body["message"]
    path = build.no_header_workbook(tmp_path)
    for field in ("period", "received_at", "unit"):
        status, body = _submit(server, path, "admin", **{field: value})
        assert status < 500, (field, body)
        assert status == 200 or body["message"], (field, body)
    for route in ("/api/login", "/api/logout"):
        answer = requests.post(server.base + route, data={"username": value, "password": value},
                               allow_redirects=False, timeout=60)
        assert answer.status_code < 500, route
    assert requests.get(server.base + "/api/health?" + urlencode({"x": value}), timeout=60).status_code == 200


@pytest.mark.parametrize(("as_of", "status"), [("1990-01-01", 200), ("2099-12-31", 200), ("1989-12-31", 400),
                                               ("2100-01-01", 400)])
def test_report_days_at_the_edges_of_the_range(server, as_of, status):
    """The first and last day of the product's range are answered; a day outside is refused saying the range."""
    answer_status, body = _get(server, f"/api/report?as_of={as_of}", "admin")
    assert answer_status == status
    if status == 400:
        assert body["message"] == "as_of 超出可用的日期范围（1990-01-01 至 2099-12-31）"


def test_the_hand_off_retries_a_reset_connection_once(tmp_path):
    """A server (or proxy) that resets the first connection gets the file again on a new one; a second reset is
    reported, not retried for ever."""
    import socket
    import struct
    import threading

    from pipelines.ingest.__main__ import _HandOffFailed, _send_file

    answer = json.dumps({"files": [{"file": "x.xlsx", "status": "duplicate"}]}).encode()

    def serve(listener: socket.socket, resets: int, answers: bool) -> None:
        for n in range(resets + answers):
            connection, _ = listener.accept()
            connection.recv(1 << 16)
            if n < resets:  # close with RST, as a server dropping a kept-alive connection does
                connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                                   + str(len(answer)).encode() + b"\r\nConnection: close\r\n\r\n" + answer)
            connection.close()

    path = build.town_report(tmp_path)
    for resets, answers in ((1, True), (2, False)):
        with socket.create_server(("127.0.0.1", 0)) as listener:
            thread = threading.Thread(target=serve, args=(listener, resets, answers), daemon=True)
            thread.start()
            url = f"http://127.0.0.1:{listener.getsockname()[1]}"
            if answers:
                assert _send_file(url, "zsk_test", path, {}) == [{"file": "x.xlsx", "status": "duplicate"}]
            else:
                with pytest.raises(_HandOffFailed, match="无法连接服务"):
                    _send_file(url, "zsk_test", path, {})
            thread.join(timeout=5)


def test_an_admin_token_downloads_the_backup(server, tmp_path):
    """GET /api/backup with an admin's token: the database as the backup ZIP (schema.sql, load.sql, a Parquet file
    per table) that imports into a new file with the same projects; a leader's or a unit's token is refused with 403,
    none with 401."""
    answer = requests.get(server.base + "/api/backup", headers={"Authorization": f"Bearer {server.tokens['admin']}"}, timeout=120)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/zip"
    assert answer.headers["content-disposition"].startswith('attachment; filename="zhaoshang-backup-')
    folder = tmp_path / "restore"
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        assert {"schema.sql", "load.sql"} <= set(archive.namelist())
        archive.extractall(folder)
    restored = duckdb.connect(str(tmp_path / "restored.duckdb"))
    restored.execute(f"IMPORT DATABASE '{folder}'")
    assert restored.execute("SELECT count(*) FROM units").fetchone()[0] == 5
    restored.close()
    for who in ("leader", "u01"):
        refused = requests.get(server.base + "/api/backup", headers={"Authorization": f"Bearer {server.tokens[who]}"}, timeout=60)
        assert (refused.status_code, refused.json()["error"]) == (403, "admin_only")
    assert requests.get(server.base + "/api/backup", timeout=60).status_code == 401
