"""Evaluation: the conditions of alerts.rules turned into keyed warnings (DOMAIN §8).

One open warning per (rule, subject): a new condition opens one, a change of grade escalates or de-escalates
it, a condition that has cleared resolves it. Evaluating twice on the same data opens, escalates and resolves
nothing (it refreshes grade, detail and last_seen). The changes are returned so that notification (a separate
step) sees only what changed.

An exempt (rule, subject) (alerts.exemptions, DOMAIN §8) holds no open warning: its condition is dropped before the
table is brought in line, so a new warning never opens and an open one resolves as "exempted" — a change that
notification does not tell of. Once the exemption has expired or been revoked, the next evaluation opens the
warning again as new."""
from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from alerts.rules import RULE_BY_ID, conditions
from pipelines.settings import Settings, current
from pipelines.store import db, queries

# Evaluations in one process never overlap (the scheduler's jobs, a load's evaluation and the CLI may coincide).
_evaluation_lock = threading.Lock()


@dataclass(frozen=True)
class Change:
    """A warning that opened, changed grade or resolved in one evaluation."""

    warning_id: int
    rule: str
    subject: str
    unit_code: str | None
    grade: str
    change: str  # new / escalated / deescalated / resolved / exempted
    since: dt.date | None
    detail: str

    def as_event(self, unit_name: str | None = None) -> dict:
        return {"rule": self.rule, "rule_name": RULE_BY_ID[self.rule].name, "subject": self.subject,
                "unit": self.unit_code, "unit_name": unit_name, "grade": self.grade, "change": self.change,
                "since": self.since.isoformat() if self.since else None, "detail": self.detail}


def change_events(con: duckdb.DuckDBPyConnection, changes: Sequence[Change]) -> list[dict]:
    """The changes as the events notification takes, with their units' names."""
    names = dict(con.execute("SELECT code, name FROM units").fetchall())
    return [c.as_event(names.get(c.unit_code)) for c in changes]


def _event(con: duckdb.DuckDBPyConnection, warning_id: int, now: dt.datetime, event: str, grade: str,
           detail: str) -> None:
    con.execute("INSERT INTO warning_events VALUES (?, ?, ?, ?, ?)", [warning_id, now, event, grade, detail])


def _record(con: duckdb.DuckDBPyConnection, rows: pd.DataFrame, change: str | None, now: dt.datetime) -> list[Change]:
    """Write one warning_events row per changed warning (set-based) and return the changes."""
    if not len(rows):
        return []
    events = rows.assign(happened_at=now, event=rows["change"] if change is None else change)
    con.register("changed_warnings", events)
    con.execute("INSERT INTO warning_events SELECT id, happened_at, event, grade, detail FROM changed_warnings")
    con.unregister("changed_warnings")
    # Column by column, not row by row: a first evaluation at province scale opens tens of thousands.
    since = pd.to_datetime(rows["since"]).dt.date.astype(object).where(rows["since"].notna(), None)
    units = rows["unit_code"].astype(object).where(rows["unit_code"].notna(), None)
    return [Change(int(warning_id), rule, subject, unit, grade, event, day, detail)
            for warning_id, rule, subject, unit, grade, event, day, detail in zip(
                rows["id"].tolist(), rows["rule"].tolist(), rows["subject"].tolist(), units.tolist(),
                rows["grade"].tolist(), events["event"].tolist(), since.tolist(), rows["detail"].tolist())]


def _exempt_keys(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pd.MultiIndex:
    """The (rule, subject) pairs exempt at the end of `as_of` (few: an index to test whole frames against)."""
    return pd.MultiIndex.from_tuples(queries.rows(con, "exemptions_active", as_of=as_of), names=["rule", "subject"])


def _exempt(rows: pd.DataFrame, keys: pd.MultiIndex) -> np.ndarray:
    """Which of the rows (conditions or warnings) are about an exempt (rule, subject)."""
    # The subject alone first: a province's 60,000 conditions are 20 ms as (rule, subject) pairs, 3 ms this way.
    near = rows["subject"].isin(keys.get_level_values("subject")).to_numpy().copy()
    if near.any():
        near[near] = pd.MultiIndex.from_frame(rows.loc[near, ["rule", "subject"]]).isin(keys)
    return near


def evaluate(con: duckdb.DuckDBPyConnection, as_of: dt.date, now: dt.datetime | None = None,
             settings: Settings | None = None) -> list[Change]:
    """Evaluate every rule as of the end of `as_of` and bring the warnings table in line, in one transaction
    of a few set-based statements; return what opened, changed grade or resolved (as "exempted" when its (rule,
    subject) is exempt as of `as_of`)."""
    settings = settings or current()
    now = now or dt.datetime.now()
    found = conditions(con, as_of, settings)
    exempt = _exempt_keys(con, as_of)
    found = found[~_exempt(found, exempt)]
    incoming = pa.Table.from_pandas(found.astype({"since": "datetime64[s]"}), preserve_index=False)
    changes: list[Change] = []
    with _evaluation_lock, db.transaction(con):
        con.register("incoming_conditions", incoming)
        try:
            regraded = queries.frame(con, "warnings_regraded")
            opened = queries.frame(con, "warnings_open_new", now=now)
            queries.rows(con, "warnings_refresh", now=now)
            resolved = queries.frame(con, "warnings_resolve", now=now)
        finally:
            con.unregister("incoming_conditions")
        resolved["change"] = np.where(_exempt(resolved, exempt), "exempted", "resolved")
        changes += _record(con, opened, "new", now)
        changes += _record(con, regraded, None, now)
        changes += _record(con, resolved, None, now)
    return changes


def exempt(con: duckdb.DuckDBPyConnection, rule: str, subject: str, now: dt.datetime | None = None) -> list[Change]:
    """Resolve at once, as "exempted", the open warning of (rule, subject) when that pair is exempt as of today
    (`now`'s day), rather than at the next evaluation; return the change (none when nothing was open)."""
    now = now or dt.datetime.now()
    if not _exempt(pd.DataFrame({"rule": [rule], "subject": [subject]}), _exempt_keys(con, now.date()))[0]:
        return []
    with _evaluation_lock, db.transaction(con):
        resolved = queries.frame(con, "warnings_exempt", rule=rule, subject=subject, now=now)
        return _record(con, resolved, "exempted", now)


def acknowledge(con: duckdb.DuckDBPyConnection, warning_id: int, who: str, note: str,
                now: dt.datetime | None = None) -> None:
    """Record that `who` has seen an open warning, with a note; it stays open until its condition clears."""
    now = now or dt.datetime.now()
    with db.transaction(con):
        updated = con.execute("UPDATE warnings SET acknowledged_by = ?, acknowledged_at = ?, ack_note = ? "
                              "WHERE id = ? AND resolved_at IS NULL RETURNING grade", [who, now, note, warning_id])
        row = updated.fetchone()
        if row is None:
            raise LookupError(f"no open warning {warning_id}")
        _event(con, warning_id, now, "acknowledged", row[0], note)


def open_warning_items(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """The open warnings as notification's messages take them (the daily digest, a channel's preview): rule and
    rule_name, subject, unit and unit_name, grade, since (a date or None), detail."""
    return [{"rule": w.rule, "rule_name": RULE_BY_ID[w.rule].name, "subject": w.subject, "unit": w.unit_code,
             "unit_name": w.unit_name, "grade": w.grade,
             "since": None if pd.isna(w.since) else pd.Timestamp(w.since).date(), "detail": w.detail}
            for w in open_warnings(con).itertuples(index=False)]


def open_warnings(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every open warning: rule, subject, unit (code and unit_name), grade, since, detail, first and last seen,
    acknowledgement."""
    return con.execute("SELECT w.*, u.name AS unit_name FROM warnings w LEFT JOIN units u ON u.code = w.unit_code "
                       "WHERE w.resolved_at IS NULL ORDER BY w.rule, w.subject").df()
