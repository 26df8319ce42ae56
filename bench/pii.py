"""Personal-data scan speed (issue 6) on a generated 1,000,000-row Parquet table.

Columns: a Thai name; a citizen ID in 1% of rows (valid check digit, mixed formats: plain, dashes,
spaces, Thai digits); a TH or SG phone number in every row; a date (25/03/2564 or 2021-03-25); an amount
(1,234,567.89); a note with an e-mail address in 0.5% of rows; a BIGINT reference number of 13 random
digits. Prints rows/s for the whole scan, for the scan without the phone column (phones are the one
detector that cannot be settled in DuckDB), and for DuckDB's prefilter alone.

    .venv/bin/python bench/pii.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sapan.governance.pii import _CANDIDATE_SQL, _DATE_PATTERN, scan_table, thai_id_check_digit  # noqa: E402

FIRST = ["สมชาย", "สมหญิง", "วิชัย", "กนกวรรณ", "ประเสริฐ", "สุดารัตน์", "ธนากร", "พิมพ์ชนก"]
LAST = ["ใจดี", "รักไทย", "ศรีสุข", "วงศ์ใหญ่", "แก้วมณี", "บุญมา", "ทองคำ", "สุขสวัสดิ์"]
THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")


def thai_id(rnd: random.Random) -> str:
    first12 = str(rnd.randint(1, 8)) + "".join(rnd.choice("0123456789") for _ in range(11))
    d = first12 + str(thai_id_check_digit(first12))
    style = rnd.randrange(4)
    if style == 0:
        return d
    sep = "-" if style in (1, 3) else " "
    grouped = sep.join((d[0], d[1:5], d[5:10], d[10:12], d[12]))
    return grouped.translate(THAI_DIGITS) if style == 3 else grouped


def phone(rnd: random.Random) -> str:
    n = rnd.randrange(10)
    if n == 0:
        return f"+65 {rnd.choice('689')}{rnd.randint(0, 999):03d} {rnd.randint(0, 9999):04d}"
    if n < 4:
        return f"02-{rnd.randint(100, 999)}-{rnd.randint(0, 9999):04d}"
    if n < 7:
        return f"0{rnd.choice('689')}{rnd.randint(1, 9)}-{rnd.randint(0, 999):03d}-{rnd.randint(0, 9999):04d}"
    return f"+66 {rnd.choice('689')}{rnd.randint(1, 9)} {rnd.randint(0, 999):03d} {rnd.randint(0, 9999):04d}"


def generate(path: Path, rows: int, seed: int = 6) -> None:
    rnd = random.Random(seed)
    names, ids, phones, dates, amounts, notes, refs = [], [], [], [], [], [], []
    for _ in range(rows):
        names.append(f"{rnd.choice(FIRST)} {rnd.choice(LAST)}")
        ids.append(thai_id(rnd) if rnd.random() < 0.01 else None)
        phones.append(phone(rnd))
        d, m, y = rnd.randint(1, 28), rnd.randint(1, 12), rnd.randint(2015, 2024)
        dates.append(f"{d:02d}/{m:02d}/{y + 543}" if rnd.random() < 0.5 else f"{y}-{m:02d}-{d:02d}")
        amounts.append(f"{rnd.randint(0, 9_999_999):,}.{rnd.randint(0, 99):02d}")
        notes.append(
            f"ติดต่อ user{rnd.randint(1, 99999)}@example.go.th" if rnd.random() < 0.005 else "ยื่นคำขอแล้ว"
        )
        refs.append(rnd.randint(10**12, 10**13 - 1))
    table = pa.table(
        {
            "name": names,
            "citizen_id": ids,
            "phone": phones,
            "date": dates,
            "amount": amounts,
            "note": notes,
            "ref_no": pa.array(refs, pa.int64()),
        }
    )
    pq.write_table(table, path)


def source(path: Path) -> str:
    return (
        "(SELECT file_row_number + 1 AS _id, * EXCLUDE (file_row_number) "
        f"FROM read_parquet('{path}', file_row_number = true))"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "people.parquet"
        t0 = time.perf_counter()
        generate(path, args.rows)
        print(
            f"generated {args.rows:,} rows in {time.perf_counter() - t0:.1f} s ({path.stat().st_size / 1e6:.0f} MB)"
        )
        con = duckdb.connect()
        text = ["name", "citizen_id", "phone", "date", "amount", "note"]
        pattern = _CANDIDATE_SQL.replace("'", "''")

        t0 = time.perf_counter()
        kept = con.execute(
            f"SELECT count(*) FROM {source(path)} WHERE "
            + " OR ".join(
                f"(regexp_matches({c}, '{pattern}') AND NOT regexp_full_match(trim({c}), '{_DATE_PATTERN}'))"
                for c in text
            )
        ).fetchone()
        elapsed = time.perf_counter() - t0
        print(
            f"DuckDB prefilter of the text columns only: {elapsed:.2f} s, {args.rows / elapsed:,.0f} rows/s, {kept[0] if kept else 0:,} rows kept"
        )

        for label, columns in (
            ("all columns", text),
            ("without the phone column", [c for c in text if c != "phone"]),
        ):
            t0 = time.perf_counter()
            findings = scan_table(con, source(path), columns)
            elapsed = time.perf_counter() - t0
            print(f"\nscan_table, {label}: {elapsed:.2f} s, {args.rows / elapsed:,.0f} rows/s")
            print(f"  {'column':<12} {'kind':<14} {'count':>9}  confidence  first rows")
            for f in findings:
                print(f"  {f.column:<12} {f.kind:<14} {f.count:>9,}  {f.confidence:<10}  {f.rows[:3]}")


if __name__ == "__main__":
    main()
