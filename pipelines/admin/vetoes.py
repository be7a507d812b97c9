"""The 一票否优 flag's one write (DOMAIN §7, §10), shared by the admin's own flag (pipelines.admin.register.set_veto)
and a confirmed 督办 proposal (pipelines.admin.tasks.decide_veto), each inside its caller's transaction."""
from __future__ import annotations

import datetime as dt

import duckdb

from pipelines.access import Actor
from pipelines.store import db


def write_veto(con: duckdb.DuckDBPyConnection, actor: Actor, year: int, unit_code: str, reason: str,
               now: dt.datetime) -> None:
    """Flag `unit_code` 一票否优 for `year` with `reason` (or change the reason: the flag keeps the moment it was first
    set, from which reports count it), audited with before and after, inside the caller's transaction."""
    before = con.execute("SELECT note FROM veto_flags WHERE year = $year AND unit_code = $unit",
                         {"year": year, "unit": unit_code}).fetchone()
    con.execute("INSERT INTO veto_flags VALUES ($year, $unit, $note, $by, $at) "
                "ON CONFLICT (year, unit_code) DO UPDATE SET note = excluded.note, set_by = excluded.set_by",
                {"year": year, "unit": unit_code, "note": reason, "by": actor.name, "at": now})
    db.audit(con, actor.name, "veto.set", unit_code,
             {"year": year, "before": before[0] if before else None, "after": reason})
