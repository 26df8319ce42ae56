"""Ingest: a tabular file becomes a typed Parquet table. Streams (transcode, DuckDB read, Parquet write),
so memory stays flat whatever the file's size. The original file is never changed."""

from __future__ import annotations

import codecs
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import duckdb

from sapan.datastore.engine import literal, quote
from sapan.datastore.reading import IngestError, Layout, sniff_layout

THAI_DIGITS, ARABIC = "๐๑๒๓๔๕๖๗๘๙", "0123456789"
INT = r"^-?[0-9]{1,3}(,[0-9]{3})*$|^-?[0-9]+$"
NUM = r"^-?([0-9]{1,3}(,[0-9]{3})+|[0-9]*)(\.[0-9]+)?$"
LEADING_ZERO = r"^-?0[0-9]"  # codes such as 0105536092641 or 01: as numbers they would lose the zero
DMY = r"^([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})$"
# 25 มี.ค. 64, ๒๕ มีนาคม ๒๕๖๔, 1 ม.ค. พ.ศ. 2564 once dots and spaces are dropped: day, month, year
THAI_DATE = r"^([0-9]{1,2})([ก-ฮะ-์]+?)(พศ)?([0-9]{2}|[0-9]{4})$"
MONTHS = (
    "['มค', 'กพ', 'มีค', 'เมย', 'พค', 'มิย', 'กค', 'สค', 'กย', 'ตค', 'พย', 'ธค']",
    "['มกราคม', 'กุมภาพันธ์', 'มีนาคม', 'เมษายน', 'พฤษภาคม', 'มิถุนายน', 'กรกฎาคม', 'สิงหาคม', "
    "'กันยายน', 'ตุลาคม', 'พฤศจิกายน', 'ธันวาคม']",
)


def _repair_mixed(source: IO[bytes], target: Path, progress: Callable[[int], None]) -> tuple[int, int]:
    """Copy a UTF-8 file with some lines in TIS-620/Windows-874 (files joined from several sources) as
    UTF-8, line by line. Returns (lines read as Windows-874, characters that could not be read)."""
    thai = bad = done = 0
    with target.open("w", encoding="utf-8", newline="") as out:
        for line in source:
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError:
                text = line.decode("cp874", errors="replace")
                thai += 1
                bad += text.count("\ufffd")
            out.write(text)
            done += len(line)
            if thai and thai % 10_000 == 0:
                progress(done)
    return thai, bad


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


def _normalised(column: str, thai_digits: bool = True) -> str:
    """SQL for a cell as numbers and dates see it: trimmed, Thai digits made Arabic. translate() is
    the costliest step of an ingest, so it runs only on columns that hold a Thai digit."""
    if not thai_digits:
        return f"trim({quote(column)})"
    return f"translate(trim({quote(column)}), '{THAI_DIGITS}', '{ARABIC}')"


def _thai_date(n: str) -> tuple[str, str]:
    """SQL for (the cell without dots and spaces, the Thai month's number or 0)."""
    squeezed = f"replace(replace({n}, '.', ''), ' ', '')"
    name = f"regexp_extract({squeezed}, '{THAI_DATE}', 2)"
    return squeezed, f"greatest(list_position({MONTHS[0]}, {name}), list_position({MONTHS[1]}, {name}), 0)"


SQL_TYPE = {"int": "BIGINT", "numeric": "DOUBLE", "date": "DATE", "timestamp": "TIMESTAMP"}
KINDS = (
    "int",
    "numeric",
    "date",
    "timestamp",
    "dmy",
    "thai_date",
)  # tried in this order: the most specific first


def _condition(kind: str, n: str) -> str:
    """SQL that is true when the normalised cell `n` reads as this kind."""
    if kind == "int":
        return f"regexp_matches({n}, '{INT}') AND NOT regexp_matches({n}, '{LEADING_ZERO}')"
    if kind == "numeric":
        number = f"regexp_matches({n}, '{NUM}') AND {n} NOT IN ('', '-', '.')"
        return f"{number} AND NOT regexp_matches({n}, '{LEADING_ZERO}')"
    if kind == "date":  # DuckDB reads 2023-05-14T08:30 as a date too: those are timestamps
        return f"TRY_CAST({n} AS DATE) IS NOT NULL AND length({n}) <= 10"
    if kind == "timestamp":
        return f"TRY_CAST({n} AS TIMESTAMP) IS NOT NULL"
    if kind == "dmy":
        return f"regexp_matches({n}, '{DMY}')"
    squeezed, month = _thai_date(n)
    return f"regexp_matches({squeezed}, '{THAI_DATE}') AND {month} > 0"


def _typed(kind: str, n: str) -> tuple[str, str]:
    """(CKAN type, SQL for the typed value) of a column of this kind."""
    if kind in ("int", "numeric"):
        return kind, f"TRY_CAST(replace({n}, ',', '') AS {'BIGINT' if kind == 'int' else 'DOUBLE'})"
    if kind in ("date", "timestamp"):
        return kind, f"TRY_CAST({n} AS {SQL_TYPE[kind]})"
    if kind == "dmy":  # dd/mm/yyyy; a year past 2400 is Buddhist-era (BE = CE + 543)
        y = f"CAST(regexp_extract({n}, '{DMY}', 3) AS INTEGER)"
        year = f"(CASE WHEN {y} > 2400 THEN {y} - 543 ELSE {y} END)"
        month, day = (f"CAST(regexp_extract({n}, '{DMY}', {g}) AS INTEGER)" for g in (2, 1))
        return "date", f"TRY_CAST(make_date({year}, {month}, {day}) AS DATE)"
    squeezed, month = _thai_date(n)
    y = f"CAST(regexp_extract({squeezed}, '{THAI_DATE}', 4) AS INTEGER)"
    # two-digit years are BE (๖๔ is 2564), as abbreviated Thai dates write them
    year = f"(CASE WHEN {y} < 100 THEN {y} + 1957 WHEN {y} > 2400 THEN {y} - 543 ELSE {y} END)"
    day = f"CAST(regexp_extract({squeezed}, '{THAI_DATE}', 1) AS INTEGER)"
    return "date", f"TRY_CAST(make_date({year}, {month}, {day}) AS DATE)"


def _changed(kind: str, column: str, n: str) -> str:
    """SQL true for a cell the typed value changes beyond trimming (reported as coerced)."""
    digit = f"regexp_matches({quote(column)}, '[๐-๙]')"
    if kind in ("int", "numeric"):
        return f"contains({quote(column)}, ',') OR {digit}"
    if kind == "dmy":
        return f"{digit} OR TRY_CAST(regexp_extract({n}, '{DMY}', 3) AS INTEGER) > 2400"
    return digit if kind in ("date", "timestamp") else "true"


@dataclass
class _Column:
    """What the ingest knows about one column while it decides its type."""

    name: str
    kinds: list[str]  # kinds every cell read so far fits, most specific first; empty: text
    thai: bool = False  # holds Thai digits: read through translate()
    native: bool = False  # clean in the sample: DuckDB's reader casts it; a failed cast is a reject
    padded: bool = False  # text whose sampled cells have spaces around them
    coerced: int = 0

    def reader_type(self) -> str:
        return SQL_TYPE[self.kinds[0]] if self.native else "VARCHAR"

    def field(self) -> tuple[str, str, str]:
        """(name, CKAN type, SQL for the typed value over what the reader gives)."""
        c = quote(self.name)
        if not self.kinds:
            return self.name, "text", f"NULLIF(trim({c}), '')" if self.padded else c
        if self.native:
            return self.name, self.kinds[0], c
        if not self.coerced and self.kinds[0] in SQL_TYPE:  # DuckDB's cast trims
            return self.name, self.kinds[0], f"TRY_CAST({c} AS {SQL_TYPE[self.kinds[0]]})"
        return self.name, *_typed(self.kinds[0], _normalised(self.name, self.thai))


def _plan(
    con: duckdb.DuckDBPyConnection, source: str, names: list[str], sample: int = 10_000
) -> list[_Column]:
    """Read the first rows and guess each column: the kinds all its cells fit, whether DuckDB's own
    cast can read it (no Thai digits, separators or BE years) and whether text needs trimming."""
    con.execute(f"CREATE TABLE sample AS SELECT * FROM {source} LIMIT {sample}")
    facts = [
        f"count(NULLIF(trim({quote(c)}), '')), bool_or(regexp_matches({quote(c)}, '[๐-๙]')), "
        f"bool_or(contains({quote(c)}, ',')), bool_or({quote(c)} <> trim({quote(c)}))"
        for c in names
    ]
    row = con.execute(f"SELECT {', '.join(facts)} FROM sample").fetchone()
    assert row is not None
    digits = {i for i in range(len(names)) if row[4 * i + 1]}  # only these pay for translate()
    # The kind tests cost most on long Thai text: the first 500 rows rule out most text columns.
    possible = _fitting(con, names, range(len(names)), digits, "(SELECT * FROM sample LIMIT 500)")
    fits = _fitting(con, names, [i for i in range(len(names)) if possible[i]], digits, "sample")
    out = []
    for i, c in enumerate(names):
        filled, thai, comma, padded = row[4 * i : 4 * i + 4]
        kinds = fits.get(i, [])
        native = bool(filled and kinds and kinds[0] in SQL_TYPE and not thai)
        native = native and not (comma and kinds[0] in ("int", "numeric"))
        out.append(_Column(c, kinds, bool(thai), native, bool(padded)))
    return out


def _fitting(
    con: duckdb.DuckDBPyConnection, names: list[str], columns: Iterable[int], digits: set[int], rows: str
) -> dict[int, list[str]]:
    """For these columns, the kinds every cell of `rows` fits (most specific first)."""
    columns = list(columns)
    if not columns:
        return {}
    checks = []
    for i in columns:
        n = _normalised(names[i], i in digits)
        checks += [f"bool_and({n} = '' OR {n} IS NULL OR ({_condition(k, n)}))" for k in KINDS]
    row = con.execute(f"SELECT {', '.join(checks)} FROM {rows}").fetchone()
    assert row is not None
    width = len(KINDS)
    return {
        i: [k for j, k in enumerate(KINDS) if row[x * width + j] is not False] for x, i in enumerate(columns)
    }


def _verify(con: duckdb.DuckDBPyConnection, source: str, columns: list[_Column]) -> None:
    """Check the guessed kinds of these columns against every cell; a column whose cells do not all fit
    a kind tries the next one, and ends as text. Each round reads the file once; usually one does."""
    open_ = [c for c in columns if c.kinds]
    while open_:
        checks = []
        for col in open_:
            n = _normalised(col.name, col.thai)
            checks.append(
                f"count(NULLIF({n}, '')), count(*) FILTER (WHERE {_condition(col.kinds[0], n)}), "
                f"count(*) FILTER (WHERE regexp_matches({quote(col.name)}, '[๐-๙]')), "
                f"count(*) FILTER (WHERE {_changed(col.kinds[0], col.name, n)})"
            )
        row = con.execute(f"SELECT {', '.join(checks)} FROM {source}").fetchone()
        assert row is not None
        still = []
        for k, col in enumerate(open_):
            filled, matched, digits, changed = row[4 * k : 4 * k + 4]
            if digits and not col.thai:
                col.thai = True  # read it again with Thai digits folded
                still.append(col)
            elif filled and matched == filled:
                col.coerced = int(filled if col.kinds[0] == "thai_date" else changed)
            elif filled and len(col.kinds) > 1:
                col.kinds.pop(0)
                still.append(col)
            else:
                col.kinds = []
        open_ = still


def _read_csv(path: Path, layout: Layout, types: list[str], rejects: str) -> str:
    """DuckDB's CSV reader for this file: given column types, no guessing, short rows padded, broken
    rows set aside in a rejects table (with the reason) instead of failing the whole file."""
    columns = ", ".join(f"{literal(n)}: '{t}'" for n, t in zip(layout.columns, types, strict=True))
    return (
        f"read_csv({literal(str(path))}, delim={literal(layout.delimiter)}, "
        f"header=false, skip={layout.skip_rows}, columns={{{columns}}}, auto_detect=false, quote='\"', "
        "escape='\"', null_padding=true, strict_mode=false, ignore_errors=true, store_rejects=true, "
        f"rejects_table='{rejects}', rejects_scan='{rejects}_scans')"
    )


def _run(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    progress: Callable[[float, str], None],
    span: tuple[float, float],
    label: str,
) -> None:
    """Run one long statement, reporting DuckDB's own progress into [span] of the job's."""
    done = threading.Event()

    def poll() -> None:
        while not done.wait(0.5):
            share = con.query_progress()
            if share >= 0:
                progress(span[0] + (span[1] - span[0]) * share / 100, label)

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    try:
        con.execute(sql)
    finally:
        done.set()
        watcher.join()


def ingest_csv(
    source: IO[bytes],
    workdir: Path,
    progress: Callable[[float, str], None],
    size: int | None = None,
    local_path: str | None = None,
    repaired: int | None = None,
) -> tuple[Path, list[dict[str, str]], int, dict[str, Any]]:
    """Read a CSV/TSV stream into `workdir/table.parquet`. Returns (parquet path, fields, rows, report);
    raises IngestError with a readable reason. A UTF-8 file already on local disk is read in place.

    The file is streamed, never loaded: the first rows suggest each column's type; columns DuckDB can
    cast itself are read typed (a cell that fails makes the row a reject, and that column is then
    checked in full and the table written again); columns needing Thai digits, separators or BE years
    folded are checked in one pass before the write."""
    layout: Layout = sniff_layout(source)
    source.seek(0)
    total = size or 0
    bad = 0
    if layout.encoding == "utf-8" and local_path:
        utf8 = Path(local_path)
    else:
        utf8 = workdir / "source.csv"
        step = lambda n: progress(0.3 * n / total if total else 0.2, "reading")  # noqa: E731
        if layout.encoding == "utf-8":
            repaired, bad = _repair_mixed(source, utf8, step)
        else:
            bad = _transcode(source, layout.encoding, utf8, step)
    con = duckdb.connect(
        config={"memory_limit": "512MB", "temp_directory": str(workdir / "spill"), "threads": 2}
    )
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    target = workdir / "table.parquet"
    text = _read_csv(utf8, layout, ["VARCHAR"] * len(layout.columns), "rejects_text")
    try:
        columns = _plan(con, text, layout.columns)
        progress(0.35, "inferring types")
        for attempt in range(len(columns) + 1):
            _verify(con, text, [c for c in columns if c.kinds and not c.native and not c.coerced])
            rejects = f"rejects_{attempt}"
            typed = _read_csv(utf8, layout, [c.reader_type() for c in columns], rejects)
            select = ", ".join(f"{expr} AS {quote(name)}" for name, _, expr in (c.field() for c in columns))
            _run(
                con,
                f"COPY (SELECT {select} FROM {typed}) TO {literal(str(target))} (FORMAT parquet)",
                progress,
                (0.4, 0.95),
                "writing Parquet",
            )
            failed = {
                r[0]
                for r in con.execute(
                    f"SELECT DISTINCT column_name FROM {rejects} WHERE error_type = 'CAST'"
                ).fetchall()
            }
            if not failed:
                break
            for c in columns:  # a later cell DuckDB could not cast: check that column in full
                c.native = c.native and c.name not in failed
        rows = int(con.execute(f"SELECT count(*) FROM read_parquet('{target}')").fetchone()[0])  # type: ignore[index]
        rejected = con.execute(
            f"SELECT count(DISTINCT line), list(DISTINCT line ORDER BY line)[:10], "
            f"list(DISTINCT error_type ORDER BY error_type) FROM {rejects}"
        ).fetchone()
        assert rejected is not None
    except duckdb.Error as exc:
        raise IngestError(f"The file could not be read as a table: {str(exc).splitlines()[0]}") from exc
    finally:
        con.close()
    if "INVALID UNICODE" in (rejected[2] or []) and layout.encoding == "utf-8" and repaired is None:
        # Lines that are not UTF-8 in a UTF-8 file: read them as Thai Windows-874 and start again.
        source.seek(0)
        fixed = workdir / "repaired.csv"
        thai, _ = _repair_mixed(source, fixed, lambda n: progress(0.3, "re-reading mixed encodings"))
        with fixed.open("rb") as again:
            return ingest_csv(again, workdir, progress, size, str(fixed), repaired=thai)
    if rows == 0:
        raise IngestError("The file has a header but no rows")
    fields = [c.field() for c in columns]
    report = {
        "encoding": layout.encoding,
        "delimiter": layout.delimiter,
        "row_ids": "position",  # _id is the row's place in the file (engine.table_source)
        "title_rows_skipped": layout.skip_rows - 1,
        "rows_read": rows,
        "rows_rejected": int(rejected[0]),
        "rejected_lines": rejected[1] or [],  # the first ten, as lines of the file
        "rejected_because": [REASONS.get(e, e) for e in rejected[2] or []],
        "undecodable_characters": bad,
        **({"lines_read_as_windows_874": repaired} if repaired else {}),
        "values_coerced": {c.name: c.coerced for c in columns if c.coerced},
    }
    return target, [{"id": name, "type": kind} for name, kind, _ in fields], rows, report


REASONS = {
    "CAST": "a cell does not fit its column's type",
    "MISSING COLUMNS": "fewer cells than the header",
    "TOO MANY COLUMNS": "more cells than the header",
    "UNQUOTED VALUE": "a quote in an unquoted cell",
    "LINE SIZE OVER MAXIMUM": "the line is too long",
    "INVALID UNICODE": "invalid characters",
    "INVALID ENCODING": "invalid characters",
}


WORKDIR_PREFIX = "sapan-ingest-"


def new_workdir() -> Path:
    """A scratch folder named after this process, so a later worker can tell a dead one's leftovers."""
    path = Path(tempfile.mkdtemp(prefix=f"{WORKDIR_PREFIX}{os.getpid()}-"))
    (path / "spill").mkdir()
    return path


def remove_dead_workdirs() -> int:
    """Delete the scratch folders of processes no longer running (a worker killed mid-ingest leaves
    its spill files and half-written Parquet); returns how many."""
    removed = 0
    for path in Path(tempfile.gettempdir()).glob(f"{WORKDIR_PREFIX}*-*"):
        pid = path.name.removeprefix(WORKDIR_PREFIX).split("-", 1)[0]
        if pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_workdir(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
