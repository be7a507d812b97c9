"""Display formatting: Chinese column names, money in 亿元, dates as YYYY-MM-DD."""
from __future__ import annotations

import pandas as pd

from pipelines.vocabulary import WAN_PER_YI

# The project library's columns, in display order: source column → header.
LIBRARY_COLUMNS: dict[str, str] = {
    "project_code": "项目编号",
    "project_name": "项目名称",
    "unit_name": "填报单位",
    "industry": "产业类别",
    "chain": "产业链",
    "total_investment_yi": "计划总投资(亿元)",
    "size_band": "规模档次",
    "stage_label": "所处阶段",
    "status_label": "项目状态",
    "signed_date": "签约日期",
    "commenced_date": "开工日期",
    "investor": "投资方",
    "period": "最近报告期",
}


def library_table(projects: pd.DataFrame) -> pd.DataFrame:
    """The project library as shown: Chinese headers, 计划总投资 in 亿元, dates without time."""
    shown = projects.assign(total_investment_yi=projects["total_investment_wan"] / WAN_PER_YI)
    shown = shown.fillna({"chain": "", "investor": ""})
    for column in ("signed_date", "commenced_date"):
        shown[column] = pd.to_datetime(shown[column]).dt.strftime("%Y-%m-%d").fillna("")
    shown["period"] = pd.to_datetime(shown["period"]).dt.strftime("%Y-%m")
    return shown[list(LIBRARY_COLUMNS)].rename(columns=LIBRARY_COLUMNS)


def yi(amount_wan: float | None) -> str:
    """An amount in 万元 shown in 亿元 with two decimals."""
    return "—" if amount_wan is None or pd.isna(amount_wan) else f"{amount_wan / WAN_PER_YI:,.2f}"
