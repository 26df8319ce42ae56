"""Ingest: a tabular file becomes a typed Parquet table. Streams (transcode, DuckDB read, Parquet write),
so memory stays flat whatever the file's size. The original file is never changed."""

from __future__ import annotations

import codecs
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import duckdb

from sapan.datastore.reading import IngestError, Layout, sniff_layout

THAI_DIGITS, ARABIC = "๐๑๒๓๔๕๖๗๘๙", "0123456789"
INT = r"^-?[0-9]{1,3}(,[0-9]{3})*$|^-?[0-9]+$"
NUM = r"^-?([0-9]{1,3}(,[0-9]{3})+|[0-9]*)(\.[0-9]+)?$"
DMY = r"^([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})$"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _transcode(source: IO[bytes], encoding: str, target: Path, progress: Callable[[int], None]) -> int:
    """Copy `source` to `target` as UTF-8, chunk by chunk; returns how many bytes could not be read."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    bad = 0
    with target.open("w", encoding="utf-8", newline="") as out:
        done = 0
        while chunk := source.read(1024 * 1024):
            text = decoder.decode(chunk)
            bad += text.count("\ufffd")
            out.write(text)
            done += len(chunk)
            progress(done)
        out.write(decoder.decode(b"", final=True))
    return bad


def _normalised(column: str) -> str:
    """SQL for a cell as numbers and dates see it: trimmed, Thai digits made Arabic."""
    return f"translate(trim({_q(column)}), '{THAI_DIGITS}', '{ARABIC}')"


def _candidates(con: duckdb.DuckDBPyConnection, columns: list[str], sample: int = 10_000) -> set[str]:
    """Columns whose first rows could all be numbers or dates; only these get the full-column check."""
    checks = []
    for i, c in enumerate(columns):
        n = _normalised(c)
        readable = f"regexp_matches({n}, '{NUM}') OR TRY_CAST({n} AS DATE) IS NOT NULL"
        readable += f" OR regexp_matches({n}, '{DMY}')"
        checks.append(f"bool_and({n} = '' OR {n} IS NULL OR {readable}) AS c{i}")
    row = con.execute(f"SELECT {', '.join(checks)} FROM (SELECT * FROM raw LIMIT {sample})").fetchone()
    assert row is not None
    return {c for c, ok in zip(columns, row, strict=True) if ok is not False}


def _infer(
    con: duckdb.DuckDBPyConnection, columns: list[str]
) -> tuple[list[tuple[str, str, str]], dict[str, int]]:
    """For each column: (name, CKAN type, SQL that makes the typed value), and how many cells of each
    typed column needed Thai digits folded, separators dropped or a BE year. A type is chosen only
    when every non-empty cell reads as it (so a column of mostly numbers with one word stays text)."""
    candidates = _candidates(con, columns)
    checks = []
    for i, c in enumerate(columns):
        n = _normalised(c)
        if c not in candidates:  # the sample already holds a cell no type reads: text, no full scan
            checks.append(f"0 AS f{i}, 0 AS i{i}, 0 AS n{i}, 0 AS d{i}, 0 AS m{i}, 0 AS k{i}")
            continue
        checks.append(
            f"count(NULLIF({n}, '')) AS f{i}, "
            f"count(*) FILTER (WHERE regexp_matches({n}, '{INT}')) AS i{i}, "
            f"count(*) FILTER (WHERE regexp_matches({n}, '{NUM}') AND {n} NOT IN ('', '-', '.')) AS n{i}, "
            f"count(TRY_CAST({n} AS DATE)) AS d{i}, "
            f"count(*) FILTER (WHERE regexp_matches({n}, '{DMY}')) AS m{i}, "
            f"count(*) FILTER (WHERE (trim({_q(c)}) <> replace({n}, ',', '')) "
            f"OR (TRY_CAST(regexp_extract({n}, '{DMY}', 3) AS INTEGER) > 2400)) AS k{i}"
        )
    row = con.execute(f"SELECT {', '.join(checks)} FROM raw").fetchone()
    assert row is not None
    out = []
    coerced: dict[str, int] = {}
    for i, c in enumerate(columns):
        filled, ints, nums, iso, dmy, changed = row[6 * i : 6 * i + 6]
        if filled and changed and filled in (ints, nums, iso, dmy):
            coerced[c] = int(changed)
        n = _normalised(c)
        if filled and ints == filled:
            out.append((c, "int", f"TRY_CAST(replace({n}, ',', '') AS BIGINT)"))
        elif filled and nums == filled:
            out.append((c, "numeric", f"TRY_CAST(replace({n}, ',', '') AS DOUBLE)"))
        elif filled and iso == filled:
            out.append((c, "date", f"TRY_CAST({n} AS DATE)"))
        elif filled and dmy == filled:
            # dd/mm/yyyy; a year past 2400 is Buddhist-era (BE = CE + 543)
            y = f"CAST(regexp_extract({n}, '{DMY}', 3) AS INTEGER)"
            year = f"(CASE WHEN {y} > 2400 THEN {y} - 543 ELSE {y} END)"
            month = f"CAST(regexp_extract({n}, '{DMY}', 2) AS INTEGER)"
            day = f"CAST(regexp_extract({n}, '{DMY}', 1) AS INTEGER)"
            out.append((c, "date", f"TRY_CAST(make_date({year}, {month}, {day}) AS DATE)"))
        else:
            out.append((c, "text", f"NULLIF(trim({_q(c)}), '')"))
    return out, coerced


def ingest_csv(
    source: IO[bytes],
    workdir: Path,
    progress: Callable[[float, str], None],
    size: int | None = None,
    local_path: str | None = None,
) -> tuple[Path, list[dict[str, str]], int, dict[str, Any]]:
    """Read a CSV/TSV stream into `workdir/table.parquet`. Returns (parquet path, fields, rows, report);
    raises IngestError with a readable reason. A UTF-8 file already on local disk is read in place."""
    layout: Layout = sniff_layout(source)
    source.seek(0)
    total = size or 0
    bad = 0
    if layout.encoding == "utf-8" and local_path:
        utf8 = Path(local_path)
    else:
        utf8 = workdir / "source.csv"
        bad = _transcode(
            source, layout.encoding, utf8, lambda n: progress(0.4 * n / total if total else 0.2, "reading")
        )
    con = duckdb.connect(
        config={"memory_limit": "512MB", "temp_directory": str(workdir / "spill"), "threads": 2}
    )
    try:
        types = "{" + ", ".join("'" + c.replace("'", "''") + "': 'VARCHAR'" for c in layout.columns) + "}"
        delim = layout.delimiter.replace("'", "''")
        quoted_path = str(utf8).replace("'", "''")
        try:
            # One read of the file into a table (spilling to disk when large); every later pass
            # (types, coercion counts, the Parquet write) reads that instead of parsing the CSV again.
            con.execute(
                f"CREATE TABLE raw AS SELECT * FROM read_csv('{quoted_path}', delim='{delim}', header=false, "
                f"skip={layout.skip_rows}, columns={types}, auto_detect=false, quote='\"', escape='\"', "
                "null_padding=true, strict_mode=false, ignore_errors=true, store_rejects=true)"
            )
            progress(0.5, "inferring types")
            fields, coerced = _infer(con, layout.columns)
        except duckdb.Error as exc:
            raise IngestError(f"The file could not be read as a table: {str(exc).splitlines()[0]}") from exc
        select = ", ".join(f"{expr} AS {_q(name)}" for name, _, expr in fields)
        target = workdir / "table.parquet"
        progress(0.6, "writing Parquet")
        con.execute(
            f"COPY (SELECT rowid + 1 AS _id, {select} FROM raw) TO '{target}' "
            "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 100000)"
        )
        rows = int(con.execute("SELECT count(*) FROM raw").fetchone()[0])  # type: ignore[index]
        rejected = int(con.execute("SELECT count(*) FROM reject_errors").fetchone()[0])  # type: ignore[index]
    finally:
        con.close()
    if rows == 0:
        raise IngestError("The file has a header but no rows")
    report = {
        "encoding": layout.encoding,
        "delimiter": layout.delimiter,
        "title_rows_skipped": layout.skip_rows - 1,
        "rows_read": rows,
        "rows_rejected": rejected,
        "undecodable_characters": bad,
        "values_coerced": coerced,
    }
    return target, [{"id": name, "type": kind} for name, kind, _ in fields], rows, report


def new_workdir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="sapan-ingest-"))
    (path / "spill").mkdir()
    return path


def remove_workdir(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
