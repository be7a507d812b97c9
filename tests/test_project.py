"""pipelines.screens.project and the pages on it: the 项目库's warning and staleness marks and filters, its Excel
export (contacts masked for non-admins, no formula cells), the project page's history and its unit scope."""
from __future__ import annotations

import datetime as dt
import io
import zipfile

import pandas as pd
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook
from streamlit.testing.v1 import AppTest

from alerts import centre
from alerts.evaluate import evaluate
from pipelines.access import Actor, OutOfScope
from pipelines.figures import duty
from pipelines.ingest.run import ingest_file
from pipelines.screens import project as project_screen
from pipelines.store import state
from tests.conftest import ADMIN
from tests.server import ROOT
from ui.auth import TEST_ACTOR_KEY

HEADERS = ["报告期", "填报单位", "项目名称", "投资方", "产业类别", "计划总投资(万元)", "签约日期", "开工日期",
           "本月进展", "联系人", "联系电话"]
# 甲: signed in March, not commenced → 签约未开工 red as of November; 乙: a 本月进展 a spreadsheet would run as a
# formula; 丙: another unit's.
OCTOBER = [
    ["2024-10", "U01", "甲纤维项目", "甲材料有限公司", "制造业", 80000, "2024-03-08", "", "洽谈设备", "王小明",
     "13812341234"],
    ["2024-10", "U01", "乙装备项目", "乙装备有限公司", "制造业", 30000, "2024-09-01", "2024-10-08",
     "=HYPERLINK(\"http://x\",\"y\")", "欧阳娜娜", "0579-8888 6666"],
    ["2024-10", "U02", "丙文旅项目", "丙文旅集团", "文旅", 12000, "", "", "", "李四", "13900001111"],
]
NOVEMBER_U02 = [["2024-11", "U02", "丙文旅项目", "丙文旅集团", "文旅", 12000, "2024-11-20", "", "已签约", "李四",
                 "13900001111"]]
UNIT_U01 = Actor("u01", "unit", "U01")
LEADER = Actor("领导", "leader")
AS_OF = dt.date(2024, 12, 11)  # the November update was due on 10 December: U01 has not sent it, U02 has


def _load(con, tmp_path, name: str, rows: list[list], received: dt.datetime) -> None:
    path = tmp_path / name
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADERS)
    for i, row in enumerate(rows, start=1):
        for j, value in enumerate(row):
            sheet.write_string(i, j, value) if isinstance(value, str) else sheet.write_number(i, j, value)
    book.close()
    report = ingest_file(con, path, ADMIN, received_at=received)
    assert report.status == "loaded" and report.rows_rejected == 0, report.rejections


@pytest.fixture
def county(units, tmp_path):
    """October from U01 and U02 (received 5 November), November from U02 only (5 December), warnings evaluated
    as of the as-of day."""
    _load(units, tmp_path, "oct.xlsx", OCTOBER, dt.datetime(2024, 11, 5, 9))
    _load(units, tmp_path, "nov.xlsx", NOVEMBER_U02, dt.datetime(2024, 12, 5, 9))
    evaluate(units, AS_OF, now=dt.datetime(2024, 12, 11, 8))
    return units


def _code(con, name: str) -> str:
    projects = state.projects_as_of(con, AS_OF)
    return projects.loc[projects["project_name"] == name, "project_code"].item()


def _library(con, scope: str | None = None):
    return project_screen.library(state.projects_as_of(con, AS_OF, scope), centre.latest_warnings(con, AS_OF, scope),
                                  duty.stale_projects(con, AS_OF))


def test_library_marks_warnings_and_months_behind(county):
    """Each project carries how many warnings were open about it that day, the worst grade, and how many months
    its update is behind: U01's two owe November, U02's is up to date."""
    marked = _library(county).set_index("project_name")
    assert dict(marked["months_behind"]) == {"甲纤维项目": 1, "乙装备项目": 1, "丙文旅项目": 0}
    assert marked.loc["甲纤维项目", "warning_grade"] == "red"
    assert "红" in marked.loc["甲纤维项目", "warning_label"]
    opened = centre.latest_warnings(county, AS_OF, None)
    assert dict(marked["open_warnings"]) == {
        name: int((opened["subject"] == code).sum()) for name, code in marked["project_code"].items()}


def test_library_filters_warned_and_stale(county):
    """The 有预警 and 逾期未更新 switches keep only the projects they name, and combine with the other filters."""
    marked = _library(county)
    stale = project_screen.filter_library(marked, stale=True)
    assert sorted(stale["project_name"]) == ["乙装备项目", "甲纤维项目"]
    warned = project_screen.filter_library(marked, warned=True)
    assert set(warned["project_name"]) == set(marked.loc[marked["open_warnings"] > 0, "project_name"])
    assert "甲纤维项目" in set(warned["project_name"])
    assert list(project_screen.filter_library(marked, stale=True, units=["U02"])["project_name"]) == []


@pytest.mark.parametrize("name, masked", [("王小明", "王**"), ("王丽、张三", "王*、张*"), ("李", "李*"), (None, None)])
def test_mask_name(name, masked):
    """Contact names keep only their first character, each name of a list on its own."""
    assert project_screen.mask_name(name) == masked


@pytest.mark.parametrize("phone, masked", [("13812341234", "138****1234"), ("0579-8888 6666", "057*-**** 6666"),
                                           ("8888 6666", "**** 6666"), ("12345", "*****"), (None, None)])
def test_mask_phone(phone, masked):
    """Phone numbers keep the first 3 and last 4 digits (11 or more), the last 4 (8 to 10), none (fewer)."""
    assert project_screen.mask_phone(phone) == masked


def _sheet(data: bytes) -> list[list]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return book.get_sheet_by_index(0).to_python()


@pytest.mark.parametrize("actor, name, phone", [(ADMIN, "王小明", "13812341234"),
                                                (UNIT_U01, "王小明", "13812341234"),
                                                (LEADER, "王小明", "13812341234")])
def test_export_shows_contacts_to_admins_leaders_and_the_projects_own_unit(county, actor, name, phone):
    """The library's Excel export holds the filtered projects with their contacts in full for admins, leaders
    and the users of the projects' own unit, who typed them in."""
    rows = _sheet(project_screen.library_workbook(project_screen.filter_library(_library(county), stale=True),
                                                  actor, AS_OF))
    header = next(r for r in rows if "联系人" in r)
    body = [dict(zip(header, r)) for r in rows[rows.index(header) + 1:] if any(r)]
    assert sorted(r["项目名称"] for r in body) == ["乙装备项目", "甲纤维项目"]
    first = next(r for r in body if r["项目名称"] == "甲纤维项目")
    assert (first["联系人"], first["联系电话"]) == (name, phone)
    assert first["逾期未更新月数"] in (1, 1.0, "1")


def test_export_writes_no_formula(county):
    """A 本月进展 that starts with '=' is written as text: the workbook has no formula cell."""
    data = project_screen.library_workbook(_library(county), ADMIN, AS_OF)
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml
    cells = [c for r in book.get_sheet_by_index(0).to_python() for c in r]
    assert any(isinstance(c, str) and "HYPERLINK" in c for c in cells)


def test_project_page_history_and_scope(county):
    """The project page of U02's project shows its two reports with what November changed; a U01 user is refused
    it, a U02 user and admins get it, an unknown code is said to be unknown."""
    code = _code(county, "丙文旅项目")
    view = project_screen.project_view(county, code, Actor("u02", "unit", "U02"), AS_OF)
    assert view.name == "丙文旅项目" and view.stage_label == "签约"
    assert view.registered_at == dt.datetime(2024, 11, 5, 9)  # first received, not when the row was written
    assert list(view.history["kind"]) == [project_screen.FIRST, project_screen.UPDATE]
    assert "签约日期" in view.history["change_text"].iloc[1]
    assert view.project["contact_phone"] == "13900001111"  # the unit's own project: in full
    assert project_screen.project_view(county, code, ADMIN, AS_OF).project["contact_phone"] == "13900001111"
    with pytest.raises(OutOfScope):
        project_screen.project_view(county, code, UNIT_U01, AS_OF)
    with pytest.raises(LookupError):
        project_screen.project_view(county, "ZS999999", ADMIN, AS_OF)
    # as of before November's report the project was not yet signed
    assert project_screen.project_view(county, code, ADMIN, dt.date(2024, 11, 30)).stage_label != "签约"


def _page(actor: Actor, script: str, **query: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / script), default_timeout=60)
    at.session_state[TEST_ACTOR_KEY] = actor
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def test_pages_unit_user_cannot_open_another_units_project(county):
    """Through the address a U01 user asking for U02's project gets a refusal and none of its data."""
    code = _code(county, "丙文旅项目")
    county.close()
    at = _page(UNIT_U01, "pages/project.py", code=code)
    assert not at.exception
    assert "无权查看" in at.error[0].value
    assert all("丙文旅项目" not in t.value for t in at.title)
    admin = _page(ADMIN, "pages/project.py", code=code)
    assert not admin.exception and admin.title[0].value == "丙文旅项目"


def test_library_page_links_rows_and_filters_stale(county):
    """The 项目库 links each row to its project page and its 逾期未更新 switch keeps only projects behind."""
    county.close()
    at = _page(ADMIN, "pages/projects.py")
    at.date_input[0].set_value(AS_OF).run()
    table = at.dataframe[0].value
    assert all(link.startswith("project?code=ZS") for link in table["详情"])
    at.toggle[1].set_value(True).run()
    assert sorted(at.dataframe[0].value["项目名称"]) == ["乙装备项目", "甲纤维项目"]
    assert at.metric[0].value == "2"


def test_contacts_are_masked_on_another_units_rows_only():
    """A unit user reading a frame with another unit's row sees that row's contact masked, its own in full; a
    frame without units is masked whole for a unit user; leaders and admins see everything."""
    frame = pd.DataFrame({"unit_code": ["U01", "U02"], "contact_name": ["王小明", "李四"],
                          "contact_phone": ["13812341234", "13900001111"]})
    seen = project_screen.masked(frame, UNIT_U01)
    assert seen["contact_name"].tolist() == ["王小明", "李*"]
    assert seen["contact_phone"].tolist() == ["13812341234", "139****1111"]
    assert project_screen.masked(frame.drop(columns="unit_code"), UNIT_U01)["contact_name"].tolist() == ["王**", "李*"]
    assert project_screen.masked(frame, LEADER) is frame and project_screen.masked(frame, ADMIN) is frame
