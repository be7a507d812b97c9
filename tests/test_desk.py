"""The submission desk: the month now due, uploads checked without writing and then loaded, the changes grouped,
the history scoped to a unit with the problems of each file; and the 数据填报 page run as a unit user, a leader
and an admin (AppTest: upload, check, confirm)."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pipelines.access import Actor
from pipelines.admin import users
from pipelines.ingest import desk
from pipelines.months import add_months, due_date
from pipelines.store import db
from tests.conftest import ADMIN
from tests.fixtures import build
from tests.server import ROOT
from ui.auth import TEST_ACTOR_KEY

U02_USER = Actor("u02", "unit", "U02")
U03_USER = Actor("u03", "unit", "U03")
PASSWORD = "secret-password"


def _read(markdown: str) -> str:
    """A message as the reader sees it: Markdown's backslash escapes (ui.format.text) rendered."""
    return re.sub(r"\\(.)", r"\1", markdown)


def _upload(path: Path) -> desk.Upload:
    return desk.Upload(path.name, path.read_bytes())


def _accounts(con) -> None:
    users.create_user(con, ADMIN, "u02", "城东街道填报员", "unit", PASSWORD, "U02")
    users.create_user(con, ADMIN, "u03", "城西街道填报员", "unit", PASSWORD, "U03")


def _counts(con) -> list[int]:
    return [con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("submissions", "snapshots", "projects", "row_problems")]


# ---------------------------------------------------------------------------------------------- the month due

@pytest.mark.parametrize("today, due", [
    (dt.date(2026, 11, 22), dt.date(2026, 10, 1)),
    (dt.date(2026, 11, 1), dt.date(2026, 10, 1)),
    (dt.date(2026, 1, 10), dt.date(2025, 12, 1)),
    (dt.date(2024, 3, 31), dt.date(2024, 2, 1)),
])
def test_the_month_due_is_the_month_before_today(today, due):
    """Units hand in the report for the month before the current one."""
    assert desk.period_due(today) == due


def test_report_months_run_back_from_the_current_month():
    """The months offered start at the current month and go back across the year end."""
    assert desk.report_months(dt.date(2026, 2, 15), 4) == [
        dt.date(2026, 2, 1), dt.date(2026, 1, 1), dt.date(2025, 12, 1), dt.date(2025, 11, 1)]


NOW = dt.datetime(2026, 11, 22, 9, 30)


@pytest.mark.parametrize("day, received", [
    (None, NOW),
    (dt.date(2026, 11, 22), NOW),
    (dt.date(2026, 11, 21), dt.datetime(2026, 11, 21)),
    (dt.date(2024, 3, 8), dt.datetime(2024, 3, 8)),
])
def test_a_back_filled_file_is_received_at_the_start_of_its_day(day, received):
    """No date or today: now; an earlier date (an admin back-filling): the start of that day."""
    assert desk.received_at(day, NOW) == received


# ---------------------------------------------------------------------------------------------- changes

def _changes(*kinds: str) -> pd.DataFrame:
    return pd.DataFrame([[kind, f"ZS{i}", f"项目{i}", "U02", "", "", ""] for i, kind in enumerate(kinds)],
                        columns=["change", "project_code", "project_name", "unit_code", "field", "before", "after"])


def test_changes_are_grouped_with_every_group_shown_and_date_corrections_only_when_present():
    """The five groups always appear in order; 日期更正 (with cleared dates) only when a file brings one."""
    groups = desk.change_groups(_changes("本期未报", "新项目", "达到节点", "节点日期清空", "金额变化", "日期更正"))
    assert {label: found["project_code"].tolist() for label, found in groups.items()} == {
        "新项目": ["ZS1"], "达到节点": ["ZS2"], "金额变化": ["ZS4"], "状态变化": [], "本期未报": ["ZS0"],
        "日期更正": ["ZS3", "ZS5"]}
    assert list(desk.change_groups(_changes("达到节点"))) == ["新项目", "达到节点", "金额变化", "状态变化",
                                                                   "本期未报"]


# ---------------------------------------------------------------------------------------------- uploads

def _bad_and_good(tmp_path: Path, name: str = "城东十月.csv", **unit) -> Path:
    rows = [build.report_row("甲项目", 投资方="恒远新材料有限公司", 签约日期="2024-03-08", **unit),
            build.report_row("乙项目", 开工日期="2024-13-01", **unit)]
    return build.write_csv(tmp_path / name, build.project_table(rows, numbered=False))


def test_preview_of_an_upload_writes_nothing_and_loading_it_stores_the_same(units, tmp_path):
    """A CSV upload (read as CSV through its name's extension) is checked without a write: one row loads, one is
    rejected with its row, column and reason; loading gives the same report and one submission."""
    upload = _upload(_bad_and_good(tmp_path))
    before = _counts(units)
    received = dt.datetime(2024, 11, 5, 9, 0)
    preview = desk.preview_upload(units, upload, U02_USER, received=received)
    assert _counts(units) == before
    report = preview.report
    assert (report.status, report.rows_loaded, report.rows_rejected) == ("checked", 1, 1)
    assert desk.problems_frame(report.rejections).values.tolist() == [
        ["城东十月", 3, "开工日期", "第3行（乙项目）开工日期 '2024-13-01' 不是有效日期，请填写如 2024-03-08"]]
    loaded = desk.ingest_upload(units, upload, U02_USER, received=received)
    assert (loaded.status, loaded.rows_loaded, loaded.rows_rejected, loaded.submission_id) == ("loaded", 1, 1, 1)
    assert units.execute("SELECT file_name, content_hash, unit_code, submitted_by FROM submissions").fetchall() == [
        ("城东十月.csv", upload.digest, "U02", "u02")]


def test_an_upload_is_read_under_the_last_part_of_its_name(units, tmp_path):
    """A name with folders in it is read as the file alone (a CSV's sheet is named after it), nothing written
    outside the upload's own temporary folder."""
    escape = f"../../../../../../../..{tmp_path}/城东十月.csv"  # would land in tmp_path if its folders were kept
    upload = desk.Upload(escape, _bad_and_good(tmp_path, "原件.csv").read_bytes())
    preview = desk.preview_upload(units, upload, U02_USER, received=dt.datetime(2024, 11, 5))
    assert [p.sheet for p in preview.report.rejections] == ["城东十月"]
    assert not (tmp_path / "城东十月.csv").exists()


def test_a_unit_user_uploads_for_its_own_unit_whatever_it_asks(units, tmp_path):
    """A file without a 填报单位 column sent by a U02 user with unit U01 asked for loads as U02's; rows naming
    another unit are rejected."""
    bare = build.project_table([build.report_row("甲项目")], numbered=False)
    bare.header, bare.rows = bare.header[:1] + bare.header[2:], [row[:1] + row[2:] for row in bare.rows]
    report = desk.ingest_upload(units, _upload(build.write_xlsx(tmp_path / "无单位.xlsx", bare)), U02_USER,
                                unit_code="U01", received=dt.datetime(2024, 11, 5))
    assert (report.status, report.rows_loaded) == ("loaded", 1)
    assert units.execute("SELECT DISTINCT unit_code FROM snapshots").fetchall() == [("U02",)]
    other = desk.preview_upload(units, _upload(_bad_and_good(tmp_path, "开发区.csv", unit="经济开发区")),
                                U02_USER, received=dt.datetime(2024, 11, 5))
    assert {p.reason for p in other.report.rejections} >= {
        "第2行（甲项目）填报单位 只能填报本单位（城东街道）的项目，此行是“经济开发区”的"}
    assert other.report.rows_loaded == 0


# ---------------------------------------------------------------------------------------------- history

@pytest.fixture
def sent(units, tmp_path):
    """Four files: the admin's for U01; u02's for U02 2024-10 (a row rejected, a row warned); a file of u02's
    refused whole; u02's correction of 2024-10, sent as a replacement of the first (整表替换)."""
    _accounts(units)
    day = lambda d: dt.datetime(2024, 11, d, 10, 0)  # noqa: E731
    zone = build.project_table([build.report_row("开发区项目", unit="U01")], numbered=False)
    desk.ingest_upload(units, _upload(build.write_xlsx(tmp_path / "开发区十月.xlsx", zone)), ADMIN,
                       received=day(3))
    rows = [build.report_row("甲项目", **{"累计完成投资(万元)": 13000}), build.report_row("乙项目", 开工日期="2024-13-01"),
            build.report_row("丙项目")]
    path = build.write_xlsx(tmp_path / "城东十月.xlsx", build.project_table(rows, numbered=False))
    desk.ingest_upload(units, _upload(path), U02_USER, received=day(4))
    broken = tmp_path / "城东十月.xls"
    broken.write_bytes(b"this is not a workbook")
    desk.ingest_upload(units, _upload(broken), U02_USER, received=day(5))
    fixed = build.write_xlsx(tmp_path / "城东十月（更正）.xlsx", build.project_table(rows[:1] + rows[2:], numbered=False))
    desk.ingest_upload(units, _upload(fixed), U02_USER, received=day(6), mode="replace")
    return units


HISTORY_COLUMNS = ["id", "file_name", "unit_code", "period", "submitter", "rows_loaded", "rows_rejected", "rows_warned",
                   "status_label", "message"]


def test_history_lists_a_units_files_latest_first_with_its_refused_files(sent):
    """U02's history: its correction, the file refused whole (sent by its user, naming no unit), and the first
    file, marked replaced, with counts and the sender's display name; U03 sees none of them; admins see all."""
    found = desk.history(sent, "U02", 10, as_of=dt.date(2024, 11, 30))
    october = pd.Timestamp(2024, 10, 1)
    assert found[HISTORY_COLUMNS].astype(object).where(found[HISTORY_COLUMNS].notna(), None).values.tolist() == [
        [4, "城东十月（更正）.xlsx", "U02", october, "城东街道填报员", 2, 0, 1, "已载入", None],
        [3, "城东十月.xls", None, None, "城东街道填报员", 0, 0, 0, "整份退回",
         "文件扩展名为 .xls，但内容不是 Excel 工作簿（可能是改了扩展名的其他文件）"],
        [2, "城东十月.xlsx", "U02", october, "城东街道填报员", 2, 1, 1, "已被后报文件替代", None],
    ]
    assert desk.history(sent, "U03", 10).empty
    assert desk.history(sent, None, 10)["id"].tolist() == [4, 3, 2, 1]
    assert desk.history(sent, None, 2)["id"].tolist() == [4, 3]
    assert desk.history(sent, None, 10).loc[3, ["unit_name", "submitter"]].tolist() == ["经济开发区", "测试管理员"]


def test_problems_of_a_submission_rejections_first_within_its_units_history(sent):
    """The rows a file refused and warned, with row, column and reason; another unit's file is refused
    (LookupError) to a unit user and open to an admin."""
    assert desk.problems(sent, 2, "U02").values.tolist() == [
        ["项目进展", 3, "开工日期", "error", "第3行（乙项目）开工日期 '2024-13-01' 不是有效日期，请填写如 2024-03-08"],
        ["项目进展", 2, "累计完成投资(万元)", "warning", "第2行（甲项目）累计完成投资(万元) 13000万元 大于计划总投资 12000万元，请核实"],
    ]
    with pytest.raises(LookupError):
        desk.problems(sent, 1, "U02")
    with pytest.raises(LookupError):
        desk.problems(sent, 2, "U03")
    assert desk.problems(sent, 1, None).empty


def test_a_file_refused_whole_shows_only_in_the_history_of_its_senders_unit(sent):
    """A file refused whole (it names no unit) is listed for its sender's unit and for admins, not for U01."""
    assert 3 not in desk.history(sent, "U01", 10)["id"].tolist()
    assert 3 in desk.history(sent, None, 10)["id"].tolist()


# ---------------------------------------------------------------------------------------------- the page

def _months() -> tuple[dt.date, dt.date]:
    """The month due now and the month before it (the page works with today's date)."""
    due = desk.period_due(dt.date.today())
    return due, add_months(due, -1)


def _last_report(con, tmp_path: Path) -> None:
    """U02's report for the month before the one due: 甲 signed, 乙 and 丙 at the lead stage."""
    due, last = _months()
    rows = [build.report_row("甲项目", period=f"{last:%Y-%m}", 投资方="恒远新材料有限公司", 签约日期=f"{last:%Y-%m}-08"),
            build.report_row("乙项目", period=f"{last:%Y-%m}", total=8000),
            build.report_row("丙项目", period=f"{last:%Y-%m}", total=5000)]
    path = build.write_xlsx(tmp_path / "上月.xlsx", build.project_table(rows, numbered=False))
    received = dt.datetime.combine(due.replace(day=5), dt.time(10))
    assert desk.ingest_upload(con, _upload(path), ADMIN, received=received).rows_loaded == 3


def _this_month(tmp_path: Path) -> Path:
    """The month due: 甲 commenced, 乙's amount changed, 丙's row broken (a date that does not exist), 丁 new."""
    due, _ = _months()
    month = f"{due:%Y-%m}"
    rows = [build.report_row("甲项目", period=month, 投资方="恒远新材料有限公司", 签约日期=f"{_months()[1]:%Y-%m}-08",
                             开工日期=f"{month}-05"),
            build.report_row("乙项目", period=month, total=9000),
            build.report_row("丙项目", period=month, total=5000, 开工日期="2024-13-01"),
            build.report_row("丁项目", period=month)]
    return build.write_xlsx(tmp_path / "本月.xlsx", build.project_table(rows, numbered=False))


def _page(actor: Actor) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "submit.py"), default_timeout=60)
    at.session_state[TEST_ACTOR_KEY] = actor
    return at.run()


def _stored() -> list[int]:
    with db.cursor() as cur:
        return _counts(cur)


def _frames(at: AppTest) -> list[pd.DataFrame]:
    return [element.value for element in at.dataframe]


def test_unit_user_sees_the_check_before_anything_is_stored_and_confirming_loads_it(units, tmp_path):
    """As u02: the upload is checked (可载入 3 行，拒收 1 行; the broken row with row, column and reason; the changes
    by group) and nothing is stored; confirming loads it, says so, lists it first in the history with its refused
    row; the same file again is named a duplicate of that submission."""
    _accounts(units)
    _last_report(units, tmp_path)
    units.close()
    path = _this_month(tmp_path)
    at = _page(U02_USER)
    assert not at.exception
    assert [s.label for s in at.selectbox] == ["报告期", "报告期（文件中没有“报告期”列时）"]  # no unit to pick
    before = _stored()
    at.file_uploader[0].set_value((path.name, path.read_bytes(), "application/octet-stream")).run()
    assert not at.exception
    assert _stored() == before
    assert "#### 可载入 3 行，拒收 1 行" in [m.value for m in at.markdown]
    assert at.error[0].value.startswith("1 行未通过校验，确认后不会载入，相应项目在改正重报前计为漏报。")
    frames = _frames(at)
    assert frames[0].values.tolist() == [["项目进展", 4, "开工日期", "第4行（丙项目）开工日期 '2024-13-01' 不是有效日期，请填写如 2024-03-08"]]
    # 丙's row was rejected: it is listed to fix and resend, not as left out of the report (DOMAIN §3).
    assert [tab.label for tab in at.tabs] == ["新项目（1）", "达到节点（1）", "金额变化（1）", "状态变化（0）", "本期未报（0）",
                                              "被拒收（1）"]
    with db.cursor() as cur:
        codes = dict(cur.execute("SELECT name_key, code FROM projects").fetchall())
    due, last = _months()
    assert [frame.values.tolist() for frame in frames[1:5]] == [
        [["", "丁项目"]],
        [[codes["甲项目"], "甲项目", "开工", "", f"{due:%Y-%m}-05"]],
        [[codes["乙项目"], "乙项目", "计划总投资(万元)", "8,000", "9,000"]],
        [[codes["丙项目"], "丙项目", f"{last:%Y-%m} 在报"]],
    ]
    confirm = at.button(key="submit_confirm")
    assert confirm.label == "确认载入 3 行" and not confirm.disabled

    confirm.click().run()
    assert not at.exception
    assert _stored() == [before[0] + 1, before[1] + 3, before[2] + 1, before[3] + 1]
    assert _read(at.success[0].value).startswith("已载入：第2号报送《本月.xlsx》，载入 3 行，拒收 1 行。")
    history, problems = _frames(at)
    assert history.loc[0, ["id", "file_name", "submitter", "rows_loaded", "rows_rejected", "status_label"]].tolist() == [
        2, "本月.xlsx", "城东街道填报员", 3, 1, "已载入"]
    assert at.selectbox[-1].value == 2
    assert problems[["row_number", "column_name", "severity"]].values.tolist() == [[4, "开工日期", "拒收"]]
    assert len(at.file_uploader) == 1 and at.file_uploader[0].value is None  # a fresh uploader for the next file

    at.file_uploader[0].set_value((path.name, path.read_bytes(), "application/octet-stream")).run()
    assert at.info[0].value == "与已载入的第2号报送文件内容完全相同，未重复载入。如需更正，请修改后上传新的文件。"
    assert len(at.button) == 0
    assert _stored()[0] == before[0] + 1


def test_a_file_where_nothing_would_load_cannot_be_confirmed(units, tmp_path):
    """Every row refused: the check says 可载入 0 行 and the confirm button is disabled."""
    units.close()
    rows = [build.report_row("甲项目", 开工日期="2024-13-01")]
    path = build.write_xlsx(tmp_path / "全错.xlsx", build.project_table(rows, numbered=False))
    at = _page(U02_USER)
    at.file_uploader[0].set_value((path.name, path.read_bytes(), "application/octet-stream")).run()
    assert "#### 可载入 0 行，拒收 1 行" in [m.value for m in at.markdown]
    assert at.button(key="submit_confirm").disabled


def test_a_file_refused_whole_says_why_and_offers_no_confirm(units, tmp_path):
    """A file that is not a workbook: the reason in an error, nothing to confirm, nothing stored."""
    units.close()
    at = _page(U02_USER)
    at.file_uploader[0].set_value(("报表.xlsx", b"not a workbook", "application/octet-stream")).run()
    assert _read(at.error[0].value) == "整份文件无法载入：文件扩展名为 .xlsx，但内容不是 Excel 工作簿（可能是改了扩展名的其他文件）"
    assert len(at.button) == 0
    assert _stored()[0] == 0


def test_leader_sees_that_they_cannot_submit(units):
    """A leader gets the page's refusal and no template, upload or history."""
    units.close()
    at = _page(Actor("leader", "leader"))
    assert not at.exception
    assert at.warning[0].value.startswith("领导账户只能查看数据，不能报送月度项目进展表。")
    assert len(at.file_uploader) == 0 and len(at.dataframe) == 0 and len(at.selectbox) == 0


def test_admin_back_fills_a_file_for_a_unit_with_its_received_date(units, tmp_path):
    """An admin picks the unit for a file without a 填报单位 column and a received date in the past: the file
    loads as that unit's, received at the start of that day, and the history names the unit."""
    units.close()
    due, _ = _months()
    bare = build.project_table([build.report_row("甲项目", period=f"{due:%Y-%m}")], numbered=False)
    bare.header, bare.rows = bare.header[:1] + bare.header[2:], [row[:1] + row[2:] for row in bare.rows]
    path = build.write_xlsx(tmp_path / "补录.xlsx", bare)
    at = _page(ADMIN)
    assert [s.label for s in at.selectbox] == ["报告期", "填报单位", "报告期（文件中没有“报告期”列时）",
                                               "填报单位（文件中没有“填报单位”列时）", "单元"]
    received = dt.date.today() - dt.timedelta(days=3)
    at.selectbox[3].set_value("U03")
    at.date_input[0].set_value(received)
    at.file_uploader[0].set_value((path.name, path.read_bytes(), "application/octet-stream")).run()
    at.button(key="submit_confirm").click().run()
    assert not at.exception
    with db.cursor() as cur:
        assert cur.execute("SELECT unit_code, received_at, submitted_by FROM submissions").fetchall() == [
            ("U03", dt.datetime.combine(received, dt.time()), ADMIN.name)]
    history = next(frame for frame in _frames(at) if "unit_name" in frame)
    assert history.loc[0, "unit_name"] == "城西街道"
    # the admin's table of the month being collected now shows U03's report as sent (DOMAIN §6)
    month = _frames(at)[0].set_index("单元")
    assert month.loc["城西街道", ["状态", "载入行数"]].tolist() == ["按时报送" if received <= due_date(
        due, 10) else "逾期报送", 1]
