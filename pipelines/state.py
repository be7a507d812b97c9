"""The as-of state of projects (DOMAIN §4): what was known at the end of a given day."""
from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from pipelines import queries
from pipelines.vocabulary import MILESTONE_BY_ID, STATUSES, size_band


def projects_as_of(con: duckdb.DuckDBPyConnection, as_of: dt.date, unit_code: str | None = None) -> pd.DataFrame:
    """Every project's latest reported state as of the end of `as_of`, with its stage and size band;
    only `unit_code`'s projects when given."""
    frame = queries.frame(con, "projects_as_of", as_of=as_of, unit=unit_code)
    frame["stage_label"] = frame["stage"].map(lambda s: MILESTONE_BY_ID[s].label if s else "未登记节点")
    frame["status_label"] = frame["status"].map(STATUSES)
    frame["size_band"] = frame["total_investment_wan"].map(size_band)
    return frame
