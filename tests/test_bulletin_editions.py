"""Numbered editions of the 通报 (issue 18): 期号 per year, every refusal with nothing written, an edition downloaded
again byte for byte whatever the data has become, the --edition command, the 通报编发 page, and the Word document
converted to PDF by LibreOffice: the 版头 on page 1, the five parts, the body on four pages at demo size."""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import docx
import pytest
from streamlit.testing.v1 import AppTest

from pipelines import settings
from pipelines.access import Actor
from pipelines.bulletin import editions
from pipelines.bulletin.word import bulletin_docx
from pipelines.store import db
from tests.factories import project, snapshot
from tests.server import ROOT
from ui.auth import TEST_ACTOR_KEY

ADMIN = Actor("管理员", "admin")
JUNE, JULY_12, JULY_20 = dt.date(2024, 6, 1), dt.date(2024, 7, 12), dt.date(2024, 7, 20)


@pytest.fixture
def county(units):
    """U01 with a target of 2 signed projects and A (2亿元, signed 02-01) reported for May on 06-05."""
    units.execute("INSERT INTO targets (submission_id, received_at, year, unit_code, signed_major) "
                  "VALUES (1, '2024-01-15', 2024, 'U01', 2)")
    snapshot(units, project(units, "A"), "2024-05", "2024-06-05", total=20000, signed_date="2024-02-01",
             project_name="A项目")
    return units


def _kept(con) -> tuple[int, int]:
    """How many editions are kept and how many were audited."""
    return (con.execute("SELECT count(*) FROM bulletin_editions").fetchone()[0],
            con.execute("SELECT count(*) FROM audit_log WHERE action = 'bulletin_edition'").fetchone()[0])


def _texts(data: bytes) -> list[str]:
    return [p.text for p in docx.Document(io.BytesIO(data)).paragraphs]


def test_numbers_count_on_within_the_year_dated(county):
    """期号 1, 2 for two editions dated 2024; the first dated 2025 (the December 通报 produced in January) is 1
    again; [bulletin] first_number starts a year that has none."""
    assert editions.next_number(county, 2024) == 1
    made = [editions.produce(county, ADMIN, JUNE, JULY_12, today=JULY_20).label,
            editions.produce(county, ADMIN, JUNE, JULY_20, today=JULY_20).label,
            editions.produce(county, ADMIN, dt.date(2024, 12, 1), dt.date(2025, 1, 8), today=dt.date(2025, 1, 8)).label]
    assert made == ["2024年第1期", "2024年第2期", "2025年第1期"]
    assert editions.next_number(county, 2024) == 3
    config = settings.current()
    sixth = dataclasses.replace(config, bulletin=dataclasses.replace(config.bulletin, first_number=6))
    assert editions.next_number(county, 2026, sixth) == 6 and editions.next_number(county, 2024, sixth) == 3
    assert [e.label for e in editions.editions(county)] == ["2025年第1期", "2024年第2期", "2024年第1期"]


@pytest.mark.parametrize(("actor", "period", "known_by", "refused", "reason"), [
    (Actor("领导", "leader"), JUNE, JULY_12, PermissionError, "领导 不是管理员，不能印发通报"),
    (Actor("开发区填报员", "unit", "U01"), JUNE, JULY_12, PermissionError, "开发区填报员 不是管理员，不能印发通报"),
    (ADMIN, dt.date(2024, 7, 1), JULY_20, editions.EditionRefused, "2024年7月尚未结束，不能印发该月的通报。"),
    (ADMIN, JUNE, dt.date(2024, 6, 29), editions.EditionRefused,
     "数据截至日期 2024-06-29 早于统计期最后一天 2024-06-30，月度通报只能统计该月结束以后收到的报表。"),
    (ADMIN, JUNE, dt.date(2024, 7, 21), editions.EditionRefused,
     "数据截至日期 2024-07-21 晚于今天，不能统计尚未收到的报表。"),
])
def test_refusals_write_nothing(county, actor, period, known_by, refused, reason):
    """A non-admin, a month not yet ended, a 数据截至 before the month's end or after today: refused with the reason,
    no edition kept, nothing audited, the next 期号 unchanged."""
    with pytest.raises(refused) as raised:
        editions.produce(county, actor, period, known_by, today=JULY_20)
    assert str(raised.value) == reason
    assert _kept(county) == (0, 0) and editions.next_number(county, 2024) == 1


def test_the_month_s_last_day_may_be_its_own_knowledge_day(county):
    """June's 通报 known by 06-30 itself is allowed on 06-30 (K ≥ E, DOMAIN §4)."""
    assert editions.produce(county, ADMIN, JUNE, dt.date(2024, 6, 30), today=dt.date(2024, 6, 30)).number == 1


def test_an_edition_downloads_again_byte_for_byte(county):
    """The edition keeps its edited 四 and 五, numbered in its 版头; two downloads are the same bytes, and stay so
    after the data changes (a new rendering would now differ); the Excel file too; audited."""
    made = editions.produce(county, ADMIN, JUNE, JULY_12, problems_text="（一）开发区签约偏慢。请加快",
                            next_steps_text="七月底前完成A项目开工", today=JULY_20,
                            now=dt.datetime(2024, 7, 20, 9, 30))
    assert (made.year, made.number, made.period, made.known_by, made.produced_by) == (2024, 1, JUNE, JULY_12, "管理员")
    assert (made.problems_text, made.next_steps_text) == ("（一）开发区签约偏慢。请加快", "七月底前完成A项目开工")
    first = editions.edition_file(county, 2024, 1)
    assert first == editions.edition_file(county, 2024, 1)
    texts = _texts(first)
    assert texts[1] == "第1期" and "（一）开发区签约偏慢。请加快" in texts and "七月底前完成A项目开工" in texts
    workbook = editions.edition_file(county, 2024, 1, "xlsx")
    county.execute("DELETE FROM targets")
    snapshot(county, project(county, "B"), "2024-06", "2024-07-05", total=50000, signed_date="2024-06-10",
             project_name="B项目")
    assert editions.edition_file(county, 2024, 1) == first
    assert editions.edition_file(county, 2024, 1, "xlsx") == workbook
    assert bulletin_docx(county, dt.date(2024, 6, 30), known_by=JULY_12, problems_text="（一）开发区签约偏慢。请加快",
                         next_steps_text="七月底前完成A项目开工", number=1) != first
    audit = county.execute("SELECT actor, subject, detail FROM audit_log WHERE action = 'bulletin_edition'").fetchall()
    assert audit == [("管理员", "2024年第1期", '{"period": "2024-06", "known_by": "2024-07-12"}')]
    assert made.file_name("docx") == "招商引资工作通报2024年第1期（2024年6月）.docx"


def test_drafts_are_kept_when_nothing_is_edited(county):
    """Without texts the edition keeps the drafted 四 and the settings' 五, as printed."""
    made = editions.produce(county, ADMIN, JUNE, JULY_12, today=JULY_20)
    preview = editions.preview(county, JUNE, JULY_12, today=JULY_20)
    assert made.problems_text == preview.problems and made.next_steps_text == settings.current().bulletin.next_steps
    assert preview.masthead.number_line == "第  期（草稿）"


@pytest.mark.parametrize(("year", "number", "fmt", "refused", "reason"), [
    (2024, 2, "docx", LookupError, "没有2024年第2期通报。"),
    (2024, 1, "pdf", ValueError, "通报只能下载为 docx 或 xlsx，不能是 pdf"),
])
def test_unknown_editions_and_formats(county, year, number, fmt, refused, reason):
    """Only a kept edition, as Word or Excel."""
    editions.produce(county, ADMIN, JUNE, JULY_12, today=JULY_20)
    with pytest.raises(refused, match=re.escape(reason)):
        editions.edition_file(county, year, number, fmt)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "pipelines.bulletin", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)


def test_cli_produces_numbered_editions(county, tmp_path):
    """--edition keeps the next edition, prints its 期号 and writes its stored file; the plain call stays a draft
    and keeps nothing; --edition needs --period."""
    county.close()
    db_file = str(tmp_path / "test.duckdb")
    draft = _cli("--period", "2024-06", "--known-by", "2024-07-12", "--out", str(tmp_path / "draft.docx"), "--db", db_file)
    assert draft.returncode == 0, draft.stderr
    assert _texts((tmp_path / "draft.docx").read_bytes())[1] == "第  期（草稿）"
    for number in (1, 2):
        done = _cli("--period", "2024-06", "--known-by", "2024-07-12", "--edition", "--out",
                    str(tmp_path / f"{number}.docx"), "--db", db_file)
        assert done.returncode == 0, done.stderr
        assert f"已印发2024年第{number}期通报" in done.stdout
        assert _texts((tmp_path / f"{number}.docx").read_bytes())[1] == f"第{number}期"
    refused = _cli("--as-of", "2024-06-30", "--edition", "--out", str(tmp_path / "x.docx"), "--db", db_file)
    assert refused.returncode == 2 and "--edition 须与 --period 一起使用" in refused.stderr
    with db.connect(db_file) as con:
        assert _kept(con) == (2, 2)
        assert editions.edition_file(con, 2024, 2) == (tmp_path / "2.docx").read_bytes()


def _page(actor: Actor) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "bulletin.py"), default_timeout=120)
    at.session_state[TEST_ACTOR_KEY] = actor
    return at.run()


def test_the_page_previews_edits_produces_and_lists(county):
    """通报编发: the newest ended month is previewed with its drafts; the admin rewrites 五 and produces 第1期, which
    is then listed with its downloads and kept with the text typed; a leader is refused."""
    county.close()
    at = _page(ADMIN)
    assert not at.exception
    problems, next_steps = at.text_area
    assert next_steps.value == settings.current().bulletin.next_steps
    assert any("仍是默认草稿" in w.value for w in at.warning)
    next_steps.set_value("年底前完成全年目标")
    next(b for b in at.button if b.label == "生成第1期通报").click().run()
    assert not at.exception
    assert at.success[0].value.startswith(f"已生成{dt.date.today().year}年第1期通报")
    with db.cursor() as cur:
        (made,) = editions.editions(cur)
    assert made.next_steps_text == "年底前完成全年目标" and made.problems_text == problems.value
    assert [b.label for b in at.get("download_button")] == ["Word", "Excel"]
    refused = _page(Actor("领导", "leader"))
    assert refused.error[0].value == "仅系统管理员可用" and not refused.text_area


# ------------------------------------------------------------------------------ the PDF, at demo size

DEMO_PERIOD, DEMO_KNOWN = dt.date(2026, 10, 1), dt.date(2026, 11, 12)  # the last month of conftest.demo_county
OFFICE = shutil.which("soffice") and shutil.which("pdftotext")


def _pdf_pages(data: bytes, folder: Path) -> list[str]:
    """The text of each page of the document converted to PDF by LibreOffice (its own profile, so that runs side by
    side do not share one), without spaces (pdftotext spaces Latin from Chinese)."""
    source = folder / "通报.docx"
    source.write_bytes(data)
    subprocess.run(["soffice", f"-env:UserInstallation=file://{folder / 'profile'}", "--headless", "--convert-to",
                    "pdf", "--outdir", str(folder), str(source)], check=True, capture_output=True, timeout=180)
    text = subprocess.run(["pdftotext", str(folder / "通报.pdf"), "-"], check=True, capture_output=True,
                          text=True).stdout
    return [re.sub(r"\s", "", page) for page in text.split("\f")[:-1]]


@pytest.mark.skipif(not OFFICE, reason="LibreOffice (soffice) or pdftotext is not installed: run `make office`")
def test_the_pdf_at_demo_size(demo_county, tmp_path):
    """The produced edition as a PDF: page 1 opens with the 版头 (机关名称, 第1期, 编发单位 and date) and the title;
    一 … 五 follow in order; the body with 落款 and 版记 takes at most four pages, so 附件1 opens page 5 at the
    latest; every 附件 is there."""
    copy = tmp_path / "demo.duckdb"
    shutil.copy(demo_county, copy)
    con = db.connect(copy)
    try:
        made = editions.produce(con, ADMIN, DEMO_PERIOD, DEMO_KNOWN, today=DEMO_KNOWN)
        pages = _pdf_pages(editions.edition_file(con, made.year, made.number), tmp_path)
    finally:
        con.close()
    bulletin = settings.current().bulletin
    assert pages[0].startswith(f"{bulletin.title}第1期{bulletin.issuer}2026年11月12日2026年10月招商引资项目推进情况通报")
    text = "".join(pages)
    parts = [text.index(f"{numeral}、{part}") for numeral, part in
             zip("一二三四五", ("总体情况", "各单元完成情况", "督办与预警", "存在问题", "下步工作"))]
    assert parts == sorted(parts)
    annex = next(n for n, page in enumerate(pages, 1) if page.startswith("附件1"))
    assert annex <= 5
    closing = pages[annex - 2]  # the body's last page ends with the 版记 (the page number comes between in the text)
    assert f"抄送：{bulletin.copy_to}。" in closing and closing.endswith("2026年11月12日印发")
    assert [n for n, page in enumerate(pages, 1) if re.match("附件[1-4]本月|附件4迟报", page)][:1] == [annex]
    assert all(f"附件{n}" in text for n in range(1, 5))
