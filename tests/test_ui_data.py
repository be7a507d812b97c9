"""ui.data: the trends' month-end facts stay cached across files received after the month-end and are
recomputed when a file received by then (a back-fill) or a unit register arrives (pipelines.store.state.day_version)."""
from __future__ import annotations

import datetime as dt

from pipelines.figures import measures
from pipelines.store import state
from tests import factories as f
from ui import data

MAY_END, JUNE_END = dt.date(2024, 5, 31), dt.date(2024, 6, 30)


def test_day_version_moves_only_with_what_the_day_depends_on(units):
    """A file received after the day leaves its version; a file received by then or a unit register moves it."""
    p = f.project(units, "A")
    f.snapshot(units, p, "2024-05", "2024-06-05")
    before = state.day_version(units, JUNE_END)
    f.snapshot(units, p, "2024-06", "2024-07-05")
    assert state.day_version(units, JUNE_END) == before
    assert state.day_version(units, dt.date(2024, 7, 31)) > before
    f.snapshot(units, p, "2024-05", "2024-06-20", total=30000)  # back-filled, received before the day
    after_backfill = state.day_version(units, JUNE_END)
    assert after_backfill > before
    units.execute("INSERT INTO submissions VALUES (9999, 'units', 'units.xlsx', 'u', NULL, NULL, '2024-08-01',"
                  " 'test', 3, 0, 'loaded', NULL, '2024-08-01')")
    assert state.day_version(units, MAY_END) > 0 and state.day_version(units, JUNE_END) > after_backfill


def test_month_end_facts_are_recomputed_only_when_the_day_changed(units, monkeypatch):
    """The June month-end is computed once though July's file arrives; a May correction received on 20 June
    makes it recomputed, with the corrected 计划总投资."""
    p = f.project(units, "A")
    f.snapshot(units, p, "2024-05", "2024-06-05", total=20000)
    computed: list[dt.date] = []
    real = measures.project_facts

    def counting(con, day, *args, **kwargs):
        computed.append(day)
        return real(con, day, *args, **kwargs)

    monkeypatch.setattr(measures, "project_facts", counting)
    assert data._month_end_facts(JUNE_END)["total_investment_wan"].tolist() == [20000]
    f.snapshot(units, p, "2024-06", "2024-07-05", total=20000)
    data._month_end_facts(JUNE_END)
    assert computed == [JUNE_END]
    f.snapshot(units, p, "2024-05", "2024-06-20", total=30000)
    assert data._month_end_facts(JUNE_END)["total_investment_wan"].tolist() == [30000]
    assert computed == [JUNE_END, JUNE_END]
