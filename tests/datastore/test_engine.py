"""Tables read the same whether `_id` is the row's place in the file or a stored column (before 0004)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from sapan.datastore.engine import table_source


def test_positional_and_stored_ids_read_alike(tmp_path: Path) -> None:
    con = duckdb.connect()
    positional, stored = tmp_path / "new.parquet", tmp_path / "old.parquet"
    rows = "SELECT 'จังหวัดที่ ' || i AS name FROM range(300000) t(i)"
    con.execute(f"COPY ({rows}) TO '{positional}' (FORMAT parquet, ROW_GROUP_SIZE 100000)")
    con.execute(f"COPY (SELECT row_number() OVER () AS _id, * FROM ({rows})) TO '{stored}' (FORMAT parquet)")
    for ids in ([1, 2, 150_001, 300_000], [], None):
        new = con.execute(f"SELECT * FROM {table_source(str(positional), True, ids)} ORDER BY _id").fetchall()
        old = con.execute(f"SELECT * FROM {table_source(str(stored), False, ids)} ORDER BY _id").fetchall()
        assert new == old
        if ids:
            assert new == [(i, f"จังหวัดที่ {i - 1}") for i in ids]
        elif ids == []:
            assert new == []
        else:
            assert len(new) == 300_000
