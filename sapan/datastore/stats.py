"""Value counts of a table's few-valued text columns (province, category, status...), computed once
after an ingest. datastore_search answers the total of a filter on one such column from them instead
of scanning the table (the scan is most of a filtered search's time on ten million rows), and the
portal can list a column's values with their counts."""

from __future__ import annotations

from typing import Any

import duckdb

from sapan.datastore.engine import literal, quote

SAMPLE = 10_000
MAX_VALUES = 1_000  # more distinct values than this: not a category, no counts kept


def value_counts(
    parquet: str, fields: list[dict[str, str]], storage: Any = None
) -> dict[str, dict[str, int]]:
    """{column: {value: rows}} for the text columns with at most MAX_VALUES distinct values (the file read
    through `storage` when it is not a local path)."""
    text = [f["id"] for f in fields if f["type"] == "text"]
    if not text:
        return {}
    source = f"read_parquet({literal(parquet)})"
    con = duckdb.connect(config={"threads": 2, "memory_limit": "256MB"})
    if storage is not None:
        storage.attach(con)
    try:
        sampled = con.execute(
            "SELECT "
            + ", ".join(f"approx_count_distinct({quote(c)})" for c in text)
            + f" FROM (SELECT * FROM {source} LIMIT {SAMPLE})"
        ).fetchone()
        assert sampled is not None
        few = [c for c, n in zip(text, sampled, strict=True) if n <= MAX_VALUES // 5]
        out: dict[str, dict[str, int]] = {}
        for c in few:
            where = f"WHERE {quote(c)} IS NOT NULL"
            rows = con.execute(
                f"SELECT {quote(c)}, count(*) FROM {source} {where} GROUP BY 1 LIMIT {MAX_VALUES + 1}"
            ).fetchall()
            if len(rows) <= MAX_VALUES:
                out[c] = {str(v): int(n) for v, n in rows}
    finally:
        con.close()
    return out


def counted_total(counts: dict[str, dict[str, int]], params: dict[str, Any], filters: Any) -> int | None:
    """The exact total of a search that only filters one counted column by equality; None otherwise."""
    if params.get("q") or str(params.get("distinct", "")).lower() == "true":
        return None
    if not isinstance(filters, dict) or len(filters) != 1:
        return None
    ((column, wanted),) = filters.items()
    if column not in counts:
        return None
    values = wanted if isinstance(wanted, list) else [wanted]
    return sum(counts[column].get(str(v), 0) for v in set(map(str, values)))
