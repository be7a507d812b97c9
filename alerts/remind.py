"""催报 (DOMAIN §6): reminding the units whose monthly report has not arrived, from [duty] remind_days_before days
before its due day until the due day, once a day through their own channels, and on an admin's demand.

The report month chased on a day is the month before it while its due day has not passed (on 6 December:
November, due 10 December). A reminder is recorded in `reminders` before anything is sent, so the scheduler
sends at most one per unit, month and day however often the server restarts; an admin's reminder from 数据填报
is sent whenever asked and recorded with the admin's name."""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence

import duckdb
import pandas as pd

from alerts import notify
from pipelines.figures import duty
from pipelines.months import add_months, due_date
from pipelines.settings import Settings, current

SCHEDULER = "scheduler"


def chased_month(today: dt.date, settings: Settings | None = None) -> dt.date:
    """The report month whose reports are being collected on `today`: the month before it (first day)."""
    return add_months(today.replace(day=1), -1)


def in_reminder_window(today: dt.date, settings: Settings | None = None) -> bool:
    """Whether `today` lies in the days the scheduler reminds on: from remind_days_before days before the chased
    month's due day up to the due day."""
    settings = settings or current()
    due = due_date(chased_month(today, settings), settings.duty.due_day)
    return due - dt.timedelta(days=settings.duty.remind_days_before) <= today <= due


def reminder_text(period: dt.date, due: dt.date, today: dt.date) -> str:
    """'请于12月10日前报送11月项目进展表，距截止还有3天' (on the due day: '今天截止'; after it: '已逾期2天')."""
    left = (due - today).days
    when = (f"距截止还有{left}天" if left > 0 else "今天截止" if left == 0 else f"已逾期{-left}天，请尽快报送")
    return f"请于{due.month}月{due.day}日前报送{period.month}月项目进展表，{when}"


def reminder_message(unit_name: str, period: dt.date, due: dt.date, today: dt.date, unit_code: str,
                     base: str = "") -> notify.Message:
    """The 催报 message; with [server] public_url (`base`) it links to 数据填报."""
    text = reminder_text(period, due, today)
    address = notify.link(base, "submit")
    if address:
        text += f" [去填报]({address})"
    return notify.Message("reminder", f"招引智控催报：{notify.as_text(unit_name)}", text, (), (),
                          (("reminder", f"{unit_code}:{period:%Y-%m}", today.isoformat()),))


def status(con: duckdb.DuckDBPyConnection, today: dt.date, settings: Settings | None = None) -> pd.DataFrame:
    """Every unit's report for the month chased on `today` (duty.month_reports as of today) with the reminders sent
    for it: reminders (how many), last_reminded (when the latest went out), reminded_today (the scheduler's or an
    admin's reminder went out today)."""
    settings = settings or current()
    period = chased_month(today, settings)
    found = duty.month_reports(con, period, today, settings)
    sent = con.execute("SELECT unit_code, count(*), max(sent_at), bool_or(day = ?) FROM reminders WHERE period = ? "
                       "GROUP BY unit_code", [today, period]).fetchall()
    by_unit = {unit: (count, last, today_sent) for unit, count, last, today_sent in sent}
    found["reminders"] = [by_unit.get(code, (0, None, False))[0] for code in found["code"]]
    found["last_reminded"] = pd.to_datetime([by_unit.get(code, (0, None, False))[1] for code in found["code"]])
    found["reminded_today"] = [bool(by_unit.get(code, (0, None, False))[2]) for code in found["code"]]
    found["period"] = period
    return found


def _unit_channels(con: duckdb.DuckDBPyConnection, unit_code: str) -> list[notify.Channel]:
    return [c for c in notify.channels(con) if c.audience == "unit" and c.unit_code == unit_code]


def send(con: duckdb.DuckDBPyConnection, today: dt.date, settings: Settings | None = None, *,
         units: Sequence[str] | None = None, sent_by: str = SCHEDULER, now: dt.datetime | None = None,
         sleep: Callable[[float], None] = time.sleep) -> dict:
    """Remind the units whose report for the month chased on `today` has not arrived though they owe it. The
    scheduler (sent_by SCHEDULER, `units` None) does so only within the reminder window and skips a unit already
    reminded automatically today; an admin (sent_by their name) reminds the `units` asked for (those of them not
    yet reported) at any time. Each reminder is recorded before it goes to the unit's channels. Returns
    {"period", "reminded": [unit codes], "skipped": [already reminded today], "without_channel": [...],
    "sent", "failed", "logged_dry_run"}."""
    settings = settings or current()
    now = now or dt.datetime.now()
    automatic = sent_by == SCHEDULER
    found = status(con, today, settings)
    period = chased_month(today, settings)
    result = {"period": period.isoformat(), "reminded": [], "skipped": [], "without_channel": [], "sent": 0,
              "failed": 0, "logged_dry_run": 0}
    if automatic and not in_reminder_window(today, settings):
        return result
    due = due_date(period, settings.duty.due_day)
    waiting = found[found["state"] == "not_received"]
    if units is not None:
        waiting = waiting[waiting["code"].isin(list(units))]
    for unit in waiting.to_dict("records"):
        if automatic and con.execute("SELECT count(*) FROM reminders WHERE unit_code = ? AND period = ? AND day = ? "
                                     "AND automatic", [unit["code"], period, today]).fetchone()[0]:
            result["skipped"].append(unit["code"])
            continue
        message = reminder_message(unit["name"], period, due, today, unit["code"], settings.server.public_url)
        targets = _unit_channels(con, unit["code"])
        con.execute("INSERT INTO reminders (unit_code, period, day, sent_at, automatic, sent_by, channels, text) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [unit["code"], period, today, now, automatic, sent_by, len(targets),
                     reminder_text(period, due, today)])
        result["reminded"].append(unit["code"])
        if not targets:
            result["without_channel"].append(unit["code"])
            continue
        summary = notify.deliver_message(con, targets, message, settings, sleep)
        for key in ("sent", "failed", "logged_dry_run"):
            result[key] += summary[key]
    return result
