"""The month-to-month checks of DOMAIN §6: each accepted project row against its project's latest snapshot of an
earlier report period. They only warn — the row loads whatever they find — and their warnings join the file's
other problems, so the preview shows them and the load stores them with the submission."""
from __future__ import annotations

import duckdb
import pyarrow as pa

from pipelines.cells import shown
from pipelines.ingest.columns import PROJECT_COLUMNS
from pipelines.ingest.normalise import Normalised
from pipelines.ingest.validate import Problem, Record, Validated, problem_text
from pipelines.settings import Settings
from pipelines.store import queries
from pipelines.vocabulary import MILESTONES, STATUSES

# Cumulative amounts: lower than in an earlier report is worth a look.
_CUMULATIVE = ("invested_to_date_wan", "funds_in_place_wan")
_HEADERS = {c.id: c.header for c in PROJECT_COLUMNS}


def month_checks(con: duckdb.DuckDBPyConnection, normalised: Normalised, config: Settings) -> None:
    """Add to the file's problems one warning per finding, row by row: 累计完成投资 or 累计到位资金 lower than
    before, 累计到位资金 above the row's 计划总投资, a milestone date reported before now blank or changed, 计划总投资
    changed by [ingest] total_change_share or more, 项目状态 back from 终止. Each comparison names the month it compares with; a new
    project, or a project with no earlier report, is only checked within its row."""
    validated = normalised.validated
    if validated.kind != "projects":
        return
    earlier = _previous_snapshots(con, normalised)
    for index, record in enumerate(validated.records):
        _funds_within_total(validated, record)
        if index in earlier:
            _against(validated, record, earlier[index], config.ingest.total_change_share)


def _previous_snapshots(con: duckdb.DuckDBPyConnection, normalised: Normalised) -> dict[int, dict]:
    """Per index of a row of an existing project, that project's latest snapshot of a period before the row's, by
    column name; one query for the whole file, whatever its months."""
    rows = [(index, target, record.values["period"])
            for index, (record, target) in enumerate(zip(normalised.validated.records, normalised.targets))
            if isinstance(target, int)]
    if not rows:
        return {}
    index, project, period = zip(*rows)
    con.register("incoming_rows", pa.table({"row_index": pa.array(index, pa.int32()),
                                            "project_id": pa.array(project, pa.int32()),
                                            "period": pa.array(period, pa.date32())}))
    try:
        cursor = con.execute(queries.sql("previous_snapshots"))
        names = [d[0] for d in cursor.description]
        found = cursor.fetchall()
    finally:
        con.unregister("incoming_rows")
    return {row[0]: dict(zip(names, row)) for row in found}


def _funds_within_total(validated: Validated, record: Record) -> None:
    funds, total = record.values.get("funds_in_place_wan"), record.values.get("total_investment_wan")
    if funds is not None and total is not None and funds > total:
        _warn(validated, record, "funds_in_place_wan", f"{_wan(funds)} 大于计划总投资 {_wan(total)}，请核实")


def _against(validated: Validated, record: Record, before: dict, total_change_share: float) -> None:
    v = record.values
    month = f"{before['period'].year}年{before['period'].month}月"
    for field_id in _CUMULATIVE:
        old, new = before[field_id], v.get(field_id)
        if old is not None and new is not None and new < old:
            _warn(validated, record, field_id, f"由{_wan(old)}减少为{_wan(new)}（与{month}报送相比），请核实")
    for m in MILESTONES:
        old, new = before[m.date_field], v.get(m.date_field)
        if old is None or new == old:
            continue
        _warn(validated, record, m.date_field,
              f"上期（{month}）为{old:%Y-%m-%d}，本期为空，请核实" if new is None
              else f"由{old:%Y-%m-%d}改为{new:%Y-%m-%d}（与{month}报送相比）")
    old, new = before["total_investment_wan"], v.get("total_investment_wan")
    if new is not None and abs(new - old) / old >= total_change_share:
        _warn(validated, record, "total_investment_wan",
              f"由{_wan(old)}改为{_wan(new)}，变动超过{total_change_share:.0%}（与{month}报送相比），请核实")
    if before["status"] == "terminated" and v["status"] != "terminated":
        _warn(validated, record, "status",
              f"由{STATUSES['terminated']}改为{STATUSES[v['status']]}（与{month}报送相比），请核实")


def _wan(amount: float) -> str:
    # shown, not :g, which writes 150亿 (1500000万元) as 1.5e+06.
    return f"{shown(amount)}万元"


def _warn(validated: Validated, record: Record, field_id: str, reason: str) -> None:
    column = record.headers.get(field_id, _HEADERS[field_id])
    project = record.values.get("project_name") or record.values.get("project_code")
    validated.problems.append(Problem(record.sheet, record.row, column,
                                      problem_text(record.row, project, column, reason), "warning"))
