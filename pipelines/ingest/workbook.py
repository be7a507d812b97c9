"""Reading an uploaded file into rows of cells: xlsx, xls and csv, with guards against unsafe or broken files."""
from __future__ import annotations

import copy
import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import python_calamine

from pipelines.settings import IngestSettings

_XLSX_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CHUNK = 1 << 20


class FileRejected(Exception):
    """The whole file cannot be read; the message says why, in Chinese."""


@dataclass
class Sheet:
    """One sheet's cells from A1: rows[i] is the sheet row numbered i + 1, as Excel shows it."""

    name: str
    rows: list[list[object]]


def _mb(n_bytes: float) -> str:
    return f"{n_bytes / (1 << 20):.1f}MB"


def _check_zip(path: Path, limits: IngestSettings) -> None:
    """Refuse an xlsx package that is not a workbook or that would decompress to more than the limits allow.

    Declared sizes are checked first (cheap); then every part is actually decompressed in chunks and
    counted, because a crafted package can declare small sizes and still expand without bound."""
    max_total = limits.max_unzipped_mb * (1 << 20)
    try:
        with zipfile.ZipFile(path) as package:
            members = package.infolist()
            names = {m.filename for m in members}
            if "xl/workbook.xml" not in names and "xl/workbook.bin" not in names:
                raise FileRejected("文件不是 Excel 工作簿（压缩包中没有工作簿内容，可能是改了扩展名的其他文件）")
            declared = sum(m.file_size for m in members)
            if declared > max_total:
                raise FileRejected(f"工作簿解压后达 {_mb(declared)}，超过上限 {_mb(max_total)}，疑似异常文件，已拒收")
            total = 0
            for member in members:
                if member.compress_size and member.file_size / member.compress_size > limits.max_compression_ratio:
                    raise FileRejected("工作簿的压缩比异常（疑似“压缩炸弹”），已拒收")
                # Read to the end of the compressed data, not to the declared size: zipfile would stop at the
                # declared size, and a crafted package declares a small one while its data expands much further.
                probe = copy.copy(member)
                probe.file_size = int(max_total) + 1
                with package.open(probe) as part:
                    while chunk := part.read(_CHUNK):
                        total += len(chunk)
                        if total > max_total:
                            raise FileRejected(
                                f"工作簿解压后超过上限 {_mb(max_total)}，疑似异常文件，已拒收")
    except zipfile.BadZipFile:
        raise FileRejected("文件已损坏，无法作为 Excel 工作簿打开") from None
    except RuntimeError as exc:  # zipfile raises RuntimeError for encrypted members
        raise FileRejected("工作簿设有密码或已加密，请取消密码后再上传") from exc


def _decode_text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileRejected("CSV 文件的编码无法识别，请另存为 UTF-8 或 GBK 编码的 CSV，或直接上传 Excel 工作簿")


def _read_csv(path: Path, limits: IngestSettings) -> list[Sheet]:
    text = _decode_text(path.read_bytes())
    if "\x00" in text:
        raise FileRejected("文件不是文本格式的 CSV（含有二进制内容），请上传 xlsx、xls 或 csv 文件")
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    rows: list[list[object]] = []
    for row in csv.reader(io.StringIO(text, newline=""), dialect):
        rows.append(list(row))
        if len(rows) > limits.max_rows + limits.header_search_rows:
            raise FileRejected(f"文件超过 {limits.max_rows} 行的上限，请分批上传")
    return [Sheet(name=path.stem, rows=rows)]


def _read_workbook(path: Path, limits: IngestSettings) -> list[Sheet]:
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
    except python_calamine.PasswordError:
        raise FileRejected("工作簿设有密码，请取消密码后再上传") from None
    except Exception as exc:  # calamine raises several unrelated types for broken files
        raise FileRejected(f"无法读取工作簿，文件可能已损坏：{exc}") from None
    sheets: list[Sheet] = []
    try:
        for meta in book.sheets_metadata:
            if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
                continue
            if meta.visible != python_calamine.SheetVisibleEnum.Visible:
                continue
            sheet = book.get_sheet_by_name(meta.name)
            if sheet.height > limits.max_rows + limits.header_search_rows:
                raise FileRejected(f"工作表“{meta.name}”有 {sheet.height} 行，超过 {limits.max_rows} 行的上限，请分批上传")
            # From A1, empty leading rows and columns included, so rows[i] is sheet row i + 1 whatever the
            # used area is (iter_rows() keeps leading empty rows but drops leading columns, unlike .start).
            sheets.append(Sheet(name=meta.name, rows=sheet.to_python(skip_empty_area=False)))
    except FileRejected:
        raise
    except Exception as exc:
        raise FileRejected(f"无法读取工作簿，文件可能已损坏：{exc}") from None
    finally:
        book.close()
    return sheets


def read_sheets(path: str | Path, limits: IngestSettings) -> list[Sheet]:
    """Every visible worksheet of the file as rows of cells, or FileRejected saying why not."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError:
        raise FileRejected(f"找不到文件 {path.name}") from None
    if size == 0:
        raise FileRejected("文件是空的")
    if size > limits.max_file_mb * (1 << 20):
        raise FileRejected(f"文件大小 {_mb(size)} 超过上限 {limits.max_file_mb:g}MB，请分批上传")
    with path.open("rb") as handle:
        magic = handle.read(8)
    suffix = path.suffix.lower()
    if magic.startswith(_XLSX_MAGIC):
        _check_zip(path, limits)
        sheets = _read_workbook(path, limits)
    elif magic == _XLS_MAGIC:
        sheets = _read_workbook(path, limits)
    elif suffix in (".xlsx", ".xlsm", ".xls"):
        raise FileRejected(f"文件扩展名为 {suffix}，但内容不是 Excel 工作簿（可能是改了扩展名的其他文件）")
    elif suffix in (".csv", ".txt"):
        sheets = _read_csv(path, limits)
    else:
        raise FileRejected("不是可读取的工作簿，请上传 xlsx、xls 或 csv 文件")
    if not any(any(str(c).strip() for c in row) for sheet in sheets for row in sheet.rows):
        raise FileRejected("工作簿中没有任何内容（工作表是空的）")
    return sheets
