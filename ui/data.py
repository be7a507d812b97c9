"""Cached reads for pages. Results are cached, keyed by the store's data version; connections never are."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from pipelines import state, store


def facts() -> dict:
    """What the store holds now (uncached: it is what keys the caches)."""
    with store.cursor() as cur:
        return state.store_facts(cur)


@st.cache_data(show_spinner=False, max_entries=64)
def projects_as_of(as_of: dt.date, unit_code: str | None, data_version: int) -> pd.DataFrame:
    """pipelines.state.projects_as_of, cached per as-of date, unit and data version."""
    with store.cursor() as cur:
        return state.projects_as_of(cur, as_of, unit_code)


@st.cache_data(show_spinner=False, max_entries=8)
def unit_register(data_version: int) -> pd.DataFrame:
    with store.cursor() as cur:
        return state.unit_register(cur)
