"""催报 (DOMAIN §6): units whose monthly report has not arrived are reminded through their own channels once a day
from [duty] remind_days_before days before the due day until it, never twice on a day whatever restarts happen;
an admin may remind at any time; the bureau sees each unit's report for the month being collected."""
from __future__ import annotations

import datetime as dt
import json

from alerts import notify, remind, scheduler
from pipelines import settings
from tests.factories import project, snapshot

D = dt.date


def _county(con) -> None:
    """U01 and U02 each hold a project reported for October; U02 sends November on 12-05, U01 not yet; U03 has
    no project and owes nothing. U01 has a robot channel, U02 none."""
    snapshot(con, project(con, "A", "U01"), "2026-10", "2026-11-06", "U01")
    b = project(con, "B", "U02")
    snapshot(con, b, "2026-10", "2026-11-06", "U02")
    snapshot(con, b, "2026-11", "2026-12-05 09:00:00", "U02")
    notify.add_channel(con, "开发区群", "webhook", "http://127.0.0.1:9/hook", "unit", unit_code="U01")


def _logged(con) -> list[str]:
    return [json.loads(p)["text"] for (p,) in con.execute(
        "SELECT payload FROM notification_log WHERE rule = 'reminder' ORDER BY id").fetchall()]


def test_the_month_being_collected_and_each_units_report(units):
    """On 12-06 November is collected (due 12-10): U02 sent it on time, U01 not yet, U03 owes nothing."""
    _county(units)
    found = remind.status(units, D(2026, 12, 6)).set_index("code")
    assert found.loc[["U01", "U02", "U03"], "state"].tolist() == ["not_received", "received_on_time", "not_owed"]
    assert found.loc["U02", "rows_loaded"] == 1 and found.loc["U01", "reminders"] == 0
    assert str(found.loc["U01", "due_date"]) == "2026-12-10"


def test_reminded_once_a_day_within_the_window(units):
    """12-06 is before the window (three days before 12-10): nothing. On 12-07 U01 alone is reminded, with the
    month and the due day; a second run that day (a restart) sends nothing; on 12-08 once more; U02 (reported)
    never; after 12-10 the scheduler stops."""
    _county(units)
    config = settings.load(env={})
    at = lambda day, hour=9: dt.datetime.combine(day, dt.time(hour))
    assert remind.send(units, D(2026, 12, 6), config, now=at(D(2026, 12, 6)))["reminded"] == []
    first = remind.send(units, D(2026, 12, 7), config, now=at(D(2026, 12, 7)))
    assert (first["reminded"], first["logged_dry_run"]) == (["U01"], 1)
    again = remind.send(units, D(2026, 12, 7), config, now=at(D(2026, 12, 7), 15))
    assert (again["reminded"], again["skipped"]) == ([], ["U01"])
    assert remind.send(units, D(2026, 12, 8), config, now=at(D(2026, 12, 8)))["reminded"] == ["U01"]
    assert remind.send(units, D(2026, 12, 11), config, now=at(D(2026, 12, 11)))["reminded"] == []
    texts = _logged(units)
    assert len(texts) == 2
    assert "请于12月10日前报送11月项目进展表，距截止还有3天" in texts[0]
    assert "距截止还有2天" in texts[1]


def test_the_scheduler_job_waits_for_the_daily_hour_and_survives_a_restart(units):
    """The job at 07:00 waits for 08:30; at 09:00 it reminds; run again after a 'restart' it reminds nobody."""
    _county(units)
    config = settings.load(env={})
    day = D(2026, 12, 9)
    assert "waiting_until" in scheduler.remind_units(units, day, config, now=dt.datetime(2026, 12, 9, 7))
    assert scheduler.remind_units(units, day, config, now=dt.datetime(2026, 12, 9, 9))["reminded"] == 1
    assert scheduler.remind_units(units, day, config, now=dt.datetime(2026, 12, 9, 10))["reminded"] == 0
    assert units.execute("SELECT count(*) FROM reminders").fetchone()[0] == 1


def test_an_admin_reminds_now_and_a_unit_without_channel_is_said_so(units):
    """An admin's reminder goes out whatever the day and is recorded with the admin's name; asking for U02, which
    has reported, reminds nobody; U01 without a channel is recorded as reminded through none."""
    _county(units)
    config = settings.load(env={})
    units.execute("DELETE FROM notification_channels")
    found = remind.send(units, D(2026, 12, 6), config, units=["U01", "U02"], sent_by="admin")
    assert (found["reminded"], found["without_channel"]) == (["U01"], ["U01"])
    row = units.execute("SELECT sent_by, automatic, channels, text FROM reminders").fetchone()
    assert row == ("admin", False, 0, "请于12月10日前报送11月项目进展表，距截止还有4天")
    assert remind.status(units, D(2026, 12, 6)).set_index("code").loc["U01", "reminded_today"]


def test_a_reminder_links_to_the_submission_page_when_the_public_address_is_set(units):
    """With [server] public_url the 催报 message opens 数据填报; the reminder as recorded stays plain text."""
    _county(units)
    config = settings.load(env={}, overrides={"server": {"public_url": "https://zs.example.gov.cn"}})
    remind.send(units, D(2026, 12, 7), config, now=dt.datetime(2026, 12, 7, 9))
    [text] = _logged(units)
    assert "距截止还有3天 [去填报](https://zs.example.gov.cn/submit)" in text, text
    assert units.execute("SELECT text FROM reminders").fetchone()[0] == "请于12月10日前报送11月项目进展表，距截止还有3天"
