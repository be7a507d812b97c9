"""The score ledger's items as expanders, each open to the projects behind it: shown alike on 单元看板 and 考核排名."""
from __future__ import annotations

import streamlit as st

from pipelines.screens.ranking import LedgerItem
from ui import format


def ledger_expanders(items: list[LedgerItem], nothing: str) -> None:
    """One expander per ledger item: its rule in words and the projects (or project·months) behind it; `nothing`
    where there are none."""
    for item in items:
        with st.expander(format.ledger_title(item)):
            st.caption(item.rule)
            if item.behind.empty:
                st.write(nothing)
            else:
                st.dataframe(format.ledger_projects(item.behind), hide_index=True, width="stretch")
