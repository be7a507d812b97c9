"""Ingestion of workbooks: read → validate → normalise → load, and the `python -m pipelines.ingest` command.

Usage: python -m pipelines.ingest FILE... [--received-at YYYY-MM-DD] [--period YYYY-MM] [--unit CODE]
                                          [--db PATH] [--json]
Exit 0 when every file was read (rows may still be rejected), 1 when a file was rejected whole,
2 when the database is held by the running server."""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines import cli, queries, settings, store
from pipelines.access import Actor
from pipelines.columns import COLUMNS_BY_KIND
from pipelines.layout import find_layouts
from pipelines.load import Submission, load
from pipelines.normalise import normalise
from pipelines.validate import Context, Problem, UnitDirectory, Validated, validate
from pipelines.workbook import FileRejected, read_sheets

CLI_ACTOR = Actor("命令行", "admin")


@dataclass
class FileReport:
    """What became of one file: the JSON object of DOMAIN §9 plus warnings, notes and missing projects."""

    file: str
    kind: str | None
    status: str  # loaded / duplicate / rejected
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


def content_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _missing_columns(layouts, ctx: Context) -> list[str]:
    kind = layouts[0].kind
    defaults = {"period": ctx.period, "unit": ctx.unit_code}
    missing = []
    for column in COLUMNS_BY_KIND[kind]:
        if column.required and defaults.get(column.id) is None and any(lay.field(column.id) is None for lay in layouts):
            missing.append(column.header)
    return missing


def _missing_projects(con: duckdb.DuckDBPyConnection, validated: Validated, targets: list,
                      as_of: dt.date) -> list[dict]:
    """Projects in each unit's previous report that this file leaves out (上期在报、本期未报)."""
    reported: dict[tuple, set[int]] = {}
    for record, target in zip(validated.records, targets):
        key = (record.values["unit"], record.values["period"])
        reported.setdefault(key, set())
        if isinstance(target, int):
            reported[key].add(target)
    missing = []
    for (unit, period), ids in sorted(reported.items()):
        for pid, code, name, last in queries.rows(con, "previous_report_projects", unit=unit, period=period,
                                                       as_of=as_of):
            if pid not in ids:
                missing.append({"unit": unit, "period": f"{period:%Y-%m}", "code": code, "name": name,
                                "last_period": f"{last:%Y-%m}"})
    return missing


def _file_rejected(con, path: Path, digest: str, actor: Actor, received_at: dt.datetime, kind: str | None,
                   reason: str, file_name: str) -> FileReport:
    sid = load(con, Submission(kind, file_name, digest, received_at, actor, "rejected", reason), None)
    return FileReport(file_name, kind, "rejected", message=reason,
                      rejections=[Problem(None, None, None, reason)], submission_id=sid)


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
) -> FileReport:
    """Load one workbook (projects, unit register or targets, recognised from its headers) as `actor`."""
    path = Path(path)
    file_name = file_name or path.name
    config = config or settings.current()
    received_at = received_at or dt.datetime.now()
    if actor.role == "unit":
        unit_code = actor.unit_code
    digest = content_hash(path) if path.is_file() else ""
    duplicate = con.execute(
        "SELECT id, kind FROM submissions WHERE content_hash = $h AND status = 'loaded' ORDER BY id LIMIT 1",
        {"h": digest},
    ).fetchone()
    if duplicate:
        return FileReport(file_name, duplicate[1], "duplicate", submission_id=duplicate[0],
                          message=f"与已载入的第{duplicate[0]}号报送文件内容完全相同，未重复载入")
    kind = None
    try:
        sheets = read_sheets(path, config.ingest)
        layouts = find_layouts(sheets, config.ingest.header_search_rows)
        kind = layouts[0].kind
        units = UnitDirectory(dict(con.execute("SELECT code, name FROM units").fetchall()))
        if unit_code is not None and units.resolve(unit_code) is None:
            raise FileRejected(f"指定的填报单位“{unit_code}”不在单元名录中")
        ctx = Context(actor, units, received_at, config, period,
                      units.resolve(unit_code) if unit_code else None)
        missing_columns = _missing_columns(layouts, ctx)
        if missing_columns:
            raise FileRejected(f"缺少必填列：{'、'.join(missing_columns)}。请使用系统模板或补上这些列")
        validated = validate(layouts, ctx)
    except FileRejected as exc:
        return _file_rejected(con, path, digest, actor, received_at, kind, str(exc), file_name)
    except PermissionError as exc:
        return _file_rejected(con, path, digest, actor, received_at, kind, str(exc), file_name)
    if not validated.records and not validated.rejected:
        return _file_rejected(con, path, digest, actor, received_at, kind, "表头下没有任何数据行", file_name)
    plan = normalise(con, validated, actor)
    missing = _missing_projects(con, validated, plan.targets, received_at.date()) if kind == "projects" else []
    sid = load(con, Submission(kind, file_name, digest, received_at, actor, "loaded"), plan)
    rejected_rows = {(r.sheet, r.row) for r in validated.rejected}
    return FileReport(
        file_name, kind, "loaded", len(validated.records), len(rejected_rows),
        rejections=validated.errors, warnings=validated.warnings, notes=validated.notes,
        missing=missing, submission_id=sid,
    )


def _print_report(report: FileReport) -> None:
    status = {"loaded": "已载入", "duplicate": "重复文件，未载入", "rejected": "整份拒收"}[report.status]
    print(f"{report.file}: {status}" + (f"（{report.kind}）" if report.kind else ""))
    if report.message:
        print(f"  {report.message}")
    if report.status == "loaded":
        print(f"  载入 {report.rows_loaded} 行，拒收 {report.rows_rejected} 行")
    for problem in report.rejections if report.status == "loaded" else []:
        print(f"  ✗ {problem.reason}")
    for problem in report.warnings:
        print(f"  ! {problem.reason}")
    for note in report.notes:
        print(f"  · {note}")
    for item in report.missing:
        print(f"  ? 上期（{item['last_period']}）在报、本期未报：{item['code']} {item['name']}")


@cli.refuses_when_busy
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.ingest", description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parser.add_argument("--received-at", type=cli.day, help="date the bureau received the files (back-filling)")
    parser.add_argument("--period", type=cli.month, help="报告期 for files without a 报告期 column, YYYY-MM")
    parser.add_argument("--unit", help="填报单位 (code or name) for files without a 填报单位 column")
    parser.add_argument("--db", help="database file (default: ZS_DB or settings)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    received_at = dt.datetime.combine(args.received_at, dt.time()) if args.received_at else None
    with contextlib.closing(store.connect(settings.db_path(args.db))) as con:
        reports = [ingest_file(con, path, CLI_ACTOR, received_at=received_at, period=args.period,
                               unit_code=args.unit) for path in args.files]
    if args.json:
        print(json.dumps({"files": [r.as_json() for r in reports]}, ensure_ascii=False, indent=1))
    else:
        for report in reports:
            _print_report(report)
    return 1 if any(r.status == "rejected" for r in reports) else 0


if __name__ == "__main__":
    sys.exit(main())
