"""What users and workbooks wrote is shown as text: every page run on a county whose project name, investor,
notes, unit name and acknowledgement note are Markdown (an image that would fetch an address, a link, bold,
Streamlit's colour syntax) renders none of it as Markdown; ui.format.text is the one escaping rule."""
from __future__ import annotations

import datetime as dt

import pytest
import xlsxwriter
from streamlit.testing.v1 import AppTest

from alerts import centre
from alerts.evaluate import evaluate
from pipelines.access import Actor
from pipelines.admin import register, tasks
from pipelines.ingest.run import ingest_file
from pipelines.store import state
from tests.conftest import ADMIN
from tests.server import ROOT
from ui import format
from ui.auth import TEST_ACTOR_KEY

HOSTILE = "![x](http://evil.example/p.png)[点我](http://evil.example)**粗体**:red[红字]"
# What must never reach a Markdown renderer unescaped: the image and link syntax, bold, a colour directive, and a
# bare address (which GitHub-flavoured Markdown links even with its marks escaped).
RAW = ("![x](", "](http", "**粗体**", ":red[", "http\\:")
HEADERS = ["报告期", "填报单位", "项目名称", "投资方", "产业类别", "计划总投资(万元)", "签约日期", "本月进展", "存在问题"]
AS_OF = dt.date(2024, 12, 11)
UNIT_USER = Actor("u01", "unit", "U01")
TEXT_ELEMENTS = ("markdown", "caption", "title", "header", "subheader", "info", "warning", "error", "success")


@pytest.fixture
def hostile(units, tmp_path):
    """U01 renamed to a Markdown link; its project named, invested and annotated in Markdown, signed in March and
    not commenced (a red 签约未开工 warning, acknowledged with a Markdown note)."""
    register.edit_unit(units, ADMIN, "U01", "[开发区](http://evil.example)", "园区", "园区组")
    path = tmp_path / "oct.xlsx"
    with xlsxwriter.Workbook(path) as book:
        sheet = book.add_worksheet()
        sheet.write_row(0, 0, HEADERS)
        sheet.write_row(1, 0, ["2024-10", "U01", HOSTILE, HOSTILE, "制造业", 80000, "2024-03-08", HOSTILE, HOSTILE])
    report = ingest_file(units, path, ADMIN, received_at=dt.datetime(2024, 11, 5, 9))
    assert report.rows_loaded == 1, report.rejections
    evaluate(units, AS_OF, now=dt.datetime(2024, 12, 11, 8))
    warning_id = int(centre.open_warnings(units, None)["id"].iloc[0])
    centre.acknowledge_as(units, ADMIN, warning_id, HOSTILE)
    code = state.projects_as_of(units, AS_OF)["project_code"].item()
    task = tasks.issue(units, ADMIN, title=HOSTILE, requirement=HOSTILE, unit="U01", project=code,
                       deadline=dt.date.today() + dt.timedelta(days=2))
    tasks.act(units, ADMIN, task.code, "respond", text=HOSTILE)
    units.close()
    return code


def _shown(at: AppTest) -> list[str]:
    """Every Markdown source the run rendered: texts, messages, and expander and metric labels."""
    found = [str(element.value) for kind in TEXT_ELEMENTS for element in at.get(kind)]
    found += [str(e.label) for e in at.expander] + [str(m.label) for m in at.metric]
    return found


def _run(actor: Actor, script: str, **query: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / script), default_timeout=60)
    at.session_state[TEST_ACTOR_KEY] = actor
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def test_the_helper_escapes_every_mark_and_keeps_line_breaks():
    """Each mark gets a backslash (so it shows, not acts); plain Chinese is unchanged; a line break stays one."""
    assert format.text("城东文旅综合体") == "城东文旅综合体"
    assert format.text("![x](http://a/b.png)") == "\\!\\[x\\]\\(http\u2060\\:\\/\\/a\\/b\\.png\\)"
    assert format.text("www.a.cn a@b.cn") == "www\u2060\\.a\\.cn a\\@\u2060b\\.cn"
    assert format.text(":red[**红**]") == "\\:red\\[\\*\\*红\\*\\*\\]"
    assert format.text("一\n二") == "一  \n二"
    assert all(raw not in format.text(HOSTILE) for raw in RAW)


@pytest.mark.parametrize(("actor", "script", "query"), [
    (ADMIN, "project.py", "code"), (UNIT_USER, "project.py", "code"), (ADMIN, "unit.py", None),
    (UNIT_USER, "unit.py", None), (ADMIN, "ranking.py", None), (ADMIN, "warnings.py", None),
    (ADMIN, "projects.py", None), (ADMIN, "submit.py", None), (ADMIN, "cockpit.py", None),
    (ADMIN, "tasks.py", "view"), (UNIT_USER, "tasks.py", "view"), (ADMIN, "problems.py", "all"),
])
def test_no_page_renders_what_users_wrote_as_markdown(hostile, actor, script, query):
    """The page runs without error and shows the hostile texts (where it shows them) only escaped."""
    at = _run(actor, script, **({"code": hostile} if query == "code" else {}),
              **({"unit": "U01"} if script == "unit.py" else {}))
    if query == "view":  # the task, answered, waits for review
        at.segmented_control[0].set_value("待审核").run()
    if query == "all":  # the project's problem is covered by the task: listed under 全部
        at.segmented_control[0].set_value("全部").run()
        assert len(at.dataframe[0].value) == 1
    assert not at.exception, at.exception
    leaks = [text for text in _shown(at) if any(raw in text for raw in RAW)]
    assert leaks == []


def test_the_project_page_shows_the_name_as_written(hostile):
    """The escaped title reads as the name the unit wrote (the test of the test: the text is on the page)."""
    at = _run(ADMIN, "project.py", code=hostile)
    assert at.title[0].value == format.text(HOSTILE)


@pytest.mark.parametrize(("script", "key", "value"), [
    ("project.py", "code", "../../etc/passwd"), ("project.py", "code", "x" * 5000),
    ("project.py", "code", "' OR 1=1 --"),
    ("project.py", "code", HOSTILE), ("unit.py", "unit", "U99"), ("unit.py", "unit", HOSTILE),
    ("cockpit.py", "kiosk", "\x00"),
])
def test_hostile_addresses_are_answered_not_crashed(hostile, script, key, value):
    """Whatever a shared link's query says, the page answers (not found, or the reader's own unit) without an
    exception and without rendering the value as Markdown."""
    at = _run(ADMIN, script, **{key: value})
    assert not at.exception, at.exception
    assert [text for text in _shown(at) if any(raw in text for raw in RAW)] == []
