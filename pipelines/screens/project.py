"""项目详情 and the 项目库's extras (issue 6): one project's identity, its state as of a day with its milestones,
size band and approval tier, the history of its snapshots with what changed from one report to the next and which
file brought it, and its warnings; the library's 有预警 and 逾期未更新 marks and filters, its Excel export; and who
may see what.

Scope: a unit user may open only a project whose latest snapshot (as of the day shown) is its own unit's. Personal
data — the 联系人 and 联系电话 of a project — is shown and exported in full to admins only; everyone else gets it
masked (王*, 138****1234), on screen and in files alike (DOMAIN §3).

Nothing here is a new rule: the as-of state is the macros', stages and bands pipelines.vocabulary's, staleness
pipelines.figures.duty's, warnings those alerts.evaluate keeps (read through alerts.centre)."""
from __future__ import annotations

import datetime as dt
import numbers
import re
import urllib.parse
from dataclasses import dataclass

import duckdb
import pandas as pd

from alerts import centre
from pipelines import export
from pipelines.access import Actor, OutOfScope
from pipelines.ingest.columns import PROJECT_COLUMNS
from pipelines.store import queries, state
from pipelines.vocabulary import (
    GRADE_LABELS,
    MILESTONE_BY_ID,
    MILESTONES,
    RED,
    STATUSES,
    YELLOW,
    approval_tier,
    size_band,
)

PAGE = "project"  # the project page's URL path (app.py)
CONTACT_FIELDS = ("contact_name", "contact_phone")
# Free text reported afresh every month: shown as each report's own columns rather than as changes.
NOTE_FIELDS = ("progress_note", "issues")
# The reported fields a report can change, with their workbook headers, in the template's order.
_HEADERS = {column.id: column.header for column in PROJECT_COLUMNS}
DIFF_FIELDS: dict[str, str] = {"unit_name": _HEADERS["unit"], **{
    column.id: column.header for column in PROJECT_COLUMNS
    if column.id not in ("period", "unit", "project_code", *NOTE_FIELDS)}}
EMPTY = "（空）"
FIRST, UPDATE, CORRECTION = "首次报送", "月度更新", "同月更正"
_NAME_SEPARATORS = re.compile(r"([、,，/;；\s]+)")


# ---- personal data ----------------------------------------------------------------------------------------------

def sees_contacts(actor: Actor, unit_code: str | None = None) -> bool:
    """Whether `actor` sees the contact names and phone numbers of a project of `unit_code` in full: admins and
    leaders always, a unit's users for their own unit's projects (they typed them in); masked for anyone else."""
    return actor.role in ("admin", "leader") or (actor.role == "unit" and unit_code == actor.unit_code)


def mask_name(name: str | None) -> str | None:
    """A contact name with all but its first character masked ('王丽' → '王*', '欧阳娜娜' → '欧***'); several
    names ('王丽、张三') each masked; None stays None."""
    if name is None or name != name:
        return name
    parts = _NAME_SEPARATORS.split(str(name))
    return "".join(part if not part or _NAME_SEPARATORS.fullmatch(part) else part[0] + "*" * max(len(part) - 1, 1)
                   for part in parts)


def mask_phone(phone: str | None) -> str | None:
    """A phone number with its digits masked but the first 3 and the last 4 ('13812341234' → '138****1234'); with
    fewer than 11 digits only the last 4 stay ('8888 6666' → '**** 6666'), with fewer than 8 none; other characters
    stay; None stays None."""
    if phone is None or phone != phone:
        return phone
    text = str(phone)
    digits = [i for i, c in enumerate(text) if c.isdigit()]
    keep = set(digits[:3] + digits[-4:]) if len(digits) >= 11 else set(digits[-4:]) if len(digits) >= 8 else set()
    return "".join("*" if c.isdigit() and i not in keep else c for i, c in enumerate(text))


_MASKS = {"contact_name": mask_name, "contact_phone": mask_phone}


def masked(frame: pd.DataFrame, actor: Actor) -> pd.DataFrame:
    """The frame with the contact columns masked on the rows whose unit's contacts `actor` may not see in full
    (sees_contacts; every row when the frame names no unit and the actor is a unit user): a copy, or the same
    frame when nothing is masked."""
    if actor.role in ("admin", "leader"):
        return frame
    hidden = (frame["unit_code"] != actor.unit_code) if "unit_code" in frame else pd.Series(True, index=frame.index)
    if not hidden.any():
        return frame
    return frame.assign(**{field: frame[field].where(~hidden, frame[field].map(mask))
                           for field, mask in _MASKS.items() if field in frame})


# ---- one project ------------------------------------------------------------------------------------------------

def project_url(code: str) -> str:
    """The project page's address for a project, relative to the app's root: 'project?code=ZS000123'."""
    return f"{PAGE}?{urllib.parse.urlencode({'code': code})}"


def _same(before: object, after: object) -> bool:
    if pd.isna(before) and pd.isna(after):
        return True
    if pd.isna(before) or pd.isna(after):
        return False
    return before == after


def shown_value(field: str, value: object) -> str:
    """A reported value as a report's change shows it: dates 2024-03-08, amounts 12,345.6 (in the column's unit),
    是/否, the status's Chinese name; '（空）' when blank."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return EMPTY
    if isinstance(value, (dt.date, pd.Timestamp)):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, bool):
        return "是" if value else "否"
    if field == "status":
        return STATUSES.get(value, str(value))
    if isinstance(value, numbers.Real):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return str(value)


def report_changes(before: dict | None, after: dict) -> list[dict]:
    """What one report changed against the previous one: {field, label, before, after} (values as shown_value
    gives them) for every field of DIFF_FIELDS that differs; [] for the first report."""
    if before is None:
        return []
    return [{"field": field, "label": label, "before": shown_value(field, before.get(field)),
             "after": shown_value(field, after.get(field))}
            for field, label in DIFF_FIELDS.items() if not _same(before.get(field), after.get(field))]


def snapshot_history(con: duckdb.DuckDBPyConnection, project_id: int, as_of: dt.date, actor: Actor) -> pd.DataFrame:
    """Every report of the project received by the end of `as_of`, in report order (month, then received): period,
    received_at, file_name, submitted_by and its display name, unit_code and unit_name, superseded (a later file of
    the unit for the month replaced it), kind (首次报送 / 月度更新 / 同月更正), changes (report_changes against the
    report before it) and change_text ('签约日期：（空）→ 2024-03-08；…', '无变化'), progress_note and issues.
    Contacts are masked unless `actor` sees them."""
    reports = masked(queries.frame(con, "project_history", project_id=project_id, as_of=as_of), actor)
    records = reports.to_dict("records")
    kinds, changes = [], []
    for previous, report in zip([None, *records[:-1]], records):
        kinds.append(FIRST if previous is None else CORRECTION if report["period"] == previous["period"] else UPDATE)
        changes.append(report_changes(previous, report))
    reports["kind"] = kinds
    reports["changes"] = changes
    reports["change_text"] = [
        FIRST if kind == FIRST else "；".join(f"{c['label']}：{c['before']} → {c['after']}" for c in found) or "无变化"
        for kind, found in zip(kinds, changes)]
    columns = ["period", "received_at", "file_name", "submitted_by", "submitted_by_name", "unit_code", "unit_name",
               "superseded", "kind", "changes", "change_text", *NOTE_FIELDS]
    return reports[columns]


def milestones(project: dict, as_of: dt.date) -> pd.DataFrame:
    """The project's milestones in order: id, label, date (None: not reported), reached (date on or before
    `as_of`) and days_after_previous (days since the previous milestone reached; None for the first or one not
    reached)."""
    rows, previous = [], None
    for milestone in MILESTONES:
        date = project.get(milestone.date_field)
        date = None if date is None or pd.isna(date) else pd.Timestamp(date).date()
        reached = date is not None and date <= as_of
        rows.append({"id": milestone.id, "label": milestone.label, "date": date, "reached": reached,
                     "days_after_previous": (date - previous).days if reached and previous else None})
        if reached:
            previous = date
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class ProjectView:
    """Everything the project page shows as of one day."""

    as_of: dt.date
    code: str
    name: str
    unit_code: str  # of the latest snapshot
    unit_name: str
    first_unit_code: str  # the unit that first reported it
    first_unit_name: str | None
    registered_at: dt.datetime
    project: dict  # the latest snapshot's fields as reported (contacts masked unless the reader sees them)
    stage_label: str  # 未登记节点 when no milestone is reached
    status_label: str
    size_band: str
    approval_tier: str
    milestones: pd.DataFrame  # milestones()
    planned_start_date: dt.date | None
    history: pd.DataFrame  # snapshot_history(), oldest first
    warnings: pd.DataFrame  # alerts.centre.subject_warnings: open first, then resolved


def project_figures(con: duckdb.DuckDBPyConnection, code: str, actor: Actor, as_of: dt.date | None = None) -> dict:
    """Project `code` as known at the end of `as_of` (today when not given): every field of ProjectView but the
    warnings. LookupError when there is no such project (or nothing of it had been received by then); OutOfScope
    when `actor` is a unit user and the project's latest snapshot is another unit's."""
    as_of = as_of or dt.date.today()
    found = queries.frame(con, "project_state", code=code, as_of=as_of)
    if found.empty:
        raise LookupError(f"没有编号为 {code} 的项目。")
    project = masked(found, actor).iloc[0].to_dict()
    if actor.unit_scope is not None and project["unit_code"] != actor.unit_scope:
        raise OutOfScope("无权查看：该项目不属于本单元。")
    stage = MILESTONE_BY_ID.get(project["stage"])
    planned = project["planned_start_date"]
    return {
        "as_of": as_of, "code": code, "name": project["project_name"], "unit_code": project["unit_code"],
        "unit_name": project["unit_name"], "first_unit_code": project["first_unit_code"],
        "first_unit_name": project["first_unit_name"], "registered_at": project["registered_at"],
        "project": project, "stage_label": stage.label if stage else "未登记节点",
        "status_label": STATUSES[project["status"]], "size_band": size_band(project["total_investment_wan"]),
        "approval_tier": approval_tier(project["land_mu"], project["industry"]),
        "milestones": milestones(project, as_of),
        "planned_start_date": None if pd.isna(planned) else pd.Timestamp(planned).date(),
        "history": snapshot_history(con, project["project_id"], as_of, actor),
    }


def project_warnings(con: duckdb.DuckDBPyConnection, code: str, scope: str | None) -> pd.DataFrame:
    """The project's warnings, open and resolved, in `scope` (alerts.centre.subject_warnings)."""
    return centre.subject_warnings(con, code, scope)


def project_view(con: duckdb.DuckDBPyConnection, code: str, actor: Actor, as_of: dt.date | None = None) -> ProjectView:
    """The project page of `code` for `actor` (project_figures, then its warnings in the actor's scope)."""
    figures = project_figures(con, code, actor, as_of)
    return ProjectView(**figures, warnings=project_warnings(con, code, actor.unit_scope))


# ---- the project library -----------------------------------------------------------------------------------------

def library(projects: pd.DataFrame, warnings: pd.DataFrame, stale: pd.DataFrame) -> pd.DataFrame:
    """The library's projects (state.projects_as_of) with their marks: open_warnings (how many of the warnings open then
    are about the project: alerts.centre.latest_warnings), warning_grade (red when one is red, else yellow, None
    without), warning_label ('红 1 · 黄 2', '' without) and months_behind (pipelines.figures.duty.stale_projects: how many
    months its update is behind, 0 when up to date)."""
    # Flags summed per subject: a Python function per group costs ~14 s at province scale (64,000 warnings).
    flags = pd.DataFrame({"subject": warnings["subject"], "open_warnings": 1,
                          "red": warnings["grade"].eq(RED).astype(int),
                          "yellow": warnings["grade"].eq(YELLOW).astype(int)})
    grades = flags.groupby("subject")[["open_warnings", "red", "yellow"]].sum()
    marked = projects.merge(grades, how="left", left_on="project_code", right_index=True)
    marked = marked.merge(stale[["project_id", "months_behind"]], how="left", on="project_id")
    counts = marked[["open_warnings", "red", "yellow", "months_behind"]].fillna(0).astype(int)
    marked[counts.columns] = counts
    marked["warning_grade"] = [RED if red else YELLOW if yellow else None
                               for red, yellow in zip(marked["red"], marked["yellow"])]
    marked["warning_label"] = [" · ".join(f"{GRADE_LABELS[g]} {n}" for g, n in ((RED, red), (YELLOW, yellow)) if n)
                               for red, yellow in zip(marked["red"], marked["yellow"])]
    return marked.drop(columns=["red", "yellow"])


def filter_library(projects: pd.DataFrame, *, warned: bool = False, stale: bool = False, **filters) -> pd.DataFrame:
    """The library's projects matching state.filter_projects' `filters`, and only those with open warnings when
    `warned`, only those behind on their update when `stale`."""
    shown = state.filter_projects(projects, **filters)
    if warned:
        shown = shown[shown["open_warnings"] > 0]
    if stale:
        shown = shown[shown["months_behind"] > 0]
    return shown


# The library export's columns: identity, then the template's columns in its order, then the state and marks.
EXPORT_COLUMNS: dict[str, str] = {
    "project_code": _HEADERS["project_code"], "unit_name": _HEADERS["unit"], "period": "最近报告期",
    **{column.id: column.header for column in PROJECT_COLUMNS if column.id not in ("period", "unit", "project_code")},
    "stage_label": "所处阶段", "size_band": "规模档次", "approval_tier": "审批层级",
    "warning_label": "在办预警", "months_behind": "逾期未更新月数",
}


def library_workbook(projects: pd.DataFrame, actor: Actor, as_of: dt.date) -> bytes:
    """The library's projects (library(), filtered) as an .xlsx: EXPORT_COLUMNS with amounts in 万元 as reported,
    dates as 2024-03-08, the status in Chinese; contacts masked unless `actor` sees them; no cell is a formula."""
    rows = masked(projects, actor).assign(
        approval_tier=[approval_tier(land, industry) for land, industry in zip(projects["land_mu"],
                                                                               projects["industry"])],
        status=projects["status"].map(STATUSES),
        period=pd.to_datetime(projects["period"]).dt.strftime("%Y-%m"))
    for milestone in [*MILESTONES, None]:
        field = milestone.date_field if milestone else "planned_start_date"
        rows[field] = pd.to_datetime(rows[field]).dt.strftime("%Y-%m-%d")
    values = rows[list(EXPORT_COLUMNS)].astype(object)
    values = values.where(values.notna(), None)
    return export.table_workbook(list(EXPORT_COLUMNS.values()), values.itertuples(index=False, name=None),
                                 sheet_name="项目库", title=f"项目库（截至 {as_of:%Y-%m-%d}）")
