"""The as-of state of projects (DOMAIN §4): what was known at the end of a given day."""
from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from pipelines.store import queries
from pipelines.vocabulary import MILESTONE_BY_ID, STATUSES, size_band


def projects_as_of(con: duckdb.DuckDBPyConnection, as_of: dt.date, unit_code: str | None = None) -> pd.DataFrame:
    """Every project's latest reported state as of the end of `as_of`, with its stage and size band;
    only `unit_code`'s projects when given."""
    frame = queries.frame(con, "projects_as_of", as_of=as_of, unit=unit_code)
    frame["stage_label"] = frame["stage"].map({m: v.label for m, v in MILESTONE_BY_ID.items()}).fillna("未登记节点")
    frame["status_label"] = frame["status"].map(STATUSES)
    frame["size_band"] = frame["total_investment_wan"].map(size_band)
    return frame


def store_facts(con: duckdb.DuckDBPyConnection) -> dict:
    """Schema version, counts of units, projects and loaded submissions, the last receipt and a data version
    that changes with every stored submission (used to key cached results)."""
    cur = con.execute(queries.sql("store_facts"))
    names = [d[0] for d in cur.description]
    facts = dict(zip(names, cur.fetchone()))
    last = facts["last_received_at"]
    facts["last_received_at"] = last.isoformat(sep=" ", timespec="seconds") if last else None
    return facts


def unit_register(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every unit: code, name, kind and assessment group."""
    return queries.frame(con, "unit_register")


def filter_projects(
    projects: pd.DataFrame,
    *,
    units: list[str] | None = None,
    stages: list[str] | None = None,
    industries: list[str] | None = None,
    size_bands: list[str] | None = None,
    statuses: list[str] | None = None,
    text: str = "",
) -> pd.DataFrame:
    """The projects matching every given filter (an empty filter matches all); `text` searches name,
    code and investor."""
    keep = pd.Series(True, index=projects.index)
    for column, wanted in (("unit_code", units), ("stage", stages), ("industry", industries),
                           ("size_band", size_bands), ("status", statuses)):
        if wanted:
            keep &= projects[column].isin(wanted)
    if text.strip():
        needle = text.strip()
        keep &= (
            projects["project_name"].str.contains(needle, regex=False, na=False)
            | projects["project_code"].str.contains(needle, regex=False, na=False)
            | projects["investor"].fillna("").str.contains(needle, regex=False)
        )
    return projects[keep]


def library_summary(projects: pd.DataFrame) -> dict:
    """Headline counts of a project list: how many, 计划总投资 in 万元, and how many signed and commenced."""
    return {
        "projects": len(projects),
        "total_investment_wan": float(projects["total_investment_wan"].sum()),
        "signed": int(projects["signed_date"].notna().sum()),
        "commenced": int(projects["commenced_date"].notna().sum()),
    }
