"""Cached reads for pages. Results are cached, keyed by the store's data version; connections never are."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

import pandas as pd
import streamlit as st

from alerts import centre, exemptions, remind, supervision
from pipelines import template
from pipelines.access import Actor, require_admin
from pipelines.admin import problems, tasks
from pipelines.bulletin import editions, files, hearing
from pipelines.figures import duty, measures
from pipelines.figures.assessment import Assessment, assess
from pipelines.ingest import desk, run
from pipelines.screens import cockpit, ranking
from pipelines.screens import project as project_screen
from pipelines.screens import unit as unit_screen
from pipelines.store import db, state

T = TypeVar("T")  # what a read or write passed to read()/write() returns


def facts() -> dict:
    """What the store holds now (uncached: it is what keys the caches)."""
    with db.cursor() as cur:
        return state.store_facts(cur)


@st.cache_data(show_spinner=False, max_entries=64)
def projects_as_of(as_of: dt.date, unit_code: str | None, data_version: int) -> pd.DataFrame:
    """pipelines.store.state.projects_as_of, cached per as-of date, unit and data version."""
    with db.cursor() as cur:
        return state.projects_as_of(cur, as_of, unit_code)


@st.cache_data(show_spinner=False, max_entries=8)
def unit_register(data_version: int) -> pd.DataFrame:
    with db.cursor() as cur:
        return state.unit_register(cur)


def warnings_version() -> tuple[int, str | None]:
    """What the warnings are now (uncached: it keys the cached warnings, which change without new data)."""
    with db.cursor() as cur:
        return centre.warnings_version(cur)


@st.cache_data(show_spinner=False, max_entries=32)
def screen_figures(as_of: dt.date, scope: str | None, data_version: int, vetoes: tuple) -> dict:
    """pipelines.screens.cockpit.screen_figures, cached per as-of day, scope, data version and the year's 一票否优 flags
    (the ranking's 优秀 marks); the day's and the previous month-end's assessments are the shared ones."""
    with db.cursor() as cur:
        return cockpit.screen_figures(cur, as_of, scope,
                                      assessed=lambda day: assessment(day, None, data_version, vetoes))


@st.cache_data(show_spinner=False, max_entries=32)
def screen_warnings(as_of: dt.date, scope: str | None, warnings_version: tuple[int, str | None]) -> dict:
    """pipelines.screens.cockpit.screen_warnings, cached per as-of day, scope and warnings version."""
    with db.cursor() as cur:
        return cockpit.screen_warnings(cur, as_of, scope)


def screen(as_of: dt.date, scope: str | None) -> cockpit.Cockpit:
    """The big screen as of `as_of` for `scope`: figures recomputed when data arrives or a 一票否优 flag changes,
    warnings when an evaluation or acknowledgement changes them."""
    figures = screen_figures(as_of, scope, facts()["data_version"], veto_version(as_of.year))
    with db.cursor() as cur:
        counts = cockpit.task_counts(cur, as_of, scope)  # few tasks, changed without new data: not cached
    return cockpit.Cockpit(**figures, **screen_warnings(as_of, scope, warnings_version()), task_counts=counts)


def warm_up(today: dt.date | None = None) -> None:
    """Fill the caches the day's first readers wait for — the county's big screen with its assessments of the day
    and of the previous month-end, which 单元看板 and the ranking share — and import the pages' heavier modules
    (pandas' Styler, python-docx), so that the first view after the server starts is served like a later one.
    Run by app.py in a background thread at start; nothing is computed while the store is empty."""
    from ui import cockpit as _drawing  # noqa: F401  (imported for its cost: the big screen's drawing)
    from ui import format as _format  # noqa: F401  (pandas' Styler, jinja2)

    today = today or dt.date.today()
    held = facts()
    if held["projects"]:
        screen_figures(today, None, held["data_version"], veto_version(today.year))


@st.cache_data(show_spinner=False, max_entries=8)
def first_data_day(data_version: int) -> dt.date | None:
    """pipelines.screens.ranking.first_data_day, cached per data version."""
    with db.cursor() as cur:
        return ranking.first_data_day(cur)


def veto_version(year: int) -> tuple:
    """The year's 一票否优 flags now (uncached: they key the cached ranking, which they change without new data)."""
    with db.cursor() as cur:
        return ranking.veto_version(cur, year)


@st.cache_resource(show_spinner=False, max_entries=6)
def assessment(as_of: dt.date, known_by: dt.date | None, data_version: int,
               vetoes: tuple) -> tuple[pd.DataFrame, Assessment]:
    """measures.project_facts (with details) and the assessment of every unit for the period end `as_of` known by
    `known_by` (None: as of `as_of`), computed once for the ranking, its comparison and every unit's ledger (each
    cost an assessment of its own at province scale, ~1 s); cached per data version and 一票否优 flags and shared
    by all sessions unpickled, so readers must not change them."""
    with db.cursor() as cur:
        project_facts = measures.project_facts(cur, as_of, known_by=known_by)
        return project_facts, assess(cur, as_of, facts=project_facts, known_by=known_by)


@st.cache_data(show_spinner="正在计算排名…", max_entries=32)
def _ranking(as_of: dt.date, compare_as_of: dt.date | None, known_by: dt.date | None, data_version: int,
             vetoes: tuple) -> ranking.Ranking:
    now = assessment(as_of, known_by, data_version, vetoes)[1]
    before = None if compare_as_of is None else assessment(compare_as_of, known_by, data_version, vetoes)[1]
    with db.cursor() as cur:
        return ranking.ranking(cur, as_of, compare_as_of, known_by=known_by, now=now, before=before)


def period_ranking(period: ranking.Period, scope: str | None) -> ranking.Ranking:
    """pipelines.screens.ranking.ranking of the period as `scope` may read it (Ranking.for_scope: a unit user gets every
    unit's rank, score and rates, its own unit's points only); computed once for all readers, cached per as-of
    and comparison day, data version and the year's 一票否优 flags."""
    whole = _ranking(period.as_of, period.compare_as_of, period.known_by, facts()["data_version"],
                     veto_version(period.as_of.year))
    return whole.for_scope(scope)


@st.cache_data(show_spinner="正在读取得分明细…", max_entries=32)
def unit_ledger(as_of: dt.date, unit_code: str, scope: str | None, data_version: int,
                known_by: dt.date | None = None) -> ranking.UnitLedger:
    """pipelines.screens.ranking.unit_ledger, cached per period end, knowledge day, unit, the actor's scope and data
    version; refused (OutOfScope) for another unit than a unit user's own. Reads the period's shared assessment."""
    project_facts, result = assessment(as_of, known_by, data_version, veto_version(as_of.year))
    with db.cursor() as cur:
        return ranking.unit_ledger(cur, as_of, unit_code, scope, known_by=known_by, result=result,
                                   facts=project_facts)


@st.cache_data(show_spinner="正在汇总通报……", max_entries=8, ttl=60)
def _bulletin_preview(month: dt.date, known_by: dt.date, data_version: int, today: dt.date):
    with db.cursor() as cur:
        return editions.preview(cur, month, known_by, today=today)


def bulletin_preview(month: dt.date, known_by: dt.date):
    """pipelines.bulletin.editions.preview (drafts of 四 and 五), kept for a minute per data version: 督办事项 and
    warnings that change without new data show at most a minute late in the preview, never in an edition."""
    return _bulletin_preview(month, known_by, facts()["data_version"], dt.date.today())


def bulletin_file(as_of: dt.date, fmt: str, scope: str | None, known_by: dt.date | None = None) -> bytes:
    """pipelines.bulletin.files.bulletin_file, made when a download button is clicked (not cached: it is made seldom
    and only then)."""
    with db.cursor() as cur:
        return files.bulletin_file(cur, as_of, fmt, scope, known_by)


def hearing_file(as_of: dt.date, fmt: str, scope: str | None, known_by: dt.date | None = None) -> bytes:
    """pipelines.bulletin.hearing.hearing_file (过堂材料: every unit for admins and leaders, a unit user's own), made
    when a download button is clicked (not cached: it is made seldom and only then)."""
    with db.cursor() as cur:
        return hearing.hearing_file(cur, as_of, fmt, scope, known_by)


def _county(as_of: dt.date, data_version: int, vetoes: tuple) -> unit_screen.County:
    """pipelines.screens.unit.county from the shared caches: the day's assessment and the ranking against the end of
    last month that 考核排名 reads too, computed once for every unit's page."""
    project_facts, result = assessment(as_of, None, data_version, vetoes)
    compare = ranking.comparison_day("month", as_of, first_data_day(data_version))
    return unit_screen.County(project_facts, result, _ranking(as_of, compare, None, data_version, vetoes))


@st.cache_data(show_spinner="正在汇总单元数据…", max_entries=32)
def _unit_view_figures(unit_code: str, as_of: dt.date, data_version: int, vetoes: tuple) -> dict:
    whole = _county(as_of, data_version, vetoes)
    with db.cursor() as cur:
        return unit_screen.view_figures(cur, unit_code, as_of, whole=whole)


@st.cache_data(show_spinner=False, max_entries=32)
def _unit_view_warnings(unit_code: str, as_of: dt.date, warnings_version: tuple[int, str | None]) -> dict:
    with db.cursor() as cur:
        return unit_screen.view_warnings(cur, unit_code, as_of)


@st.cache_data(show_spinner=False, max_entries=32)
def _unit_trend(unit_code: str, as_of: dt.date, data_version: int) -> pd.DataFrame:
    with db.cursor() as cur:
        return cockpit.trend(cur, as_of, unit_code)


def unit_trend(unit_code: str, as_of: dt.date) -> pd.DataFrame:
    """pipelines.screens.cockpit.trend of one unit (the caller has applied visible_unit), cached per unit, day and data
    version."""
    return _unit_trend(unit_code, as_of, facts()["data_version"])


def unit_page(unit_code: str, as_of: dt.date) -> unit_screen.UnitView:
    """pipelines.screens.unit.unit_view of one unit (the caller has applied visible_unit: the unit is the scope),
    cached per unit and as-of day: figures by data version and the year's 一票否优 flags (the county's part shared by
    every unit), warnings by warnings version."""
    figures = _unit_view_figures(unit_code, as_of, facts()["data_version"], veto_version(as_of.year))
    return unit_screen.UnitView(**figures, **_unit_view_warnings(unit_code, as_of, warnings_version()))


# ---- 数据填报

def template_file(unit_code: str | None, period: dt.date | None) -> bytes:
    """pipelines.template.template_bytes: blank without a unit, else prefilled with the unit's projects as last
    reported for `period`; made when a download button is clicked (not cached)."""
    if unit_code is None:
        return template.template_bytes()
    with db.cursor() as cur:
        return template.template_bytes(cur, unit_code, period)


def task_list(as_of: dt.date, scope: str | None) -> list[tasks.Task]:
    """pipelines.admin.tasks.tasks_as_of in the actor's scope (not cached: an action changes it without new data,
    and the tasks are few)."""
    with db.cursor() as cur:
        return tasks.tasks_as_of(cur, as_of, scope)


def task_issue(actor: Actor, **fields) -> tasks.Task:
    """pipelines.admin.tasks.issue as `actor` (TaskRefused says why not)."""
    with db.cursor() as cur:
        return tasks.issue(cur, actor, **fields)


def task_act(actor: Actor, code: str, action: str, **fields) -> tasks.Task:
    """pipelines.admin.tasks.act as `actor`, on a task of the actor's scope only (TaskRefused says why not)."""
    with db.cursor() as cur:
        if tasks.find(cur, code, actor.unit_scope) is None:
            raise tasks.TaskRefused(f"督办事项 {code} 不存在", 404)
        return tasks.act(cur, actor, code, action, **fields)


def task_sources(task: tasks.Task) -> list[dict]:
    """alerts.supervision.source_warnings: whether each warning the task came from is still open (not cached)."""
    with db.cursor() as cur:
        return supervision.source_warnings(cur, task)


def problem_list(as_of: dt.date, scope: str | None) -> pd.DataFrame:
    """pipelines.admin.problems.problem_list in the actor's scope (not cached: a mark or a task changes it, and it
    is one query)."""
    with db.cursor() as cur:
        return problems.problem_list(cur, as_of, scope)


def acknowledge_problem(actor: Actor, project_code: str, period: dt.date, note: str) -> None:
    """pipelines.admin.problems.acknowledge as `actor` (TaskRefused says why not)."""
    with db.cursor() as cur:
        problems.acknowledge(cur, actor, project_code, period, note)


def veto_proposals(as_of: dt.date) -> list[dict]:
    """pipelines.admin.tasks.veto_proposals (not cached: a decision changes them without new data)."""
    with db.cursor() as cur:
        return tasks.veto_proposals(cur, as_of)


def decide_veto(actor: Actor, unit: str, decision: str, as_of: dt.date, reason: str) -> None:
    """pipelines.admin.tasks.decide_veto as `actor` (TaskRefused says why not)."""
    with db.cursor() as cur:
        tasks.decide_veto(cur, actor, unit, decision, as_of, reason=reason)


def month_reports(today: dt.date) -> pd.DataFrame:
    """alerts.remind.status: every unit's report for the month being collected, with the reminders sent (not
    cached: a reminder changes it without new data, and it is one small query)."""
    with db.cursor() as cur:
        return remind.status(cur, today)


def send_reminders(today: dt.date, units: list[str], actor: Actor) -> dict:
    """alerts.remind.send as an admin's 催报 of `units` now."""
    require_admin(actor)
    with db.cursor() as cur:
        return remind.send(cur, today, units=units, sent_by=actor.name)


def check_upload(upload: desk.Upload, actor: Actor, **options) -> run.Preview:
    """pipelines.ingest.desk.preview_upload: what loading the upload would do, writing nothing (the page keeps
    the result for the file it belongs to)."""
    with db.cursor() as cur:
        return desk.preview_upload(cur, upload, actor, **options)


def load_upload(upload: desk.Upload, actor: Actor, **options) -> run.FileReport:
    """pipelines.ingest.desk.ingest_upload: load the upload as `actor`; its report."""
    with db.cursor() as cur:
        return desk.ingest_upload(cur, upload, actor, **options)


@st.cache_data(show_spinner=False, max_entries=16)
def submission_history(unit: str | None, limit: int, data_version: int) -> pd.DataFrame:
    """pipelines.ingest.desk.history of `unit` (the actor's scope or an admin's pick; None: every unit), cached
    per unit, length and data version."""
    with db.cursor() as cur:
        return desk.history(cur, unit, limit)


@st.cache_data(show_spinner=False, max_entries=32)
def submission_problems(submission_id: int, unit: str | None, data_version: int) -> pd.DataFrame:
    """pipelines.ingest.desk.problems of one submission within `unit`'s history, cached per data version."""
    with db.cursor() as cur:
        return desk.problems(cur, submission_id, unit)


def read(query: Callable[..., T], *args: object, **kwargs: object) -> T:
    """A pipelines read (called with a cursor of its own first), uncached: the administration screen shows the store
    as it is."""
    with db.cursor() as cur:
        return query(cur, *args, **kwargs)


def write(change: Callable[..., T], *args: object, **kwargs: object) -> T:
    """A pipelines write (called with a cursor of its own first); then every cached read is dropped, so each page
    shows the change (units, targets, flags, settings) at its next run even where no new data version keys it."""
    with db.cursor() as cur:
        result = change(cur, *args, **kwargs)
    st.cache_data.clear()
    return result


# ---- 预警中心 (alerts.centre): warnings keyed by the warnings version (the run and delivery logs go through read())

@st.cache_data(show_spinner=False, max_entries=64)
def open_warnings(scope: str | None, grades: tuple[str, ...], rules: tuple[str, ...], units: tuple[str, ...],
                  today: dt.date, warnings_version: tuple[int, str | None]) -> pd.DataFrame:
    """alerts.centre.open_warnings, cached per scope, filters, day and warnings version."""
    with db.cursor() as cur:
        return centre.open_warnings(cur, scope, grades=grades, rules=rules, units=units, today=today)


@st.cache_data(show_spinner=False, max_entries=64)
def resolved_warnings(scope: str | None, grades: tuple[str, ...], rules: tuple[str, ...], units: tuple[str, ...],
                      resolved_from: dt.date | None, warnings_version: tuple[int, str | None],
                      limit: int = 500) -> pd.DataFrame:
    """alerts.centre.resolved_warnings (the latest `limit`), cached per scope, filters and warnings version."""
    with db.cursor() as cur:
        return centre.resolved_warnings(cur, scope, grades=grades, rules=rules, units=units,
                                        resolved_from=resolved_from, limit=limit)


@st.cache_data(show_spinner=False, max_entries=64)
def warning_history(warning_id: int, scope: str | None, warnings_version: tuple[int, str | None]) -> pd.DataFrame:
    """alerts.centre.warning_history (OutOfScope for another unit's warning), cached per warnings version."""
    with db.cursor() as cur:
        return centre.warning_history(cur, warning_id, scope)


@st.cache_data(show_spinner=False, max_entries=32)
def warning_counts(scope: str | None, today: dt.date, warnings_version: tuple[int, str | None]) -> dict:
    """alerts.centre.warning_counts, cached per scope, day and warnings version."""
    with db.cursor() as cur:
        return centre.warning_counts(cur, scope, today)


def acknowledge_warning(actor: Actor, warning_id: int, note: str) -> None:
    """alerts.centre.acknowledge_as on a cursor of its own. Unlike write(), it keeps the caches: the acknowledgement
    adds a warning event, so the warnings version, which keys every cached warning, shows it at the next run."""
    with db.cursor() as cur:
        centre.acknowledge_as(cur, actor, warning_id, note)


def exemption_list(as_of: dt.date, scope: str | None) -> pd.DataFrame:
    """alerts.exemptions.listing in the actor's scope (not cached: a revocation changes it without touching the
    warnings, and the exemptions are few)."""
    with db.cursor() as cur:
        return exemptions.listing(cur, as_of, scope)


def grant_exemption(actor: Actor, rule: str, subject: str, until: dt.date, reason: str) -> int:
    """alerts.exemptions.grant as `actor` (ExemptionRefused says why not). Like acknowledge_warning it keeps the
    caches: the warning it resolves adds an event, which changes the warnings version."""
    with db.cursor() as cur:
        return exemptions.grant(cur, actor, rule, subject, until, reason)


def revoke_exemption(actor: Actor, exemption_id: int) -> None:
    """alerts.exemptions.revoke as `actor` (ExemptionRefused says why not); the warning opens again at the next
    evaluation."""
    with db.cursor() as cur:
        exemptions.revoke(cur, actor, exemption_id)


# ---- 项目库 and 项目详情 (pipelines.screens.project)

@st.cache_data(show_spinner=False, max_entries=32)
def stale_projects(as_of: dt.date, data_version: int) -> pd.DataFrame:
    """pipelines.figures.duty.stale_projects, cached per as-of day and data version."""
    with db.cursor() as cur:
        return duty.stale_projects(cur, as_of)


@st.cache_data(show_spinner=False, max_entries=32)
def warnings_as_of(as_of: dt.date, scope: str | None, warnings_version: tuple[int, str | None]) -> pd.DataFrame:
    """alerts.centre.latest_warnings (every warning open at the end of the day), cached per day, scope and
    warnings version."""
    with db.cursor() as cur:
        return centre.latest_warnings(cur, as_of, scope)


def library(as_of: dt.date, scope: str | None, data_version: int) -> pd.DataFrame:
    """pipelines.screens.project.library: the projects as of the day in the scope with their warnings then and their
    months behind, each part cached on its own key."""
    return project_screen.library(projects_as_of(as_of, scope, data_version), warnings_as_of(as_of, scope,
                                warnings_version()), stale_projects(as_of, data_version))


@st.cache_data(show_spinner=False, max_entries=64)
def _project_figures(code: str, actor: Actor, as_of: dt.date, data_version: int) -> dict:
    with db.cursor() as cur:
        return project_screen.project_figures(cur, code, actor, as_of)


@st.cache_data(show_spinner=False, max_entries=64)
def _project_warnings(code: str, scope: str | None, warnings_version: tuple[int, str | None]) -> pd.DataFrame:
    with db.cursor() as cur:
        return project_screen.project_warnings(cur, code, scope)


def project_page(code: str, actor: Actor, as_of: dt.date) -> project_screen.ProjectView:
    """pipelines.screens.project.project_view for `actor` (LookupError, OutOfScope as it raises them), cached: the
    project by data version, its warnings by warnings version."""
    figures = _project_figures(code, actor, as_of, facts()["data_version"])
    return project_screen.ProjectView(**figures, warnings=_project_warnings(code, actor.unit_scope, warnings_version()))
