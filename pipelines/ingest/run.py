"""Ingestion of one workbook, end to end: read → validate → normalise → load (or preview what a load would
change), returning the file's report (FileReport, the JSON of DOMAIN §9)."""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb
import pandas as pd

from pipelines import settings
from pipelines.access import Actor
from pipelines.ingest.columns import COLUMNS_BY_KIND
from pipelines.ingest.compare import month_checks
from pipelines.ingest.layout import find_layouts, title_month, title_texts
from pipelines.ingest.load import Submission, load
from pipelines.ingest.normalise import Normalised, normalise
from pipelines.ingest.validate import Context, Problem, UnitDirectory, Validated, validate
from pipelines.ingest.workbook import FileRejected, open_sheets
from pipelines.store import queries
from pipelines.store.state import projects_as_of as state_as_of
from pipelines.vocabulary import MILESTONES, STATUSES

CLI_ACTOR = Actor("命令行", "admin")
# Said with the one-line refusal while the server holds the database.


@dataclass
class FileReport:
    """What became of one file: the JSON object of DOMAIN §9 plus warnings, notes and missing projects."""

    file: str
    kind: str | None
    status: str  # loaded / duplicate / rejected; checked: a preview found it would load
    rows_loaded: int = 0
    rows_rejected: int = 0
    rejections: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    missing: list[dict] = field(default_factory=list)  # 上期在报、本期未报
    message: str | None = None
    submission_id: int | None = None

    def as_json(self) -> dict:
        return {
            "file": self.file, "kind": self.kind, "status": self.status,
            "rows_loaded": self.rows_loaded, "rows_rejected": self.rows_rejected,
            "rejections": [p.as_json() for p in self.rejections],
            "warnings": [p.as_json() for p in self.warnings],
            "missing_projects": self.missing, "notes": self.notes, "message": self.message,
            "submission_id": self.submission_id,
        }


def content_hash(path: Path, period: dt.date | None = None) -> str:
    """SHA-256 of the file's bytes, and of the report month given for the whole file (--period, the upload form)
    when one is: the same bytes loaded for another month are another report, not a duplicate."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    if period is not None:
        digest.update(f"\0period={period:%Y-%m}".encode())
    return digest.hexdigest()


def _missing_columns(layouts, ctx: Context) -> list[str]:
    kind = layouts[0].kind
    defaults = {"period": ctx.period, "unit": ctx.unit_code}
    missing = []
    for column in COLUMNS_BY_KIND[kind]:
        if column.required and defaults.get(column.id) is None and any(lay.field(column.id) is None for lay in layouts):
            missing.append(column.header)
    return missing


def _from_titles(titles: list[str], layouts, ctx: Context, file_name: str) -> tuple[Context, list[str]]:
    """A projects workbook without a 报告期 (填报单位) column, given none for the whole file: the month (unit) its
    titles name, as units title their monthly tables ("城关街道2024年10月招商引资项目推进情况表"), else its file name
    ("云溪镇2024年10月项目推进情况表.xlsx"), with a note saying so. A title naming several months (units) gives none."""
    if layouts[0].kind != "projects":
        return ctx, []
    sources = (("标题", titles), ("文件名", [Path(file_name).stem]))
    taken, notes = {}, []
    if ctx.period is None and any(layout.field("period") is None for layout in layouts):
        for where, texts in sources:
            if month := title_month(texts):
                taken["period"] = month[0]
                notes.append(f"文件没有“报告期”列，报告期按{where}“{month[1]}”取 {month[0]:%Y-%m}")
                break
    if ctx.unit_code is None and any(layout.field("unit") is None for layout in layouts):
        for where, texts in sources:
            if unit := ctx.units.named_in(texts):
                taken["unit_code"] = unit[0]
                notes.append(f"文件没有“填报单位”列，填报单位按{where}“{unit[1]}”取 {ctx.units.names[unit[0]]}")
                break
    return replace(ctx, **taken), notes


def _title_disagrees(titles: list[str], validated: Validated) -> list[str]:
    """A note when the 报告期 of a projects workbook's rows is not the month its titles name (a table copied from
    last month whose 报告期 column was not changed, or the other way round)."""
    month = title_month(titles) if validated.kind == "projects" else None
    periods = sorted({r.values["period"] for r in validated.records if isinstance(r.values.get("period"), dt.date)})
    if month is None or not periods or month[0] in periods:
        return []
    given = "、".join(f"{p:%Y-%m}" for p in periods)
    return [(f"标题“{month[1]}”写的是{month[0].year}年{month[0].month}月，表中报告期却是 {given}，"
             "请核实是否沿用了其他月份的报表")]


def _missing_message(missing: list[str]) -> str:
    """Why a workbook lacking required columns is refused; for 报告期 and 填报单位, the other ways to give them."""
    message = f"缺少必填列：{'、'.join(missing)}。请使用系统模板或补上这些列"
    ways = {"报告期": ("同一月份", "--period 2024-10"), "填报单位": ("同一单元", "--unit 单元编码")}
    given = [ways[header] for header in missing if header in ways]
    if given:
        message += (f"（整表为{'、'.join(same for same, _ in given)}时，也可在表头上方的标题或文件名中写明，如“城关街道"
                    f"2024年10月招商引资项目推进情况表”，或在上传时指定；命令行用 {'、'.join(option for _, option in given)}）")
    return message


# Why a project the unit reported before is missing from the month once this file loads (DOMAIN §3).
LEFT_OUT, DROPPED, REJECTED = "本期未报", "整表替换后移出", "被拒收，请更正后重报"


def _mode_notes(con: duckdb.DuckDBPyConnection, validated: Validated, names: dict[str, str], as_of: dt.date,
                mode: str) -> list[str]:
    """What the file does to each unit's month that already has a report (DOMAIN §3: the preview says whether it
    amends or replaces it), naming each unit (`names`: code → name)."""
    notes = []
    for unit, period in sorted({(r.values["unit"], r.values["period"]) for r in validated.records}):
        listed = queries.rows(con, "month_report_projects", unit=unit, period=period, as_of=as_of)
        if not listed:
            continue
        month = f"{names.get(unit, unit)}{period.year}年{period.month}月"
        if mode == "replace":
            notes.append(f"整表替换：{month}已报送{len(listed)}个项目，载入后以本文件为准，本文件未列出的项目退回上一期的报送"
                         "（见“整表替换后移出”）。")
        else:
            notes.append(f"补充更正：{month}已报送{len(listed)}个项目，本文件列出的项目以本文件为准，未列出的项目保留原报送。"
                         "如需整表替换，请选择“整表替换”。")
    return notes


def _missing_projects(con: duckdb.DuckDBPyConnection, validated: Validated, plan: Normalised, as_of: dt.date,
                      mode: str) -> list[dict]:
    """Per unit and month of the file, the projects the month will lack once it loads, each with its `reason`:
    LEFT_OUT, in the unit's previous report and in no file of the month (an amendment keeps the rows of the
    earlier files of the month); DROPPED, listed by the month's files in force and left out by a replacement;
    REJECTED, a project whose row this file rejected (fix and resend), whichever of the two it would be."""
    reported: dict[tuple, set[int]] = {}
    for record, target in zip(validated.records, plan.targets):
        ids = reported.setdefault((record.values["unit"], record.values["period"]), set())
        if isinstance(target, int):
            ids.add(target)
    rejected = plan.rejected_projects
    missing = []
    for (unit, period), ids in sorted(reported.items()):
        month = {pid: (code, name) for pid, code, name in
                 queries.rows(con, "month_report_projects", unit=unit, period=period, as_of=as_of)}
        for pid, code, name, last in queries.rows(con, "previous_report_projects", unit=unit, period=period,
                                                       as_of=as_of):
            if pid not in ids and pid not in month:
                missing.append({"unit": unit, "period": f"{period:%Y-%m}", "code": code, "name": name,
                                "last_period": f"{last:%Y-%m}", "reason": REJECTED if pid in rejected else LEFT_OUT})
        if mode == "replace":
            listed = {item["code"] for item in missing}
            for pid, (code, name) in month.items():
                if pid not in ids and code not in listed:
                    missing.append({"unit": unit, "period": f"{period:%Y-%m}", "code": code, "name": name,
                                    "last_period": f"{period:%Y-%m}",
                                    "reason": REJECTED if pid in rejected else DROPPED})
    return missing


MODES = ("amend", "replace")  # DOMAIN §3: a second file of a unit and month amends unless told to replace


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}: amend or replace")


@dataclass
class _Prepared:
    """A file read, validated and normalised, ready to load."""

    kind: str
    digest: str
    validated: Validated
    plan: Normalised
    missing: list[dict]


def _prepare(con: duckdb.DuckDBPyConnection, path: Path, actor: Actor, received_at: dt.datetime,
             period: dt.date | None, unit_code: str | None, file_name: str,
             config: settings.Settings, isolated: bool = True, mode: str = "amend") -> _Prepared | FileReport:
    """Read, validate and normalise without writing anything: the prepared file, or the report of a duplicate or
    of a file rejected whole (not yet recorded)."""
    digest = content_hash(path, period) if path.is_file() else ""
    duplicate = con.execute(
        "SELECT id, kind FROM submissions WHERE content_hash = $h AND status = 'loaded' ORDER BY id LIMIT 1",
        {"h": digest},
    ).fetchone()
    if duplicate:
        return FileReport(file_name, duplicate[1], "duplicate", submission_id=duplicate[0],
                          message=f"与已载入的第{duplicate[0]}号报送文件内容完全相同，未重复载入")
    kind = None
    try:
        # The rows arrive from the reading child while the first ones are validated.
        with open_sheets(path, config.ingest, isolated=isolated) as sheets:
            layouts = find_layouts(sheets, config.ingest.header_search_rows)
            kind = layouts[0].kind
            units = UnitDirectory(dict(con.execute("SELECT code, name FROM units").fetchall()))
            if unit_code is not None and units.resolve(unit_code) is None:
                raise FileRejected(f"指定的填报单位“{unit_code}”不在单元名录中")
            ctx = Context(actor, units, received_at, config, period,
                          units.resolve(unit_code) if unit_code else None)
            titles = title_texts(layouts)
            ctx, from_titles = _from_titles(titles, layouts, ctx, file_name)
            missing_columns = _missing_columns(layouts, ctx)
            if missing_columns:
                raise FileRejected(_missing_message(missing_columns))
            validated = validate(layouts, ctx)
            validated.notes[:0] = from_titles + _title_disagrees(titles, validated)
    except (FileRejected, PermissionError) as exc:
        return FileReport(file_name, kind, "rejected", message=str(exc),
                          rejections=[Problem(None, None, None, str(exc))], submission_id=None)
    if not validated.records and not validated.rejected:
        reason = "表头下没有任何数据行"
        return FileReport(file_name, kind, "rejected", message=reason, rejections=[Problem(None, None, None, reason)])
    plan = normalise(con, validated, actor)
    month_checks(con, plan, config)
    missing = _missing_projects(con, validated, plan, received_at.date(), mode) if kind == "projects" else []
    if kind == "projects":
        validated.notes.extend(_mode_notes(con, validated, units.names, received_at.date(), mode))
    return _Prepared(kind, digest, validated, plan, missing)


def _report(file_name: str, prepared: _Prepared, status: str, submission_id: int | None) -> FileReport:
    validated = prepared.validated
    rejected_rows = {(r.sheet, r.row) for r in validated.rejected}
    return FileReport(
        file_name, prepared.kind, status, len(validated.records), len(rejected_rows),
        rejections=validated.errors, warnings=validated.warnings, notes=validated.notes,
        missing=prepared.missing, submission_id=submission_id,
    )


def _resolved(path: str | Path, actor: Actor, received_at: dt.datetime | None, unit_code: str | None,
              file_name: str | None, config: settings.Settings | None
              ) -> tuple[Path, str, settings.Settings, dt.datetime, str | None]:
    """ingest_file's and preview_file's arguments with their defaults: the file's own name, the settings in force,
    received now, and a unit user's own unit whatever unit was asked for."""
    path = Path(path)
    return (path, file_name or path.name, config or settings.current(), received_at or dt.datetime.now(),
            actor.unit_code if actor.role == "unit" else unit_code)


def ingest_file(
    con: duckdb.DuckDBPyConnection,
    path: str | Path,
    actor: Actor = CLI_ACTOR,
    *,
    received_at: dt.datetime | None = None,
    period: dt.date | None = None,
    unit_code: str | None = None,
    file_name: str | None = None,
    config: settings.Settings | None = None,
    isolated: bool = True,
    mode: str = "amend",
) -> FileReport:
    """Load one workbook (projects, unit register or targets, recognised from its headers) as `actor`. The file is
    read in a child process (pipelines.ingest.workbook.open_sheets) unless `isolated` is False, which only the
    demo uses for the workbooks it wrote itself."""
    path, file_name, config, received_at, unit_code = _resolved(path, actor, received_at, unit_code, file_name,
                                                                config)
    _check_mode(mode)
    prepared = _prepare(con, path, actor, received_at, period, unit_code, file_name, config, isolated, mode)
    if isinstance(prepared, FileReport):
        if prepared.status == "rejected":  # a file rejected whole is recorded, with why
            digest = content_hash(path, period) if path.is_file() else ""
            prepared.submission_id = load(con, Submission(prepared.kind, file_name, digest, received_at, actor,
                                                          "rejected", prepared.message), None)
        return prepared
    sid = load(con, Submission(prepared.kind, file_name, prepared.digest, received_at, actor, "loaded", mode=mode),
               prepared.plan)
    return _report(file_name, prepared, "loaded", sid)


@dataclass
class Preview:
    """What loading a file would do, before anything is stored: its report (status 'checked' when it would load)
    and, for project files, the changes against the projects' state as last reported."""

    report: FileReport
    changes: pd.DataFrame  # change, project_code, project_name, unit_code, field, before, after


_CHANGE_COLUMNS = ["change", "project_code", "project_name", "unit_code", "field", "before", "after"]
# Fields whose change a 填报员 should see before confirming: the milestones, then amounts and status.
_WATCHED = [(m.date_field, m.label) for m in MILESTONES] + [
    ("total_investment_wan", "计划总投资(万元)"), ("invested_to_date_wan", "累计完成投资(万元)"),
    ("status", "项目状态")]


def _shown(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return ""
    if isinstance(value, (dt.date, pd.Timestamp)):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return STATUSES.get(str(value), str(value))


def preview_changes(con: duckdb.DuckDBPyConnection, prepared: _Prepared, as_of: dt.date) -> pd.DataFrame:
    """The file's rows against each project's state as of `as_of`: 新项目, 达到节点 (a milestone date newly
    filled), 日期更正, 金额变化, 状态变化, and 本期未报 (in the unit's previous report, not in this file)."""
    if prepared.kind != "projects":
        return pd.DataFrame(columns=_CHANGE_COLUMNS)
    units = sorted({r.values["unit"] for r in prepared.validated.records})
    state = pd.concat([state_as_of(con, as_of, unit) for unit in units]) if units else pd.DataFrame()
    known = {} if state.empty else {int(row["project_id"]): row for _, row in state.iterrows()}
    rows = []
    for record, target in zip(prepared.validated.records, prepared.plan.targets):
        v = record.values
        name, unit = v.get("project_name"), v["unit"]
        if not isinstance(target, int) or target not in known:
            rows.append(["新项目", getattr(target, "code", None) or "", name, unit, "", "", ""])
            continue
        before = known[target]
        for field_id, label in _WATCHED:
            old, new = before.get(field_id), v.get(field_id)
            old_shown, new_shown = _shown(None if pd.isna(old) else old), _shown(new)
            if old_shown == new_shown:
                continue
            if field_id.endswith("_date"):
                change = "达到节点" if not old_shown else ("节点日期清空" if not new_shown else "日期更正")
            else:
                change = "状态变化" if field_id == "status" else "金额变化"
            rows.append([change, before["project_code"], name, unit, label, old_shown, new_shown])
    for item in prepared.missing:
        rows.append([item["reason"], item["code"], item["name"], item["unit"], "", f"{item['last_period']} 在报", ""])
    return pd.DataFrame(rows, columns=_CHANGE_COLUMNS)


def preview_file(
    con: duckdb.DuckDBPyConnection,
    path: str | Path,
    actor: Actor,
    *,
    received_at: dt.datetime | None = None,
    period: dt.date | None = None,
    unit_code: str | None = None,
    file_name: str | None = None,
    config: settings.Settings | None = None,
    mode: str = "amend",
) -> Preview:
    """Check a workbook as ingest_file would load it, writing nothing: every rejection and warning, and the
    changes it would bring. Confirming means calling ingest_file with the same arguments."""
    path, file_name, config, received_at, unit_code = _resolved(path, actor, received_at, unit_code, file_name,
                                                                config)
    _check_mode(mode)
    prepared = _prepare(con, path, actor, received_at, period, unit_code, file_name, config, mode=mode)
    if isinstance(prepared, FileReport):
        return Preview(prepared, pd.DataFrame(columns=_CHANGE_COLUMNS))
    return Preview(_report(file_name, prepared, "checked", None), preview_changes(con, prepared, received_at.date()))
