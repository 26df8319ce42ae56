"""datastore_search's Thai full-text `q`: today's scan against the postings index (sapan.datastore.textindex).

Builds bench/datastore.py's farm table (1,000,000 rows by default), ingests it to Parquet the quick way
(DuckDB read_csv -> COPY, `rowid + 1 AS _id` first, as the ingest writes it), builds the postings, then
times count + the first 100 rows for each query, both ways, on a connection configured as
sapan.datastore.engine's (2 threads, 1 GB). Target: q <= 50 ms p50 (the scan: ~290 ms at 1M rows).

    .venv/bin/python bench/datastore_q.py [--rows 1000000] [--repeat 5]

"The index" is the q-only fast path (q_match from the postings, then the page's rows by _id); "index, in
WHERE" is the general path used when q comes with filters or a sort (q_condition in the table query).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.datastore import PROVINCES, make_csv  # noqa: E402
from sapan.datastore.textindex import build_postings, ids_condition, q_condition, q_match  # noqa: E402
from sapan.thai.analysis import surface_words  # noqa: E402

TEXT = ["จังหวัด", "ชื่อเกษตรกร", "พืช"]
GROUPS = {
    "บ้าน{province} x10": [f"บ้าน{PROVINCES[i % len(PROVINCES)]}" for i in range(10)],
    "single words": ["เชียงใหม่", "หมายเลข", "ยางพารา", "สำปะหลัง"],
    # บ้าน is in every row, so the queries above join nothing: these make the index intersect lists.
    "two/three words": ["ข้าวโพด เชียงใหม่", "ยางพารา บ้านภูเก็ต", "ข้าว สงขลา บ้านชลบุรี", "อ้อย 123456"],
}


def q(name: str) -> str:
    return '"' + name + '"'


def scan(con: duckdb.DuckDBPyConnection, table: str, text: str) -> tuple[int, list[int]]:
    """Today's query.py: every word ORed over the text columns with contains(), count + first page."""
    where, args = [], []
    for word in surface_words(text)[:16]:
        where.append("(" + " OR ".join(f"contains(lower(CAST({q(c)} AS VARCHAR)), ?)" for c in TEXT) + ")")
        args.extend([word.lower()] * len(TEXT))
    condition = " AND ".join(where)
    rows = con.execute(f"SELECT * FROM {table} WHERE {condition} LIMIT 100 OFFSET 0", args).fetchall()
    total = con.execute(f"SELECT count(*) FROM {table} WHERE {condition}", args).fetchone()[0]  # type: ignore[index]
    return total, [r[0] for r in rows]


def index(con: duckdb.DuckDBPyConnection, table: str, postings: str, text: str) -> tuple[int, list[int]]:
    """The q-only path: total and the page's _ids from the postings, then those rows from the table."""
    match = q_match(con, postings, text, 100)
    assert match is not None
    rows = con.execute(f"SELECT * FROM {table} WHERE {ids_condition(match.ids)} ORDER BY _id").fetchall()
    return match.total, [r[0] for r in rows]


def index_where(
    con: duckdb.DuckDBPyConnection, table: str, postings: str, text: str
) -> tuple[int, list[int]]:
    """The general path: q_condition in the table query's WHERE (as with filters), ordered by _id."""
    condition = q_condition(postings, text, con)
    assert condition is not None
    sql, args = condition
    rows = con.execute(f"SELECT * FROM {table} WHERE {sql} ORDER BY _id LIMIT 100 OFFSET 0", args).fetchall()
    total = con.execute(f"SELECT count(*) FROM {table} WHERE {sql}", args).fetchone()[0]  # type: ignore[index]
    return total, [r[0] for r in rows]


def timed(repeat: int, queries: list[str], call: Callable[[str], Any]) -> tuple[float, dict[str, Any]]:
    samples, answers = [], {}
    for _ in range(repeat):
        for text in queries:
            t = time.perf_counter()
            answers[text] = call(text)
            samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples), answers


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sapan-q-bench-"))
    try:
        source, parquet, postings = work / "farm.csv", work / "table.parquet", work / "postings.parquet"
        make_csv(source, args.rows)
        ingest = duckdb.connect(
            config={"threads": 2, "memory_limit": "1GB", "temp_directory": str(work / "spill")}
        )
        t = time.perf_counter()
        ingest.execute(f"CREATE TABLE raw AS SELECT * FROM read_csv('{source}')")
        ingest.execute(
            f"COPY (SELECT rowid + 1 AS _id, * FROM raw) TO '{parquet}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 100000)"
        )
        ingest.execute("DROP TABLE raw")
        print(
            f"{args.rows} rows, {source.stat().st_size / 1e6:.0f} MB CSV -> Parquet in {time.perf_counter() - t:.1f} s"
        )

        ingest.close()
        # A fresh connection, as the background job would have (its own memory limit and spill directory).
        indexer = duckdb.connect(
            config={"threads": 2, "memory_limit": "1GB", "temp_directory": str(work / "spill")}
        )
        t = time.perf_counter()
        count = build_postings(indexer, str(parquet), TEXT, postings, positional=False)
        build_s = time.perf_counter() - t
        indexer.close()
        print(
            f"build_postings             {build_s:7.1f} s   {count} postings, {postings.stat().st_size / 1e6:.1f} MB"
        )

        con = duckdb.connect(config={"threads": 2, "memory_limit": "1GB"})  # as sapan.datastore.engine
        table = f"read_parquet('{parquet}')"
        print(
            f"{'count + first 100 rows, p50':36s} {'scan':>9s} {'index':>9s} {'ratio':>6s} {'in WHERE':>9s}"
        )
        for group, queries in GROUPS.items():
            scan_ms, scanned = timed(args.repeat, queries, lambda text: scan(con, table, text))
            index_ms, indexed = timed(
                args.repeat, queries, lambda text: index(con, table, str(postings), text)
            )
            where_ms, wherein = timed(
                args.repeat, queries, lambda text: index_where(con, table, str(postings), text)
            )
            print(
                f"  {group:34s} {scan_ms:6.1f} ms {index_ms:6.1f} ms {scan_ms / index_ms:5.1f}x {where_ms:6.1f} ms"
            )
            for text in queries:
                if indexed[text][0] != scanned[text][0]:
                    print(
                        f"    total differs for {text!r}: scan {scanned[text][0]}, index {indexed[text][0]}"
                    )
                elif indexed[text] != scanned[text]:
                    print(f"    first page differs for {text!r}")
                if wherein[text] != indexed[text]:
                    print(f"    index in WHERE differs for {text!r}")
        print(
            "Differences in totals are tokenisation: the scan matches substrings (123456 inside 1234567), the\n"
            "index whole words (and the parts of compounds)."
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
