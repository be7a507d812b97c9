"""Widgets the pages share: the note shown while there is no project data yet, the score ledger's expanders (单元看板
and 考核排名) and the workbook uploader with its drop zone in Chinese.

Streamlit draws the uploader's drop zone with fixed English text ("Upload", "50MB per file • XLSX, XLS, CSV") and
offers no parameter for it (streamlit/streamlit#13500), so a style rule sets those two texts to zero size and
writes the Chinese ones after them; the widget itself is unchanged."""
from __future__ import annotations

import math

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from pipelines.ingest.desk import UPLOAD_TYPES
from pipelines.screens.ranking import LedgerItem
from pipelines.settings import current
from ui import format

NO_DATA = "尚无项目数据。请上传各单元的月度项目进展表，或运行 `python -m pipelines.demo` 载入演示县数据。"


def no_data_yet() -> None:
    """The note a page shows instead of its figures while no project has been loaded."""
    st.info(NO_DATA)


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


# ---- the workbook uploader

_DROPZONE = "[data-testid='stFileUploaderDropzone']"


def _style(max_mb: int) -> str:
    instructions = f"拖入文件或点击“选择文件”，单个不超过 {max_mb}MB（{'、'.join(UPLOAD_TYPES)}）"
    return f"""<style>
{_DROPZONE} [data-testid='stBaseButton-secondary'] [data-testid='stMarkdownContainer'] p {{font-size: 0}}
{_DROPZONE} [data-testid='stBaseButton-secondary'] [data-testid='stMarkdownContainer'] p::after {{
    content: "选择文件"; font-size: 0.875rem}}
{_DROPZONE} [data-testid='stFileUploaderDropzoneInstructions'] span {{font-size: 0}}
{_DROPZONE} [data-testid='stFileUploaderDropzoneInstructions'] span::after {{
    content: "{instructions}"; font-size: 0.875rem}}
</style>"""


def workbook_uploader(label: str, key: str, where: DeltaGenerator | None = None, **options) -> object:
    """st.file_uploader for a workbook (xlsx, xls, csv up to [ingest] max_file_mb), its drop zone in Chinese."""
    max_mb = math.ceil(current().ingest.max_file_mb)
    where = where or st.container()
    where.html(_style(max_mb))
    return where.file_uploader(label, type=list(UPLOAD_TYPES), key=key, max_upload_size=max_mb, **options)
