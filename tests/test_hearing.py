"""过堂材料 (issue 18): each unit's page against a small hand-computed county (ranks, score, targets against 序时进度
with points out of 满分, reports, 督办, red warnings, gaps), the Word file and the zip, who may have which, the
command, and one printed page per unit."""
from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
import sys
import zipfile

import docx
import pytest

from pipelines.access import Actor, OutOfScope
from pipelines.admin import tasks
from pipelines.bulletin.content import NoUnits
from pipelines.bulletin.hearing import (
    HEADINGS,
    file_name,
    hearing_docx,
    hearing_file,
    hearing_pages,
    hearing_zip,
)
from tests.factories import project, snapshot
from tests.server import ROOT

AS_OF = dt.date(2024, 6, 30)  # 序时进度 6/12 = 0.5; compared with 2024-05-31
ADMIN = Actor("管理员", "admin")
NAMES = {"U01": "经济开发区", "U02": "城东街道", "U03": "城西街道"}


def _report(con, code, unit, period="2024-05", received="2024-06-05", **fields):
    fields.setdefault("project_name", f"{code}项目")
    snapshot(con, project(con, code, unit), period, received, unit, **fields)


def _targets(con, unit, signed_major=None, commenced=None):
    con.execute("INSERT INTO targets (submission_id, received_at, year, unit_code, signed_major, commenced) "
                "VALUES (1, '2024-01-15', 2024, ?, ?, ?)", [unit, signed_major, commenced])


def _task(con, title, unit, deadline):
    tasks.issue(con, ADMIN, title=title, unit=unit, deadline=deadline, requirement="按期办结",
                at=dt.datetime(2024, 6, 1, 9))


@pytest.fixture
def county(units):
    """As of 06-30 (序时进度 0.5; the duty covers May, due 06-10):

    U01 (targets 签约 4, 开工 6; no 签约金额 or 投产 target, so the four indicators it has, 25 + 20 + 15 + 15 = 75,
    scale by 100/75): A signed 02-01 and commenced 04-01, B signed 03-01, C 已审批 (04-01) not signed, all 2亿元, May
    reported on 06-05. 签约 2 of 2 due: 25 → 33.33 of 33.33; 开工 1 of 3 due: 20/3 → 8.89 of 26.67, 2 lacking,
    completion 1/6 = 16.7%, −33.3 points; 开工率 1/2: 15 × 0.5/0.75 = 10 → 13.33 of 20, 1 more to 75% (B); 纳统率 0/1:
    0 of 20, 1 more to 80% (A). Score 55.56. Red at 06-30: A 开工未纳统 (3 months), 新开工 落后序时进度 (≤ −30), the
    task due 06-20 late (督办临期/逾期); yellow: B 签约未开工 (3 months).
    U02 (targets 签约 2, 开工 2): P signed 03-01, commenced 04-01, 纳统 05-01, 10亿元 服务业 (bonus +1); Q signed 04-01:
    25 + 20 + 10 + 15 = 70 → 93.33, + 1 = 94.33.
    U03 (no targets): S reported for April on 05-05, May's report never came: −1; its rates have no cohort (0 of
    100). Score −1.
    At 05-31 nothing of U01 or U02 was known (their files came 06-05) and S's April report was on time: all 0, ranked
    by code. So U02 rose to 1st, U01 fell to 2nd, U03 stayed 3rd; in 乡镇组 U02 and U03 kept their places."""
    con = units
    _targets(con, "U01", signed_major=4, commenced=6)
    _targets(con, "U02", signed_major=2, commenced=2)
    _report(con, "A", "U01", signed_date="2024-02-01", commenced_date="2024-04-01")
    _report(con, "B", "U01", signed_date="2024-03-01")
    _report(con, "C", "U01", lead_date="2024-02-01", evaluated_date="2024-03-01", approved_date="2024-04-01")
    _report(con, "P", "U02", total=100000, industry="服务业", signed_date="2024-03-01", commenced_date="2024-04-01",
            in_stats_date="2024-05-01")
    _report(con, "Q", "U02", signed_date="2024-04-01")
    _report(con, "S", "U03", period="2024-04", received="2024-05-05")
    _task(con, "推动A项目入库纳统", "U01", dt.date(2024, 6, 20))
    _task(con, "督促B项目开工", "U01", dt.date(2024, 7, 15))
    return con


def test_a_unit_page_says_rank_score_targets_reports_tasks_warnings_and_gaps(county):
    """U01's page, worked in the fixture."""
    page, = hearing_pages(county, AS_OF, units=["U01"])
    assert (page.title, page.period) == ("经济开发区招商引资工作过堂材料", "2024年6月")
    assert page.as_of_line == "数据截至2024年6月30日；序时进度50.0%。"
    assert page.standing == ("全县第2名（共3个单元，较上月下降1名），园区组第1名（共1个单元，较上月持平），"
                             "得分55.56分（较上月提高55.56分）。")
    assert page.targets == [
        ("签约亿元以上项目数", "2个", "4个", "50.0%", "+0.0", "33.33/33.33"),
        ("新开工项目数", "1个", "6个", "16.7%", "−33.3", "8.89/26.67"),
        ("签约项目开工率", "1/2", "75%", "50.0%", "—", "13.33/20"),
        ("开工项目纳统率", "0/1", "80%", "0.0%", "—", "0.00/20"),
    ]
    assert page.scoring == ("加分0.00分（上限10分）；扣分0.00分（上限10分）；未下达目标、不计分：签约金额、新投产项目数"
                            "（其余指标满分按比例折算至合计100分）。")
    assert page.reporting == ("本年应报月度报表1份，已报送1份，按时报送1份（报送率100.0%，及时率100.0%）；无迟报；"
                              "无漏报项目。")
    assert page.tasks == ("本年交办2项，已办结0项，在办2项，逾期1项。逾期：“推动A项目入库纳统”（期限6月20日）。"
                          "在办未逾期：“督促B项目开工”（期限7月15日）。")
    assert page.warnings == ("截至6月30日有红色预警3条：督办临期/逾期1条；开工未纳统1条（A项目）；落后序时进度1条（新开工项目数）。"
                             "另有黄色预警1条。")
    assert page.gaps == ["签约项目开工率还需开工1个项目可达75%。可推动：B项目（2.00亿元）。",
                         "开工项目纳统率还需纳统1个项目可达80%。可推动：A项目（2.00亿元）。",
                         "新开工项目数距序时进度还差2个（已签约未开工的项目只有1个）。可推动：B项目（2.00亿元）。"]


def test_the_other_units_pages(county):
    """U02 first with its bonus (P, 10亿元 服务业); U03 last with its missing May report charged, without targets
    (only the two rates, without a cohort), and nothing behind but the rates it has no cohort for."""
    u02, u03 = hearing_pages(county, AS_OF, units=["U02", "U03"])
    assert u02.standing == ("全县第1名（共3个单元，较上月上升1名），乡镇组第1名（共2个单元，较上月持平），"
                            "得分94.33分（较上月提高94.33分）。")
    assert u02.scoring.startswith("加分1.00分（上限10分）：P项目；扣分0.00分")
    assert u03.standing == ("全县第3名（共3个单元，较上月持平），乡镇组第2名（共2个单元，较上月持平），"
                            "得分-1.00分（较上月降低1.00分）。")
    assert u03.targets == [("签约项目开工率", "0/0", "75%", "—", "—", "0.00/50"),
                           ("开工项目纳统率", "0/0", "80%", "—", "—", "0.00/50")]
    assert u03.scoring.startswith("加分0.00分（上限10分）；扣分1.00分（上限10分）：迟报（含未报）月度报表1份，扣1.00分；")
    assert u03.reporting.startswith("本年应报月度报表2份，已报送1份，按时报送1份（报送率50.0%，及时率50.0%）；迟报（含未报）：5月；")
    assert u03.tasks == "本年没有交办本单元的督办事项。"


def test_january_is_not_compared(county):
    """At the end of January there is no previous month of the year to compare with: the page says so."""
    page, = hearing_pages(county, dt.date(2024, 1, 31), units=["U01"])
    assert page.standing.endswith("。本月为年度首月，不与上年比较。")
    assert "较上月" not in page.standing


def _page_texts(data: bytes) -> list[str]:
    """The Word document's paragraphs and table cells, in order, one string per page (split at page breaks)."""
    document = docx.Document(io.BytesIO(data))
    pages: list[str] = []
    body = document.element.body
    for block in body.iterchildren():
        if block.tag.endswith("}p"):
            paragraph = docx.text.paragraph.Paragraph(block, document)
            if paragraph.paragraph_format.page_break_before or not pages:
                pages.append("")
            pages[-1] += paragraph.text + "\n"
        elif block.tag.endswith("}tbl"):
            table = docx.table.Table(block, document)
            pages[-1] += "\n".join("|".join(c.text for c in row.cells) for row in table.rows) + "\n"
    return pages


def test_word_file_has_one_page_per_unit_in_register_order(county):
    """Three pages, each opening with its unit's title on a new page, its six parts in order, its table of
    targets with the points out of 满分."""
    pages = _page_texts(hearing_docx(county, AS_OF))
    assert [page.splitlines()[0] for page in pages] == [f"{name}招商引资工作过堂材料" for name in NAMES.values()]
    first = pages[0]
    assert [first.index(heading) for heading in HEADINGS] == sorted(first.index(heading) for heading in HEADINGS)
    assert "指标|完成|目标|完成率|较序时进度|得分/满分" in first
    assert "新开工项目数|1个|6个|16.7%|−33.3|8.89/26.67" in first
    assert "“推动A项目入库纳统”（期限6月20日）" in first and "新开工项目数距序时进度还差2个" in first
    assert "全县第1名" in pages[1] and "全县第3名" in pages[2]


def test_zip_holds_a_file_per_unit_named_and_the_same_each_time(county):
    """One document per unit named 过堂材料_<单元名称>_<YYYY-MM>.docx, each that unit's page alone; every entry of the
    zip and of each document carries the same fixed time, so making it twice gives the same bytes."""
    data = hearing_zip(county, AS_OF)
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.namelist() == [f"过堂材料_{name}_2024-06.docx" for name in NAMES.values()]
    for name, info in zip(NAMES.values(), archive.infolist()):
        inner = archive.read(info)
        assert _page_texts(inner)[0].startswith(f"{name}招商引资工作过堂材料") and len(_page_texts(inner)) == 1
        stamps = {i.date_time for i in zipfile.ZipFile(io.BytesIO(inner)).infolist()} | {info.date_time}
        assert stamps == {(1980, 1, 1, 0, 0, 0)}
    assert hearing_zip(county, AS_OF) == data


def test_who_gets_which_units(county):
    """Admins and leaders (no scope) get every unit or the one asked for; a unit user gets its own page only, and
    asking for another unit's is refused; a code not in the register is refused by name."""
    every = zipfile.ZipFile(io.BytesIO(hearing_file(county, AS_OF, "zip", None))).namelist()
    assert len(every) == 3
    one = zipfile.ZipFile(io.BytesIO(hearing_file(county, AS_OF, "zip", None, unit="U03"))).namelist()
    assert one == ["过堂材料_城西街道_2024-06.docx"]
    own = _page_texts(hearing_file(county, AS_OF, "docx", "U02"))
    assert [page.splitlines()[0] for page in own] == ["城东街道招商引资工作过堂材料"]
    with pytest.raises(OutOfScope, match="单元用户只能获取本单元的过堂材料"):
        hearing_file(county, AS_OF, "docx", "U02", unit="U01")
    with pytest.raises(LookupError, match="没有编码为 U09 的招商单元"):
        hearing_file(county, AS_OF, "docx", None, unit="U09")


@pytest.mark.parametrize(("as_of", "fmt", "unit", "name"), [
    (AS_OF, "docx", None, "过堂材料_2024-06.docx"),
    (AS_OF, "zip", None, "过堂材料_2024-06.zip"),
    (AS_OF, "docx", "城东街道", "过堂材料_城东街道_2024-06.docx"),
    (dt.date(2024, 6, 15), "docx", "城东/街道", "过堂材料_城东_街道_2024-06-15.docx"),  # a day within a month
])
def test_file_names(as_of, fmt, unit, name):
    """The download's name: every unit's file or zip, a unit user's own page by its unit; no '/' in a name."""
    assert file_name(as_of, fmt, unit) == name


def test_no_unit_register_is_refused(con):
    with pytest.raises(NoUnits, match="还没有招商单元名录"):
        hearing_docx(con, AS_OF)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "pipelines.bulletin.hearing", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)


def test_cli_writes_word_and_zip_and_refuses_others(county, tmp_path):
    """--out F.docx (every unit, or --unit's) and F.zip are written for the report month known by a day, which the
    page says; a .pdf, an unknown unit and a knowledge day before the month's end are refused in Chinese, with
    nothing written."""
    county.close()
    db = str(tmp_path / "test.duckdb")
    month = ("--period", "2024-06", "--known-by", "2024-07-12", "--db", db)
    done = _cli(*month, "--out", str(tmp_path / "过堂.docx"))
    assert done.returncode == 0, done.stderr
    pages = _page_texts((tmp_path / "过堂.docx").read_bytes())
    assert len(pages) == 3 and "数据截至2024年6月30日，计入2024年7月12日以前收到的报表" in pages[0]
    done = _cli(*month, "--unit", "U02", "--out", str(tmp_path / "城东.docx"))
    assert done.returncode == 0, done.stderr
    assert [p.splitlines()[0] for p in _page_texts((tmp_path / "城东.docx").read_bytes())] == ["城东街道招商引资工作过堂材料"]
    done = _cli(*month, "--out", str(tmp_path / "过堂.zip"))
    assert done.returncode == 0, done.stderr
    assert len(zipfile.ZipFile(tmp_path / "过堂.zip").namelist()) == 3
    refused = _cli(*month, "--out", str(tmp_path / "过堂.pdf"))
    assert (refused.returncode, refused.stderr.strip()) == (
        1, "不支持的文件类型：过堂.pdf。过堂材料只能写出为 .docx（Word）或 .zip（每单元一份）。")
    unknown = _cli(*month, "--unit", "U09", "--out", str(tmp_path / "无.docx"))
    assert (unknown.returncode, unknown.stderr.strip()) == (1, "没有编码为 U09 的招商单元。")
    early = _cli("--period", "2024-06", "--known-by", "2024-06-29", "--db", db, "--out", str(tmp_path / "早.docx"))
    assert early.returncode == 2 and "--known-by 不能早于 2024-06 的最后一天（2024-06-30）" in early.stderr
    assert not any((tmp_path / name).exists() for name in ("过堂.pdf", "无.docx", "早.docx"))


def _crowd(con):
    """U02 at its worst: a dozen late tasks and a dozen projects commenced long ago and never 纳统, every name long,
    and every further target set, so that each list of its page is cut and its table is full."""
    long = "年产十万吨高性能纤维新材料及配套产业链智能制造基地建设"
    for number in range(12):
        _report(con, f"L{number:02d}", "U02", signed_date="2024-01-10", commenced_date="2024-02-01",
                project_name=f"{long}（{number + 1}期）项目")
        _task(con, f"{long}（{number + 1}期）项目须于本月底前完成入库纳统并报送佐证材料", "U02", dt.date(2024, 6, 3 + number))
    con.execute("UPDATE targets SET signed_amount_wan = 500000, production = 5, in_stats = 20, signed_50yi = 1, "
                "signed_10_50yi = 3, signed_5_10yi = 4, invested_year_wan = 90000, major_manufacturing = 2 "
                "WHERE unit_code = 'U02'")


def _pdf_pages(data: bytes, tmp_path) -> int:
    """How many pages LibreOffice prints the document on (its own profile, so that nothing else's is touched)."""
    source = tmp_path / "过堂.docx"
    source.write_bytes(data)
    subprocess.run([shutil.which("soffice"), f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
                   capture_output=True, timeout=180, check=True)
    return len(re.findall(rb"/Type\s*/Page[^s]", (tmp_path / "过堂.pdf").read_bytes()))


@pytest.mark.skipif(shutil.which("soffice") is None,
                    reason="LibreOffice (soffice) is not installed: apt-get install libreoffice-writer-nogui")
def test_each_unit_prints_on_one_page(county, tmp_path):
    """Printed by LibreOffice, the Word file takes one A4 page per unit, even for a unit with every list cut
    (12 late tasks, 12 red projects, every target set)."""
    _crowd(county)
    page, = hearing_pages(county, AS_OF, units=["U02"])
    assert "等12项" in page.tasks and "开工未纳统12条" in page.warnings and len(page.targets) == 12
    assert _pdf_pages(hearing_docx(county, AS_OF), tmp_path) == 3
