"""过堂材料 for the bureau's review meetings (泰兴's 双月过堂, 磐安's 月度汇报会): one A4 page per unit — its ranks and
score with the change since last month, its targets against 序时进度 with the points each scores out of its 满分,
加分 and 扣分 with their reasons, its monthly reports, its open and late 督办事项, its red warnings, and for each
target behind 序时进度 how much it lacks and the projects that could close the gap — as one Word file or a zip of one
file per unit. `python -m pipelines.bulletin.hearing`.

Nothing here is a new figure: ranks, scores and the ledger come from pipelines.figures.assessment (through
pipelines.screens.ranking.unit_ledger and pipelines.screens.unit.item_maxima, as the 单元看板 shows them), the gaps
from pipelines.figures.guidance, the tasks from pipelines.admin.tasks, the red warnings are the conditions of
alerts.rules holding at the knowledge day (as the 通报 reads them). Lists are cut after a few names ('等N个') so
that a unit's page fits one sheet.

Usage: python -m pipelines.bulletin.hearing --period YYYY-MM [--known-by YYYY-MM-DD] [--unit CODE]
                                            --out FILE.docx|FILE.zip [--db PATH]"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import re
import sys
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt

from alerts.rules import RULE_BY_ID, RULES, conditions
from pipelines import cli
from pipelines.access import OutOfScope
from pipelines.admin import tasks
from pipelines.bulletin.content import NoUnits
from pipelines.bulletin.word import set_font
from pipelines.figures import guidance, measures
from pipelines.figures.assessment import (
    INDICATORS,
    ITEM_LABELS,
    Assessment,
    assess,
    previous_month,
    rank_moves,
)
from pipelines.months import is_month_end, month_end
from pipelines.screens.ranking import LedgerItem, unit_ledger
from pipelines.screens.unit import item_maxima
from pipelines.settings import Settings, current
from pipelines.store import queries
from pipelines.vocabulary import RED, WAN_PER_YI

TITLE = "招商引资工作过堂材料"
FORMATS = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
           "zip": "application/zip"}
HEADINGS = ("一、排名与得分", "二、目标完成与得分", "三、报送情况", "四、督办事项", "五、红色预警", "六、差距与对策")
TARGET_COLUMNS = ("指标", "完成", "目标", "完成率", "较序时进度", "得分/满分")
# What keeps a unit on one page: names listed in a sentence before the rest is counted ('A、B、C等7个'), the
# characters of a name or title shown ('…' after), the targets behind 序时进度 told one by one (the rest named).
LISTED, NAME_CHARACTERS, GAPS_LISTED = 3, 24, 5
NO_VALUE = "—"
_OPEN_STATES = ("open", "responded")
_INDICATOR_IDS = {i.id for i in INDICATORS}


@dataclass(frozen=True)
class UnitPage:
    """One unit's page, every sentence and cell as printed."""

    code: str
    name: str
    title: str  # '经济开发区招商引资工作过堂材料'
    period: str  # '2026年11月', or '截至2026年11月15日' for a day within a month
    as_of_line: str  # the days the figures are for, and 序时进度
    standing: str  # ranks, score, their change, 评优
    targets: list[tuple[str, ...]]  # rows under TARGET_COLUMNS
    scoring: str  # 加分, 扣分 and the indicators left out
    reporting: str
    tasks: str
    warnings: str
    gaps: list[str]


# ---------------------------------------------------------------------------------------------------- content


def _short(name: str) -> str:
    return name if len(name) <= NAME_CHARACTERS else name[:NAME_CHARACTERS - 1] + "…"


def _listed(names: Sequence[str], measure: str = "个", limit: int = LISTED) -> str:
    """'A、B、C等7个' (the first `limit` names, then how many in all), or the names alone when they are few."""
    shown = "、".join(names[:limit])
    return shown if len(names) <= limit else f"{shown}等{len(names)}{measure}"


def _day(day: dt.date, year: int) -> str:
    """'11月20日', with the year when it is another one."""
    return f"{day.month}月{day.day}日" if day.year == year else f"{day.year}年{day.month}月{day.day}日"


def _period_label(as_of: dt.date) -> str:
    return f"{as_of.year}年{as_of.month}月" if is_month_end(as_of) else f"截至{as_of.year}年{as_of.month}月{as_of.day}日"


def _signed(value: float, decimals: int) -> str:
    """'+3.2', '−12.5' (a gap that rounds to nothing is '+0.0')."""
    shown = round(value, decimals) + 0.0
    return f"+{shown:.{decimals}f}" if shown >= 0 else f"−{-shown:.{decimals}f}"


def _places(change: object, previous: object) -> str:
    if previous is None or pd.isna(previous):
        return ""
    change = int(change)
    return "，较上月" + (f"上升{change}名" if change > 0 else f"下降{-change}名" if change < 0 else "持平")


def _standing(unit: dict, moves: dict, units: int, group_units: int, previous: Assessment | None,
              config: Settings) -> str:
    """'全县第3名（共8个单元，较上月上升1名），园区组第1名（共3个单元，较上月持平），得分82.35分（较上月提高2.10分）。'"""
    text = (f"全县第{int(unit['rank'])}名（共{units}个单元{_places(moves['rank_change'], moves['previous_rank'])}），"
            f"{unit['group']}第{int(unit['group_rank'])}名（共{group_units}个单元"
            f"{_places(moves['group_rank_change'], moves['previous_group_rank'])}），得分{unit['score']:.2f}分")
    if previous is None:
        text += "。本月为年度首月，不与上年比较"
    else:
        before = previous.units.set_index("code")["score"].get(unit["code"])
        change = round(float(unit["score"]) - float(before), 2) if before is not None else None
        if change is not None:
            text += "（较上月持平）" if change == 0 else f"（较上月{'提高' if change > 0 else '降低'}{abs(change):.2f}分）"
    text += "。"
    if unit["excellent"]:
        major = config.assessment.major_manufacturing_min_wan / WAN_PER_YI
        text += f"本年签约{major:g}亿元以上制造业项目数超过年度目标，一票评优。"
    elif unit["vetoed"] and unit["qualifies"]:
        text += "达到一票评优条件，但被一票否优，不评为优秀。"
    return text


def _amount(item: LedgerItem, value: float | None) -> str:
    if value is None:
        return NO_VALUE
    return f"{value / WAN_PER_YI:.2f}亿元" if item.measure == "amount" else f"{value:g}个"


def _target_rows(items: list[LedgerItem], maxima: dict, unit: dict, config: Settings) -> list[tuple[str, ...]]:
    """Each target set for the unit (and the two rates): done, target, completion, gap to 序时进度 in points, and
    the points it scores out of its 满分 (不计分 where it weighs nothing; 一票评优 for the target that is none)."""
    decimals = config.figures.completion_decimals
    rows = []
    for item in items:
        if item.item not in _INDICATOR_IDS and item.item != "major_manufacturing":
            continue
        if item.measure != "rate" and item.target is None:
            continue  # no target set: named under the score instead
        if item.item == "major_manufacturing":
            scored = "一票评优项"
        elif item.points is None:
            scored = "不计分"
        else:
            scored = f"{item.points:.2f}/{round(maxima[item.item], 2):g}"
        if item.measure == "rate":
            hits, base = int(unit[f"{item.item}_hits"]), int(unit[f"{item.item}_base"])
            rate = NO_VALUE if item.quantity is None else f"{item.quantity:.{decimals}%}"
            rows.append((item.label, f"{hits}/{base}", f"{item.target:.0%}", rate, NO_VALUE, scored))
        else:
            rows.append((item.label, _amount(item, item.quantity), _amount(item, item.target),
                         f"{item.completion:.{decimals}%}", _signed(item.gap_points, decimals), scored))
    return rows


def _scoring(items: list[LedgerItem], names: dict[str, str], config: Settings) -> str:
    """加分 with its projects, 扣分 with each reason and its points, and the indicators left out for want of a
    target."""
    rules = config.assessment
    by_id = {item.item: item for item in items}
    bonus = by_id["bonus"]
    text = f"加分{bonus.points:.2f}分（上限{rules.bonus_cap:g}分）"
    if len(bonus.behind):
        text += "：" + _listed([_short(names.get(c, c)) for c in bonus.behind["project_code"]])
    reasons = {"late_reports": ("迟报（含未报）月度报表", "份"), "forgotten_updates": ("按时报表中漏报项目", "项次"),
               "late_tasks": ("督办事项逾期", "项")}
    charged = [f"{words}{int(by_id[key].quantity)}{measure}，扣{-by_id[key].points:.2f}分"
               for key, (words, measure) in reasons.items() if key in by_id and by_id[key].quantity]
    deduction = -sum(by_id[key].points or 0 for key in reasons if key in by_id)
    text += f"；扣分{deduction + 0.0:.2f}分（上限{rules.deduction_cap:g}分）" + ("：" + "，".join(charged) if charged else "")
    weights = {i.id: getattr(rules, i.weight) for i in INDICATORS}
    left_out = [i.label for i in items if weights.get(i.item) and i.measure != "rate" and i.target is None]
    if left_out:
        text += f"；未下达目标、不计分：{'、'.join(left_out)}（其余指标满分按比例折算至合计100分）"
    return text + "。"


def _reporting(unit: dict) -> str:
    """The year's monthly reports: expected, sent, on time, the late (or missing) months, forgotten updates."""
    rates = [NO_VALUE if unit[key] is None or pd.isna(unit[key]) else f"{unit[key]:.1%}"
             for key in ("reporting_rate", "on_time_rate")]
    text = (f"本年应报月度报表{int(unit['reports_expected'])}份，已报送{int(unit['reports_received'])}份，"
            f"按时报送{int(unit['reports_on_time'])}份（报送率{rates[0]}，及时率{rates[1]}）")
    late = [f"{int(month[5:])}月" for month in unit["late_months"]]
    text += f"；迟报（含未报）：{'、'.join(late)}" if late else "；无迟报"
    forgotten = int(unit["forgotten_updates"])
    text += f"；按时报送的报表中漏报项目{forgotten}项次" if forgotten else "；无漏报项目"
    return text + "。"


def _tasks(found: list[tasks.Task], known: dt.date, year: int) -> str:
    """The unit's 督办事项 of the year (and any still open): how many, the late ones and the open ones by title."""
    mine = [t for t in found if t.state != "cancelled" and (t.deadline.year == year or t.state in _OPEN_STATES)]
    if not mine:
        return "本年没有交办本单元的督办事项。"
    late = [t for t in mine if t.late(known)]
    open_ = [t for t in mine if t.state in _OPEN_STATES]
    waiting = [t for t in open_ if not t.late(known)]
    text = (f"本年交办{len(mine)}项，已办结{sum(t.state == 'closed' for t in mine)}项，在办{len(open_)}项，"
            f"逾期{len(late)}项")

    def named(group: list[tasks.Task]) -> str:
        ordered = sorted(group, key=lambda t: (t.deadline, t.code))
        return _listed([f"“{_short(t.title)}”（期限{_day(t.deadline, year)}）" for t in ordered], "项")

    if late:
        text += f"。逾期：{named(late)}"
    if waiting:
        text += f"。在办未逾期：{named(waiting)}"
    return text + "。"


def _warnings(found: pd.DataFrame, names: dict[str, str], known: dt.date) -> str:
    """The red warnings holding at the knowledge day, counted by rule with a few of their projects or items (the
    tasks' only counted: 督办事项 names them); the yellow ones counted."""
    red = found[found["grade"] == RED]
    yellow = len(found) - len(red)
    others = f"另有黄色预警{yellow}条。" if yellow else "没有黄色预警。"
    if red.empty:
        return f"截至{known.month}月{known.day}日没有红色预警；{others}"
    parts = []
    for rule in RULES:
        mine = red[red["rule"] == rule.id].sort_values(["since", "subject"])
        if mine.empty:
            continue
        subjects = []
        for subject in mine["subject"]:
            if rule.subject_kind == "project":
                subjects.append(_short(names.get(subject, subject)))
            elif ":" in subject:  # a unit's item ('U03:commenced'); a task's are named under 督办事项
                subjects.append(ITEM_LABELS.get(subject.split(":", 1)[1], subject))
        part = f"{RULE_BY_ID[rule.id].name}{len(mine)}条"
        parts.append(part + (f"（{_listed(subjects)}）" if subjects else ""))
    return f"截至{known.month}月{known.day}日有红色预警{len(red)}条：{'；'.join(parts)}。{others}"


def _candidate(found: dict) -> str:
    """'某某项目（已审批，3.20亿元）'."""
    details = [found["stage"]] if found.get("stage") else []
    amount = found.get("amount_wan")
    if amount is not None and not pd.isna(amount):
        details.append(f"{amount / WAN_PER_YI:.2f}亿元")
    return _short(found["name"]) + (f"（{'，'.join(details)}）" if details else "")


def _gaps(gaps: list[guidance.Gap]) -> list[str]:
    """One sentence per target behind 序时进度 (or rate below its target): what is lacking and the projects that
    could close it ('同上' when they are the previous sentence's); after GAPS_LISTED of them the rest by name."""
    lacking = [g for g in gaps if g.needed > 0]
    if not lacking:
        return ["各项年度目标均已达到序时进度，签约项目开工率和开工项目纳统率均已达到目标。"]
    lines, before = [], None
    for gap in lacking[:GAPS_LISTED]:
        line = gap.message if gap.message.startswith(gap.label) else f"{gap.label}{gap.message}"
        found = _listed([_candidate(c) for c in gap.candidates]) if gap.candidates else None
        if found:
            line += "。可推动：" + ("同上" if found == before else found)
        lines.append(line + "。")
        before = found
    if len(lacking) > GAPS_LISTED:
        lines.append(f"另有{len(lacking) - GAPS_LISTED}项落后：{'、'.join(g.label for g in lacking[GAPS_LISTED:])}。")
    return lines


def hearing_pages(con: duckdb.DuckDBPyConnection, as_of: dt.date, known_by: dt.date | None = None,
                  units: Sequence[str] | None = None, settings: Settings | None = None) -> list[UnitPage]:
    """The page of each unit of `units` (codes; default every registered unit, by code), for the period
    end `as_of` known by the end of `known_by` (a month's report, DOMAIN §4; default: as of `as_of`). NoUnits
    without a unit register; LookupError for a code that is not registered."""
    config = settings or current()
    known = known_by or as_of
    facts = measures.project_facts(con, as_of, config, known_by=known)
    result = assess(con, as_of, config, facts, known_by=known_by)
    if result.units.empty:
        raise NoUnits("数据库中还没有招商单元名录，无法生成过堂材料：请先载入单元名录和年度目标。")
    table = result.units.set_index("code", drop=False)
    codes = sorted(table.index) if units is None else list(units)
    unknown = [code for code in codes if code not in table.index]
    if unknown:
        raise LookupError(f"没有编码为 {'、'.join(unknown)} 的招商单元。")
    previous = previous_month(con, result, config)
    moves = rank_moves(result, previous).set_index("code").to_dict("index")
    projects = queries.frame(con, "projects_as_of", as_of=known, unit=None)
    names = dict(zip(projects["project_code"], projects["project_name"]))
    found_tasks = tasks.tasks_as_of(con, known)
    warnings = conditions(con, known, config)
    received = "" if known == as_of else f"，计入{known.year}年{known.month}月{known.day}日以前收到的报表"
    as_of_line = (f"数据截至{as_of.year}年{as_of.month}月{as_of.day}日{received}；"
                  f"序时进度{result.time_progress:.1%}。")
    pages = []
    for code in codes:
        unit = table.loc[code].to_dict()
        ledger = unit_ledger(con, as_of, code, None, config, result, facts, known_by=known)
        gaps = guidance.target_gaps(con, as_of, code, config, facts, known_by=known)
        group_units = int((result.units["group"] == unit["group"]).sum())
        pages.append(UnitPage(
            code, unit["name"], f"{unit['name']}{TITLE}", _period_label(as_of), as_of_line,
            _standing(unit, moves[code], len(result.units), group_units, previous, config),
            _target_rows(ledger.items, item_maxima(ledger.items, config), unit, config),
            _scoring(ledger.items, names, config), _reporting(unit),
            _tasks([t for t in found_tasks if t.unit == code], known, result.year),
            _warnings(warnings[warnings["unit_code"] == code], names, known), _gaps(gaps)))
    return pages


# ------------------------------------------------------------------------------------------------------ Word

# A 公文's A4 page with the body smaller than the 通报's, so that a unit fits one sheet: 仿宋 五号 at 15 pt lines,
# headings 黑体, the title 宋体 bold, the table 宋体 五号; margins a little narrower than GB/T 9704's 37/35 mm.
_MARGINS_CM = {"top_margin": 2.8, "bottom_margin": 2.5, "left_margin": 2.8, "right_margin": 2.6}
_TITLE_FONT, _BODY_FONT, _HEADING_FONT, _NOTE_FONT, _TABLE_FONT = "宋体", "仿宋", "黑体", "楷体", "宋体"
_TITLE_PT, _BODY_PT, _TABLE_PT, _LINE_PT = 16, 10.5, 9.5, 15
_COLUMN_CM = (4.6, 2.2, 2.2, 1.9, 2.1, 2.6)  # TARGET_COLUMNS: 15.6 cm, the text width
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # what Word's XML cannot hold: dropped


def _line(document, text: str, font: str = _BODY_FONT, size: float = _BODY_PT, bold: bool = False,
          centred: bool = False, indent: bool = True, heading: str | None = None):
    """A paragraph of `text`, opening with `heading` in 黑体 when given."""
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER if centred else WD_ALIGN_PARAGRAPH.JUSTIFY
    if indent and not centred:
        paragraph.paragraph_format.first_line_indent = Pt(2 * size)
    if heading:
        paragraph.paragraph_format.space_before = Pt(3)
        set_font(paragraph.add_run(heading + ("" if not text else "　")), _HEADING_FONT, size)
    set_font(paragraph.add_run(_NOT_XML.sub("", text)), font, size, bold)
    return paragraph


def _table(document, rows: list[tuple[str, ...]]) -> None:
    grid = document.add_table(rows=1, cols=len(TARGET_COLUMNS))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False
    for column, width in zip(grid.columns, _COLUMN_CM):  # the grid's widths (LibreOffice reads these)
        column.width = Cm(width)
    for values, bold in ((TARGET_COLUMNS, True), *((row, False) for row in rows)):
        cells = grid.rows[0].cells if bold else grid.add_row().cells
        for index, (cell, value, width) in enumerate(zip(cells, values, _COLUMN_CM)):
            cell.width = Cm(width)
            paragraph = cell.paragraphs[0]
            paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT if index == 0 and not bold else WD_ALIGN_PARAGRAPH.CENTER
            paragraph.paragraph_format.line_spacing = 1
            paragraph.paragraph_format.first_line_indent = Pt(0)
            set_font(paragraph.add_run(_NOT_XML.sub("", value)), _TABLE_FONT, _TABLE_PT, bold)


def _page(document, page: UnitPage, first: bool) -> None:
    """Title, the days, then the six parts: those of one paragraph open with their heading, the table and the
    gaps stand under theirs."""
    title = _line(document, page.title, _TITLE_FONT, _TITLE_PT, bold=True, centred=True)
    title.paragraph_format.page_break_before = not first
    _line(document, f"（{page.period}）", _NOTE_FONT, centred=True)
    _line(document, page.as_of_line, _NOTE_FONT, indent=False)
    standing, targets, reporting, supervision, warnings, gaps = HEADINGS
    _line(document, page.standing, heading=standing, indent=False)
    _line(document, "", heading=targets, indent=False)
    if page.targets:
        _table(document, page.targets)
    else:
        _line(document, "本年未下达年度目标。")
    _line(document, page.scoring)
    for heading, text in ((reporting, page.reporting), (supervision, page.tasks), (warnings, page.warnings)):
        _line(document, text, heading=heading, indent=False)
    _line(document, "", heading=gaps, indent=False)
    for text in page.gaps:
        _line(document, text)


def _render(pages: list[UnitPage], known: dt.date) -> bytes:
    document = Document()
    normal = document.styles["Normal"]
    set_font(normal, _BODY_FONT, _BODY_PT)
    normal.paragraph_format.line_spacing = Pt(_LINE_PT)
    normal.paragraph_format.space_after = Pt(0)
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    for margin, cm in _MARGINS_CM.items():
        setattr(section, margin, Cm(cm))
    for index, page in enumerate(pages):
        _page(document, page, index == 0)
    properties = document.core_properties  # fixed, so that the same data make the same file
    properties.title = TITLE if len(pages) != 1 else pages[0].title
    properties.author = properties.last_modified_by = "招引智控"
    properties.created = properties.modified = dt.datetime.combine(known, dt.time())
    properties.revision = 1
    buffer = io.BytesIO()
    document.save(buffer)
    return _repacked(buffer.getvalue())


_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip entry can carry: no clock in the file


def _zipped(entries: Sequence[tuple[str, bytes]]) -> bytes:
    """A zip of `entries` (name, bytes) in their order, every entry stamped _FIXED_TIME."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, _FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


def _repacked(docx: bytes) -> bytes:
    """A .docx (a zip whose entries python-docx stamps with the clock) with its entries stamped _FIXED_TIME."""
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        return _zipped([(info.filename, archive.read(info)) for info in archive.infolist()])


def hearing_docx(con: duckdb.DuckDBPyConnection, as_of: dt.date, known_by: dt.date | None = None,
                 units: Sequence[str] | None = None, settings: Settings | None = None) -> bytes:
    """The 过堂材料 of `units` (default: every unit) as one Word document, one page per unit (hearing_pages)."""
    return _render(hearing_pages(con, as_of, known_by, units, settings), known_by or as_of)


def hearing_zip(con: duckdb.DuckDBPyConnection, as_of: dt.date, known_by: dt.date | None = None,
                units: Sequence[str] | None = None, settings: Settings | None = None) -> bytes:
    """The 过堂材料 as a zip of one Word document per unit, named '过堂材料_<单元名称>_<YYYY-MM>.docx'; the same data
    give the same bytes."""
    known = known_by or as_of
    pages = hearing_pages(con, as_of, known_by, units, settings)
    return _zipped([(unit_file_name(page.name, as_of), _render([page], known)) for page in pages])


RENDERERS = {"docx": hearing_docx, "zip": hearing_zip}


def hearing_file(con: duckdb.DuckDBPyConnection, as_of: dt.date, fmt: str, scope: str | None,
                 known_by: dt.date | None = None, unit: str | None = None) -> bytes:
    """The 过堂材料 as a download: 'docx' (one file, a page per unit) or 'zip' (a file per unit), of `unit` or of
    every unit. A unit user (`scope` set) gets only its own unit's page, whatever it asks for; asking for another
    unit's is OutOfScope."""
    if scope is not None and unit not in (None, scope):
        raise OutOfScope("单元用户只能获取本单元的过堂材料。")
    chosen = scope or unit
    return RENDERERS[fmt](con, as_of, known_by, None if chosen is None else [chosen])


def _stamp(as_of: dt.date) -> str:
    return f"{as_of:%Y-%m}" if is_month_end(as_of) else f"{as_of:%Y-%m-%d}"


_NOT_IN_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]')  # what Windows and zip readers refuse in a file name


def unit_file_name(unit_name: str, as_of: dt.date) -> str:
    """'过堂材料_经济开发区_2026-11.docx'."""
    return f"过堂材料_{_NOT_IN_NAMES.sub('_', unit_name)}_{_stamp(as_of)}.docx"


def file_name(as_of: dt.date, fmt: str, unit_name: str | None = None) -> str:
    """The download's name: '过堂材料_2026-11.docx' or '.zip' for every unit, one unit's as unit_file_name."""
    if unit_name is not None and fmt == "docx":
        return unit_file_name(unit_name, as_of)
    return f"过堂材料_{_stamp(as_of)}.{fmt}"


# ------------------------------------------------------------------------------------------------ the command


@cli.refuses_when_busy
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.bulletin.hearing",
                                     description="写出某月的过堂材料（每个单元一页）：一个 Word 文件，或每单元一份的 zip。")
    parser.add_argument("--period", type=cli.month, required=True, help="报告月份，YYYY-MM")
    parser.add_argument("--known-by", type=cli.day, help="计入此日（含）以前收到的报表，YYYY-MM-DD（默认今天）")
    parser.add_argument("--unit", help="只写出这个单元（单元编码）；默认全部单元")
    parser.add_argument("--out", type=Path, required=True, help="要写出的文件，.docx 或 .zip")
    parser.add_argument("--db", help="数据库文件（默认：ZS_DB 或配置）")
    args = parser.parse_args(argv)
    as_of, known_by = month_end(args.period), cli.knowledge_day(parser, args.period, args.known_by)
    render = RENDERERS.get(args.out.suffix.lower().lstrip("."))
    if render is None:
        print(f"不支持的文件类型：{args.out.name}。过堂材料只能写出为 .docx（Word）或 .zip（每单元一份）。", file=sys.stderr)
        return 1
    with cli.database(args.db) as con:
        try:
            data = render(con, as_of, known_by, None if args.unit is None else [args.unit])
        except (NoUnits, LookupError) as exc:
            print(exc.args[0], file=sys.stderr)
            return 1
    cli.write_out(args.out, data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
