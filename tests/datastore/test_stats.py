"""Value counts of few-valued columns answer a filtered search's total exactly, without a scan."""

from __future__ import annotations

import io
from pathlib import Path

import duckdb

from sapan.datastore.ingest import ingest_csv, new_workdir, remove_workdir
from sapan.datastore.stats import counted_total, value_counts

PROVINCES = ["เชียงใหม่", "ลำพูน", "น่าน"]


def test_counts_match_a_scan() -> None:
    lines = ["จังหวัด,ชื่อ,จำนวน"] + [f"{PROVINCES[i % 3]},ผู้ตอบคนที่{i},{i}" for i in range(3000)]
    lines.append(",ไม่ระบุจังหวัด,1")
    content = "\n".join(lines).encode()
    workdir = new_workdir()
    try:
        path, fields, _, _ = ingest_csv(io.BytesIO(content), workdir, lambda f, m: None, len(content))
        counts = value_counts(str(path), fields)
        assert counts == {"จังหวัด": {"เชียงใหม่": 1000, "ลำพูน": 1000, "น่าน": 1000}}  # names: too many

        def scan(values: list[str]) -> int:
            marks = ", ".join("?" for _ in values)
            found = duckdb.connect().execute(
                f"SELECT count(*) FROM read_parquet('{Path(path)}') WHERE \"จังหวัด\" IN ({marks})", values
            )
            return int(found.fetchone()[0])  # type: ignore[index]

        for wanted in (["น่าน"], ["น่าน", "ลำพูน", "น่าน"], ["ภูเก็ต"]):
            assert counted_total(counts, {}, {"จังหวัด": wanted}) == scan(wanted)
        assert counted_total(counts, {}, {"จังหวัด": "ลำพูน"}) == 1000
        assert counted_total(counts, {"q": "ลำพูน"}, {"จังหวัด": "ลำพูน"}) is None  # q needs the scan
        assert counted_total(counts, {}, {"จังหวัด": "ลำพูน", "จำนวน": 3}) is None  # two columns too
        assert counted_total(counts, {}, {"ชื่อ": "ผู้ตอบคนที่1"}) is None  # not a counted column
    finally:
        remove_workdir(workdir)
