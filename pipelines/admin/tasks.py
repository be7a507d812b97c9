"""督办事项 (DOMAIN §10): tasks an admin issues to a unit with a deadline, kept as an append-only list of dated
actions (table task_actions) and replayed as of any day.

`act` is the one writer: it checks who may take the action, the task's state, the required text and the date, and
refuses with a reason in Chinese (TaskRefused) before anything is written; every action it writes is audit-logged
in the same transaction. `tasks_as_of` replays the actions dated up to the end of a day into each task's state,
deadline in force, standing answer, 临期 and 逾期."""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb

from pipelines.access import Actor
from pipelines.admin import vetoes
from pipelines.months import in_range
from pipelines.settings import Settings, current
from pipelines.store import db

ACTIONS = ("issue", "respond", "return", "close", "cancel", "extend")
STATES = ("open", "responded", "closed", "cancelled")
SOURCES = ("warning", "issue", "manual")
ACTION_LABELS = {"issue": "交办", "respond": "反馈办理情况", "return": "退回", "close": "办结", "cancel": "撤销",
                 "extend": "延期"}
STATE_LABELS = {"open": "办理中", "responded": "已反馈待审核", "closed": "已办结", "cancelled": "已撤销"}
SOURCE_LABELS = {"warning": "预警", "issue": "存在问题", "manual": "手工交办"}
# From which states each action may be taken, and the state it leaves (None: unchanged).
_MOVES: dict[str, tuple[tuple[str, ...], str | None]] = {
    "respond": (("open",), "responded"),
    "return": (("responded",), "open"),
    "close": (("responded",), "closed"),
    "cancel": (("open", "responded"), "cancelled"),
    "extend": (("open", "responded"), None),
}
# The text each action must carry, and what it is called in a refusal (None: optional).
_TEXT = {"respond": "办理情况", "return": "退回理由", "cancel": "撤销理由", "extend": "延期理由", "close": None}
_listeners: list[Callable[[str, str], None]] = []
_log = logging.getLogger(__name__)


class TaskRefused(ValueError):
    """An action that may not be taken: the reason in Chinese; nothing was written. `status` says what kind of
    refusal it is, as HTTP would: 400 bad input, 403 not this user's to take, 404 no such task, 409 wrong state."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.status = status


@dataclass
class Task:
    """One 督办事项 as of a day: its issue fields, state, deadline in force, standing answer and history."""

    code: str
    title: str
    requirement: str
    unit: str
    project: str | None
    source: str
    source_rule: str | None
    source_subject: str | None
    source_period: dt.date | None
    important: bool
    issued_at: dt.datetime
    deadline: dt.date
    state: str = "open"
    answered_at: dt.datetime | None = None  # the standing answer: the latest respond not followed by a return
    answer: str | None = None
    last_acted_at: dt.datetime | None = None
    history: list[dict] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # the (rule, subject) of each source warning

    def due_soon(self, as_of: dt.date, remind_days: int) -> bool:
        """临期: open, and its deadline 0 … remind_days days after `as_of`."""
        return self.state == "open" and 0 <= (self.deadline - as_of).days <= remind_days

    def late(self, as_of: dt.date) -> bool:
        """逾期: `as_of` is after the deadline, the task is not cancelled, and it has no standing answer or that was
        made after the end of the deadline day (an answer in time that waits for the admin is not late)."""
        if as_of <= self.deadline or self.state == "cancelled":
            return False
        return self.answered_at is None or self.answered_at.date() > self.deadline

    def as_json(self, as_of: dt.date, remind_days: int) -> dict:
        """The task as DOMAIN §9 lists it."""
        return {"code": self.code, "title": self.title, "unit": self.unit, "project": self.project,
                "source": self.source, "important": self.important, "issued_at": self.issued_at.isoformat(),
                "deadline": self.deadline.isoformat(), "state": self.state,
                "due_soon": self.due_soon(as_of, remind_days), "late": self.late(as_of),
                "answered_at": None if self.answered_at is None else self.answered_at.isoformat()}


_COLUMNS = ("id", "task_code", "action", "acted_at", "actor", "actor_role", "title", "requirement", "unit_code",
            "project_code", "source", "source_rule", "source_subject", "source_period", "important", "deadline", "text")


def _actions(con: duckdb.DuckDBPyConnection, until: dt.datetime | None, code: str | None = None) -> list[dict]:
    """The actions dated before `until` (None: all), of task `code` when given, in the order they count."""
    rows = con.execute(
        f"SELECT {', '.join(_COLUMNS)} FROM task_actions WHERE ($until IS NULL OR acted_at < $until)"
        " AND ($code IS NULL OR task_code = $code) ORDER BY acted_at, id", {"until": until, "code": code}).fetchall()
    return [dict(zip(_COLUMNS, row)) for row in rows]


def _replay(actions: list[dict]) -> dict[str, Task]:
    """Each task as its actions (in order) make it."""
    tasks: dict[str, Task] = {}
    for a in actions:
        code = a["task_code"]
        if a["action"] == "issue":
            tasks[code] = Task(code, a["title"], a["requirement"] or "", a["unit_code"], a["project_code"],
                               a["source"], a["source_rule"], a["source_subject"], a["source_period"],
                               bool(a["important"]), a["acted_at"], a["deadline"])
        task = tasks.get(code)
        if task is None:
            continue
        if a["action"] == "respond":
            task.answered_at, task.answer = a["acted_at"], a["text"]
        elif a["action"] == "return":
            task.answered_at, task.answer = None, None
        elif a["action"] == "extend":
            task.deadline = a["deadline"]
        moved = _MOVES.get(a["action"], ((), None))[1]
        if moved is not None:
            task.state = moved
        task.last_acted_at = a["acted_at"]
        task.history.append({"action": a["action"], "label": ACTION_LABELS[a["action"]], "at": a["acted_at"],
                             "actor": a["actor"], "text": a["text"], "deadline": a["deadline"]})
    return tasks


def time_left(deadline: dt.date, today: dt.date) -> str:
    """The time left to a task's deadline in words: '还剩3天', '今天到期', '已逾期2天'."""
    days = (deadline - today).days
    return f"已逾期{-days}天" if days < 0 else ("今天到期" if days == 0 else f"还剩{days}天")


def _end_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time())


def _with_warnings(con: duckdb.DuckDBPyConnection, tasks: dict[str, Task], code: str | None = None) -> dict[str, Task]:
    """The tasks with the source warnings each names (task_warnings; a task issued from one warning before that
    table existed names its source_rule/source_subject)."""
    for task_code, rule, subject in con.execute(
            "SELECT task_code, rule, subject FROM task_warnings WHERE $code IS NULL OR task_code = $code "
            "ORDER BY task_code, rule, subject", {"code": code}).fetchall():
        if task_code in tasks:
            tasks[task_code].warnings.append((rule, subject))
    for task in tasks.values():
        if task.source == "warning" and not task.warnings and task.source_rule:
            task.warnings.append((task.source_rule, task.source_subject))
    return tasks


def tasks_as_of(con: duckdb.DuckDBPyConnection, as_of: dt.date, unit: str | None = None) -> list[Task]:
    """Every task as known at the end of `as_of` (one issued later does not exist yet), of `unit` when given, by
    code."""
    tasks = _with_warnings(con, _replay(_actions(con, _end_of(as_of)))).values()
    return sorted((t for t in tasks if unit is None or t.unit == unit), key=lambda t: t.code)


def find(con: duckdb.DuckDBPyConnection, code: str, scope: str | None = None) -> Task | None:
    """Task `code` as it stands now, with every action taken on it; None when there is none, or when it is not of
    `scope` (a unit user's unit: another unit's task is not shown to exist)."""
    task = _with_warnings(con, _replay(_actions(con, None, code)), code).get(code)
    return None if task is None or (scope is not None and task.unit != scope) else task


def listing(con: duckdb.DuckDBPyConnection, as_of: dt.date, scope: str | None = None,
            settings: Settings | None = None) -> dict:
    """`python -m pipelines.tasks --json` and GET /api/tasks: {"as_of", "tasks": [...]} in `scope` (a unit user's
    unit; None: every unit)."""
    remind_days = (settings or current()).tasks.remind_days
    return {"as_of": as_of.isoformat(),
            "tasks": [t.as_json(as_of, remind_days) for t in tasks_as_of(con, as_of, scope)]}


def _next_code(con: duckdb.DuckDBPyConnection, year: int) -> str:
    """督办 codes run per year: DB2026-001, DB2026-002, …"""
    prefix = f"DB{year}-"
    found = con.execute("SELECT count(DISTINCT task_code) FROM task_actions WHERE task_code LIKE $p",
                        {"p": prefix + "%"}).fetchone()[0]
    return f"{prefix}{found + 1:03d}"


def _when(actor: Actor, at: dt.datetime | None, now: dt.datetime, previous: dt.datetime | None) -> dt.datetime:
    """The moment the action counts: now, or for an admin a moment in the past (back-filling the paper record),
    never later than now nor earlier than the task's previous action."""
    if at is None:
        at = now
    elif actor.role != "admin":
        raise TaskRefused("只有管理员可以补录以前日期的督办操作", 403)
    if at > now:
        raise TaskRefused(f"操作时间 {at:%Y-%m-%d %H:%M} 晚于现在，不能预先登记")
    if not in_range(at):
        raise TaskRefused(f"操作时间 {at:%Y-%m-%d} 超出可用的日期范围")
    if previous is not None and at < previous:
        raise TaskRefused(f"操作时间 {at:%Y-%m-%d %H:%M} 早于该事项上一次操作（{previous:%Y-%m-%d %H:%M}），请按先后顺序登记")
    return at


def _text(value: object) -> str:
    return str(value or "").strip()


def issue(con: duckdb.DuckDBPyConnection, actor: Actor, *, title: str, unit: str, deadline: dt.date,
          requirement: str = "", project: str | None = None, source: str = "manual", source_rule: str | None = None,
          source_subject: str | None = None, source_period: dt.date | None = None, important: bool = False,
          warnings: list[tuple[str, str]] | None = None, at: dt.datetime | None = None,
          now: dt.datetime | None = None) -> Task:
    """Issue a task (admins only) and return it as it stands after; TaskRefused, nothing written, when a field is
    missing or wrong. A task from several warnings names them all in `warnings` ((rule, subject) pairs; the first
    is its source_rule/source_subject unless those are given)."""
    now = now or dt.datetime.now()
    if actor.role != "admin":
        raise TaskRefused("只有管理员可以交办督办事项", 403)
    title, requirement = _text(title), _text(requirement)
    if not title:
        raise TaskRefused("请填写督办事项的标题")
    if source not in SOURCES:
        raise TaskRefused(f"来源须为 {'、'.join(SOURCES)} 之一")
    sources = list(dict.fromkeys((str(r), str(s)) for r, s in (warnings or []) if r and s))
    if source == "warning" and not (source_rule and source_subject) and sources:
        source_rule, source_subject = sources[0]
    if source == "warning" and not (source_rule and source_subject):
        raise TaskRefused("由预警交办的事项须注明预警规则和对象")
    if sources and source != "warning":
        raise TaskRefused("只有来源为预警的事项才能关联预警")
    if source == "warning":
        sources = list(dict.fromkeys([(source_rule, source_subject), *sources]))
    if source == "issue" and not (project and source_period):
        raise TaskRefused("由存在问题交办的事项须注明项目和报告期")
    if con.execute("SELECT count(*) FROM units WHERE code = $u", {"u": unit}).fetchone()[0] == 0:
        raise TaskRefused(f"责任单位“{unit}”不在单元名录中")
    if project and con.execute("SELECT count(*) FROM projects WHERE code = $p", {"p": project}).fetchone()[0] == 0:
        raise TaskRefused(f"项目“{project}”不存在")
    if not isinstance(deadline, dt.date) or not in_range(deadline):
        raise TaskRefused("请填写有效的办理期限（截止日期）")
    when = _when(actor, at, now, None)
    if deadline < when.date():
        raise TaskRefused(f"办理期限 {deadline:%Y-%m-%d} 早于交办日期 {when:%Y-%m-%d}")
    with db.transaction(con):
        code = _next_code(con, when.year)
        _write(con, actor, code, "issue", when, now, title=title, requirement=requirement, unit_code=unit,
               project_code=project or None, source=source, source_rule=source_rule, source_subject=source_subject,
               source_period=source_period, important=bool(important), deadline=deadline)
        if sources:
            con.executemany("INSERT INTO task_warnings VALUES (?, ?, ?)", [[code, r, s] for r, s in sources])
    _tell(code, "issue")
    return find(con, code)


def act(con: duckdb.DuckDBPyConnection, actor: Actor, code: str, action: str, *, text: str | None = None,
        deadline: dt.date | None = None, at: dt.datetime | None = None, now: dt.datetime | None = None) -> Task:
    """Take `action` (respond, return, close, cancel, extend) on task `code` as `actor` and return the task as it
    stands after. Refused (TaskRefused, nothing written) for an unknown task or action, the wrong role or unit, the
    wrong state, a missing text or deadline, or a date in the future or before the task's previous action."""
    now = now or dt.datetime.now()
    if action not in _MOVES:
        raise TaskRefused(f"不支持的操作“{action}”：可以是 {'、'.join(f'{a}（{ACTION_LABELS[a]}）' for a in _MOVES)}")
    task = find(con, code)
    if task is None:
        raise TaskRefused(f"督办事项 {code} 不存在", 404)
    if action == "respond":
        if actor.role == "leader" or (actor.role == "unit" and actor.unit_code != task.unit):
            raise TaskRefused("只有责任单位的用户或管理员可以反馈办理情况", 403)
    elif actor.role != "admin":
        raise TaskRefused(f"只有管理员可以{ACTION_LABELS[action]}督办事项", 403)
    allowed, _ = _MOVES[action]
    if task.state not in allowed:
        raise TaskRefused(f"督办事项 {code} 当前为“{STATE_LABELS[task.state]}”，不能{ACTION_LABELS[action]}", 409)
    text = _text(text)
    if _TEXT[action] and not text:
        raise TaskRefused(f"请填写{_TEXT[action]}")
    if action == "extend":
        if not isinstance(deadline, dt.date) or not in_range(deadline):
            raise TaskRefused("延期须填写新的办理期限（截止日期）")
        if deadline <= task.deadline:
            raise TaskRefused(f"新的办理期限须晚于当前期限 {task.deadline:%Y-%m-%d}")
    when = _when(actor, at, now, task.last_acted_at)
    with db.transaction(con):
        _write(con, actor, code, action, when, now, text=text or None,
               deadline=deadline if action == "extend" else None)
    _tell(code, action)
    return find(con, code)


def on_acted(listener: Callable[[str, str], None]) -> Callable[[], None]:
    """Call listener(code, action) after every action written in this process (the scheduler then evaluates the
    warnings and announces a new task at once); return the function that stops it."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener) if listener in _listeners else None


def _tell(code: str, action: str) -> None:
    for listener in list(_listeners):
        try:
            listener(code, action)
        except Exception:  # a listener's trouble must not make a written action look failed
            _log.exception("listener %r failed after %s of %s", listener, action, code)


def _write(con: duckdb.DuckDBPyConnection, actor: Actor, code: str, action: str, when: dt.datetime,
           now: dt.datetime, **fields: object) -> None:
    values = {"task_code": code, "action": action, "acted_at": when, "recorded_at": now, "actor": actor.name,
              "actor_role": actor.role, **fields}
    names = ", ".join(values)  # column names from this module's own keywords
    con.execute(f"INSERT INTO task_actions ({names}) VALUES ({', '.join('$' + n for n in values)})", values)
    db.audit(con, actor.name, f"task.{action}", code,
             {k: v for k, v in values.items() if v is not None and k not in ("task_code", "actor", "recorded_at")})


# ---- 一票否优 proposals (DOMAIN §10) ----------------------------------------------------------------------------

def _decided(con: duckdb.DuckDBPyConnection, year: int, by: dt.date | None) -> dict[str, set[str]]:
    """unit → the task codes the admins' decisions on its proposals of `year` covered, those decided by the end of
    `by` (None: all)."""
    covered: dict[str, set[str]] = {}
    for unit, codes in con.execute("SELECT unit_code, task_codes FROM veto_decisions WHERE year = $y "
                                   "AND ($by IS NULL OR decided_at < CAST($by AS DATE) + INTERVAL 1 DAY)",
                                   {"y": year, "by": by}).fetchall():
        covered.setdefault(unit, set()).update(codes)
    return covered


def veto_proposals(con: duckdb.DuckDBPyConnection, as_of: dt.date, year: int | None = None,
                   known: list[Task] | None = None, decided_by: dt.date | None = None) -> list[dict]:
    """The units proposed for 一票否优 of `year` (default the year of `as_of`) at the end of `as_of`: an important task
    with its deadline in the year is late and no admin had decided on it by the end of `decided_by` (None: by now,
    every decision made; a report reproducing an earlier day passes its knowledge day). Each {"unit", "tasks":
    [Task]}. `known` may pass tasks_as_of(con, as_of) when the caller has it."""
    year = year or as_of.year
    covered = _decided(con, year, decided_by)
    found: dict[str, list[Task]] = {}
    for task in tasks_as_of(con, as_of) if known is None else known:
        if task.important and task.deadline.year == year and task.late(as_of) \
                and task.code not in covered.get(task.unit, set()):
            found.setdefault(task.unit, []).append(task)
    return [{"unit": unit, "tasks": listed} for unit, listed in sorted(found.items())]


def decide_veto(con: duckdb.DuckDBPyConnection, actor: Actor, unit: str, decision: str, as_of: dt.date, *,
                reason: str = "", year: int | None = None, now: dt.datetime | None = None) -> None:
    """Confirm (it becomes the unit's 一票否优 of the year, its reason the tasks) or dismiss (with a reason) the
    proposal for `unit` as it stands at the end of `as_of`; audited. TaskRefused when there is none, for a
    non-admin, or a dismissal without a reason."""
    if actor.role != "admin":
        raise TaskRefused("只有管理员可以确认或驳回一票否优建议", 403)
    year = year or as_of.year
    proposal = next((p for p in veto_proposals(con, as_of, year) if p["unit"] == unit), None)
    if proposal is None:
        raise TaskRefused(f"单元 {unit} 在 {year} 年没有待处理的一票否优建议", 404)
    if decision not in ("confirmed", "dismissed"):
        raise TaskRefused("只能确认或驳回一票否优建议")
    reason = _text(reason)
    if decision == "dismissed" and not reason:
        raise TaskRefused("驳回一票否优建议须写明理由")
    listed = "；".join(f"{t.code}“{t.title}”（期限{t.deadline:%Y-%m-%d}）" for t in proposal["tasks"])
    because = f"督办事项逾期：{listed}" + (f"。{reason}" if reason else "")
    now = now or dt.datetime.now()
    with db.transaction(con):
        con.execute("INSERT INTO veto_decisions VALUES ($y, $u, $d, $r, $codes, $by, $at)",
                    {"y": year, "u": unit, "d": decision, "r": because if decision == "confirmed" else reason,
                     "codes": [t.code for t in proposal["tasks"]], "by": actor.name, "at": now})
        db.audit(con, actor.name, f"veto.{decision}", unit, {"year": year, "tasks": [t.code for t in proposal["tasks"]],
                                                               "reason": reason})
        if decision == "confirmed":
            vetoes.write_veto(con, actor, year, unit, because, now)
