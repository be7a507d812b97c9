"""The 通报 as a Word document in the form of a 公文 (GB/T 9704): A4; the 版头 (机关名称 in large red type, 期号, 编发单位
and date over a red rule), the title and 主送; the body's parts 一、…五、 with 黑体 headings, (一)… in 楷体 and 仿宋 text;
the 附件说明, the 落款 and the 版记 (抄送 and 印发 between rules); then each 附件 on a page of its own. Tables repeat
their header rows (a banded table is split between its bands to fit a portrait page); page numbers '— 1 —'.

Fonts: every run names 仿宋, 黑体, 楷体 or 宋体 for East Asian and Latin text alike — the names every Windows and WPS
install has (FangSong, SimHei, KaiTi, SimSun), so Word shows the 公文 faces without the 仿宋_GB2312 / 方正小标宋 fonts a
bureau may lack (a bureau that has them can change the one constant below). LibreOffice on Linux has none of them
and falls back through fontconfig to the installed CJK font (Noto Sans/Serif CJK), which is what the PDF test sees."""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re

import duckdb
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from pipelines.bulletin.content import (
    Band,
    Bulletin,
    Masthead,
    Section,
    Table,
    bulletin_content,
    display_width,
    shown,
)
from pipelines.settings import Settings

# GB/T 9704 公文: A4 with 天头 37 mm, 订口 28 mm; body 仿宋 三号 (16 pt) at 28 pt line spacing, headings 黑体.
_MARGINS_CM = {"top_margin": 3.7, "bottom_margin": 3.5, "left_margin": 2.8, "right_margin": 2.6}
_TITLE_FONT, _BODY_FONT, _HEADING_FONT, _SUBHEADING_FONT, _TABLE_FONT = "宋体", "仿宋", "黑体", "楷体", "宋体"
_BODY_PT, _TITLE_PT, _TABLE_PT, _LINE_PT = 16, 22, 9, 28  # tables in 小五
_MASTHEAD_PT, _RECORD_PT = 36, 14  # the red 机关名称; the 版记 (四号)
_RED = RGBColor(0xE6, 0x00, 0x12)  # the 版头's red
# A paragraph opening with '（一）…。' (四、存在问题, 五、下步工作, as drafted or typed): that sentence is its 楷体 heading.
_NUMBERED = re.compile("^（[一二三四五六七八九十]+）[^。]{1,40}。")
_HEADER_WRAP, _LONG_TEXT = 4, 40  # in Latin characters: a header wraps after 2 Chinese ones, long text after 20
_WRAPPED_TEXT = 12  # in Latin characters: the width a text column is counted at when a banded table is split
_CHAR_EM = 0.55  # width of a Latin character (digits) in em, generous for fallback fonts; a Chinese one is twice that
_CELL_MARGIN = Cm(0.1)  # left and right padding inside each table cell
_CHINESE_NUMERALS = "一二三四五六七八九十"
_THEME_FONT_ATTRIBUTES = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


def set_font(target, name: str, size: float | None = None, bold: bool | None = None) -> None:
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
    set_font(normal, _BODY_FONT, _BODY_PT)
    normal.paragraph_format.line_spacing = Pt(_LINE_PT)
    normal.paragraph_format.space_after = Pt(0)
    for name, font in (("Heading 1", _HEADING_FONT), ("Heading 2", _SUBHEADING_FONT)):
        heading = styles[name]
        set_font(heading, font, _BODY_PT, bold=False)
        heading.font.color.rgb = RGBColor(0, 0, 0)
        heading.paragraph_format.space_before = Pt(6)
        heading.paragraph_format.space_after = Pt(0)
        heading.paragraph_format.first_line_indent = Pt(2 * _BODY_PT)
    table_text = styles.add_style("表格文字", WD_STYLE_TYPE.PARAGRAPH)
    table_text.base_style = normal
    set_font(table_text, _TABLE_FONT, _TABLE_PT)
    table_text.paragraph_format.line_spacing = 1
    table_text.paragraph_format.first_line_indent = Pt(0)


def _page(section) -> None:
    """An A4 portrait page with the 公文's margins."""
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
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
    texts after _LONG_TEXT), stretched in proportion to fill the text width; when they do not fit, the long text
    columns (names) wrap so that numbers and short texts (a rank with its change) never do."""
    needs = _needs(table)
    long = [column.kind == "text" and need > _width(_WRAPPED_TEXT) for need, column in zip(needs, table.columns)]
    texts = sum(need for need, wraps in zip(needs, long) if wraps)
    others = sum(needs) - texts
    if sum(needs) <= text_width or not texts or others >= text_width:
        return [int(text_width * need / sum(needs)) for need in needs]
    squeeze = (text_width - others) / texts
    return [int(need * squeeze) if wraps else int(need) for need, wraps in zip(needs, long)]


def _narrow_cell_margins(grid) -> None:
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), str(int(_CELL_MARGIN.twips)))
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    grid._tbl.tblPr.append(margins)


def _border(paragraph, side: str, eighths: int, color: str = "000000") -> None:
    """A rule on one side of a paragraph, `eighths` of a point thick."""
    borders = paragraph._p.get_or_add_pPr().find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        paragraph._p.get_or_add_pPr().append(borders)
    line = OxmlElement(f"w:{side}")
    for key, value in (("w:val", "single"), ("w:sz", str(eighths)), ("w:space", "1"), ("w:color", color)):
        line.set(qn(key), value)
    borders.append(line)


def _line(document, text: str = "", font: str = _BODY_FONT, size: float = _BODY_PT, bold: bool = False,
          align=WD_ALIGN_PARAGRAPH.LEFT):
    """A paragraph of one run without the first-line indent."""
    paragraph = _paragraph(document, "", indent=False)
    paragraph.alignment = align
    if text:
        set_font(paragraph.add_run(_xml_text(text)), font, size, bold)
    return paragraph


def _text(document, text: str):
    """A body paragraph; a leading '（一）….' sentence is set in 楷体 as the paragraph's heading; a note ('注：…') is
    set smaller."""
    paragraph = _paragraph(document, "")
    if text.startswith("注："):  # a table's note, in 四号 as the 版记
        set_font(paragraph.add_run(_xml_text(text)), _BODY_FONT, _RECORD_PT)
        paragraph.paragraph_format.line_spacing = Pt(_RECORD_PT * 1.5)
        return paragraph
    numbered = _NUMBERED.match(text)
    if numbered:
        set_font(paragraph.add_run(_xml_text(numbered.group())), _SUBHEADING_FONT)
        text = text[numbered.end():]
    paragraph.add_run(_xml_text(text))
    return paragraph


def _masthead(document, masthead: Masthead, title: str, as_of_line: str) -> None:
    """The 版头: the 机关名称 in large red type, the 期号, 编发单位 left and date right over a red rule; then the
    title, what the numbers cover (楷体, 四号) and the 主送 line."""
    name = _line(document, masthead.title, _TITLE_FONT, _MASTHEAD_PT, True, WD_ALIGN_PARAGRAPH.CENTER)
    name.runs[0].font.color.rgb = _RED
    name.paragraph_format.line_spacing = 1
    name.paragraph_format.space_after = Pt(_BODY_PT / 2)
    _line(document, masthead.number_line, align=WD_ALIGN_PARAGRAPH.CENTER)
    issuer = _line(document, f"{masthead.issuer}\t{masthead.date_line}")
    issuer.paragraph_format.tab_stops.add_tab_stop(_text_width(document), WD_TAB_ALIGNMENT.RIGHT)
    _border(issuer, "bottom", 18, str(_RED))
    heading = _line(document, title, _TITLE_FONT, _TITLE_PT, True, WD_ALIGN_PARAGRAPH.CENTER)
    heading.paragraph_format.space_before = Pt(_BODY_PT)
    covers = _line(document, as_of_line, _SUBHEADING_FONT, _RECORD_PT)
    covers.paragraph_format.line_spacing = Pt(_RECORD_PT * 1.5)
    covers.paragraph_format.space_after = Pt(_BODY_PT / 2)
    _line(document, f"{masthead.recipients}：")


def _blocks(document, section: Section) -> None:
    """A part's paragraphs and tables; titled tables are numbered (一)、(二)… within the part."""
    titled = iter(_CHINESE_NUMERALS)
    for block in section.blocks:
        if not isinstance(block, Table):
            _text(document, block)
            continue
        for index, part in enumerate(_parts(block, _text_width(document))):
            if index:
                _paragraph(document, "")  # Word joins tables that touch into one
            _docx_table(document, part, next(titled) if part.title else None)


def _closing(document, bulletin: Bulletin) -> None:
    """The 附件说明 (附件：1.…), the 落款 (编发单位 and date, right-aligned four characters in) and the 版记: the 抄送
    line and the 印发 line between a thick rule, a thin one and a thick one."""
    gap = Pt(_BODY_PT / 2)  # half a line before the 附件说明, the 落款 and the 版记, so that they stay on the body's page
    for number, annex in enumerate(bulletin.annexes, 1):
        line = _paragraph(document, f"{'附件：' if number == 1 else ''}{number}.{annex.heading}")
        line.paragraph_format.left_indent = Pt((2 if number == 1 else 5) * _BODY_PT)
        line.paragraph_format.first_line_indent = Pt(0)
        line.paragraph_format.space_before = gap if number == 1 else Pt(0)
    masthead = bulletin.masthead
    for text in (masthead.issuer, masthead.date_line):
        signature = _line(document, text, align=WD_ALIGN_PARAGRAPH.RIGHT)
        signature.paragraph_format.right_indent = Pt(4 * _BODY_PT)
        signature.paragraph_format.space_before = gap if text == masthead.issuer else Pt(0)
    copy_to = _line(document, f"抄送：{masthead.copy_to}。", size=_RECORD_PT)
    copy_to.paragraph_format.left_indent = copy_to.paragraph_format.right_indent = Pt(_RECORD_PT)
    copy_to.paragraph_format.space_before = gap
    _border(copy_to, "top", 8)
    _border(copy_to, "bottom", 4)
    printed = _line(document, f"{masthead.issuer}\t{masthead.date_line}印发", size=_RECORD_PT)
    printed.paragraph_format.left_indent = printed.paragraph_format.right_indent = Pt(_RECORD_PT)
    printed.paragraph_format.tab_stops.add_tab_stop(_text_width(document) - Pt(2 * _RECORD_PT), WD_TAB_ALIGNMENT.RIGHT)
    _border(printed, "bottom", 8)


def _annex(document, number: int, annex: Section) -> None:
    """One 附件 on a page of its own: '附件N' in 黑体, its title centred, its tables."""
    opening = _line(document, f"附件{number}", _HEADING_FONT)
    opening.paragraph_format.page_break_before = True
    title = _line(document, annex.heading, _TITLE_FONT, _TITLE_PT - 4, True, WD_ALIGN_PARAGRAPH.CENTER)
    title.paragraph_format.space_after = Pt(_BODY_PT / 2)
    _blocks(document, annex)


def render_docx(bulletin: Bulletin) -> bytes:
    """The 通报 as a Word document: 版头, body, 落款 and 版记, then the 附件."""
    document = Document()
    _styles(document)
    _page(document.sections[0])
    _page_numbers(document.sections[0])
    _masthead(document, bulletin.masthead, bulletin.title, bulletin.as_of_line)
    for number, section in zip(_CHINESE_NUMERALS, bulletin.body):
        document.add_heading(f"{number}、{section.heading}", level=1)
        _blocks(document, section)
    _closing(document, bulletin)
    for number, annex in enumerate(bulletin.annexes, 1):
        _annex(document, number, annex)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def bulletin_docx(con: duckdb.DuckDBPyConnection, as_of: dt.date, config: Settings | None = None,
                  known_by: dt.date | None = None, **editable) -> bytes:
    """The 通报 as of the end of `as_of` as a Word document (.docx bytes); `editable`: bulletin_content's
    problems_text, next_steps_text and number."""
    return render_docx(bulletin_content(con, as_of, config, known_by, **editable))


