"""Tiny stores built row by row for figure tests: a submission and a snapshot with only what a test names."""
from __future__ import annotations

import datetime as dt
import itertools

from pipelines.store import timeline

_ids = itertools.count(1000)


def project(con, code: str, unit: str = "U01") -> int:
    """Register a project identity; return its id."""
    pid = next(_ids)
    con.execute("INSERT INTO projects VALUES (?, ?, ?, ?, 0, ?)", [pid, code, unit, code, dt.datetime(2020, 1, 1)])
    return pid


def file_id(con, unit: str, period: str, received: str) -> int | None:
    """The id of the unit's file for report month `period` (YYYY-MM) received at `received`, if one was made."""
    found = con.execute("SELECT id FROM submissions WHERE unit_code = ? AND period = ? AND received_at = ?",
                        [unit, dt.date.fromisoformat(period + "-01"), dt.datetime.fromisoformat(received)]).fetchone()
    return found[0] if found else None


def snapshot(con, project_id: int, period: str, received: str, unit: str = "U01", *, status: str = "active",
             total: float = 20000, industry: str = "制造业", replace: bool = False, **fields) -> None:
    """A snapshot of `project_id` for report month `period` (YYYY-MM) received at `received` (YYYY-MM-DD or
    YYYY-MM-DD HH:MM:SS), in the unit's file of that month and moment, a replacement (整表替换) of the earlier
    files of that month when the file is made with `replace`; other columns by name (dates YYYY-MM-DD)."""
    received_at = dt.datetime.fromisoformat(received)
    first = dt.date.fromisoformat(period + "-01")
    # Snapshots of one unit and month arriving together come in one file, as units send them.
    found = file_id(con, unit, period, received)
    sid = found or next(_ids)
    if not found:
        con.execute("INSERT INTO submissions VALUES (?, 'projects', 'f.xlsx', ?, ?, ?, ?, 'test', 1, 0, 'loaded', NULL, ?)",
                    [sid, f"h{sid}", unit, first, received_at, received_at])
        if replace:
            con.execute("INSERT INTO replacements VALUES (?)", [sid])
    values = {"submission_id": sid, "project_id": project_id, "sheet": "S", "row_number": 2, "unit_code": unit,
              "period": first, "received_at": received_at, "project_name": f"项目{project_id}",
              "industry": industry, "total_investment_wan": total, "status": status}
    for name, value in fields.items():
        values[name] = dt.date.fromisoformat(value) if name.endswith("_date") and value else value
    names = ", ".join(values)  # column names come from the test's own keywords
    con.execute(f"INSERT INTO snapshots ({names}) VALUES ({', '.join('?' * len(values))})", list(values.values()))
    timeline.refresh(con, sid)  # as pipelines.ingest.load does for every file
