"""The as-of state of DOMAIN §4 and the update duty of §6 worked out from the snapshots alone (project_facts.sql
here, the query the figures used before the timeline), to hold pipelines.store.timeline to."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from pipelines import settings
from pipelines.figures import duty
from pipelines.store import queries

REFERENCE = (Path(__file__).parent / "project_facts.sql").read_text(encoding="utf-8")


def facts_pair(con, as_of: dt.date, first_period: dt.date | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """pipelines/store/sql/project_facts.sql (from the timeline) and the reference (from the snapshots) as of `as_of`,
    sorted by project, for the duty window from `first_period` (default: the as-of year)."""
    params = {"as_of": as_of,
              **duty.duty_params(as_of, first_period or dt.date(as_of.year, 1, 1), settings.current())}
    stored, reference = (con.execute(sql, params).df().sort_values("project_id").reset_index(drop=True)
                         for sql in (queries.sql("project_facts"), REFERENCE))
    return stored, reference


def assert_agrees(con, as_of: dt.date, first_period: dt.date | None = None) -> pd.DataFrame:
    """The timeline's facts equal the reference's as of `as_of`; return them."""
    stored, reference = facts_pair(con, as_of, first_period)
    pd.testing.assert_frame_equal(stored, reference, check_dtype=False)
    return stored
