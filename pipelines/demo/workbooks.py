"""The demo county's workbooks as its units send them: xlsx, xls and GBK CSV, in each unit's own headers and
date forms, with the mess real units produce; and the unit register and targets workbooks."""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

import xlsxwriter
import xlwt

from pipelines.cells import EXCEL_EPOCH
from pipelines.demo.county import (
    COUNTY,
    NOTES,
    TARGETS_LOADED,
    UNIT_BY_CODE,
    UNITS,
    DemoUnit,
)
from pipelines.demo.plan import (
    Plan,
    Project,
    Report,
    annual_plan,
    funds_by,
    invested_by,
    listed_in,
    person_name,
    seeded_rng,
    status_on,
)
from pipelines.ingest.columns import COLUMNS_BY_KIND, SCALES, split_header
from pipelines.months import month_end
from pipelines.vocabulary import MILESTONES, STATUSES

# ---------------------------------------------------------------------------------------------------------
# The workbooks' knobs (money in 万元).
# ---------------------------------------------------------------------------------------------------------
REGISTER_LOADED = dt.datetime(2000, 1, 5, 9, 0)  # month, day and time the unit register is loaded (first year)


# ---------------------------------------------------------------------------------------------------------
# Writing the workbooks
# ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Upload:
    """A written file and how it is handed to ingestion."""

    path: Path
    received_at: dt.datetime
    period: dt.date | None = None  # given on upload when the file has no 报告期 column
    unit_code: str | None = None  # given on upload when the file has no 填报单位 column


@dataclass
class _Table:
    sheet: str
    title: list[str]
    header: list[str]
    rows: list[list[object]]
    footer: list[list[object]] = field(default_factory=list)


_HEADERS = {c.id: c.header for c in COLUMNS_BY_KIND["projects"]}
_MONEY = {c.id for c in COLUMNS_BY_KIND["projects"] if c.kind == "money"}


def _snapshot(p: Project, period: dt.date) -> dict[str, object]:
    """The project's row for `period`: its state at the end of the month, in canonical values."""
    end = month_end(period)
    reached = {m.id: p.dates[m.id] for m in MILESTONES if p.dates.get(m.id, dt.date.max) <= end}
    stage = next((m.id for m in reversed(MILESTONES) if m.id in reached), "lead")
    status = status_on(p, end)
    invested = invested_by(p, end)
    signed = "signed" in reached
    if invested is None and signed:
        invested = 0.0  # signed, not started: units write 0
    values: dict[str, object] = {
        "period": period, "unit": p.unit, "project_name": p.name,
        "investor": p.investor if signed or p.investor_known <= end else None,
        "industry": p.industry, "chain": p.chain, "is_foreign": p.foreign_usd_wan is not None,
        "total_investment_wan": p.total_wan, "fixed_investment_wan": p.fixed_wan,
        "foreign_investment_usd_wan": p.foreign_usd_wan, "land_mu": p.land_mu,
        **{m.date_field: reached.get(m.id) for m in MILESTONES},
        "planned_start_date": p.planned_start if signed else None,
        "status": status, "invested_to_date_wan": invested,
        "annual_plan_wan": annual_plan(p, period), "funds_in_place_wan": funds_by(p, end),
        "progress_note": NOTES[status if status != "active" else stage],
        "issues": p.issue if status != "active" or stage in ("approved", "signed") or p.stall_from else None,
        "liaison_leader": p.leader, "contact_name": p.contact[0], "contact_phone": p.contact[1],
    }
    if values["investor"] and p.investor_uscc:
        values["investor_uscc"] = p.investor_uscc
    return values


def _date_cell(day: dt.date, form: str) -> object:
    return {
        "excel": lambda: day,
        "slash": lambda: f"{day.year}/{day.month}/{day.day}",
        "chinese": lambda: f"{day.year}年{day.month}月{day.day}日",
        "iso": lambda: day.isoformat(),
        "serial": lambda: (day - EXCEL_EPOCH).days,
        "month": lambda: f"{day.year}.{day.month}",
    }[form]()


def _cell(unit: DemoUnit, fmt: str, column: str, header: str, value: object) -> object:
    """One value as this unit writes it in this format."""
    style = unit.style
    if value is None:
        return None
    if column == "period":
        return f"{value.year}年{value.month}月" if style.period_form == "chinese" else f"{value:%Y-%m}"
    if column == "unit":
        return unit.name if style.unit_by_name else unit.code
    if isinstance(value, bool):
        return "是" if value else "否"
    if column == "status":
        return None if style.blank_active and value == "active" else STATUSES[str(value)]
    if isinstance(value, dt.date):
        form = "iso" if fmt == "csv" else style.date_form
        return _date_cell(value, "month" if fmt == "xls" and column == "lead_date" else form)
    if isinstance(value, float):
        unit_name = split_header(header)[1]
        if column in _MONEY and unit_name:
            value = round(value / SCALES["money"][unit_name], 4)
        number: object = int(value) if float(value).is_integer() else value
        return f"{number:,}" if style.text_money or fmt == "csv" and number >= 1000 else number
    return value


def _spoil(row: dict[str, object], kind: str) -> dict[str, object]:
    """The row with the mistake a 填报员 makes, which ingestion rejects."""
    row = dict(row)
    if kind == "bad_date":
        field_id = "commenced_date" if row.get("commenced_date") else "lead_date"
        day = row[field_id]
        row[field_id] = f"{day.year}-13-{day.day:02d}"  # month 13: 不是有效日期
    elif kind == "no_name":
        row["project_name"] = None
    elif kind == "bad_uscc":
        code = str(row["investor_uscc"])
        row["investor_uscc"] = code[:17] + ("1" if code[17] != "1" else "2")
    elif kind == "no_signed":
        row["signed_date"] = None
    return row


def _table(plan: Plan, unit: DemoUnit, report: Report, fmt: str) -> _Table:
    style = unit.style
    columns = [c for c in style.columns if c not in ("period", "unit") or style.period_form != "upload"]
    headers = [style.headers.get(c, _HEADERS[c]) for c in columns]
    rows: list[list[object]] = []
    wrong_once = report.version == "original"
    for p in plan.projects:
        if p.unit != unit.code or not listed_in(p, report.period):
            continue
        kind = plan.mess.get((p.key, report.period))
        if kind == "omit":
            continue
        values = _snapshot(p, report.period)
        if kind:
            values = _spoil(values, kind)
        if wrong_once and values["invested_to_date_wan"] and not p.role:
            # the slip the correction fixes: one figure typed with an extra zero
            values["invested_to_date_wan"] = float(values["invested_to_date_wan"]) * 10
            wrong_once = False
        rows.append([_cell(unit, fmt, c, h, values.get(c)) for c, h in zip(columns, headers)])
    total_index = columns.index("total_investment_wan")
    totals = sum(p.total_wan for p in plan.projects if p.unit == unit.code and listed_in(p, report.period))
    if style.serial:
        headers.insert(0, "序号")
        rows = [[i, *row] for i, row in enumerate(rows, start=1)]
        total_index += 1
    title = []
    if style.title:
        period = report.period
        title = [f"{COUNTY}{unit.name}{period.year}年{period.month}月招商引资项目推进情况表",
                 (f"填报单位（盖章）：{unit.name}　　　　填报日期：{report.received_at.year}年"
                 f"{report.received_at.month}月{report.received_at.day}日")]
    footer: list[list[object]] = []
    if style.totals:
        total_row: list[object] = [None] * len(headers)
        total_row[0] = "合计"
        total_row[total_index] = _cell(unit, fmt, "total_investment_wan", headers[total_index], totals)
        footer += [[], total_row]
    if style.signature:
        footer += [[], [(f"填表人：{person_name(seeded_rng(unit.code))}　　审核人：{person_name(seeded_rng(unit.name))}　　"
                        f"联系电话：0571-8{unit.code[1:]}6{unit.code[1:]}21")]]
    return _Table(f"{report.period.year}年{report.period.month}月", title, headers, rows, footer)


def _write_xlsx(path: Path, table: _Table, created: dt.datetime) -> None:
    book = xlsxwriter.Workbook(str(path), {"in_memory": True})
    book.set_properties({"created": created})  # a fixed stamp keeps the same plan's files byte-identical
    sheet = book.add_worksheet(table.sheet)
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    heading = book.add_format({"bold": True, "align": "center"})
    width = len(table.header)
    for r, line in enumerate(table.title):
        sheet.merge_range(r, 0, r, width - 1, line, heading)
    for r, row in enumerate([table.header, *table.rows, *table.footer], start=len(table.title)):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write_datetime(r, c, value, dates)
            elif value is not None:
                sheet.write(r, c, value)
    book.close()


def _write_xls(path: Path, table: _Table) -> None:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet(table.sheet)
    dates = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for r, line in enumerate(table.title):
        sheet.write_merge(r, r, 0, len(table.header) - 1, line)
    for r, row in enumerate([table.header, *table.rows, *table.footer], start=len(table.title)):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write(r, c, value, dates)
            elif value is not None:
                sheet.write(r, c, value)
    book.save(str(path))


def _write_csv(path: Path, table: _Table) -> None:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    for row in [*([line] for line in table.title), table.header, *table.rows, *table.footer]:
        writer.writerow(["" if value is None else value for value in row])
    path.write_bytes(text.getvalue().encode("gbk"))  # what Excel on a Chinese Windows saves


def _format(unit: DemoUnit, plan: Plan, period: dt.date) -> str:
    index = plan.clock.periods.index(period)
    return unit.style.early_format if index < unit.style.early_months else "xlsx"


def _write_register(out: Path, received: dt.datetime) -> Upload:
    path = out / "单元名录.xlsx"
    headers = [c.header for c in COLUMNS_BY_KIND["units"]]
    table = _Table("单元名录", [], headers, [[u.code, u.name, u.kind, u.group] for u in UNITS])
    _write_xlsx(path, table, received)
    return Upload(path, received)


def _target_cell(value: float | None) -> object:
    """A target as the bureau writes it: counts and whole 亿元 as integers, other 亿元 with their decimals."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def _write_targets(plan: Plan, out: Path) -> list[Upload]:
    uploads = []
    columns = COLUMNS_BY_KIND["targets"]
    headers = [c.header for c in columns]
    for year, by_unit in sorted(plan.targets.items()):
        rows = [[year, code, *(_target_cell(t.get(c.id)) for c in columns[2:])] for code, t in by_unit.items()]
        received = TARGETS_LOADED.replace(year=year)
        path = out / f"{year}年度招商目标.xlsx"
        _write_xlsx(path, _Table(f"{year}年度目标", [f"{COUNTY}{year}年度招商引资目标任务分解表"], headers, rows),
                    received)
        uploads.append(Upload(path, received))
    return uploads


def write_workbooks(plan: Plan, out: Path) -> list[Upload]:
    """Every file of the demo, written under `out`, in the order the bureau received them."""
    out.mkdir(parents=True, exist_ok=True)
    register = _write_register(out, REGISTER_LOADED.replace(year=plan.clock.periods[0].year))
    uploads = [register, *_write_targets(plan, out)]
    for report in plan.reports:
        unit = UNIT_BY_CODE[report.unit]
        fmt = _format(unit, plan, report.period)
        folder = out / f"{report.period:%Y-%m}"
        folder.mkdir(exist_ok=True)
        suffix = {"original": "", "correction": "（更正）"}.get(report.version, "")
        path = folder / (f"{unit.code}_{unit.name}{report.period.year}年{report.period.month}月"
                         f"项目推进情况表{suffix}.{fmt}")
        table = _table(plan, unit, report, fmt)
        if fmt == "csv":
            _write_csv(path, table)
        elif fmt == "xls":
            _write_xls(path, table)
        else:
            _write_xlsx(path, table, report.received_at)
        upload_form = unit.style.period_form == "upload"
        uploads.append(Upload(path, report.received_at, report.period if upload_form else None,
                              unit.code if upload_form else None))
    return sorted(uploads, key=lambda u: u.received_at)
