"""Validation: every row of every recognised sheet parsed into canonical values, with every problem named.

Blocking problems reject the row (sheet row number, column header, reason in Chinese); warnings do not.
Nothing here touches the database: the unit register the rows are checked against is passed in."""
from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from pipelines.access import Actor
from pipelines.cells import PARSERS, CellError, CellProblem, is_blank, shown
from pipelines.ingest.columns import COLUMNS_BY_KIND, SCALES, Column
from pipelines.ingest.layout import Field, Layout
from pipelines.ingest.workbook import FileRejected
from pipelines.months import month_end
from pipelines.settings import Settings
from pipelines.vocabulary import MILESTONE_BY_ID, MILESTONES, REQUIRES

_TOTAL_WORDS = ("合计", "小计", "总计")
# A signature line's first text (normalised: NFKC, no whitespace): a role no project name begins with, with or
# without （签字）/（盖章） and a colon ("填表人：张三  审核人：李四", "单位负责人（签字）：", "填表人 张三"), a
# (盖章) line, or a word that a project name may begin with ("注塑…") followed by a colon.
_SIGNATURE_LINE = re.compile(
    r"^(?:(?:单位负责人|主要负责人|分管负责人|分管领导|主要领导|填表人|填报人|审核人|审批人|负责人|制表人|联系人|统计人"
    r"|经办人|报送单位|填表单位|填报单位|制表单位|审核单位|填报日期|填表日期|填报时间|报送日期|制表日期|联系电话)"
    r"(?:\((?:签字|签名|签章|盖章)\))?(?![\u4e00-\u9fff]*项目)"
    r"|单位\((?:盖章|签章)\)|(?:审核|制表|备注|说明|注)[:：])"
)
# Fields that a template prefills on every row, so a row holding only these is an empty row.
_PREFILLED = frozenset({"period", "unit", "year"})  # a targets template's unit with no target left: not a row


@dataclass(frozen=True)
class Problem:
    sheet: str | None
    row: int | None
    column: str | None
    reason: str
    severity: str = "error"  # error: the row (or file) is rejected; warning: loaded, worth a look

    def as_json(self) -> dict:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "reason": self.reason}


@dataclass(slots=True)  # 50,000 of them in a large file
class Record:
    sheet: str
    row: int
    values: dict[str, object]
    cells: Sequence[object] = field(repr=False, compare=False)  # the sheet row as read
    fields: list[Field] = field(repr=False, compare=False)  # the sheet's recognised columns
    headers: dict[str, str] = field(default_factory=dict)  # column id → header as the sheet shows it

    @property
    def raw(self) -> dict[str, str]:
        """The row's non-blank cells as the sheet shows them, header → text; built only when a problem is
        stored (building it for every accepted row cost about 2 s and 70 MB at 50,000 rows)."""
        return {
            f.header: shown(self.cells[f.index])
            for f in self.fields
            if f.index < len(self.cells) and not is_blank(self.cells[f.index])
        }


@dataclass
class Validated:
    kind: str
    records: list[Record] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    rejected: list[Record] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


@dataclass(frozen=True)
class UnitDirectory:
    """The unit register as validation sees it: code → name, and names resolved to codes."""

    names: dict[str, str]  # code → name
    _keys: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    _resolved: dict[str, str | None] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for code, name in self.names.items():
            self._keys.setdefault(name_key(code), code)
            self._keys.setdefault(name_key(name), code)

    def resolve(self, text: str) -> str | None:
        """The code of the unit named by its code or its name, or None. The name of the body that runs the unit
        counts too: 城关街道办事处, 云溪镇人民政府, 青岚经济开发区管委会 are 城关街道, 云溪镇, 青岚经济开发区."""
        if text not in self._resolved:  # a file names its few units on every row
            key = name_key(text)
            self._resolved[text] = self._keys.get(key) or self._keys.get(_BODY.sub("", key) or key)
        return self._resolved[text]

    def named_in(self, texts: list[str]) -> tuple[str, str] | None:
        """The one unit whose name the texts (a workbook's titles) hold, with the text naming it: a name inside
        another unit's name found too counts for the longer one ("城东" in "城东街道"); None for none or several."""
        keys = {code: key for code, name in self.names.items() if (key := name_key(name))}
        found: dict[str, str] = {}
        for text in texts:
            held = name_key(text)
            for code, key in keys.items():
                if key in held:
                    found.setdefault(code, text)
        longest = [code for code in found if not any(keys[code] in keys[other] and keys[code] != keys[other]
                                                      for other in found)]
        return (longest[0], found[longest[0]]) if len(longest) == 1 else None


# The bodies that run units, as a 填报单位 is often written: 办事处 (a street), 人民政府 (a town), 管委会 (a zone).
_BODY = re.compile(r"(?:人民政府|政府|办事处|管理委员会|管委会|党工委)$")


@dataclass(frozen=True)
class Context:
    actor: Actor
    units: UnitDirectory
    received_at: dt.datetime
    settings: Settings
    period: dt.date | None = None  # file-level 报告期 (upload form / --period)
    unit_code: str | None = None  # file-level 填报单位


_INVISIBLE = re.compile(r"[\s\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]+")


def problem_text(row: int, project: str | None, column: str | None, reason: str) -> str:
    """A problem as the 填报员 reads it: '第12行（城东文旅综合体）开工日期 '2024-13-01' 不是有效日期' — the row, its
    project (名称 or 编号, when the row has one), the column and why (DOMAIN §3)."""
    head = f"第{row}行（{project}）" if project else f"第{row}行 "
    return f"{head}{column} {reason}" if column else f"{head}{reason}"


def name_key(text: object) -> str:
    """A project or unit name as matched: NFKC, no whitespace and no invisible characters (zero-width spaces and
    joiners, direction marks, soft hyphens), so a name pasted with one is the same name."""
    return _INVISIBLE.sub("", unicodedata.normalize("NFKC", str(text or "")))


def _is_total_or_signature(cells: Sequence[object], keys: dict[str, str]) -> bool:
    """Whether the row is a 合计 line or a signature line (填表人：…). Only the first three filled cells decide, and
    only texts among them (a number or a date never reads as either); `keys` holds each text normalised, once per
    sheet (normalising every cell of every row cost about 2 s at 50,000 rows)."""
    place = 0
    for cell in cells:
        if is_blank(cell):
            continue
        if isinstance(cell, str):
            key = keys.get(cell)
            if key is None:
                key = keys[cell] = name_key(shown(cell))
            if key.startswith(_TOTAL_WORDS) or (place == 0 and _SIGNATURE_LINE.match(key)):
                return True
        place += 1
        if place == 3:
            return False
    return False


# A group heading inside the table: "一、续建项目", "（二）新签约项目", "三．在谈项目"; or its numeral in the 序号 column.
_HEADING = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十]+[)）])")


def _is_heading(cells: Sequence[object], quiet: frozenset[int], name: int | None) -> bool:
    """Whether the row is a group heading: it fills only its 项目名称 and the columns that never make a row data
    (序号, a 报告期 or 填报单位 filled down), and one of them opens with a Chinese numeral ("一、", "（二）")."""
    if name is None or name >= len(cells) or is_blank(cells[name]):
        return False
    marked = (j for j in (name, *quiet) if j < len(cells) and isinstance(cells[j], str))
    if not any(_HEADING.match(cells[j].strip()) for j in marked):  # the common case ends here, cheaply
        return False
    return all(is_blank(cell) for j, cell in enumerate(cells) if j != name and j not in quiet)


class _Row:
    """One sheet row being validated: parsed values plus the problems found so far."""

    def __init__(self, layout: Layout, number: int, cells: Sequence[object], problems: list[Problem]):
        self.layout = layout
        self.number = number
        self.cells = cells
        self.values: dict[str, object] = {}
        self._problems = problems
        self.failed = False

    def header(self, column_id: str) -> str:
        found = self.layout.field(column_id)
        if found is not None:
            return found.header
        column = next(c for c in COLUMNS_BY_KIND[self.layout.kind] if c.id == column_id)
        return column.header

    def error(self, column_id: str | None, reason: str) -> None:
        self.failed = True
        self._add(column_id, reason, "error")

    def warn(self, column_id: str | None, reason: str) -> None:
        self._add(column_id, reason, "warning")

    def project(self) -> str | None:
        """The row's project as the unit wrote it (名称, else 编号), to name it beside the row number."""
        if self.layout.kind != "projects":
            return None
        for column_id in ("project_name", "project_code"):
            found = self.layout.field(column_id)
            if found is not None and found.index < len(self.cells) and not is_blank(self.cells[found.index]):
                return shown(self.cells[found.index])
        return None

    def _add(self, column_id: str | None, reason: str, severity: str) -> None:
        header = self.header(column_id) if column_id else None
        self._problems.append(Problem(self.layout.sheet.name, self.number, header,
                                      problem_text(self.number, self.project(), header, reason), severity))


class _Refused(str):
    """Why a cell cannot be used, as _cell_value answers it (a value may be text too)."""


_BLANK = object()  # a blank cell, as _cell_value answers it
_REPEATING = frozenset({str, dt.date, dt.datetime})  # the cells worth remembering: texts and dates repeat
_UNSEEN = object()


class _Converted(float):
    """An amount written with its own unit ('2.5亿'), in the column's stored unit; `note` tells the 填报员."""

    note: str


# An amount with its unit in the cell: '2.5亿', '5,000万元', '120 亩'. Bare 亿 and 万 are 亿元 and 万元.
_AMOUNT_WITH_UNIT = re.compile(r"^([-+]?\d[\d,]*(?:\.\d+)?)\s*(亿元|万元|千元|元|亿|万|亿美元|万美元|千美元|美元|万亩|亩)$")
_BARE_UNITS = {"亿": "亿元", "万": "万元"}


def _with_unit(kind: str, text: str) -> _Converted | None:
    """A text amount carrying a unit of its column's kind, converted to the stored unit (万元, 万美元, 亩), or None."""
    match = _AMOUNT_WITH_UNIT.match(unicodedata.normalize("NFKC", text).replace(" ", ""))
    if match is None:
        return None
    unit = _BARE_UNITS.get(match[2], match[2]) if kind == "money" else match[2]
    if unit not in SCALES[kind]:
        return None
    stored = next(iter(SCALES[kind]))  # each kind's first unit is the one stored
    amount = _Converted(round(float(match[1].replace(",", "")) * SCALES[kind][unit], 6))
    amount.note = f"'{text.strip()}' 按单元格中的单位“{unit}”换算为 {float(amount):g}{stored}，今后请只填数字"
    return amount


def _cell_value(parse: Callable[[object], object], scale: float, cell: object, kind: str = "") -> object:
    """The cell's value as `parse` reads it, times `scale` (to the column's stored unit), _BLANK, or _Refused
    saying why not. An amount written with its own unit ('2.5亿' under 万元) is converted by that unit instead."""
    if cell.__class__ is CellError:
        return _Refused(f"是 Excel 错误值 {cell}（公式出错或引用失效），请改正后重传")
    if is_blank(cell):
        return _BLANK
    if kind in SCALES and cell.__class__ is str and (amount := _with_unit(kind, cell)) is not None:
        if amount < 0 and kind != "money":  # as parse_non_negative says of a bare number
            return _Refused(f"'{cell.strip()}' 不能为负数")
        return amount
    try:
        value = parse(cell)
    except CellProblem as problem:
        return _Refused(problem)
    if scale != 1.0:
        value = round(value * scale, 6)  # type: ignore[operator]
    return value


def _rows(layout: Layout, problems: list[Problem]) -> Iterator[_Row]:
    """Every row below the header that holds data, parsed; blank, 合计 and signature rows are passed over."""
    sheet = layout.sheet
    prefilled = {f.index for f in layout.fields if f.column.id in _PREFILLED}
    quiet = layout.ignored_indexes | prefilled
    # Each column's texts and dates parsed once: a sheet repeats its 报告期, 产业类别, 状态 and dates thousands of
    # times (about 0.5 s of 2 s at 50,000 rows).
    columns = [(f.index, f.column.id, PARSERS[f.column.kind], f.scale, f.column.kind, {}) for f in layout.fields]
    total_or_signature: dict[str, str] = {}
    name = layout.field("project_name")
    name_index = name.index if name is not None else None
    for offset, cells in enumerate(itertools.islice(sheet.rows, layout.data_start, None), start=layout.data_start):
        if all(is_blank(c) for j, c in enumerate(cells) if j not in quiet):
            continue
        if _is_total_or_signature(cells, total_or_signature):
            continue
        row = _Row(layout, offset + 1, cells, problems)
        if _is_heading(cells, quiet, name_index):
            row.warn(None, "视为分组标题，未作为项目载入（如是项目，请填写产业类别、计划总投资等）")
            continue
        width = len(cells)
        for index, column_id, parse, scale, kind, seen in columns:
            cell = cells[index] if index < width else None
            if cell.__class__ in _REPEATING:
                value = seen.get(cell, _UNSEEN)
                if value is _UNSEEN:
                    value = seen[cell] = _cell_value(parse, scale, cell, kind)
            else:
                value = _cell_value(parse, scale, cell, kind)
            if value is _BLANK:
                continue
            if value.__class__ is _Refused:
                row.error(column_id, value)
            elif value.__class__ is _Converted:
                row.values[column_id] = float(value)
                row.warn(column_id, value.note)
            else:
                row.values[column_id] = value
        yield row


_REQUIRED: dict[str, tuple[Column, ...]] = {kind: tuple(c for c in columns if c.required)
                                            for kind, columns in COLUMNS_BY_KIND.items()}
# DOMAIN §2: a milestone filled requires the one before it (later, earlier).
_ORDER = tuple((MILESTONE_BY_ID[later], MILESTONE_BY_ID[earlier]) for later, earlier in REQUIRES.items())


# A file has few report months and one day of receipt; these were worked out on every row.
_month_end = functools.lru_cache(maxsize=256)(month_end)


@functools.lru_cache(maxsize=16)
def _month_start(moment: dt.datetime) -> dt.date:
    return moment.date().replace(day=1)


def _require(row: _Row, kind: str, skip: tuple[str, ...] = ()) -> None:
    for column in _REQUIRED[kind]:
        if column.id not in skip and row.values.get(column.id) is None and not _cell_failed(row, column.id):
            row.error(column.id, "为必填项，不能为空")


def _cell_failed(row: _Row, column_id: str) -> bool:
    found = row.layout.field(column_id)
    return found is not None and found.index < len(row.cells) and not is_blank(row.cells[found.index])


def _resolve_unit(row: _Row, ctx: Context, column_id: str = "unit") -> str | None:
    text = row.values.get(column_id)
    if text is None:
        if ctx.unit_code is None:
            if not _cell_failed(row, column_id):
                row.error(column_id, "为必填项，不能为空：请填写单元编码或单元全称")
            return None
        code = ctx.unit_code
    else:
        code = ctx.units.resolve(str(text))
        if code is None:
            row.error(column_id, f"'{text}' 不在单元名录中，请填写单元编码或单元全称")
            return None
    if ctx.actor.role == "unit" and code != ctx.actor.unit_code:
        own = ctx.units.names.get(ctx.actor.unit_code or "", ctx.actor.unit_code)
        row.error(column_id, f"只能填报本单位（{own}）的项目，此行是“{ctx.units.names.get(code, code)}”的")
        return None
    return code


def _check_project(row: _Row, ctx: Context) -> None:
    """The cross-field rules of DOMAIN §2–§3 for one project row."""
    v = row.values
    fig = ctx.settings.figures
    period = v.get("period") or ctx.period
    if period is None and not _cell_failed(row, "period"):
        row.error("period", "为空：请填写报告月份，如 2024-10（整表同一月份时可在上传时统一指定）")
    v["period"] = period
    if isinstance(period, dt.date) and period > _month_start(ctx.received_at):
        row.error("period", f"{period:%Y-%m} 晚于报送时间 {ctx.received_at:%Y-%m-%d}，不能填报未来月份")
    v["unit"] = _resolve_unit(row, ctx)
    _require(row, "projects", skip=("period", "unit"))
    total = v.get("total_investment_wan")
    if isinstance(total, float) and total <= 0:
        row.error("total_investment_wan", f"'{shown(total)}' 应大于0")
    for money in ("fixed_investment_wan", "annual_plan_wan", "invested_to_date_wan", "funds_in_place_wan"):
        amount = v.get(money)
        if isinstance(amount, float) and amount < 0:
            row.error(money, f"'{shown(amount)}' 不能为负数")
    fixed = v.get("fixed_investment_wan")
    if isinstance(fixed, float) and isinstance(total, float) and fixed > total:
        row.error("fixed_investment_wan", f"{fixed:g}万元 大于计划总投资 {total:g}万元")
    invested = v.get("invested_to_date_wan")
    if isinstance(invested, float) and isinstance(total, float) and invested > total:
        row.warn("invested_to_date_wan", f"{invested:g}万元 大于计划总投资 {total:g}万元，请核实")
    reached = [(m, day) for m in MILESTONES if isinstance(day := v.get(m.date_field), dt.date)]
    if isinstance(period, dt.date) and reached:
        last_day = _month_end(period)
        for m, day in reached:
            if day > last_day:
                row.error(m.date_field, f"{day:%Y-%m-%d} 晚于报告期末 {last_day:%Y-%m-%d}，不能填写未发生的节点")
    for later_m, earlier_m in _ORDER:
        if v.get(later_m.date_field) and not v.get(earlier_m.date_field) and not _cell_failed(row, earlier_m.date_field):
            row.error(later_m.date_field, f"已填写，但未填写{earlier_m.header}：{later_m.label}须在{earlier_m.label}之后")
    in_stats, commenced = v.get("in_stats_date"), v.get("commenced_date")
    stats_rejected = isinstance(in_stats, dt.date) and isinstance(commenced, dt.date) and in_stats < commenced
    if stats_rejected:
        row.error("in_stats_date", f"{in_stats:%Y-%m-%d} 早于开工日期 {commenced:%Y-%m-%d}：须先开工后纳统")
    if in_stats and isinstance(total, float) and total < fig.stats_min_investment_wan:
        row.error("in_stats_date", f"已填写，但计划总投资 {total:g}万元 不足{fig.stats_min_investment_wan:g}万元，不能纳统")
    if v.get("signed_date") and not v.get("investor") and not _cell_failed(row, "investor"):
        row.error("investor", "为空：已签约的项目须填写投资方")
    latest: tuple[dt.date, str] | None = None
    for m, day in reached:
        if latest and day < latest[0] and not (m.id == "in_stats" and stats_rejected):  # that one is an error
            row.warn(m.date_field, f"{day:%Y-%m-%d} 早于{latest[1]} {latest[0]:%Y-%m-%d}，节点顺序异常，请核实")
        if latest is None or day > latest[0]:
            latest = (day, m.header)
    v["status"] = v.get("status") or "active"


def _check_unit(row: _Row, ctx: Context) -> None:
    _require(row, "units")
    code, name = row.values.get("code"), row.values.get("name")
    if code and name:
        holder = ctx.units.resolve(str(name))
        if holder is not None and holder != code and name_key(ctx.units.names[holder]) == name_key(name):
            row.error("name", f"'{name}' 已是单元 {holder} 的名称，同一名称不能对应两个编码")


def _check_target(row: _Row, ctx: Context) -> None:
    _require(row, "targets", skip=("unit",))
    row.values["unit"] = _resolve_unit(row, ctx)
    target_ids = [c.id for c in COLUMNS_BY_KIND["targets"] if c.kind in ("count", "money")]
    if not row.failed and all(row.values.get(t) is None for t in target_ids):
        row.error(None, "没有填写任何目标值")


_CHECKS: dict[str, Callable[[_Row, Context], None]] = {
    "projects": _check_project,
    "units": _check_unit,
    "targets": _check_target,
}


def _identity(kind: str, values: dict[str, object]) -> tuple | None:
    """What makes two rows of one file the same thing (a second one is a mistake)."""
    if kind == "projects":
        key = values.get("project_code") or name_key(values.get("project_name"))
        return (values.get("unit"), values.get("period"), key)
    if kind == "units":
        return (values.get("code"),)
    return (values.get("year"), values.get("unit"))


def row_place(sheet: str, row: int, here: str) -> str:
    """Where an earlier row stands, as a message about a row of sheet `here` names it: 第3行 on the same sheet,
    工作表“二季度”第3行 on another."""
    return f"第{row}行" if sheet == here else f"工作表“{sheet}”第{row}行"


def validate(layouts: list[Layout], ctx: Context) -> Validated:
    """Every data row of the layouts parsed and checked; accepted and rejected rows with all problems."""
    kind = layouts[0].kind
    result = Validated(kind)
    if not ctx.actor.may_submit:
        raise PermissionError("领导账号为只读，不能上传数据")
    if kind != "projects" and ctx.actor.role != "admin":
        raise PermissionError("单元名录和年度目标只能由招商办上传")
    seen: dict[tuple, tuple[str, int]] = {}  # over the whole file: a second sheet may repeat a row of the first
    seen_names: dict[str, tuple[str, int]] = {}
    for layout in layouts:
        if layout.ignored_headers:
            result.notes.append(f"工作表“{layout.sheet.name}”中未识别的列已忽略：{'、'.join(layout.ignored_headers)}")
        headers = {f.column.id: f.header for f in layout.fields}  # one dict shared by the sheet's records
        for count, row in enumerate(_rows(layout, result.problems), start=1):
            if count > ctx.settings.ingest.max_rows:
                limit = ctx.settings.ingest.max_rows
                raise FileRejected(f"工作表“{layout.sheet.name}”的数据超过 {limit} 行的上限，请分批上传")
            _CHECKS[kind](row, ctx)
            key = _identity(kind, row.values)
            if not row.failed and key is not None:
                if key in seen:
                    row.error("project_name" if kind == "projects" else None,
                              f"与{row_place(*seen[key], layout.sheet.name)}重复：同一{'项目同一报告期' if kind == 'projects' else '单元或年度'}"
                              "只能填写一行")
                else:
                    seen[key] = (layout.sheet.name, row.number)
            if kind == "units" and not row.failed:
                nk = name_key(row.values.get("name"))
                if nk in seen_names:
                    row.error("name", f"与{row_place(*seen_names[nk], layout.sheet.name)}的单元名称重复")
                seen_names.setdefault(nk, (layout.sheet.name, row.number))
            record = Record(layout.sheet.name, row.number, row.values, row.cells, layout.fields, headers)
            (result.rejected if row.failed else result.records).append(record)
    return result


def raw_json(record: Record) -> str:
    return json.dumps(record.raw, ensure_ascii=False)
