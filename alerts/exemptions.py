"""Warning exemptions (豁免, DOMAIN §8): an admin exempts one (rule, subject) through the end of a day, with a reason
(a project paused by a court case). While exempt the condition opens no warning and tells no one (alerts.evaluate
drops it, and resolves an open one as "exempted"); the exemption expires by itself after its last day, or an admin
revokes it, and the next evaluation opens the warning again.

This module is the one writer of the table exemptions, which is never deleted from: `grant` and `revoke` refuse with
a reason in Chinese (ExemptionRefused) before anything is written, and audit-log what they write in the same
transaction. `active` is what evaluation reads; `listing` what the 预警中心 shows."""
from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from alerts import evaluate
from alerts.rules import RULE_BY_ID
from pipelines.access import Actor
from pipelines.admin import tasks
from pipelines.figures.assessment import ITEM_LABELS
from pipelines.store import db, queries

# The furthest an exemption may reach: its last day at most this many days after the day it is granted. An
# exemption is a pause that someone looks at again, not a way to switch a warning off.
LONGEST_DAYS = 366
REASON_MAX_CHARS = 500
# How far back listing() shows exemptions that have ended (expired or revoked), in days.
RECENT_DAYS = 90
STATE_LABELS = {"active": "有效", "expired": "已到期", "revoked": "已撤销"}


class ExemptionRefused(ValueError):
    """A grant or revocation that may not be made: the reason in Chinese; nothing was written. `status` says what
    kind of refusal it is, as HTTP would: 400 bad input, 403 not this user's to make, 404 no such thing, 409 wrong
    state (already exempt, already ended)."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.status = status


def active(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> set[tuple[str, str]]:
    """The (rule, subject) pairs exempt at the end of `as_of`: granted by then, last day not before it, not revoked
    by then."""
    return set(queries.rows(con, "exemptions_active", as_of=as_of))


def _unit_of(con: duckdb.DuckDBPyConnection, rule: str, subject: str) -> str | None:
    """The unit the subject of `rule` belongs to; None when there is no such project, unit or task."""
    kind = RULE_BY_ID[rule].subject_kind
    if kind == "project":
        found = queries.rows(con, "exemption_project", code=subject)
        return found[0][0] if found else None
    if kind == "task":
        task = tasks.find(con, subject)
        return None if task is None else task.unit
    code = subject.split(":", 1)[0]  # a unit rule's subject: the unit code, with ':item' for a per-item rule
    return code if con.execute("SELECT count(*) FROM units WHERE code = $c", {"c": code}).fetchone()[0] else None


def grant(con: duckdb.DuckDBPyConnection, actor: Actor, rule: str, subject: str, until: dt.date, reason: str,
          now: dt.datetime | None = None) -> int:
    """Exempt (rule, subject) through the end of `until` (admins only), audit-logged, and resolve its open warning
    as exempted; return the exemption's id. ExemptionRefused, nothing written, for a non-admin, an unknown rule or
    subject, an empty or overlong reason, a last day before today or more than LONGEST_DAYS days ahead, or a pair
    that is already exempt."""
    now = now or dt.datetime.now()
    today = now.date()
    if actor.role != "admin":
        raise ExemptionRefused("只有管理员可以豁免预警", 403)
    if rule not in RULE_BY_ID:
        raise ExemptionRefused(f"未知的预警规则“{rule}”")
    subject, reason = str(subject or "").strip(), str(reason or "").strip()
    if not subject:
        raise ExemptionRefused("请指明豁免的预警对象")
    if not reason:
        raise ExemptionRefused("请填写豁免理由")
    if len(reason) > REASON_MAX_CHARS:
        raise ExemptionRefused(f"豁免理由不能超过 {REASON_MAX_CHARS} 字")
    if not isinstance(until, dt.date):
        raise ExemptionRefused("请填写有效的豁免截止日期")
    until = until.date() if isinstance(until, dt.datetime) else until
    if until < today:
        raise ExemptionRefused(f"豁免截止日期 {until:%Y-%m-%d} 早于今天（{today:%Y-%m-%d}）")
    furthest = today + dt.timedelta(days=LONGEST_DAYS)
    if until > furthest:
        raise ExemptionRefused(f"豁免期限最长 {LONGEST_DAYS} 天：截止日期不能晚于 {furthest:%Y-%m-%d}")
    unit = _unit_of(con, rule, subject)
    if unit is None:
        raise ExemptionRefused(f"预警对象“{subject}”不存在", 404)
    standing = con.execute("SELECT max(until) FROM exemptions WHERE rule = $r AND subject = $s AND until >= $d "
                           "AND revoked_at IS NULL", {"r": rule, "s": subject, "d": today}).fetchone()[0]
    if standing is not None:
        raise ExemptionRefused(f"该对象的“{RULE_BY_ID[rule].name}”预警已豁免至 {standing:%Y-%m-%d}，如需调整请先撤销原豁免", 409)
    values = {"rule": rule, "subject": subject, "unit_code": unit, "until": until, "reason": reason,
              "created_by": actor.name, "created_at": now}
    with db.transaction(con):
        exemption_id = con.execute(
            "INSERT INTO exemptions (rule, subject, unit_code, until, reason, created_by, created_at) "
            "VALUES ($rule, $subject, $unit_code, $until, $reason, $created_by, $created_at) RETURNING id",
            values).fetchone()[0]
        db.audit(con, actor.name, "exemption.grant", str(exemption_id),
                 {k: v for k, v in values.items() if k not in ("created_by", "created_at")})
    evaluate.exempt(con, rule, subject, now)  # at once, not at the next evaluation (which would do it too)
    return exemption_id


def revoke(con: duckdb.DuckDBPyConnection, actor: Actor, exemption_id: int, now: dt.datetime | None = None) -> None:
    """End exemption `exemption_id` now (admins only), audit-logged: the next evaluation raises its warning again if
    the condition holds. ExemptionRefused, nothing written, for a non-admin, no such exemption, or one already
    revoked or expired."""
    now = now or dt.datetime.now()
    if actor.role != "admin":
        raise ExemptionRefused("只有管理员可以撤销豁免", 403)
    found = con.execute("SELECT rule, subject, until, revoked_at FROM exemptions WHERE id = $id",
                        {"id": exemption_id}).fetchone()
    if found is None:
        raise ExemptionRefused(f"豁免记录 {exemption_id} 不存在", 404)
    rule, subject, until, revoked_at = found
    if revoked_at is not None:
        raise ExemptionRefused(f"该豁免已于 {revoked_at:%Y-%m-%d %H:%M} 撤销", 409)
    if until < now.date():
        raise ExemptionRefused(f"该豁免已于 {until:%Y-%m-%d} 到期，无需撤销", 409)
    with db.transaction(con):
        con.execute("UPDATE exemptions SET revoked_by = $by, revoked_at = $at WHERE id = $id",
                    {"by": actor.name, "at": now, "id": exemption_id})
        db.audit(con, actor.name, "exemption.revoke", str(exemption_id), {"rule": rule, "subject": subject})


def _subject_label(rule: str, subject: str, unit_name: str | None, project_name: str | None,
                   task_titles: dict[str, str]) -> str:
    """What an exemption is about in words: the project's name, the unit's name (with the assessment item of a
    per-item rule), or the 督办事项's title."""
    kind = RULE_BY_ID[rule].subject_kind if rule in RULE_BY_ID else None
    if kind == "project":
        return project_name or subject
    if kind == "task":
        return task_titles.get(subject, subject)
    code, _, item = subject.partition(":")
    name = unit_name or code
    return f"{name} {ITEM_LABELS.get(item, item)}" if item else name


def listing(con: duckdb.DuckDBPyConnection, as_of: dt.date, scope: str | None = None,
            ended_from: dt.date | None = None) -> pd.DataFrame:
    """The exemptions of `scope` (a unit user's unit; None: every unit) in force at the end of `as_of`, the soonest
    to expire first, then those that ended (expired or revoked) since `ended_from` (default RECENT_DAYS before),
    the latest first: id, rule and rule_name, subject and subject_label (in words, never the raw key), unit_code and
    unit_name, until, reason, created_by and its display name, created_at, revoked_by and its display name,
    revoked_at, state (active / expired / revoked) and state_label, ended_at."""
    found = queries.frame(con, "exemptions_listing", as_of=as_of, scope=scope,
                          ended_from=ended_from or as_of - dt.timedelta(days=RECENT_DAYS))
    task_codes = {s for r, s in zip(found["rule"], found["subject"]) if RULE_BY_ID[r].subject_kind == "task"}
    titles = {code: task.title for code in task_codes if (task := tasks.find(con, code)) is not None}
    found["rule_name"] = found["rule"].map(lambda rule: RULE_BY_ID[rule].name)
    found["subject_label"] = [_subject_label(*row, titles) for row in zip(
        found["rule"], found["subject"], found["unit_name"].astype(object).where(found["unit_name"].notna(), None),
        found["project_name"].astype(object).where(found["project_name"].notna(), None))]
    found["state_label"] = found["state"].map(STATE_LABELS)
    return found.drop(columns="project_name")
