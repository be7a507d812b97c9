"""Evaluation: the conditions of alerts.rules turned into keyed warnings (DOMAIN §8).

One open warning per (rule, subject): a new condition opens one, a change of grade escalates or de-escalates
it, a condition that has cleared resolves it. Evaluating twice on the same data opens, escalates and resolves
nothing. The changes are returned so that notification (a separate step) sees only what changed."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd

from alerts.rules import RULE_BY_ID, conditions
from pipelines import store
from pipelines.settings import Settings, current

_GRADE_ORDER = {"yellow": 1, "red": 2}


@dataclass(frozen=True)
class Change:
    """A warning that opened, changed grade or resolved in one evaluation."""

    warning_id: int
    rule: str
    subject: str
    unit_code: str | None
    grade: str
    change: str  # new / escalated / deescalated / resolved
    since: dt.date | None
    detail: str

    def as_event(self) -> dict:
        return {"rule": self.rule, "rule_name": RULE_BY_ID[self.rule].name, "subject": self.subject,
                "unit": self.unit_code, "grade": self.grade, "change": self.change,
                "since": self.since.isoformat() if self.since else None, "detail": self.detail}


def _event(con: duckdb.DuckDBPyConnection, warning_id: int, now: dt.datetime, event: str, grade: str,
           detail: str) -> None:
    con.execute("INSERT INTO warning_events VALUES (?, ?, ?, ?, ?)", [warning_id, now, event, grade, detail])


def evaluate(con: duckdb.DuckDBPyConnection, as_of: dt.date, now: dt.datetime | None = None,
             settings: Settings | None = None) -> list[Change]:
    """Evaluate every rule as of the end of `as_of` and bring the warnings table in line, in one transaction;
    return what opened, changed grade or resolved."""
    settings = settings or current()
    now = now or dt.datetime.now()
    found = conditions(con, as_of, settings)
    changes: list[Change] = []
    with store.transaction(con):
        open_rows = con.execute(
            "SELECT id, rule, subject, grade FROM warnings WHERE resolved_at IS NULL").fetchall()
        current_open = {(rule, subject): (wid, grade) for wid, rule, subject, grade in open_rows}
        seen = set()
        for row in found.itertuples(index=False):
            key = (row.rule, row.subject)
            seen.add(key)
            if key not in current_open:
                wid = con.execute("SELECT nextval('warning_ids')").fetchone()[0]
                con.execute("INSERT INTO warnings (id, rule, subject, unit_code, grade, since, detail, first_seen,"
                            " last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            [wid, row.rule, row.subject, row.unit_code, row.grade, row.since, row.detail, now, now])
                _event(con, wid, now, "new", row.grade, row.detail)
                changes.append(Change(wid, row.rule, row.subject, row.unit_code, row.grade, "new", row.since,
                                      row.detail))
                continue
            wid, grade = current_open[key]
            if grade != row.grade:
                change = "escalated" if _GRADE_ORDER[row.grade] > _GRADE_ORDER[grade] else "deescalated"
                _event(con, wid, now, change, row.grade, row.detail)
                changes.append(Change(wid, row.rule, row.subject, row.unit_code, row.grade, change, row.since,
                                      row.detail))
            con.execute("UPDATE warnings SET grade = ?, detail = ?, last_seen = ? WHERE id = ?",
                        [row.grade, row.detail, now, wid])
        for key, (wid, grade) in current_open.items():
            if key in seen:
                continue
            con.execute("UPDATE warnings SET resolved_at = ? WHERE id = ?", [now, wid])
            unit, since, detail = con.execute("SELECT unit_code, since, detail FROM warnings WHERE id = ?",
                                              [wid]).fetchone()
            _event(con, wid, now, "resolved", grade, detail)
            changes.append(Change(wid, key[0], key[1], unit, grade, "resolved", since, detail))
    return changes


def acknowledge(con: duckdb.DuckDBPyConnection, warning_id: int, who: str, note: str,
                now: dt.datetime | None = None) -> None:
    """Record that `who` has seen an open warning, with a note; it stays open until its condition clears."""
    now = now or dt.datetime.now()
    with store.transaction(con):
        updated = con.execute("UPDATE warnings SET acknowledged_by = ?, acknowledged_at = ?, ack_note = ? "
                              "WHERE id = ? AND resolved_at IS NULL RETURNING grade", [who, now, note, warning_id])
        row = updated.fetchone()
        if row is None:
            raise LookupError(f"no open warning {warning_id}")
        _event(con, warning_id, now, "acknowledged", row[0], note)


def open_warnings(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every open warning: rule, subject, unit, grade, since, detail, first and last seen, acknowledgement."""
    return con.execute("SELECT * FROM warnings WHERE resolved_at IS NULL ORDER BY rule, subject").df()
