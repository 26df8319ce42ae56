"""Reading messy government CSV files: encoding (UTF-8, BOM, UTF-16, TIS-620/Windows-874), delimiter,
and the real header row below any title rows."""

from __future__ import annotations

import codecs
import csv
import io
from collections import Counter
from dataclasses import dataclass
from typing import IO

from sapan.errors import SapanError

SAMPLE = 256 * 1024


class IngestError(SapanError):
    """A file that cannot become a table; the message says why, for the ingest report."""


@dataclass
class Layout:
    encoding: str
    delimiter: str
    skip_rows: int  # CSV rows before the first data row: title rows and the header (DuckDB's `skip`
    # counts rows, so a header cell holding line breaks still counts once)
    columns: list[str]


def detect_encoding(sample: bytes) -> str:
    """The file's encoding from its first bytes; Thai single-byte files read as cp874 (TIS-620 plus
    the few symbols Windows-874 adds)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in sample:
        raise IngestError("This is not a text file (it holds NUL bytes): upload a CSV or TSV file")
    try:  # incremental, so a character cut by the end of the sample is not an error
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=len(sample) < SAMPLE)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    thai = sum(0xA1 <= b <= 0xFB for b in sample)
    if thai > len(sample) * 0.02:
        return "cp874"
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    if best is None:
        raise IngestError("Could not tell this file's character encoding")
    return str(best.encoding)


def clean_names(header: list[str]) -> list[str]:
    """Column names: trimmed, newlines folded, empty ones named, duplicates numbered."""
    names: list[str] = []
    seen: Counter[str] = Counter()
    for i, raw in enumerate(header, 1):
        name = " ".join(raw.replace("\ufeff", "").split()) or f"column_{i}"
        name = name[:200]
        seen[name] += 1
        names.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return names


def sniff_layout(stream: IO[bytes]) -> Layout:
    """Look at the start of a file and say how to read it. Raises IngestError for what cannot be a table."""
    sample = stream.read(SAMPLE)
    if not sample.strip():
        raise IngestError("The file is empty")
    encoding = detect_encoding(sample)
    text = sample.decode(encoding, errors="replace")
    whole_file = len(sample) < SAMPLE
    lines = text.splitlines()
    if not whole_file and len(lines) > 1:
        lines = lines[:-1]  # the last sampled line may be cut
    lines = lines[:60]
    try:
        delimiter = csv.Sniffer().sniff("\n".join(lines[:30]), delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = "\t" if lines and lines[0].count("\t") > lines[0].count(",") else ","
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
    widths = [sum(1 for cell in row if cell.strip()) for row in rows]
    if not widths or max(widths) == 0:
        raise IngestError("The file has no columns")
    usual = Counter(w for w in widths[1:] or widths if w).most_common(1)[0][0] if any(widths) else 1
    # The header is the first line nearly as wide as the data; title lines above it are skipped.
    header_row = next((i for i, w in enumerate(widths) if w >= max(1, 0.6 * usual)), 0)
    columns = clean_names(rows[header_row])
    if whole_file and not any(any(cell.strip() for cell in row) for row in rows[header_row + 1 :]):
        raise IngestError("The file has a header but no rows")
    if len(columns) > 5000:
        raise IngestError(f"The file has {len(columns)} columns; at most 5,000 are supported")
    return Layout(encoding, delimiter, header_row + 1, columns)
