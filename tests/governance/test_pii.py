"""The personal-data scan (issue 6): detectors, measured precision and recall, table scan, masking."""

from __future__ import annotations

import dataclasses
import random
import re
from collections.abc import Callable
from pathlib import Path

import duckdb
import phonenumbers
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from phonenumbers import Leniency, PhoneNumberMatcher

from sapan.governance.pii import (
    Finding,
    is_valid_sg_nric,
    is_valid_thai_id,
    keyed_hash,
    mask_partial,
    nric_check_letter,
    scan_table,
    scan_text,
    thai_id_check_digit,
)

TO_THAI = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")


def group(digits: str, sep: str) -> str:
    return sep.join((digits[0], digits[1:5], digits[5:10], digits[10:12], digits[12]))


def thai_id(rnd: random.Random, valid: bool = True, first: str | None = None) -> str:
    first12 = (first or str(rnd.randint(1, 8))) + "".join(rnd.choice("0123456789") for _ in range(11))
    check = thai_id_check_digit(first12)
    if not valid:
        check = (check + rnd.randint(1, 9)) % 10
    return first12 + str(check)


def nric(rnd: random.Random, prefix: str, valid: bool = True) -> str:
    digits = "".join(rnd.choice("0123456789") for _ in range(7))
    letter = nric_check_letter(prefix, digits)
    if not valid:
        letter = rnd.choice([c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c != letter])
    return f"{prefix}{digits}{letter}"


# Formats an ID is written in, and the Thai sentences it is written into (no spaces between words).
ID_FORMATS: list[Callable[[str], str]] = [
    lambda d: d,
    lambda d: group(d, "-"),
    lambda d: group(d, " "),
    lambda d: d.translate(TO_THAI),
    lambda d: group(d, "-").translate(TO_THAI),
    lambda d: group(d, " ").translate(TO_THAI),
]
CONTEXTS = [
    "{}",
    "เลขประจำตัวประชาชน{}",
    "ผู้ยื่นคำขอนายสมชายใจดีเลขบัตร{}อายุ45ปี",
    "นางสาวกนกวรรณศรีสุข ({}) ได้รับเงินอุดหนุน",
    "Applicant ID: {}.",
]


def thai_phone(rnd: random.Random) -> str:
    n = rnd.randrange(3)
    if n == 0:
        return f"02-{rnd.randint(100, 999)}-{rnd.randint(0, 9999):04d}"
    if n == 1:
        return f"08{rnd.randint(1, 9)}-{rnd.randint(0, 999):03d}-{rnd.randint(0, 9999):04d}"
    return f"+66 8{rnd.randint(1, 9)} {rnd.randint(0, 999):03d} {rnd.randint(0, 9999):04d}"


def sg_phone(rnd: random.Random) -> str:
    number = f"{rnd.choice('689')}{rnd.randint(0, 999):03d} {rnd.randint(0, 9999):04d}"
    return f"+65 {number}" if rnd.random() < 0.5 else number


def date(rnd: random.Random) -> str:
    d, m, y = rnd.randint(1, 28), rnd.randint(1, 12), rnd.randint(2000, 2024)
    return rnd.choice([f"{d:02d}/{m:02d}/{y + 543}", f"{y}-{m:02d}-{d:02d}", f"{d:02d}-{m:02d}-{y + 543}"])


def amount(rnd: random.Random) -> str:
    return f"{rnd.randint(1000, 99_999_999):,}.{rnd.randint(0, 99):02d}"


def precision_recall(positives: list[str], negatives: list[str], kind: str) -> tuple[float, float]:
    tp = sum(1 for text in positives if scan_text(text).get(kind, 0) >= 1)
    fp = sum(1 for text in negatives if scan_text(text).get(kind, 0) >= 1)
    return tp / max(tp + fp, 1), tp / len(positives)


# --- Thai national ID ----------------------------------------------------------------------------


def test_thai_id_check_digit_by_hand() -> None:
    # 1 2 3 4 5 6 7 8 9 0 1 2 weighted 13..2: 13+24+33+40+45+48+49+48+45+0+3+4 = 352 = 11*32, so the
    # remainder is 0 and the check digit (11 - 0) % 10 = 1.
    assert thai_id_check_digit("123456789012") == 1
    assert is_valid_thai_id("1234567890121")
    # 3 1 0 0 5 0 0 1 2 3 4 5: 39+12+0+0+45+0+0+6+10+12+12+10 = 146 = 11*13 + 3, check (11 - 3) % 10 = 8.
    assert thai_id_check_digit("310050012345") == 8
    assert is_valid_thai_id("3-1005-00123-45-8")
    # 1 1 0 1 7 0 0 2 0 7 2 9: 13+12+0+10+63+0+0+12+0+28+6+18 = 162 = 11*14 + 8, check (11 - 8) % 10 = 3.
    assert thai_id_check_digit("110170020729") == 3


def test_thai_id_formats_and_rules() -> None:
    for written in ["1234567890121", "1-2345-67890-12-1", "1 2345 67890 12 1", "๑-๒๓๔๕-๖๗๘๙๐-๑๒-๑"]:
        assert is_valid_thai_id(written), written
    assert not is_valid_thai_id("1234567890122")  # wrong check digit
    assert not is_valid_thai_id("123456789012")  # 12 digits
    # Same check digit rule, but first digit 0 (juristic persons) and 9 (not issued) are not people.
    for first in "09":
        first12 = first + "23456789012"
        assert not is_valid_thai_id(first12 + str(thai_id_check_digit(first12)))


def test_ids_inside_unspaced_thai_sentences() -> None:
    text = (
        "ผู้ยื่นคำร้องนายสมชายใจดีเลขประจำตัวประชาชน1-2345-67890-12-1อายุ45ปีโทร081-234-5678"
        "และภรรยาเลขบัตร๓๑๐๐๕๐๐๑๒๓๔๕๘ที่อยู่เดียวกันบุตรเลขที่ 3 1005 00123 45 8 ยื่นวันที่25/03/2564"
    )
    assert scan_text(text) == {"thai_id": 3, "phone": 1}


def test_look_alikes_are_not_ids() -> None:
    text = "วันที่ 25/03/2564 (2021-03-25) ยอดเงิน 1,234,567.89 บาท เลขอ้างอิง 1234567890122 และ 1-2345-67890-12-2"
    assert scan_text(text) == {}
    # Part of a longer number or of a decimal amount.
    assert scan_text("12345678901210 and 1234567890121.50 and 0.1234567890121") == {}


def test_thai_phones_are_phones_not_ids() -> None:
    for phone in ["02-123-4567", "081-234-5678", "+66 81 234 5678", "โทร๐๘๑-๒๓๔-๕๖๗๘ค่ะ", "(02) 123 4567"]:
        assert scan_text(phone) == {"phone": 1}, phone
    for not_phone in ["25/03/2564", "2021-03-25", "31-12-2564", "1,234,567.89", "1234567890122"]:
        assert "phone" not in scan_text(not_phone), not_phone


def test_thai_id_precision_recall() -> None:
    rnd = random.Random(2562)  # PDPA B.E. 2562
    positives = [rnd.choice(CONTEXTS).format(rnd.choice(ID_FORMATS)(thai_id(rnd))) for _ in range(2400)]
    look_alikes = [
        rnd.choice(CONTEXTS).format(rnd.choice(ID_FORMATS)(thai_id(rnd, valid=False))) for _ in range(2400)
    ]
    juristic = [group(thai_id(rnd, first="0"), "-") for _ in range(200)]
    others = [f(rnd) for f in (thai_phone, sg_phone, date, amount) for _ in range(300)]
    precision, recall = precision_recall(positives, look_alikes + juristic + others, "thai_id")
    # For the record: how often a 13-digit number drawn at random passes (why confidence drops when
    # most of a column's candidates fail).
    chance = sum(is_valid_thai_id(f"{rnd.randrange(10**12, 10**13)}") for _ in range(10_000)) / 10_000
    print(
        f"\nThai ID: {len(positives)} valid, {len(look_alikes)} wrong check digit, {len(juristic)} "
        f"juristic, {len(others)} phones/dates/amounts: precision {precision:.4f}, recall {recall:.4f}; "
        f"random 13-digit numbers passing: {chance:.3f}"
    )
    assert precision >= 0.95
    assert recall >= 0.99


# --- Singapore NRIC/FIN --------------------------------------------------------------------------


def test_nric_check_letters_by_hand() -> None:
    # 1234567 weighted 2,7,6,5,4,3,2: 2+14+18+20+20+18+14 = 106 = 11*9 + 7.
    # S: remainder 7 -> "JZIHGFEDCBA"[7] = D.       T: 106+4 = 110, remainder 0 -> J.
    # F: remainder 7 -> "XWUTRQPNMLK"[7] = N.       G: 110, remainder 0 -> X.
    # M: 106+3 = 109 = 11*9 + 10 -> "XWUTRQPNJLK"[10] = K.
    for valid in ["S1234567D", "T1234567J", "F1234567N", "G1234567X", "M1234567K"]:
        assert is_valid_sg_nric(valid), valid
        assert nric_check_letter(valid[0], valid[1:8]) == valid[8]
    # 7654321: 14+42+30+20+12+6+2 = 126 = 11*11 + 5 -> S: F.
    assert is_valid_sg_nric("S7654321F")
    # 0001000: 5. M: 5+3 = 8 -> J, where the F/G table has M (F0001000 would need Q: remainder 5).
    assert is_valid_sg_nric("M0001000J")
    assert not is_valid_sg_nric("M0001000M")
    assert is_valid_sg_nric("F0001000Q")


def test_nric_each_prefix_any_case() -> None:
    rnd = random.Random(65)
    for prefix in "STFGM":
        for _ in range(50):
            value = nric(rnd, prefix)
            assert scan_text(f"NRIC {value} / {value.lower()}") == {"sg_nric": 2}
            assert not is_valid_sg_nric(nric(rnd, prefix, valid=False))
    assert not is_valid_sg_nric("A1234567D")  # not a prefix
    assert scan_text("ผู้ถือบัตรS1234567Dเดินทางเข้าประเทศ") == {"sg_nric": 1}
    assert scan_text("S1234567A XS1234567D S1234567D9") == {}


def test_nric_precision_recall() -> None:
    rnd = random.Random(2012)  # Singapore's PDPA 2012
    contexts = ["{}", "NRIC: {}", "ผู้ถือบัตร{}เดินทาง", "FIN {}, passport pending"]

    def cased(value: str) -> str:
        return value.lower() if rnd.random() < 0.2 else value

    positives = [rnd.choice(contexts).format(cased(nric(rnd, rnd.choice("STFGM")))) for _ in range(2500)]
    look_alikes = [
        rnd.choice(contexts).format(cased(nric(rnd, rnd.choice("STFGM"), valid=False))) for _ in range(2500)
    ]
    others = [
        f"{rnd.choice('ABCDEHJKLNPQRUVWXYZ')}{rnd.randrange(10**7):07d}{rnd.choice('ABCDJKXZ')}"
        for _ in range(500)
    ]
    precision, recall = precision_recall(positives, look_alikes + others, "sg_nric")
    print(
        f"\nNRIC/FIN: {len(positives)} valid, {len(look_alikes)} wrong check letter, {len(others)} other "
        f"prefixes: precision {precision:.4f}, recall {recall:.4f}"
    )
    assert precision >= 0.95
    assert recall >= 0.99


# --- phones, e-mail, passports -------------------------------------------------------------------


def matcher_count(text: str) -> int:
    """Phones as PhoneNumberMatcher (TH and SG, leniency VALID) alone finds them, overlaps counted once."""
    spans = sorted(
        (m.start, m.end) for r in ("TH", "SG") for m in PhoneNumberMatcher(text, r, leniency=Leniency.VALID)
    )
    count, end = 0, -1
    for start, stop in spans:
        count += start >= end
        end = max(end, stop)
    return count


def test_whole_cell_phones_agree_with_the_matcher() -> None:
    # scan_text settles a cell that is only a number without the matcher; it must reach the same verdict.
    rnd = random.Random(66)
    cells: list[str] = []
    for _ in range(3000):
        digits = "".join(rnd.choice("0123456789") for _ in range(rnd.randint(7, 11)))
        lead = rnd.choice(["", "0", "+66", "+65", "+66 ", "+65 ", "(0"])
        body = f"(0{digits[0]}) {digits[1:]}" if lead == "(0" else lead + digits
        if rnd.random() < 0.5:  # group digits by three, as people write them
            body = re.sub(r"(\d{3})(?=\d)", lambda m: m[1] + rnd.choice(["-", " ", ""]), body)
        cells.append(body)
    cells += [thai_phone(rnd) for _ in range(300)] + [sg_phone(rnd) for _ in range(300)]
    disagree = [c for c in cells if scan_text(c).get("phone", 0) != matcher_count(c)]
    assert disagree == []


def test_phone_precision_recall() -> None:
    rnd = random.Random(81)
    phones = [f(rnd) for f in (thai_phone, sg_phone) for _ in range(1000)]
    # The library is the oracle for what is a valid number; keep the generated ones it accepts.
    positives = [
        p
        for p in phones
        if phonenumbers.is_valid_number(phonenumbers.parse(p, "TH" if p[0] == "0" else "SG"))
    ]
    negatives = [f(rnd) for f in (date, amount) for _ in range(500)]
    negatives += [group(thai_id(rnd), "-") for _ in range(500)] + [thai_id(rnd) for _ in range(500)]
    precision, recall = precision_recall(positives, negatives, "phone")
    print(
        f"\nphones: {len(positives)} valid TH/SG, {len(negatives)} dates/amounts/IDs: "
        f"precision {precision:.4f}, recall {recall:.4f}"
    )
    assert precision >= 0.95
    assert recall >= 0.99


def test_email_and_passport() -> None:
    assert scan_text("ติดต่อsomchai.j@example.co.thได้ทุกวัน") == {"email": 1}
    assert scan_text("a.b+tag@sub.agency.gov.sg, X@Y.COM.") == {"email": 2}
    assert scan_text("logo@2x.png @someone not-an-email@ user@localhost") == {}
    assert scan_text("หนังสือเดินทางเลขที่AA1234567ออกให้") == {"thai_passport": 1}
    assert scan_text("aa1234567 AAA1234567 AA12345678") == {}
    # The digits of an address are not also counted as a phone.
    assert scan_text("0812345678@example.com") == {"email": 1}


# --- scan_table ----------------------------------------------------------------------------------


def source(path: Path) -> str:
    return (
        "(SELECT file_row_number + 1 AS _id, * EXCLUDE (file_row_number) "
        f"FROM read_parquet('{path}', file_row_number = true))"
    )


@pytest.fixture
def people(tmp_path: Path) -> tuple[Path, dict[str, list[object]]]:
    rnd = random.Random(7)
    n = 400
    columns: dict[str, list[object]] = {
        "name": [f"นายสมชาย ใจดี {i}" for i in range(n)],
        # Valid IDs in rows 0, 3, 6, ... (mixed formats); look-alikes with a wrong check digit elsewhere.
        "citizen_id": [
            rnd.choice(ID_FORMATS)(thai_id(rnd, valid=i % 3 == 0)) if i % 2 == 0 or i % 3 == 0 else None
            for i in range(n)
        ],
        "contact": [
            f"โทร {thai_phone(rnd)}" if i % 5 == 0 else (f"user{i}@example.com" if i % 7 == 0 else "-")
            for i in range(n)
        ],
        "nric": [nric(rnd, "STFGM"[i % 5]) if i % 10 == 0 else "" for i in range(n)],
        "when": [date(rnd) for _ in range(n)],
        "amount": [amount(rnd) for _ in range(n)],
        "ref_no": [int(thai_id(rnd)) if i % 4 == 0 else rnd.randrange(10**6) for i in range(n)],
        "score": [rnd.random() for _ in range(n)],
    }
    path = tmp_path / "people.parquet"
    pq.write_table(pa.table(columns), path)
    return path, columns


def test_scan_table_counts_rows_and_no_values(people: tuple[Path, dict[str, list[object]]]) -> None:
    path, columns = people
    con = duckdb.connect()
    text = ["name", "citizen_id", "contact", "nric", "when", "amount"]
    findings = scan_table(con, source(path), text)
    by_key: dict[tuple[str, str], Finding] = {(f.column, f.kind): f for f in findings}
    n = len(columns["name"])
    expected = {
        ("citizen_id", "thai_id"): [i + 1 for i in range(n) if i % 3 == 0],
        ("contact", "phone"): [i + 1 for i in range(n) if i % 5 == 0],
        ("contact", "email"): [i + 1 for i in range(n) if i % 7 == 0 and i % 5 != 0],
        ("nric", "sg_nric"): [i + 1 for i in range(n) if i % 10 == 0],
        # ref_no is BIGINT and not in text_columns: scanned anyway for 13-digit IDs.
        ("ref_no", "thai_id"): [i + 1 for i in range(n) if i % 4 == 0],
    }
    assert set(by_key) == set(expected)
    for key, ids in expected.items():
        finding = by_key[key]
        assert finding.count == len(ids), key
        assert finding.rows == ids[:100], key  # _ids (1-based), the first 100
    assert by_key["citizen_id", "thai_id"].confidence == "high"
    assert by_key["contact", "phone"].confidence == "medium"
    # Findings never carry values.
    assert [f.name for f in dataclasses.fields(Finding)] == ["column", "kind", "count", "rows", "confidence"]
    dumped = repr(findings)
    for column in ("citizen_id", "contact", "nric"):
        for value in columns[column]:
            if isinstance(value, str) and len(value) > 3:
                assert value not in dumped


def test_scan_table_max_positions_and_order(people: tuple[Path, dict[str, list[object]]]) -> None:
    path, _ = people
    # Without insertion order DuckDB may hand rows back in any order; the first _ids are still kept.
    con = duckdb.connect(config={"preserve_insertion_order": False, "threads": 2})
    findings = scan_table(con, source(path), ["citizen_id"], max_positions=5)
    thai = next(f for f in findings if f.column == "citizen_id")
    assert thai.rows == [1, 4, 7, 10, 13]
    assert thai.count == 134


def test_scan_table_confidence_and_errors(tmp_path: Path) -> None:
    rnd = random.Random(3)
    path = tmp_path / "refs.parquet"
    # Reference numbers: 13 random digits, of which about 8% pass the check by chance.
    refs = [f"{rnd.randrange(10**12, 10**13)}" for _ in range(500)]
    pq.write_table(pa.table({"ref": refs, "ref_int": [int(r) for r in refs]}), path)
    con = duckdb.connect()
    findings = scan_table(con, source(path), ["ref"])
    assert {f.column: f.confidence for f in findings} == {"ref": "low", "ref_int": "low"}
    assert findings[0].count == findings[1].count == sum(is_valid_thai_id(r) for r in refs)
    with pytest.raises(ValueError, match="unknown column"):
        scan_table(con, source(path), ["nope"])
    with pytest.raises(ValueError, match="_id"):
        scan_table(con, f"read_parquet('{path}')", ["ref"])


def test_scan_table_wide_integer_types() -> None:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t AS SELECT 7 AS _id, '-' AS note, 1234567890121::DECIMAL(18,0) AS dec, "
        "1234567890121::HUGEINT AS huge, 1234567890122::BIGINT AS wrong, 123456789::INTEGER AS small"
    )
    findings = scan_table(con, "t", ["note"])
    assert [(f.column, f.kind, f.rows) for f in findings] == [
        ("dec", "thai_id", [7]),
        ("huge", "thai_id", [7]),
    ]


# --- masking and keyed hash ----------------------------------------------------------------------


def test_mask_partial() -> None:
    assert mask_partial("1-2345-67890-12-1", "thai_id") == "1-2345-xxxxx-xx-x"
    assert mask_partial("1234567890121", "thai_id") == "1-2345-xxxxx-xx-x"
    assert mask_partial("๑๒๓๔๕๖๗๘๙๐๑๒๑", "thai_id") == "1-2345-xxxxx-xx-x"
    assert mask_partial("081-234-5678", "phone") == "xxx-xxx-x678"
    assert mask_partial("+66 81 234 5678", "phone") == "+xx xx xxx x678"
    assert mask_partial("somchai.j@example.co.th", "email") == "s***@example.co.th"
    assert mask_partial("S1234567D", "sg_nric") == "S****567D"
    assert mask_partial("t1234567j", "sg_nric") == "T****567J"
    assert mask_partial("AA1234567", "thai_passport") == "AA****567"
    # Not a well-formed value of its kind: masked entirely, never passed through.
    assert mask_partial("12-3456", "thai_id") == "xx-xxxx"
    assert mask_partial("n/a", "email") == "x/x"
    with pytest.raises(ValueError, match="unknown kind"):
        mask_partial("x", "iban")  # type: ignore[arg-type]


def test_keyed_hash() -> None:
    secret = b"portal-secret"
    digest = keyed_hash("1-2345-67890-12-1", secret)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert digest == keyed_hash("1234567890121", secret) == keyed_hash("๑ ๒๓๔๕ ๖๗๘๙๐ ๑๒ ๑", secret)
    assert digest != keyed_hash("1234567890121", b"another-portal")
    assert digest != keyed_hash("1234567890138", secret)
    assert keyed_hash("s1234567d", secret) == keyed_hash("S1234567D", secret)
    assert keyed_hash("Somchai@Example.com", secret) == keyed_hash("somchai@example.com", secret)
    assert keyed_hash("+66 81 234 5678", secret, "phone") == keyed_hash("081-234-5678", secret, "phone")
    with pytest.raises(ValueError, match="secret"):
        keyed_hash("1234567890121", b"")
