"""Widgets the pages share: the note shown while there is no project data yet, the score ledger's expanders (单元看板
and 考核排名), tables that turn into stacked "label: value" blocks on a phone, and the workbook uploader with its drop
zone in Chinese.

Streamlit draws the uploader's drop zone with fixed English text ("Upload", "50MB per file • XLSX, XLS, CSV") and
offers no parameter for it (streamlit/streamlit#13500), so a style rule sets those two texts to zero size and
writes the Chinese ones after them; the widget itself is unchanged."""
from __future__ import annotations

import html
import math

import pandas as pd
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


def ledger_expanders(items: list[LedgerItem], nothing: str, lazy_key: str | None = None) -> None:
    """One expander per ledger item: its rule in words and the projects (or project·months) behind it; `nothing`
    where there are none. With `lazy_key` each expander (keyed `lazy_key` + the item) draws its contents only while
    it is open: a dozen grids of projects cost a page's first view more than its figures."""
    for item in items:
        lazy = {} if lazy_key is None else {"key": f"{lazy_key}_{item.item}", "on_change": "rerun"}
        with st.expander(format.ledger_title(item), **lazy) as expander:
            if lazy_key is not None and not expander.open:
                continue
            st.caption(item.rule)
            if item.behind.empty:
                st.write(nothing)
            else:
                st.dataframe(format.ledger_projects(item.behind), hide_index=True, width="stretch")


# ---- tables that fit a phone

PHONE_PX = 640  # Streamlit stacks st.columns below this width; the pages' phone rules start at the same width
# A plain HTML table across the page; on a phone each row becomes a block of "header: value" lines, so no figure
# hides behind a sideways scroll. Rows may carry a class: zs-red, zs-yellow (a warning's grade).
_TABLE_STYLE = f"""<style>
.zs-table {{width: 100%; border-collapse: collapse; font-size: 0.875rem; margin-bottom: 0.5rem}}
.zs-scroll {{overflow-x: auto}}
.zs-table th {{text-align: left; font-weight: 600; color: #555; border-bottom: 1px solid #ddd; padding: 6px 8px}}
.zs-table td {{border-bottom: 1px solid #eee; padding: 6px 8px; vertical-align: top}}
.zs-table td.zs-num, .zs-table th.zs-num {{text-align: right; white-space: nowrap}}
.zs-table tr.zs-red td {{background: #fdecec; color: #9b1c1c}}
.zs-table tr.zs-yellow td {{background: #fff6d5}}
.zs-bar {{display: inline-block; width: 4rem; height: 0.5rem; background: #eee; border-radius: 4px;
  margin-right: 6px; vertical-align: middle}}
.zs-bar span {{display: block; height: 100%; border-radius: 4px; background: #29b09d}}
@media (max-width: {PHONE_PX}px) {{
  .zs-table thead {{display: none}}
  .zs-table, .zs-table tbody {{display: block; width: 100%}}
  .zs-table tr {{display: grid; grid-template-columns: 1fr 1fr; column-gap: 12px; border: 1px solid #e6e6e6;
    border-radius: 8px; margin-bottom: 8px; padding: 6px 0}}
  .zs-table td {{grid-column: 1 / -1; border: none; padding: 2px 10px; display: flex; gap: 8px;
    justify-content: space-between; min-width: 0; overflow-wrap: anywhere}}
  .zs-table td.zs-num {{grid-column: auto}}
  .zs-table td::before {{content: attr(data-label); color: #777; flex: none; text-align: left}}
  .zs-table td:first-child {{font-weight: 600}}
  .zs-table td:first-child::before {{content: none}}
}}
</style>"""


def stacked_table(frame: pd.DataFrame, numeric: tuple[str, ...] = (), bars: tuple[str, ...] = (),
                  row_classes: list[str] | None = None) -> None:
    """`frame` (display strings; None or NaN shows as '—') as an HTML table across the page that becomes a block
    per row below PHONE_PX: its first column as the block's heading, then "header: value" lines, two a line for
    `numeric` columns (aligned right) and `bars` columns (shares 0–1 drawn as a bar with the percentage), one a
    line for the rest. `row_classes` gives each row a class (zs-red, zs-yellow). Every value is escaped."""
    def cell(column: str, value: object) -> str:
        shown = "—" if value is None or (not isinstance(value, str) and pd.isna(value)) else value
        if column in bars and shown != "—":
            share = min(max(float(shown), 0.0), 1.0)
            body = f"<span class='zs-bar'><span style='width:{share * 100:.0f}%'></span></span>{float(shown):.0%}"
        else:
            body = html.escape(str(shown))
        kind = " class='zs-num'" if column in numeric or column in bars else ""
        return f"<td{kind} data-label='{html.escape(column, quote=True)}'>{body}</td>"

    head = "".join(f"<th{' class=zs-num' if c in numeric or c in bars else ''}>{html.escape(c)}</th>"
                   for c in frame.columns)
    classes = row_classes or [""] * len(frame)
    rows = "".join(f"<tr class='{html.escape(css, quote=True)}'>" + "".join(
        cell(c, v) for c, v in zip(frame.columns, values)) + "</tr>"
        for css, values in zip(classes, frame.itertuples(index=False)))
    st.html(f"{_TABLE_STYLE}<div class='zs-scroll'><table class='zs-table'><thead><tr>{head}</tr></thead>"
            f"<tbody>{rows}</tbody></table></div>")


def phone_pairs(key: str) -> DeltaGenerator:
    """A container (keyed `key`) whose st.columns stand two a row below PHONE_PX instead of one (cards, steps), a
    card's value wrapping rather than cut short."""
    st.html(f"""<style>.st-key-{key} [data-testid="stMetricValue"] * {{white-space: normal; overflow: visible}}
@media (max-width: {PHONE_PX}px) {{
.st-key-{key} [data-testid="stHorizontalBlock"] {{flex-wrap: wrap; gap: 0.5rem}}
.st-key-{key} [data-testid="stColumn"] {{min-width: calc(50% - 0.25rem) !important;
  flex: 1 1 calc(50% - 0.25rem) !important; width: calc(50% - 0.25rem) !important}}
.st-key-{key} [data-testid="stMetricValue"] {{font-size: 1.75rem}}
}}</style>""")
    return st.container(key=key)


_FIELDS_STYLE = """<style>
.zs-fields {display: grid; grid-template-columns: max-content 1fr; gap: 6px 16px; font-size: 0.9rem;
  margin: 0 !important; padding: 0 !important}
.zs-fields dt, .zs-fields dd {margin: 0 !important; padding: 0 !important}
.zs-fields dt {color: #666} .zs-fields dd {margin: 0; overflow-wrap: anywhere}
</style>"""


def field_list(fields: dict[str, str]) -> None:
    """Label → value lines in two aligned columns (a project's facts); the values are escaped, and wrap rather than
    run off a phone's screen."""
    rows = "".join(f"<dt>{html.escape(label)}</dt><dd>{html.escape(value)}</dd>" for label, value in fields.items())
    st.html(f"{_FIELDS_STYLE}<dl class='zs-fields'>{rows}</dl>")


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
