"""督办 on the warnings' floor (DOMAIN §10): whether the warnings a task came from are still open, and the notices a
task sends besides its task_due warnings — a new task to its unit at once, the tasks due soon to their unit once a
day.

The notices go through alerts.notify like every message, and are logged in notification_log (rule `task_issued`
with the task's code, rule `task_due_soon` with 'unit:day'); that log is what keeps each sent once, whatever the
number of evaluations or restarts. A task back-filled from the paper record (dated more than a day before it was
written) is not announced: it is old news."""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

import duckdb

from alerts import notify
from alerts.rules import RULE_BY_ID
from pipelines.admin import tasks
from pipelines.settings import Settings, current
from pipelines.vocabulary import GRADE_LABELS

ISSUED, DUE_SOON = "task_issued", "task_due_soon"
# How long after it was written a new task may still be announced (a server down for longer skips it).
ANNOUNCE_WITHIN = dt.timedelta(days=1)


def source_warnings(con: duckdb.DuckDBPyConnection, task: tasks.Task) -> list[dict]:
    """Each warning the task came from, as it stands now: rule (name), subject, whether it is still open, its
    grade and detail (the latest warning of that rule and subject), and when it was resolved."""
    found = []
    for rule, subject in task.warnings:
        row = con.execute("SELECT grade, detail, resolved_at FROM warnings WHERE rule = ? AND subject = ? "
                          "ORDER BY resolved_at IS NULL DESC, id DESC LIMIT 1", [rule, subject]).fetchone()
        grade, detail, resolved_at = row if row else (None, None, None)
        found.append({"rule": rule, "rule_name": RULE_BY_ID[rule].name if rule in RULE_BY_ID else rule,
                      "subject": subject, "open": row is not None and resolved_at is None, "grade": grade,
                      "grade_label": GRADE_LABELS.get(grade, ""), "detail": detail, "resolved_at": resolved_at})
    return found


def _hearing(con: duckdb.DuckDBPyConnection, unit: str) -> list[notify.Channel]:
    """The channels that hear of a unit's tasks: its own, and those that hear everything (notify's routing of a
    warning of the unit that is not red: no leaders)."""
    return [c for c in notify.channels(con) if notify.reaches(c, {"unit": unit})]


def _task_line(task: tasks.Task, today: dt.date, base: str) -> str:
    mark = "（重要）" if task.important else ""
    line = (f"- **{task.code}**“{notify.as_text(task.title)}”{mark}：办理期限{task.deadline.month}月{task.deadline.day}日，"
            f"{tasks.time_left(task.deadline, today)}")
    address = notify.link(base, "tasks", code=task.code)
    return line + (f" [办理]({address})" if address else "")


def issued_message(task: tasks.Task, unit_name: str, today: dt.date, base: str = "") -> notify.Message:
    """The notice of a new task to its unit: what, by when, what is required, and the link to answer it."""
    summary = f"招商办向{notify.as_text(unit_name)}交办督办事项，请在办理期限内反馈办理情况。"
    lines = [_task_line(task, today, base)]
    if task.requirement:
        lines.append(f"- 办理要求：{notify.as_text(task.requirement)}")
    return notify.Message("task", f"招引智控督办事项：{notify.as_text(unit_name)}", summary, tuple(lines), (),
                          ((ISSUED, task.code, "new"),))


def due_soon_message(unit: str, unit_name: str, due: list[tasks.Task], today: dt.date,
                     base: str = "") -> notify.Message:
    """The daily notice to a unit of its open tasks due within [tasks] remind_days."""
    summary = f"{notify.as_text(unit_name)}有 {len(due)} 件督办事项即将到期，请按期反馈办理情况。"
    return notify.Message("task", f"招引智控督办临期提醒（{today:%Y-%m-%d}）", summary,
                          tuple(_task_line(t, today, base) for t in due), (),
                          ((DUE_SOON, f"{unit}:{today.isoformat()}", "due_soon"),))


def _logged(con: duckdb.DuckDBPyConnection, rule: str, subject: str) -> bool:
    return con.execute("SELECT count(*) FROM notification_log WHERE rule = ? AND subject = ?",
                       [rule, subject]).fetchone()[0] > 0


def _unit_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("SELECT code, name FROM units").fetchall())


def announce_new(con: duckdb.DuckDBPyConnection, settings: Settings | None = None, now: dt.datetime | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> dict:
    """Tell each task written in the last day, still open and not yet announced, to its unit's channels. Returns
    {"announced": [codes], "sent", "failed", "logged_dry_run"}."""
    settings = settings or current()
    now = now or dt.datetime.now()
    result = {"announced": [], "sent": 0, "failed": 0, "logged_dry_run": 0}
    fresh = con.execute(
        "SELECT task_code FROM task_actions a WHERE action = 'issue' AND recorded_at >= $since "
        "AND acted_at >= recorded_at - INTERVAL 1 DAY AND NOT EXISTS (SELECT 1 FROM notification_log l "
        "WHERE l.rule = $rule AND l.subject = a.task_code) ORDER BY task_code",
        {"since": now - ANNOUNCE_WITHIN, "rule": ISSUED}).fetchall()
    names = _unit_names(con) if fresh else {}
    for (code,) in fresh:
        task = tasks.find(con, code)
        if task is None or task.state not in ("open", "responded"):
            continue
        targets = _hearing(con, task.unit)
        if not targets:
            continue
        message = issued_message(task, names.get(task.unit, task.unit), now.date(), settings.server.public_url)
        summary = notify.deliver_message(con, targets, message, settings, sleep)
        result["announced"].append(code)
        for key in ("sent", "failed", "logged_dry_run"):
            result[key] += summary[key]
    return result


def remind_due_soon(con: duckdb.DuckDBPyConnection, as_of: dt.date, settings: Settings | None = None,
                    sleep: Callable[[float], None] = time.sleep) -> dict:
    """Tell each unit with open tasks due soon (§10: 0 … remind_days days to the deadline) of them, once a day.
    Returns {"reminded": [unit codes], "sent", "failed", "logged_dry_run"}."""
    settings = settings or current()
    remind_days = settings.tasks.remind_days
    by_unit: dict[str, list[tasks.Task]] = {}
    for task in tasks.tasks_as_of(con, as_of):
        if task.due_soon(as_of, remind_days):
            by_unit.setdefault(task.unit, []).append(task)
    result = {"reminded": [], "sent": 0, "failed": 0, "logged_dry_run": 0}
    names = _unit_names(con) if by_unit else {}
    for unit, due in sorted(by_unit.items()):
        targets = _hearing(con, unit)
        if not targets or _logged(con, DUE_SOON, f"{unit}:{as_of.isoformat()}"):
            continue
        message = due_soon_message(unit, names.get(unit, unit), due, as_of, settings.server.public_url)
        summary = notify.deliver_message(con, targets, message, settings, sleep)
        result["reminded"].append(unit)
        for key in ("sent", "failed", "logged_dry_run"):
            result[key] += summary[key]
    return result
