"""The postings index behind datastore_search's q: Thai words inside unspaced cells, Thai digits,
English in any case, AND of words, and the SQL fast path agreeing with the Python tokeniser."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sapan.datastore.engine import table_source
from sapan.datastore.textindex import (
    ASCII_CODE,
    CODE,
    SEGMENT,
    Match,
    build_postings,
    cell_tokens,
    index_tokens,
    q_condition,
    q_count,
    q_match,
    segments,
)
from sapan.thai.analysis import words

# (หน่วยงาน, จังหวัด, งบประมาณ): real-ish government text, written as Thai is, without spaces.
ROWS = [
    ("โรงพยาบาลนครพิงค์ได้รับงบประมาณเพิ่มเติมสำหรับผู้ป่วยโรคไข้เลือดออก", "เชียงใหม่", 120),
    ("โรงเรียนบ้านหนองบัวได้รับอุปกรณ์การเรียน๑๒๓ชุดจากกระทรวงศึกษาธิการ", "ขอนแก่น", 45),
    ("Bangkok Metropolitan Administration รายงานระดับน้ำท่วมรายวัน", "กรุงเทพมหานคร", 9),
    ("กระทรวงดิจิทัลเพื่อเศรษฐกิจและสังคม จัดอบรมผู้สูงอายุ", "เชียงใหม่", 30),
    ("สำนักงานเกษตรจังหวัดรายงานผลผลิตข้าวหอมมะลิ ปี 2566 รหัส AB12", "ขอนแก่น", 7),
    (None, "ภูเก็ต", 1),
]


@pytest.fixture()
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    yield connection
    connection.close()


@pytest.fixture()
def table(tmp_path: Path) -> str:
    path = tmp_path / "table.parquet"
    columns = list(zip(*ROWS, strict=True))
    pq.write_table(
        pa.table(
            {
                "_id": pa.array(range(1, len(ROWS) + 1), pa.int64()),
                "หน่วยงาน": pa.array(columns[0], pa.string()),
                "จังหวัด": pa.array(columns[1], pa.string()),
                "งบประมาณ": pa.array(columns[2], pa.int64()),
            }
        ),
        path,
    )
    return str(path)


@pytest.fixture()
def postings(con: duckdb.DuckDBPyConnection, table: str, tmp_path: Path) -> str:
    target = tmp_path / "postings.parquet"
    steps: list[float] = []
    count = build_postings(con, table, ["หน่วยงาน", "จังหวัด"], target, lambda f, _: steps.append(f), False)
    assert count == con.execute(f"SELECT count(*) FROM '{target}'").fetchone()[0]  # type: ignore[index]
    assert steps[0] == 0.0 and steps[-1] == 1.0
    return str(target)


def found(con: duckdb.DuckDBPyConnection, table: str, postings: str, q: str) -> list[int]:
    """The _ids datastore_search's WHERE would keep for q."""
    condition = q_condition(postings, q)
    assert condition is not None
    sql, args = condition
    return [r[0] for r in con.execute(f"SELECT _id FROM '{table}' WHERE {sql} ORDER BY _id", args).fetchall()]


@pytest.mark.parametrize(
    ("q", "ids"),
    [
        ("ไข้เลือดออก", [1]),  # a word in the middle of an unspaced cell
        ("นครพิงค์", [1]),
        ("กระทรวงศึกษาธิการ", [2]),
        ("123", [2]),  # written ๑๒๓ in the cell
        ("๑๒๓", [2]),
        ("bangkok", [3]),
        ("BANGKOK metropolitan", [3]),
        ("ดิจิทัล", [4]),  # inside a compound newmm keeps whole: found through its ICU parts
        ("ab12", [5]),
        ("2566", [5]),
        ("เชียงใหม่", [1, 4]),
        ("เชียงใหม่ ผู้สูงอายุ", [4]),  # AND, across columns
        ("ได้รับ", [1, 2]),
        ("ได้รับ ขอนแก่น", [2]),
        ("ภูเก็ต", [6]),
    ],
)
def test_q_finds_the_rows_holding_every_word(
    con: duckdb.DuckDBPyConnection, table: str, postings: str, q: str, ids: list[int]
) -> None:
    assert found(con, table, postings, q) == ids
    assert q_count(con, postings, q) == len(ids)
    assert q_match(con, postings, q, 100) == Match(len(ids), ids)


@pytest.mark.parametrize("q", ["ไม่มีคำนี้", "เชียงใหม่ ภูเก็ต", "bangkok ขอนแก่น", "999"])
def test_a_word_in_no_row_matches_nothing(
    con: duckdb.DuckDBPyConnection, table: str, postings: str, q: str
) -> None:
    assert found(con, table, postings, q) == []
    assert q_count(con, postings, q) == 0
    assert q_match(con, postings, q, 100) == Match(0, [])
    if q in ("ไม่มีคำนี้", "999"):  # a word in no row: the planned condition skips the join
        assert q_condition(postings, q, con) == ("FALSE", [])


@pytest.mark.parametrize("q", ["", "   ", "!!! ... ---", "()"])
def test_a_query_without_words_is_not_a_condition(
    con: duckdb.DuckDBPyConnection, postings: str, q: str
) -> None:
    assert q_condition(postings, q) is None
    assert q_match(con, postings, q, 100) is None
    assert q_count(con, postings, q) == len(ROWS)  # no condition: every row


def test_count_page_and_planned_condition_agree_with_the_where_query(
    con: duckdb.DuckDBPyConnection, table: str, postings: str
) -> None:
    for q in ["ได้รับ", "เชียงใหม่", "ขอนแก่น รายงาน", "รายงาน"]:
        ids = found(con, table, postings, q)
        assert q_count(con, postings, q) == len(ids) > 0
        planned = q_condition(postings, q, con)
        assert planned is not None
        rows = con.execute(
            f"SELECT _id FROM '{table}' WHERE {planned[0]} ORDER BY _id", planned[1]
        ).fetchall()
        assert [r[0] for r in rows] == ids
        assert q_match(con, postings, q, 1, 1) == Match(len(ids), ids[1:2])
        page = con.execute(f"SELECT _id FROM {table_source(table, False, ids)} ORDER BY _id").fetchall()
        assert [r[0] for r in page] == ids
    assert con.execute(f"SELECT count(*) FROM {table_source(table, False, [])}").fetchone() == (0,)


def test_a_word_in_every_row_still_counts(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """A token held by every row is left out of the join (it restricts nothing); the answer is the same."""
    path = tmp_path / "t.parquet"
    con.execute(
        f"COPY (SELECT i AS _id, 'บ้าน' || CASE WHEN i % 3 = 0 THEN 'เชียงใหม่' ELSE 'ภูเก็ต' END AS name "
        f"FROM range(1, 301) t(i)) TO '{path}' (FORMAT parquet)"
    )
    build_postings(con, str(path), ["name"], tmp_path / "p.parquet", positional=False)
    postings = str(tmp_path / "p.parquet")
    assert q_match(con, postings, "บ้านเชียงใหม่", 2) == Match(100, [3, 6])
    assert q_match(con, postings, "บ้าน", 2) == Match(300, [1, 2])
    assert q_condition(postings, "บ้านเชียงใหม่", con) == (q_condition(postings, "เชียงใหม่")[0], ["เชียงใหม่"])  # type: ignore[index]


def test_the_sql_fast_path_tokenises_as_python_does(
    con: duckdb.DuckDBPyConnection, table: str, postings: str
) -> None:
    """Numbers and codes are tokenised in SQL, everything else in Python: each row's postings must be
    exactly what index_tokens' segments give (plus the ICU parts of long Thai words)."""
    indexed: dict[int, set[str]] = defaultdict(set)
    for token, row in con.execute(f"SELECT token, _id FROM '{postings}'").fetchall():
        indexed[row].add(token)
    for row, (agency, province, _) in enumerate(ROWS, start=1):
        text = f"{agency or ''} {province}"
        expected = {t for segment in segments(text) for t in cell_tokens(segment)}
        assert set(index_tokens(text)) <= expected
        assert indexed[row] == expected, row
    assert index_tokens("AB12 ๑๒๓ Farmers จ. เชียงใหม่") == ["ab12", "123", "farmer", "จังหวัด", "เชียงใหม่"]


def test_postings_are_sorted_and_distinct(con: duckdb.DuckDBPyConnection, postings: str) -> None:
    rows = con.execute(f"SELECT token, _id FROM '{postings}'").fetchall()
    assert rows == sorted(set(rows))


def test_a_table_without_text_columns_has_no_postings(
    con: duckdb.DuckDBPyConnection, table: str, tmp_path: Path
) -> None:
    assert build_postings(con, table, [], tmp_path / "p.parquet", positional=False) == 0
    assert q_match(con, str(tmp_path / "p.parquet"), "เชียงใหม่", 10) == Match(0, [])


# Thai letters and marks, Thai digits, zero-width space, dots, ASCII letters/digits/punctuation, NBSP,
# an accented letter, a combining accent, an emoji: the characters the segment expression treats differently.
ALPHABET = st.sampled_from(
    list("กขงเชียใหม่้ำ๑๒๕ .,-/()aeZ09_\t") + ["\u200b", "\u00a0", "\u00e9", "\u0301", "😀", "ฯ"]
)


@settings(max_examples=300, deadline=None)
@given(st.text(ALPHABET, max_size=30))
def test_duckdb_cuts_text_as_python_does(text: str) -> None:
    """Cells are cut by RE2 in DuckDB, queries by Python's re: the one expression must agree in both."""
    row = duckdb.execute(f"SELECT regexp_extract_all(?, '{SEGMENT}')", [text]).fetchone()
    assert row is not None and row[0] == segments(text)


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from(list("aZq09๑๕")), min_size=1, max_size=8))
def test_codes_tokenised_in_sql_are_what_python_makes_of_them(segment: str) -> None:
    row = duckdb.execute(
        f"SELECT CASE WHEN regexp_full_match($1, '{ASCII_CODE}') THEN lower($1) "
        f"WHEN regexp_full_match($1, '{CODE}') THEN lower(translate($1, '๐๑๒๓๔๕๖๗๘๙', '0123456789')) END",
        [segment],
    ).fetchone()
    assert row is not None
    if row[0] is not None:  # a code: its one token, as words() gives it
        assert [row[0]] == words(segment)
