"""预警中心 (issue 6): the warnings as people work with them — the open ones by grade, rule and unit with their
age, the resolved ones with how long they lasted, one warning's history, acknowledgement with a note, the header
counts, the scheduler's state and the notification log — each read in the reader's scope.

Scope: a unit user reads only its own unit's warnings and the log of its own unit's channels; admins and leaders
read every unit's. Who may acknowledge is `may_acknowledge`: admins (the 招商办 follows every warning up) and the
users of the warning's own unit; leaders are read-only (DOMAIN §1), so they may not. The scheduler's state is the
招商办's and the leaders' concern, not a unit's.

Nothing here decides what a warning is: the rules are alerts.rules, a warning's life alerts.evaluate, the jobs
alerts.scheduler, delivery alerts.notify. Each query is pipelines/store/sql/warning_<what>.sql."""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass

import duckdb
import pandas as pd

from alerts import channels, scheduler
from alerts.evaluate import acknowledge
from alerts.rules import RULE_BY_ID
from pipelines.access import Actor, OutOfScope
from pipelines.figures.assessment import ITEM_LABELS
from pipelines.store import db, queries
from pipelines.vocabulary import GRADE_LABELS, RED

# The longest acknowledgement note kept (characters).
NOTE_MAX_CHARS = 500
EVENT_LABELS = {"new": "新增", "escalated": "升级为红", "deescalated": "降为黄", "resolved": "已解除",
                "acknowledged": "已确认", "exempted": "已豁免"}
# How a scheduler job's run ended (scheduler_runs.outcome).
RUN_OUTCOME_LABELS = {"ok": "成功", "failed": "失败", "running": "运行中"}
DIGEST = "digest"  # the rule, subject kind and change notify.digest logs for the daily digest
JOB_LABELS = {scheduler.EVALUATE: "定时评估预警", scheduler.AFTER_LOAD: "载入后评估预警", scheduler.DAILY: "每日预警汇总",
              scheduler.INBOX: "收件箱载入", "scheduler": "调度器启动"}
# The counts a run records (alerts.scheduler), as they are read out; nested ones are the deliveries' outcomes.
_COUNT_LABELS = {"new": "新增", "escalated": "升级", "deescalated": "降级", "resolved": "解除", "exempted": "豁免",
                 "open": "在办", "unreported_units": "未报送单元", "loaded": "载入", "duplicate": "重复", "rejected": "退回",
                 "pid": "进程", "notifications": "通知", "digest": "汇总", "sent": "发送", "failed": "失败",
                 "logged_dry_run": "演练", "redelivered": "补发"}
_ALWAYS_SHOWN = {"open", "pid"}  # shown even when 0


def _chosen(values: Iterable[str] | None) -> list[str] | None:
    """A filter's choices as a bound list; None (no filter) when nothing is chosen."""
    return list(values) if values else None


def _named(found: pd.DataFrame) -> pd.DataFrame:
    """Add the Chinese names of a warnings frame's rule and grade."""
    found["rule_name"] = found["rule"].map(lambda rule: RULE_BY_ID[rule].name)
    found["grade_label"] = found["grade"].map(GRADE_LABELS)
    return found


def _labelled(found: pd.DataFrame) -> pd.DataFrame:
    """Add the Chinese names of a warnings frame's rule and grade, what it is about (subject_label: the project
    code, or the assessment item of a unit rule) and project_code (None for unit rules)."""
    _named(found)
    about_project = found["rule"].map(lambda rule: RULE_BY_ID[rule].subject_kind == "project")
    item = found["subject"].str.split(":").str[-1].map(ITEM_LABELS)
    found["subject_label"] = found["subject"].where(about_project, item.fillna(found["subject"]))
    found["project_code"] = found["subject"].where(about_project, None)
    return found


def open_warnings(con: duckdb.DuckDBPyConnection, scope: str | None, *, grades: Iterable[str] = (),
                  rules: Iterable[str] = (), units: Iterable[str] = (), today: dt.date | None = None) -> pd.DataFrame:
    """The open warnings of `scope` (a unit code; None: every unit), of the chosen grades, rules and units (none
    chosen: all), red first then the longest-standing: id, rule and rule_name, subject, subject_label, project_code,
    unit_code and unit_name, grade and grade_label, since, days_open (days from `since` to `today`), detail, first
    and last seen, and the latest acknowledgement (acknowledged_by, its display name, acknowledged_at, ack_note)."""
    found = queries.frame(con, "warning_open", scope=scope, grades=_chosen(grades), rules=_chosen(rules),
                          units=_chosen(units), today=today or dt.date.today())
    return _labelled(found)


def resolved_warnings(con: duckdb.DuckDBPyConnection, scope: str | None, *, grades: Iterable[str] = (),
                      rules: Iterable[str] = (), units: Iterable[str] = (), resolved_from: dt.date | None = None,
                      limit: int = 500) -> pd.DataFrame:
    """The resolved warnings of `scope`, resolved on or after `resolved_from` (None: ever), of the chosen worst
    grades (red: it was red at some time), rules and units, latest resolved first, at most `limit`: the columns of
    open_warnings but days_open, plus worst_grade and its label, resolved_at and duration_days (first seen to
    resolved)."""
    found = queries.frame(con, "warning_resolved", scope=scope, grades=_chosen(grades), rules=_chosen(rules),
                          units=_chosen(units), resolved_from=resolved_from, limit=limit)
    found = _labelled(found)
    found["worst_grade_label"] = found["worst_grade"].map(GRADE_LABELS)
    return found


def subject_warnings(con: duckdb.DuckDBPyConnection, subject: str, scope: str | None) -> pd.DataFrame:
    """Every warning, open or resolved, about `subject` (a project code) in `scope`: open ones first (red before
    yellow), then the latest resolved; the columns of open_warnings but days_open and last_seen, plus resolved_at."""
    return _labelled(queries.frame(con, "warning_subject", subject=subject, scope=scope))


def _warning_unit(con: duckdb.DuckDBPyConnection, warning_id: int) -> tuple[str | None, dt.datetime | None]:
    """The warning's unit and when it was resolved (None: open); LookupError when there is no such warning."""
    found = queries.rows(con, "warning_unit", warning_id=warning_id)
    if not found:
        raise LookupError("该预警不存在。")
    return found[0]


def warning_history(con: duckdb.DuckDBPyConnection, warning_id: int, scope: str | None) -> pd.DataFrame:
    """What happened to one warning, in order: happened_at, event and event_label (新增, 升级为红, 降为黄, 已确认,
    已解除), grade and grade_label, detail (for an acknowledgement, its note) and who acknowledged (who, who_name).
    OutOfScope when the warning is another unit's than a unit user's own; LookupError when there is none."""
    unit_code, _ = _warning_unit(con, warning_id)
    if scope is not None and unit_code != scope:
        raise OutOfScope("单元用户只能查看本单元的预警。")
    events = queries.frame(con, "warning_history", warning_id=warning_id)
    events["event_label"] = events["event"].map(EVENT_LABELS)
    events["grade_label"] = events["grade"].map(GRADE_LABELS)
    return events


def may_acknowledge(actor: Actor, unit_code: str | None) -> bool:
    """Whether `actor` may acknowledge a warning of `unit_code`: an admin any, a unit user its own unit's; a leader
    none (read-only, DOMAIN §1)."""
    return actor.role == "admin" or (actor.role == "unit" and unit_code is not None and unit_code == actor.unit_code)


def acknowledge_as(con: duckdb.DuckDBPyConnection, actor: Actor, warning_id: int, note: str,
                   now: dt.datetime | None = None) -> None:
    """`actor` acknowledges an open warning with a note (required, at most NOTE_MAX_CHARS): alerts.evaluate records
    it on the warning and in its events, and the audit log records who. ValueError for a missing or overlong note,
    LookupError for no such or a resolved warning, OutOfScope when `actor` may not acknowledge it (may_acknowledge);
    nothing is written then."""
    note = (note or "").strip()
    if not note:
        raise ValueError("请填写处理说明。")
    if len(note) > NOTE_MAX_CHARS:
        raise ValueError(f"处理说明不能超过 {NOTE_MAX_CHARS} 字。")
    unit_code, resolved_at = _warning_unit(con, warning_id)
    if not may_acknowledge(actor, unit_code):
        raise OutOfScope("领导为只读身份，不能确认预警。" if actor.role == "leader" else "只能确认本单元的预警。")
    if resolved_at is not None:
        raise LookupError("该预警已解除，无需确认。")
    acknowledge(con, warning_id, actor.name, note, now)
    db.audit(con, actor.name, "warning.acknowledged", str(warning_id), {"note": note})


def warning_counts(con: duckdb.DuckDBPyConnection, scope: str | None, today: dt.date | None = None) -> dict:
    """The warning centre's header for `scope` as of `today`: open red and yellow warnings, open ones nobody has
    acknowledged, warnings first seen today, warnings resolved this week (since Monday), failed notification
    attempts this week to the scope's channels, and when the rules were last evaluated (None: never)."""
    today = today or dt.date.today()
    cur = con.execute(queries.sql("warning_counts"),
                      {"scope": scope, "today": today, "week_start": today - dt.timedelta(days=today.weekday())})
    names = [d[0] for d in cur.description]
    return dict(zip(names, cur.fetchone()))


def notification_log(con: duckdb.DuckDBPyConnection, scope: str | None, *, failed_first: bool = False,
                     failed_only: bool = False, limit: int = 200) -> pd.DataFrame:
    """The latest `limit` attempts to send notifications through the channels `scope` hears (a unit user: its own
    unit's channels; None: all), failures first when asked, else newest first: attempted_at, channel (name, kind and
    its label, audience; never its secret or address), rule and rule_name (每日汇总 for the digest), subject, change
    and change_label, attempt, outcome and outcome_label, error, payload (the JSON sent or, in dry-run, not sent;
    an e-mail's holds its recipients, so pages do not show it)."""
    log = queries.frame(con, "warning_notifications", scope=scope, failed_first=failed_first,
                        outcomes=["failed"] if failed_only else None, limit=limit)
    log["rule_name"] = log["rule"].map(lambda rule: "每日汇总" if rule == DIGEST else RULE_BY_ID[rule].name
                                       if rule in RULE_BY_ID else rule)
    log["change_label"] = log["change"].map(lambda change: "汇总" if change == DIGEST else EVENT_LABELS.get(change,
                                                                                                          change))
    log["outcome_label"] = log["outcome"].map(channels.OUTCOME_LABELS)
    log["channel_kind_label"] = log["channel_kind"].map(channels.KIND_LABELS)
    return log


def run_summary(counts: dict | None) -> str:
    """A run's counts in Chinese, the non-zero ones (and always the open warnings and the process):
    '新增 3 · 解除 1 · 在办 138 · 通知（演练 2）'; '' for a run without counts (failed or still running)."""
    if not counts:
        return ""
    parts = []
    for key, value in counts.items():
        if isinstance(value, dict):
            inner = run_summary({k: v for k, v in value.items() if k in _COUNT_LABELS})
            if inner:
                parts.append(f"{_COUNT_LABELS.get(key, key)}（{inner}）")
        elif key in _COUNT_LABELS and isinstance(value, int) and (value or key in _ALWAYS_SHOWN):
            parts.append(f"{_COUNT_LABELS[key]} {value}")
    return " · ".join(parts)


@dataclass(frozen=True)
class SchedulerState:
    """What the background jobs are doing, as the warning centre shows it."""

    running: bool  # whether this process's scheduler runs (the server's, or python -m alerts' in that process)
    scheduler_id: str | None
    jobs: pd.DataFrame  # one row per job: job_id, job_label, next_run (None when not scheduled here), the latest
    #                     run (started_at, finished_at, outcome and its label, summary, error)
    runs: pd.DataFrame  # the latest runs, newest first: id, job_id, job_label, started_at, finished_at, seconds,
    #                     outcome and outcome_label, as_of, summary, error
    last_error: dict | None  # the latest failed run: job_label, started_at, error, and recovered (a later run of
    #                          the same job went well)
    last_start: dict | None  # the latest start of a scheduler: started_at, scheduler_id, pid


def _runs_frame(found: pd.DataFrame) -> pd.DataFrame:
    found["counts"] = found["counts"].map(lambda text: json.loads(text) if isinstance(text, str) and text else None)
    found["job_label"] = found["job_id"].map(lambda job: JOB_LABELS.get(job, job))
    found["outcome_label"] = found["outcome"].map(RUN_OUTCOME_LABELS)
    found["summary"] = found["counts"].map(run_summary)
    found["seconds"] = (found["finished_at"] - found["started_at"]).dt.total_seconds()
    return found


def scheduler_state(con: duckdb.DuckDBPyConnection, scope: str | None, runs: int = 20) -> SchedulerState:
    """The scheduler of this process (running, next run of each job), the latest `runs` runs from the run log, each
    job's latest run and the latest failure; OutOfScope for a unit user (scope set)."""
    if scope is not None:
        raise OutOfScope("调度任务状态仅招商办和领导可见。")
    live = scheduler.status(con, runs=0)
    log = _runs_frame(queries.frame(con, "warning_job_runs", runs=runs))
    latest = log[log["latest_of_job"]].set_index("job_id")
    next_runs = {job["id"]: job["next_run"] for job in live["jobs"]}
    job_ids = [job for job in JOB_LABELS if job != "scheduler" and (job in next_runs or job in latest.index)]
    run_columns = ["started_at", "finished_at", "outcome", "outcome_label", "summary", "error"]
    jobs = pd.DataFrame([{"job_id": job, "job_label": JOB_LABELS[job],
                          "next_run": pd.Timestamp(next_runs[job]) if next_runs.get(job) else None,
                          **(latest.loc[job, run_columns].to_dict() if job in latest.index
                             else dict.fromkeys(run_columns))} for job in job_ids],
                        columns=["job_id", "job_label", "next_run", *run_columns])
    last_error = None
    failures = log[log["latest_failure"]]
    if len(failures):
        failure = failures.iloc[0]
        last_error = {"job_label": failure["job_label"], "started_at": failure["started_at"],
                      "error": failure["error"], "recovered": bool(failure["recovered"])}
    last_start = None
    if "scheduler" in latest.index:
        start = latest.loc["scheduler"]
        last_start = {"started_at": start["started_at"], "scheduler_id": start["scheduler_id"],
                      "pid": (start["counts"] or {}).get("pid")}
    recent = log[log["recent"]][["id", "job_id", "job_label", "started_at", "finished_at", "seconds", "outcome",
                                 "outcome_label", "as_of", "summary", "error"]].reset_index(drop=True)
    return SchedulerState(live["running"], live["scheduler_id"], jobs, recent, last_error, last_start)


def latest_warnings(con: duckdb.DuckDBPyConnection, as_of: dt.date, scope: str | None) -> pd.DataFrame:
    """Every warning open at the end of `as_of` (only the scope unit's when given), red first, then the most
    recently raised or regraded: rule and its name, subject, unit, grade and its label, since, detail."""
    found = _named(queries.frame(con, "warnings_as_of", as_of=as_of, unit=scope))
    found["red"] = found["grade"] == RED
    ordered = found.sort_values(["red", "changed_at", "since", "id"], ascending=False)
    return ordered.drop(columns="red").reset_index(drop=True)


def warnings_version(con: duckdb.DuckDBPyConnection) -> tuple[int, str | None]:
    """A value that changes whenever the warnings do (events written, evaluation refreshed): keys caches."""
    events, last_seen = queries.rows(con, "warnings_version")[0]
    return int(events), None if last_seen is None else last_seen.isoformat()
