"""The full-text index behind datastore_search's `q`: a postings Parquet file (token, _id) per table.

Scanning every text cell with contains() costs ~100 ms per million rows before any other work, so `q`
looks its words up in postings instead: one row per (token, row) pair, sorted by token then _id, so a
word's rows are one contiguous, min/max-prunable stretch of the file.

Tokens are words as the rest of Sapan sees them (sapan.thai.analysis.words: normalised, Thai segmented
by newmm, lowercased, English stemmed). A cell is first cut into *segments* by one regular expression
that RE2 (DuckDB) and Python's re read alike: Thai runs (dots kept inside, for abbreviations such as
จ. or ป.ป.ช.) and runs of anything but ASCII punctuation. A query is cut the same way, so cell and query
tokens agree by construction. The split lets DuckDB do the heavy lifting: segments that are numbers or
codes (ASCII letters and digits with a digit) are their own token, in SQL; only the *distinct* other
segments go through Python, which is what keeps a million rows to a few seconds. Each long Thai word is
also indexed by its ICU parts (as the catalogue search does), so a query for ดิจิทัล finds a cell that
says กระทรวงดิจิทัลเพื่อเศรษฐกิจและสังคม, which newmm keeps as one word. English words are stemmed (farmers
finds Farmer); years are not widened to the other era, unlike the catalogue search.

Querying: every word of q is required. q_match answers a q-only search (count and page) from the
postings alone, then engine.table_source(path, ids=...) reads just the page's rows; q_condition() is
the WHERE fragment for a q that comes with filters or a sort (order by _id then: a semi-join does not
keep file order).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from sapan.datastore.engine import literal, quote, table_source
from sapan.thai.analysis import parts, words

ROWS_KEY = "sapan_rows"  # the table's row count, in the postings file's key-value metadata
MAX_QUERY_TOKENS = 16  # as the scan it replaces: a pasted paragraph should not become 200 joins
THAI_DIGITS, ARABIC = "๐๑๒๓๔๕๖๗๘๙", "0123456789"
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"  # inside Thai words; normalize() drops them
_THAI = f"\u0e01-\u0e4f\u0e5a\u0e5b{_ZERO_WIDTH}"  # Thai letters and marks (Thai digits go with numbers)
# Only \xHH escapes and literal characters, which RE2 and Python read alike. A Thai run keeps inner and
# final dots (จ. ป.ป.ช. กทม.) for normalize(); the other branch is anything but ASCII punctuation/space.
SEGMENT = (
    f"[{_THAI}]+(?:\\.[{_THAI}]+)*\\.?"
    f"|[^\\x00-\\x2f\\x3a-\\x40\\x5b-\\x60\\x7b-\\x7f\u0e00-\u0e4f\u0e5a-\u0e7f]+"
)
# A segment of ASCII letters and digits with a digit in it (a number, a code) is its own token once
# lowercased and its Thai digits made Arabic: words() would not change it, so SQL can do it.
ASCII_CODE = "[A-Za-z0-9]*[0-9][A-Za-z0-9]*"
CODE = f"[A-Za-z0-9{THAI_DIGITS}]*[0-9{THAI_DIGITS}][A-Za-z0-9{THAI_DIGITS}]*"
_segment = re.compile(SEGMENT)


@lru_cache(maxsize=200_000)
def _segment_words(segment: str) -> tuple[str, ...]:
    return tuple(words(segment))


def segments(text: str) -> list[str]:
    """The pieces a text is cut into before its words are found (as regexp_extract_all does in SQL)."""
    return _segment.findall(text)


def index_tokens(text: str) -> list[str]:
    """The word tokens of a cell or a query, in order (repeats kept)."""
    return [t for s in segments(text) for t in _segment_words(s)]


def cell_tokens(segment: str) -> tuple[str, ...]:
    """What one segment of a cell is indexed under: its words, then the ICU parts of the long Thai ones."""
    found = _segment_words(segment)
    return tuple(dict.fromkeys([*found, *(p for w in found for p in parts(w))]))


def query_tokens(q: str) -> list[str]:
    """The distinct tokens a query asks for, all of them required (at most MAX_QUERY_TOKENS)."""
    return list(dict.fromkeys(index_tokens(q)))[:MAX_QUERY_TOKENS]


def build_postings(
    con: duckdb.DuckDBPyConnection,
    table_parquet: str,
    text_columns: list[str],
    target: Path,
    progress: Callable[[float, str], None] | None = None,
    positional: bool = True,
) -> int:
    """Write `target`: the postings (token VARCHAR, _id BIGINT) of the table's text columns, distinct and
    sorted by token then _id, with the table's row count in the file's metadata. Returns how many
    postings were written. Works on a cursor of `con`, so its temporary tables never meet the caller's;
    give `con` a memory_limit and a temp_directory for big tables. Raises duckdb.Error."""
    report = progress or (lambda fraction, message: None)
    cur = con.cursor()
    try:
        source = table_source(table_parquet, positional)
        rows = _one(cur, f"SELECT count(*) FROM {source}")
        report(0.0, "splitting text")
        # Pieces between spaces: no segment spans a space, so the columns can be joined with one and
        # the (slow) regular expression need only run on the distinct pieces.
        cells = ", ".join(f"CAST({quote(c)} AS VARCHAR)" for c in text_columns) or "NULL"
        cur.execute(
            f"CREATE TEMP TABLE pieces AS SELECT _id, unnest(string_split(concat_ws(' ', {cells}), ' ')) "
            f"AS piece FROM {source}"
        )
        cur.execute(
            "CREATE TEMP TABLE piece_segments AS SELECT piece, unnest(regexp_extract_all(piece, "
            f"{literal(SEGMENT)})) AS segment FROM (SELECT DISTINCT piece FROM pieces)"
        )
        cur.execute(
            "CREATE TEMP TABLE codes AS SELECT segment, CASE "
            f"WHEN regexp_full_match(segment, {literal(ASCII_CODE)}) THEN lower(segment) "
            f"WHEN regexp_full_match(segment, {literal(CODE)}) "
            f"THEN lower(translate(segment, {literal(THAI_DIGITS)}, {literal(ARABIC)})) "
            "END AS code FROM (SELECT DISTINCT segment FROM piece_segments)"
        )
        distinct = [r[0] for r in cur.execute("SELECT segment FROM codes WHERE code IS NULL").fetchall()]
        report(0.3, f"tokenising {len(distinct)} distinct words")
        keys: list[str] = []
        tokens: list[str] = []
        for segment in distinct:
            for token in cell_tokens(segment):
                keys.append(segment)
                tokens.append(token)
        cur.register(
            "words",
            pa.table({"segment": pa.array(keys, pa.string()), "token": pa.array(tokens, pa.string())}),
        )
        report(0.5, "writing postings")
        cur.execute(
            "CREATE TEMP TABLE segment_tokens AS SELECT segment, code AS token FROM codes "
            "WHERE code IS NOT NULL UNION ALL SELECT segment, token FROM words"
        )
        # Deduplicating and sorting the pairs is the expensive step: number the tokens in their order
        # and do both on integers, looking the text up only for the write.
        cur.execute(
            "CREATE TEMP TABLE vocabulary AS SELECT token, CAST(row_number() OVER (ORDER BY token) "
            "AS INTEGER) AS tid FROM (SELECT DISTINCT token FROM segment_tokens)"
        )
        cur.execute(
            "CREATE TEMP TABLE piece_tids AS SELECT DISTINCT piece, tid FROM piece_segments "
            "JOIN segment_tokens USING (segment) JOIN vocabulary USING (token)"
        )
        # Parquet v2 stores the sorted _ids delta-encoded: a third of the size, read ~4x faster.
        options = (
            f"COMPRESSION zstd, PARQUET_VERSION v2, ROW_GROUP_SIZE 100000, KV_METADATA {{{ROWS_KEY}: {rows}}}"
        )
        cur.execute(
            "COPY (SELECT token, _id FROM (SELECT DISTINCT tid, _id FROM pieces JOIN piece_tids "
            "USING (piece)) JOIN vocabulary USING (tid) ORDER BY tid, _id) "
            f"TO {literal(str(target))} (FORMAT parquet, {options})"
        )
        count = _one(cur, f"SELECT count(*) FROM read_parquet({literal(str(target))})")
        report(1.0, f"{count} postings")
        return count
    finally:
        cur.close()


def _one(con: duckdb.DuckDBPyConnection, sql: str, args: list[Any] | None = None) -> int:
    # fetchall, not fetchone: DuckDB refuses a relation (con.sql) while a result is left unfinished.
    rows = con.execute(sql, args or []).fetchall()
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0


_table_rows: dict[str, int] = {}  # postings files are never rewritten (each build writes a new key)


def _rows(con: duckdb.DuckDBPyConnection, postings: str) -> int:
    """The indexed table's row count (-1 if the file does not say), read once per postings file."""
    if postings not in _table_rows:
        if len(_table_rows) > 10_000:
            _table_rows.clear()
        rows = con.execute(
            "SELECT value FROM parquet_kv_metadata(?) WHERE key = ?", [postings, ROWS_KEY.encode()]
        ).fetchall()
        _table_rows[postings] = int(rows[0][0]) if rows else -1
    return _table_rows[postings]


def _plan(con: duckdb.DuckDBPyConnection, postings: str, tokens: list[str]) -> list[tuple[str, int]]:
    """The tokens worth joining, with how many rows hold each, most frequent first; [] when one is in no
    row. A token in every row restricts nothing, so it goes (one token is kept: it lists the rows)."""
    marks = ", ".join("?" for _ in tokens)
    found: dict[str, int] = dict(
        con.execute(
            f"SELECT token, count(*) FROM {_source(postings)} WHERE token IN ({marks}) GROUP BY token", tokens
        ).fetchall()
    )
    if len(found) < len(tokens):
        return []
    ordered = sorted(found.items(), key=lambda item: item[1])
    rows = _rows(con, postings)
    return ([t for t in ordered if t[1] != rows] or ordered[:1])[::-1]


def _source(postings: str) -> str:
    return f"read_parquet({literal(postings)})"


def _ids_sql(postings: str, count: int) -> str:
    """The _ids holding all of `count` tokens (args: most frequent first). The most frequent list is
    streamed and semi-joined against hash tables of the rarer ones: building hashes costs more than
    probing them."""
    source = _source(postings)
    rarer = f" AND _id IN (SELECT _id FROM {source} WHERE token = ?)" * (count - 1)
    return f"SELECT _id FROM {source} WHERE token = ?{rarer}"


def q_condition(
    postings_parquet: str, q: str, con: duckdb.DuckDBPyConnection | None = None
) -> tuple[str, list[Any]] | None:
    """A WHERE fragment over the main table's _id (and its args) keeping the rows that hold every word
    of `q`; None when q has no words. Given `con`, the words are looked up first: a word in no row
    gives FALSE, and frequent words are ordered for the join."""
    tokens = query_tokens(q)
    if not tokens:
        return None
    if con is not None:
        tokens = [t for t, _ in _plan(con, postings_parquet, tokens)]
        if not tokens:
            return "FALSE", []
    return f"_id IN ({_ids_sql(postings_parquet, len(tokens))})", tokens


@dataclass
class Match:
    """The rows a q-only search finds: how many, and the _ids of the asked-for page in _id order."""

    total: int
    ids: list[int]


def q_match(
    con: duckdb.DuckDBPyConnection, postings_parquet: str, q: str, limit: int, offset: int = 0
) -> Match | None:
    """Count and page of a search with no other condition, from the postings alone (one pass over
    them); None when q has no words. Read the page's rows with engine.table_source(..., ids=)."""
    tokens = query_tokens(q)
    if not tokens:
        return None
    plan = _plan(con, postings_parquet, tokens)
    if not plan:
        return Match(0, [])
    page = f"ORDER BY _id LIMIT {int(limit)} OFFSET {int(offset)}"
    if len(plan) == 1:
        token, total = plan[0]
        ids = con.execute(_ids_sql(postings_parquet, 1) + f" {page}", [token]).fetchall() if limit else []
        return Match(total, [int(r[0]) for r in ids])
    # One pass: the intersection is materialised once for both the count and the page.
    total, ids = con.execute(
        f"WITH m AS MATERIALIZED ({_ids_sql(postings_parquet, len(plan))}) SELECT (SELECT count(*) FROM m), "
        f"(SELECT list(_id) FROM (SELECT _id FROM m {page}))",
        [t for t, _ in plan],
    ).fetchall()[0]
    return Match(int(total), [int(i) for i in ids or []])


def q_count(con: duckdb.DuckDBPyConnection, postings_parquet: str, q: str) -> int:
    """How many rows hold every word of q (the total of a q-only search), from the postings alone.
    A q without words is no condition: every row (the table's row count, kept in the postings file)."""
    match = q_match(con, postings_parquet, q, 0)
    return match.total if match else max(_rows(con, postings_parquet), 0)
