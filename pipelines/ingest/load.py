"""Loading: the only code that writes a submission, in one transaction — all of it lands or none of it."""
from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from pipelines.access import Actor
from pipelines.ingest.normalise import NewProject, Normalised
from pipelines.ingest.validate import raw_json
from pipelines.store import db, timeline
from pipelines.vocabulary import TARGET_FIELDS

# One writer at a time within the process (uploads, the inbox job and the CLI may overlap).
_write_lock = threading.Lock()
# Told of every submission that loaded, after it committed (the scheduler re-evaluates the warnings then).
_listeners: list[Callable[[int], None]] = []
_log = logging.getLogger(__name__)

_TEXT, _MONEY, _DATE = pa.string(), pa.float64(), pa.date32()
# The snapshot columns filled from a row, with their Arrow types; identifiers for the INSERT come from here.
SNAPSHOT_FIELDS: tuple[tuple[str, pa.DataType], ...] = (
    ("project_name", _TEXT), ("investor", _TEXT), ("investor_uscc", _TEXT), ("industry", _TEXT),
    ("chain", _TEXT), ("is_foreign", pa.bool_()), ("total_investment_wan", _MONEY),
    ("fixed_investment_wan", _MONEY), ("foreign_investment_usd_wan", _MONEY), ("land_mu", _MONEY),
    ("lead_date", _DATE), ("evaluated_date", _DATE), ("approved_date", _DATE), ("signed_date", _DATE),
    ("commenced_date", _DATE), ("in_stats_date", _DATE), ("completed_date", _DATE), ("production_date", _DATE),
    ("planned_start_date", _DATE), ("status", _TEXT), ("annual_plan_wan", _MONEY), ("invested_to_date_wan", _MONEY),
    ("funds_in_place_wan", _MONEY), ("progress_note", _TEXT), ("issues", _TEXT), ("liaison_leader", _TEXT),
    ("contact_name", _TEXT), ("contact_phone", _TEXT),
)
_SNAPSHOT_COLUMNS = ("submission_id", "project_id", "sheet", "row_number", "unit_code", "period", "received_at") + tuple(
    name for name, _ in SNAPSHOT_FIELDS
)


@dataclass
class Submission:
    kind: str | None
    file_name: str
    content_hash: str
    received_at: dt.datetime
    actor: Actor
    status: str  # loaded / rejected
    message: str | None = None
    # DOMAIN §3: "amend" (its rows take precedence for the projects they list) or "replace" (整表替换: the
    # earlier files of the same unit and month stop counting).
    mode: str = "amend"


def _single(values: set) -> object:
    return next(iter(values)) if len(values) == 1 else None


def _insert_submission(con: duckdb.DuckDBPyConnection, sub: Submission, unit: object, period: object,
                       loaded: int, rejected: int) -> int:
    sid = con.execute("SELECT nextval('submission_ids')").fetchone()[0]
    con.execute(
        "INSERT INTO submissions VALUES ($id, $kind, $file, $hash, $unit, $period, $received, $by, $loaded,"
        " $rejected, $status, $message, $now)",
        {"id": sid, "kind": sub.kind or "unknown", "file": sub.file_name, "hash": sub.content_hash, "unit": unit,
         "period": period, "received": sub.received_at, "by": sub.actor.name, "loaded": loaded,
         "rejected": rejected, "status": sub.status, "message": sub.message, "now": dt.datetime.now()},
    )
    return sid


def _assign_ids(con: duckdb.DuckDBPyConnection, new: list[NewProject], sid: int) -> None:
    if not new:
        return
    ids = [r[0] for r in con.execute("SELECT nextval('project_ids') FROM range($n)", {"n": len(new)}).fetchall()]
    now = dt.datetime.now()
    for project, pid in zip(new, ids):
        project.id = pid
        project.code = project.code or f"ZS{pid:06d}"
    table = pa.table({
        "id": pa.array([p.id for p in new], pa.int32()),
        "code": pa.array([p.code for p in new], _TEXT),
        "unit_code": pa.array([p.unit_code for p in new], _TEXT),
        "name_key": pa.array([p.name_key for p in new], _TEXT),
    })
    con.register("incoming_projects", table)
    con.execute("INSERT INTO projects SELECT id, code, unit_code, name_key, $sid, $now FROM incoming_projects",
                {"sid": sid, "now": now})
    con.unregister("incoming_projects")


def _insert_snapshots(con: duckdb.DuckDBPyConnection, plan: Normalised, sid: int, received_at: dt.datetime) -> None:
    records = plan.validated.records
    if not records:
        return
    ids = [t.id if isinstance(t, NewProject) else t for t in plan.targets]
    columns: dict[str, pa.Array] = {
        "submission_id": pa.array([sid] * len(records), pa.int32()),
        "project_id": pa.array(ids, pa.int32()),
        "sheet": pa.array([r.sheet for r in records], _TEXT),
        "row_number": pa.array([r.row for r in records], pa.int32()),
        "unit_code": pa.array([r.values["unit"] for r in records], _TEXT),
        "period": pa.array([r.values["period"] for r in records], _DATE),
        "received_at": pa.array([received_at] * len(records), pa.timestamp("us")),
    }
    values = [r.values for r in records]
    for name, kind in SNAPSHOT_FIELDS:
        columns[name] = pa.array([v.get(name) for v in values], kind)
    con.register("incoming_snapshots", pa.table(columns))
    names = ", ".join(_SNAPSHOT_COLUMNS)
    con.execute(f"INSERT INTO snapshots ({names}) SELECT {names} FROM incoming_snapshots")
    con.unregister("incoming_snapshots")


def _insert_problems(con: duckdb.DuckDBPyConnection, plan: Normalised, sid: int) -> None:
    validated = plan.validated
    if not validated.problems:
        return
    # Only rows with a problem keep their cells as JSON: serialising every row of a 50,000-row file cost
    # about 0.5 s and 50 MB for nothing.
    flagged = {(p.sheet, p.row) for p in validated.problems}
    raw_by_row = {(r.sheet, r.row): raw_json(r) for r in validated.rejected + validated.records
                  if (r.sheet, r.row) in flagged}
    table = pa.table({
        "submission_id": pa.array([sid] * len(validated.problems), pa.int32()),
        "sheet": pa.array([p.sheet for p in validated.problems], _TEXT),
        "row_number": pa.array([p.row for p in validated.problems], pa.int32()),
        "column_name": pa.array([p.column for p in validated.problems], _TEXT),
        "severity": pa.array([p.severity for p in validated.problems], _TEXT),
        "reason": pa.array([p.reason for p in validated.problems], _TEXT),
        "row_values": pa.array([raw_by_row.get((p.sheet, p.row)) for p in validated.problems], _TEXT),
    })
    con.register("incoming_problems", table)
    con.execute("INSERT INTO row_problems SELECT * FROM incoming_problems")
    con.unregister("incoming_problems")


def _upsert_units(con: duckdb.DuckDBPyConnection, plan: Normalised, actor: Actor) -> None:
    now = dt.datetime.now()
    before = {code: (name, kind, group) for code, name, kind, group in
              con.execute("SELECT code, name, kind, assess_group FROM units").fetchall()}
    for record in plan.validated.records:
        v = record.values
        after = (v["name"], v["kind"], v["group"])
        if before.get(v["code"]) == after:
            continue
        con.execute(
            "INSERT INTO units VALUES ($code, $name, $kind, $group, $now, $now) ON CONFLICT (code) DO UPDATE SET"
            " name = excluded.name, kind = excluded.kind, assess_group = excluded.assess_group,"
            " updated_at = excluded.updated_at",
            {"code": v["code"], "name": v["name"], "kind": v["kind"], "group": v["group"], "now": now},
        )
        db.audit(con, actor.name, "unit.upsert", v["code"],
                 {"before": before.get(v["code"]), "after": after})


def _insert_targets(con: duckdb.DuckDBPyConnection, plan: Normalised, sid: int, received_at: dt.datetime) -> None:
    for record in plan.validated.records:
        v = record.values
        # Column names from TARGET_FIELDS (the targets table's own), values by name: blank means no target.
        con.execute(
            f"INSERT INTO targets (submission_id, received_at, year, unit_code, {', '.join(TARGET_FIELDS)}) "
            f"VALUES ($sid, $received, $year, $unit, {', '.join('$' + f for f in TARGET_FIELDS)})",
            {"sid": sid, "received": received_at, "year": v["year"], "unit": v["unit"],
             **{field: v.get(field) for field in TARGET_FIELDS}},
        )


def load(con: duckdb.DuckDBPyConnection, sub: Submission, plan: Normalised | None) -> int:
    """Write the submission and everything it brings in one transaction; return the submission id."""
    with _write_lock, db.transaction(con):
        if plan is None:
            sid = _insert_submission(con, sub, None, None, 0, 0)
        else:
            records = plan.validated.records
            rejected_rows = {(r.sheet, r.row) for r in plan.validated.rejected}
            unit = _single({r.values.get("unit") or r.values.get("code") for r in records})
            period = _single({r.values.get("period") for r in records}) if sub.kind == "projects" else None
            sid = _insert_submission(con, sub, unit, period, len(records), len(rejected_rows))
            if sub.kind == "projects":
                _assign_ids(con, plan.new_projects, sid)
                _insert_snapshots(con, plan, sid, sub.received_at)
                if sub.mode == "replace" and unit is not None and period is not None:
                    con.execute("INSERT INTO replacements VALUES ($sid)", {"sid": sid})
                timeline.refresh(con, sid)
            elif sub.kind == "units":
                _upsert_units(con, plan, sub.actor)
            elif sub.kind == "targets":
                _insert_targets(con, plan, sid, sub.received_at)
            _insert_problems(con, plan, sid)
        db.audit(con, sub.actor.name, f"submission.{sub.status}", sub.file_name,
                 {"submission_id": sid, "kind": sub.kind, "message": sub.message})
    if sub.status == "loaded":
        for listener in list(_listeners):
            try:
                listener(sid)
            except Exception:  # a listener's trouble must not make a committed load look failed
                _log.exception("listener %r failed after submission %s", listener, sid)
    return sid


def on_loaded(listener: Callable[[int], None]) -> Callable[[], None]:
    """Call listener(submission_id) after every submission that loads in this process; return the function that
    stops it."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener) if listener in _listeners else None
