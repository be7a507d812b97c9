"""The 通报 as a file to download or write: its formats and its name, and who may have it."""
from __future__ import annotations

import datetime as dt

import duckdb

from pipelines.access import OutOfScope
from pipelines.bulletin.content import TITLE
from pipelines.bulletin.excel import bulletin_xlsx
from pipelines.bulletin.word import bulletin_docx

RENDERERS = {"docx": bulletin_docx, "xlsx": bulletin_xlsx}


def bulletin_file(con: duckdb.DuckDBPyConnection, as_of: dt.date, fmt: str, scope: str | None,
                  known_by: dt.date | None = None) -> bytes:
    """The 通报 for the period end `as_of` known by `known_by` (default: as of `as_of`) as a Word (fmt 'docx') or
    Excel ('xlsx') file. It lists every unit's
    projects needing attention, its red warnings and (in Excel) every unit's ledger, so it is for admins and
    leaders only: OutOfScope for a unit user."""
    if scope is not None:
        raise OutOfScope("通报含各单元的项目和得分明细，仅招商办和领导可以下载。")
    return RENDERERS[fmt](con, as_of, known_by=known_by)


def file_name(as_of: dt.date, fmt: str, known_by: dt.date | None = None) -> str:
    """'招商引资项目推进情况通报（截至2026-10-31）.docx', or for a month's report '招商引资项目推进情况通报（2026年10月，
    数据截至2026-11-12）.docx'."""
    if known_by is None:
        return f"{TITLE}（截至{as_of:%Y-%m-%d}）.{fmt}"
    return f"{TITLE}（{as_of.year}年{as_of.month}月，数据截至{known_by:%Y-%m-%d}）.{fmt}"
