"""The 通报 as a Word document in the form of a 公文 (GB/T 9704): A4, 仿宋 body, 黑体 headings, numbered tables that
repeat their header rows, wide tables on landscape pages (a banded table is split between its bands to fit a portrait
one instead), page numbers."""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re

import duckdb
from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from pipelines.bulletin.content import (
    TITLE,
    Band,
    Bulletin,
    Table,
    bulletin_content,
    display_width,
    shown,
)
from pipelines.settings import Settings

# GB/T 9704 公文: A4 with 天头 37 mm, 订口 28 mm; body 仿宋 三号 (16 pt) at 28 pt line spacing, headings 黑体.
_MARGINS_CM = {"top_margin": 3.7, "bottom_margin": 3.5, "left_margin": 2.8, "right_margin": 2.6}
_TITLE_FONT, _BODY_FONT, _HEADING_FONT, _SUBHEADING_FONT, _TABLE_FONT = "宋体", "仿宋", "黑体", "楷体", "宋体"
_BODY_PT, _TITLE_PT, _TABLE_PT, _LINE_PT = 16, 22, 10, 28
_WIDE_TABLE = 8  # a table with more columns than this gets a landscape page (unless banded: split instead)
_HEADER_WRAP, _LONG_TEXT = 4, 40  # in Latin characters: a header wraps after 2 Chinese ones, long text after 20
_WRAPPED_TEXT = 12  # in Latin characters: the width a text column is counted at when a banded table is split
_CHAR_EM = 0.6  # width of a Latin character (digits) in em, generous for fallback fonts; a Chinese one is twice that
_CELL_MARGIN = Cm(0.1)  # left and right padding inside each table cell
_CHINESE_NUMERALS = "一二三四五六七八九十"
_THEME_FONT_ATTRIBUTES = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


def _font(target, name: str, size: float | None = None, bold: bool | None = None) -> None:
    """Set a style's or run's font for Latin and East Asian text alike (Word picks rFonts w:eastAsia for
    Chinese) and drop the theme fonts that would otherwise win."""
    target.font.name = name
    if size is not None:
        target.font.size = Pt(size)
    if bold is not None:
        target.font.bold = bold
    fonts = target.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), name)
    for attribute in _THEME_FONT_ATTRIBUTES:
        fonts.attrib.pop(qn(attribute), None)


def _styles(document) -> None:
    styles = document.styles
    normal = styles["Normal"]
    _font(normal, _BODY_FONT, _BODY_PT)
    normal.paragraph_format.line_spacing = Pt(_LINE_PT)
    normal.paragraph_format.space_after = Pt(0)
    for name, font in (("Heading 1", _HEADING_FONT), ("Heading 2", _SUBHEADING_FONT)):
        heading = styles[name]
        _font(heading, font, _BODY_PT, bold=False)
        heading.font.color.rgb = RGBColor(0, 0, 0)
        heading.paragraph_format.space_before = Pt(6)
        heading.paragraph_format.space_after = Pt(0)
        heading.paragraph_format.first_line_indent = Pt(2 * _BODY_PT)
    table_text = styles.add_style("表格文字", WD_STYLE_TYPE.PARAGRAPH)
    table_text.base_style = normal
    _font(table_text, _TABLE_FONT, _TABLE_PT)
    table_text.paragraph_format.line_spacing = 1
    table_text.paragraph_format.first_line_indent = Pt(0)


def _page(section, landscape: bool) -> None:
    long_side, short_side = Cm(29.7), Cm(21)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (long_side, short_side) if landscape else (short_side, long_side)
    for margin, cm in _MARGINS_CM.items():
        setattr(section, margin, Cm(cm))


def _page_numbers(section) -> None:
    """'— 1 —' centred in the footer, as 公文 number their pages."""
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run("— ")
    page = OxmlElement("w:fldSimple")
    page.set(qn("w:instr"), "PAGE")
    page.append(paragraph.add_run("1")._r)  # the field's shown value until the reader updates it
    paragraph._p.append(page)
    paragraph.add_run(" —")


# Characters XML 1.0 cannot hold (control characters a workbook cell may carry): python-docx refuses them, which
# would fail the whole document over one project name; they are dropped from what is written.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("", text)


def _paragraph(document, text: str, indent: bool = True):
    paragraph = document.add_paragraph(_xml_text(text))
    paragraph.paragraph_format.first_line_indent = Pt(2 * _BODY_PT) if indent else Pt(0)
    return paragraph


def _repeat_header(row) -> None:
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(header)


def _shade(tc, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    tc.get_or_add_tcPr().append(shading)


def _cell(cell, text: str, bold: bool = False, centred: bool = True) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.style = "表格文字"
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER if centred else WD_ALIGN_PARAGRAPH.LEFT
    run = paragraph.add_run(_xml_text(text))
    if bold:
        run.bold = True


def _docx_table(document, table: Table, number: str | None) -> None:
    if table.title:
        document.add_heading(f"（{number}）{table.title}", level=2)
    if not table.rows:
        _paragraph(document, table.empty)
        return
    grid = document.add_table(rows=2 if table.bands else 1, cols=len(table.columns))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False
    _narrow_cell_margins(grid)
    _header(grid, table)
    for values in table.rows:
        cells = grid.add_row().cells
        for cell, column, value in zip(cells, table.columns, values):
            text = shown(value, column.kind)
            _cell(cell, text, centred=column.kind != "text" or len(text) <= 8)
    widths = _column_widths(table, _text_width(document))
    for column, width in zip(grid.columns, widths):
        column.width = width
    for row in grid.rows:  # each cell as wide as the columns it spans (a band's header spans several)
        first = 0
        for tc in row._tr.tc_lst:
            tc.width = sum(widths[first:first + tc.grid_span])
            first += tc.grid_span


def _header(grid, table: Table) -> None:
    """The header row(s), shaded and repeated on every page: one row of column headers, or for a banded table the
    bands above their columns' headers, the columns before the bands spanning both rows."""
    rows = grid.rows
    for row in rows:
        _repeat_header(row)
    lead = table.unbanded
    if table.bands:
        for index in range(lead):
            rows[1].cells[index].paragraphs[0].style = "表格文字"  # the row's height: the table's size, not the body's
            _cell(rows[0].cells[index].merge(rows[1].cells[index]), table.columns[index].header, bold=True)
        first = lead
        for band in table.bands:
            _cell(rows[0].cells[first].merge(rows[0].cells[first + band.span - 1]), band.label, bold=True)
            first += band.span
    for index, column in enumerate(table.columns):
        if index >= lead or not table.bands:
            _cell(rows[-1].cells[index], column.header, bold=True)
    for row in rows:
        for tc in row._tr.tc_lst:
            _shade(tc, "D9D9D9")


def _text_width(document) -> int:
    """The width (EMU) between the margins of the document's last page."""
    page = document.sections[-1]
    return page.page_width - page.left_margin - page.right_margin


def _needs(table: Table) -> list[int]:
    """The width (EMU) of each column's widest value; headers may wrap after a few characters, long texts after
    _LONG_TEXT."""
    needs = []
    for index, column in enumerate(table.columns):
        widest = max((display_width(shown(row[index], column.kind)) for row in table.rows), default=0)
        characters = min(max(widest, min(display_width(column.header), _HEADER_WRAP)), _LONG_TEXT)
        needs.append(_width(characters))
    return needs


def _width(characters: int) -> int:
    return Pt((characters + 1) * _CHAR_EM * _TABLE_PT) + 2 * _CELL_MARGIN


def _parts(table: Table, text_width: int) -> list[Table]:
    """A banded table as tables of its leading columns and as many whole bands as fit the text width (its text
    columns counted as wrapping after _WRAPPED_TEXT), at least one band each; the title stays on the first.
    Any other table as it is."""
    if not table.bands or not table.rows:
        return [table]
    needs = _needs(table)
    lead = table.unbanded
    lead_width = sum(min(need, _width(_WRAPPED_TEXT)) if column.kind == "text" else need
                     for need, column in zip(needs[:lead], table.columns[:lead]))
    groups: list[list[tuple[Band, int]]] = []  # each part's bands with the first column of each
    width, first = lead_width, lead
    for band in table.bands:
        band_width = sum(needs[first:first + band.span])
        if not groups or width + band_width > text_width:
            groups.append([])
            width = lead_width
        groups[-1].append((band, first))
        width += band_width
        first += band.span
    parts = []
    for number, group in enumerate(groups):
        kept = [*range(lead), *(c for band, start in group for c in range(start, start + band.span))]
        parts.append(dataclasses.replace(
            table, title=table.title if number == 0 else "", columns=tuple(table.columns[c] for c in kept),
            rows=[tuple(row[c] for c in kept) for row in table.rows], bands=tuple(band for band, _ in group)))
    return parts


def _column_widths(table: Table, text_width: int) -> list[int]:
    """Column widths (EMU) that fit each column's widest value (headers may wrap after a few characters, long
    texts after _LONG_TEXT), stretched in proportion to fill the text width; when they do not fit, the text
    columns wrap so that numbers never do."""
    needs = _needs(table)
    texts = sum(need for need, column in zip(needs, table.columns) if column.kind == "text")
    numbers = sum(needs) - texts
    if sum(needs) <= text_width or not texts or numbers >= text_width:
        return [int(text_width * need / sum(needs)) for need in needs]
    squeeze = (text_width - numbers) / texts
    return [int(need * squeeze) if column.kind == "text" else int(need) for need, column in zip(needs, table.columns)]


def _narrow_cell_margins(grid) -> None:
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), str(int(_CELL_MARGIN.twips)))
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    grid._tbl.tblPr.append(margins)


def render_docx(bulletin: Bulletin) -> bytes:
    """The 通报 as a Word document."""
    document = Document()
    _styles(document)
    _page(document.sections[0], landscape=False)
    _page_numbers(document.sections[0])
    for text, font, size, bold in ((TITLE, _TITLE_FONT, _TITLE_PT, True),
                                   (f"（{bulletin.month}）", _SUBHEADING_FONT, _BODY_PT, False)):
        line = document.add_paragraph()
        line.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(line.add_run(text), font, size, bold)
    _font(_paragraph(document, "").add_run(bulletin.as_of_line), _SUBHEADING_FONT)
    _paragraph(document, bulletin.headline)
    shown_sections = [s for s in bulletin.sections if s.in_document]
    for number, section in zip(_CHINESE_NUMERALS, shown_sections):
        landscape = section.landscape or any(isinstance(b, Table) and not b.bands and len(b.columns) > _WIDE_TABLE
                                             for b in section.blocks)
        if landscape != (document.sections[-1].orientation == WD_ORIENT.LANDSCAPE):
            _page(document.add_section(WD_SECTION.NEW_PAGE), landscape)
        document.add_heading(f"{number}、{section.heading}", level=1)
        titled = iter(_CHINESE_NUMERALS)
        for block in section.blocks:
            if not isinstance(block, Table):
                _paragraph(document, block)
                continue
            for index, part in enumerate(_parts(block, _text_width(document))):
                if index:
                    _paragraph(document, "")  # Word joins tables that touch into one
                _docx_table(document, part, next(titled) if part.title else None)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def bulletin_docx(con: duckdb.DuckDBPyConnection, as_of: dt.date, config: Settings | None = None,
                  known_by: dt.date | None = None) -> bytes:
    """The 通报 as of the end of `as_of` as a Word document (.docx bytes)."""
    return render_docx(bulletin_content(con, as_of, config, known_by))


