"""Personal-data scan (issue 6, part 2): find personal identifiers in dataset text and tables, and mask them.

A scan reports kinds, counts and row positions, never the values: its report is stored and shown to
publishers, and must not become one more copy of the personal data.

Detectors validate, they do not only match a shape:

- ``thai_id``: Thai national ID (เลขประจำตัวประชาชน), 13 digits written plain or in the 1-2345-67890-12-3
  grouping with dashes or spaces, in ASCII or Thai digits (๐-๙). The last digit is the mod-11 check
  digit of the first twelve. The first digit is the person's registration category and only 1-8 are
  accepted (the Department of Provincial Administration's eight categories of people). 0 is rejected on
  purpose: juristic persons' 13-digit registration (tax) numbers also start with 0 and use the same
  check digit, and they are public data all over procurement tables; the cost is that the 0-prefixed
  numbers given to people without registration status are missed. 9 is not issued.
- ``sg_nric``: Singapore NRIC/FIN, S/T/F/G/M + 7 digits + check letter, case-insensitive. Check: digits
  weighted 2,7,6,5,4,3,2, plus 4 for T/G and 3 for M, mod 11 indexes a letter table: S/T "JZIHGFEDCBA",
  F/G "XWUTRQPNMLK", M "XWUTRQPNJLK" (ICA's M series of 2022 publishes it as P = 11 - remainder into
  "KLJNPQRTUWX"; reversed, that is the F/G table with J in place of M).
- ``phone``: Thai and Singapore numbers, valid per the ``phonenumbers`` metadata (PhoneNumberMatcher,
  regions TH and SG, leniency VALID), so dates and ID numbers are not taken for phones. Dates written
  with dashes or dots (31-12-2564) pass as Singapore numbers there and are dropped here.
- ``email``: ASCII addresses (local part, @, dotted domain with a letter TLD).
- ``thai_passport``: two capital letters + 7 digits (AA1234567). There is no public check digit, so this
  is a shape match only and its findings carry low confidence.

In tables, wide integer columns (BIGINT and wider) are scanned too, whatever ``text_columns`` says: a
CSV column of ID numbers is typed BIGINT at ingest, and a 13-digit value is checked as a Thai ID.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

import phonenumbers
from phonenumbers import Leniency, PhoneNumber, PhoneNumberMatcher

from sapan.datastore.engine import quote

if TYPE_CHECKING:
    import duckdb

Kind = Literal["thai_id", "sg_nric", "phone", "email", "thai_passport"]
Confidence = Literal["high", "medium", "low"]
KINDS: tuple[Kind, ...] = ("thai_id", "sg_nric", "phone", "email", "thai_passport")
THAI_ID_FIRST_DIGITS = "12345678"

_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
# Digits not glued to other digits, nor to a decimal point (1234567890121.50 is an amount).
_THAI_ID = re.compile(
    r"(?<![0-9])(?<![0-9][.,])[0-9][ -]?[0-9]{4}[ -]?[0-9]{5}[ -]?[0-9]{2}[ -]?[0-9](?![0-9])(?![.,][0-9])"
)
_NRIC = re.compile(r"(?<![A-Za-z0-9])[STFGMstfgm][0-9]{7}[A-Za-z](?![A-Za-z0-9])")
_NRIC_WEIGHTS = (2, 7, 6, 5, 4, 3, 2)
_NRIC_OFFSET = {"S": 0, "T": 4, "F": 0, "G": 4, "M": 3}
_NRIC_LETTERS = {
    "S": "JZIHGFEDCBA",
    "T": "JZIHGFEDCBA",
    "F": "XWUTRQPNMLK",
    "G": "XWUTRQPNMLK",
    "M": "XWUTRQPNJLK",
}
# Capitals only: lower-case letter+digit codes are product and file codes far more often than passports.
_PASSPORT = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}[0-9]{7}(?![A-Za-z0-9])")
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,24})(?![A-Za-z0-9-])"
)
# Retina image names (logo@2x.png) have the shape of an address.
_NOT_TLDS = frozenset({"png", "jpg", "jpeg", "gif", "svg", "webp"})
# At least 8 digits with light punctuation: the shortest TH/SG number has 8.
_PHONE_GATE = re.compile(r"[0-9](?:[ ().-]{0,2}[0-9]){7}")
_PHONE_VALUE = re.compile(r"\+?[0-9(][0-9 ().-]*[0-9]")
# Day-month-year or year-month-day; written for both Python's re and DuckDB's RE2.
_DATE_PATTERN = (
    r"(?:(?:0?[1-9]|[12][0-9]|3[01])[-./](?:0?[1-9]|1[0-2])[-./](?:[0-9]{2}|[0-9]{4})"
    r"|[0-9]{4}[-./](?:0?[1-9]|1[0-2])[-./](?:0?[1-9]|[12][0-9]|3[01]))"
)
_DATE = re.compile(_DATE_PATTERN)
_NOT_DIGIT = re.compile(r"[^0-9]")
_SEPARATORS = re.compile(r"[\s().-]")

# The DuckDB prefilter (RE2): a cell is worth a look in Python if it has an @, a letter before 7 digits
# (NRIC, passport) or a run of 8+ digits (ID, phone). Thai digits are matched here as they are stored.
_CANDIDATE_SQL = r"@|[A-Za-z][0-9]{7}|[0-9๐-๙](?:[ ().-]{0,2}[0-9๐-๙]){7}"
_WIDE_INTEGERS = frozenset({"BIGINT", "UBIGINT", "HUGEINT", "UHUGEINT"})
_BATCH_ROWS = 8192


@dataclass(frozen=True)
class Finding:
    """Personal data of one kind in one column: how many cells, and the first ``_id``s (never values)."""

    column: str
    kind: Kind
    count: int
    rows: list[int]
    confidence: Confidence


def thai_id_check_digit(first12: str) -> int:
    """The check digit of a Thai national ID from its first twelve ASCII digits."""
    total = sum(int(d) * (13 - i) for i, d in enumerate(first12))
    return (11 - total % 11) % 10


def is_valid_thai_id(value: str) -> bool:
    """True for a Thai national ID of a person: 13 digits (separators and Thai digits allowed)."""
    digits = _SEPARATORS.sub("", value.translate(_THAI_DIGITS))
    if len(digits) != 13 or not (digits.isascii() and digits.isdigit()):
        return False
    return digits[0] in THAI_ID_FIRST_DIGITS and int(digits[12]) == thai_id_check_digit(digits[:12])


def nric_check_letter(prefix: str, digits: str) -> str:
    """The check letter of a Singapore NRIC/FIN; raises KeyError for a prefix other than S/T/F/G/M."""
    prefix = prefix.upper()
    total = _NRIC_OFFSET[prefix] + sum(w * int(d) for w, d in zip(_NRIC_WEIGHTS, digits, strict=True))
    return _NRIC_LETTERS[prefix][total % 11]


def is_valid_sg_nric(value: str) -> bool:
    """True for a Singapore NRIC/FIN with the right check letter (any case, surrounding blanks ignored)."""
    value = value.strip().upper()
    if not _NRIC.fullmatch(value):
        return False
    return value[8] == nric_check_letter(value[0], value[1:8])


def _looks_like_date(value: str) -> bool:
    return _DATE.fullmatch(value.strip()) is not None


@lru_cache(maxsize=65536)
def _whole_value_phone(value: str) -> bool | None:
    """Whether a cell that is only a number is a TH/SG phone; None where only the matcher can say.

    Same verdict as PhoneNumberMatcher with leniency VALID (a test holds them together) at a fifth of
    its cost, which matters for contact tables with a phone in every row: the region follows from the
    written form (a leading 0 is Thailand's trunk prefix, Singapore has none and uses 8 digits).
    """
    if _looks_like_date(value):
        return False
    digits = _NOT_DIGIT.sub("", value)
    if value.startswith("+"):
        country, national = digits[:2], digits[2:]
        if country not in ("66", "65") or national.startswith("0"):
            return None
    elif digits.startswith("0"):
        country, national = "66", digits[1:]
    elif len(digits) == 8:
        country, national = "65", digits
    else:
        return None
    if not 8 <= len(national) <= 9 or national.startswith("0"):
        return None
    number = PhoneNumber(country_code=int(country), national_number=int(national))
    if phonenumbers.is_valid_number(number):
        return True
    # The matcher tries the groups of a rejected number on their own ("+66 8156 4574" holds a valid SG
    # number): only a cell without separators is settled as "no phone" here.
    return False if value.lstrip("+").isdigit() else None


def _count_phones(text: str) -> int:
    if not _PHONE_GATE.search(text):
        return 0
    value = text.strip()
    if _PHONE_VALUE.fullmatch(value):
        verdict = _whole_value_phone(value)
        if verdict is not None:
            return int(verdict)
    spans = sorted(
        (m.start, m.end)
        for region in ("TH", "SG")
        for m in PhoneNumberMatcher(text, region, leniency=Leniency.VALID)
        if not _looks_like_date(m.raw_string)
    )
    # TH and SG find the same +66/+65 numbers, sometimes with different edges: count overlaps once.
    count, end = 0, -1
    for start, stop in spans:
        if start >= end:
            count += 1
        end = max(end, stop)
    return count


def _detect(text: str) -> tuple[dict[Kind, int], dict[Kind, int]]:
    """Valid findings per kind in one text, and candidates per checksummed kind (shape matches)."""
    text = text.translate(_THAI_DIGITS)  # one character for one, so spans stay put
    found: dict[Kind, int] = {}
    candidates: dict[Kind, int] = {}
    taken: list[tuple[int, int]] = []
    for m in _THAI_ID.finditer(text):
        candidates["thai_id"] = candidates.get("thai_id", 0) + 1
        if is_valid_thai_id(m[0]):
            found["thai_id"] = found.get("thai_id", 0) + 1
        taken.append(m.span())
    for m in _NRIC.finditer(text):
        candidates["sg_nric"] = candidates.get("sg_nric", 0) + 1
        if is_valid_sg_nric(m[0]):
            found["sg_nric"] = found.get("sg_nric", 0) + 1
        taken.append(m.span())
    for m in _PASSPORT.finditer(text):
        found["thai_passport"] = found.get("thai_passport", 0) + 1
        taken.append(m.span())
    if "@" in text:
        for m in _EMAIL.finditer(text):
            if m[1].lower() not in _NOT_TLDS:
                found["email"] = found.get("email", 0) + 1
                taken.append(m.span())
    # An ID's or address's digits are not a phone number: blank them before the phone matcher.
    for start, stop in taken:
        text = f"{text[:start]}{' ' * (stop - start)}{text[stop:]}"
    phones = _count_phones(text)
    if phones:
        found["phone"] = phones
    return found, candidates


def scan_text(text: str) -> dict[str, int]:
    """Occurrences of each kind of personal data in a text (title, notes); kinds not found are absent."""
    found, _ = _detect(text)
    return {kind: found[kind] for kind in KINDS if kind in found}


def _is_wide_integer(duckdb_type: str) -> bool:
    if duckdb_type in _WIDE_INTEGERS:
        return True
    m = re.fullmatch(r"DECIMAL\((\d+),0\)", duckdb_type.replace(" ", ""))
    return m is not None and int(m[1]) >= 13


def _thai_id_sql(column: str) -> str:
    """A SQL condition: the integer column holds a person's Thai ID (13 digits, first 1-8, check digit)."""
    weighted = " + ".join(f"({column} // {10 ** (12 - i)} % 10) * {13 - i}" for i in range(12))
    check = f"(11 - ({weighted}) % 11) % 10 = {column} % 10"
    return f"({column} BETWEEN 1000000000000 AND 8999999999999 AND {check})"


def _confidence(kind: Kind, count: int, candidates: int) -> Confidence:
    if kind in ("thai_id", "sg_nric"):
        # A random number of the right shape passes the check about one time in ten: in a column where
        # most candidates fail (reference numbers, barcodes), the few that pass are likely chance.
        return "low" if candidates >= 20 and count < candidates / 2 else "high"
    # Phones and addresses are often an agency's published contact point rather than a person's.
    return "low" if kind == "thai_passport" else "medium"


def scan_table(
    con: duckdb.DuckDBPyConnection, source_sql: str, text_columns: list[str], max_positions: int = 100
) -> list[Finding]:
    """Scan a table for personal data, per column: cell counts and the first ``max_positions`` ``_id``s.

    ``source_sql`` is a FROM expression with an ``_id`` column. ``text_columns`` are scanned as text;
    BIGINT-or-wider integer columns are always scanned for 13-digit Thai IDs. DuckDB keeps only the
    cells with a candidate shape, and Python validates those as they stream in. ``count`` is the number
    of cells holding that kind. Raises ValueError for a source without ``_id`` or an unknown column.
    """
    described = con.execute(f"DESCRIBE SELECT * FROM {source_sql} AS _src").fetchall()
    types = {str(row[0]): str(row[1]) for row in described}
    if "_id" not in types:
        raise ValueError("the source has no _id column")
    unknown = [c for c in text_columns if c not in types]
    if unknown:
        raise ValueError(f"unknown column(s): {', '.join(unknown)}")
    extra = [c for c, t in types.items() if c != "_id" and c not in text_columns and _is_wide_integer(t)]
    columns = [*dict.fromkeys(text_columns), *extra]
    if not columns:
        return []
    numeric = [_is_wide_integer(types[c]) for c in columns]
    pattern = _CANDIDATE_SQL.replace("'", "''")
    cells = []
    for i, (column, is_int) in enumerate(zip(columns, numeric, strict=True)):
        q = quote(column)
        if is_int:
            # The whole check in SQL, only valid IDs cross into Python (as a 1). In BIGINT arithmetic:
            # DECIMAL's // is not integer division, and HUGEINT's is five times slower.
            number = q if types[column] == "BIGINT" else f"TRY_CAST({q} AS BIGINT)"
            cells.append(f"CASE WHEN {_thai_id_sql(number)} THEN 1 END AS c{i}")
        else:
            text = q if types[column] == "VARCHAR" else f"CAST({q} AS VARCHAR)"
            # A cell that is only a date (2021-03-25) has the digits of a phone and nothing personal.
            cells.append(
                f"CASE WHEN regexp_matches({text}, '{pattern}') AND NOT regexp_full_match(trim({text}), "
                f"'{_DATE_PATTERN}') THEN {text} END AS c{i}"
            )
    keep = " OR ".join(f"c{i} IS NOT NULL" for i in range(len(columns)))
    cursor = con.execute(
        f"SELECT * FROM (SELECT _id, {', '.join(cells)} FROM {source_sql} AS _src) WHERE {keep}"
    )

    counts: dict[tuple[int, Kind], int] = {}
    candidates: dict[tuple[int, Kind], int] = {}
    # Max-heaps (negated) of the smallest _ids: rows need not arrive in _id order.
    positions: dict[tuple[int, Kind], list[int]] = {}
    while batch := cursor.fetchmany(_BATCH_ROWS):
        for row in batch:
            row_id = int(row[0])
            for i, value in enumerate(row[1:]):
                if value is None:
                    continue
                if numeric[i]:
                    found: dict[Kind, int] = {"thai_id": 1}
                else:
                    found, tried = _detect(value)
                    for kind in tried:
                        candidates[i, kind] = candidates.get((i, kind), 0) + 1
                for kind in found:
                    key = (i, kind)
                    counts[key] = counts.get(key, 0) + 1
                    heap = positions.setdefault(key, [])
                    if len(heap) < max_positions:
                        heapq.heappush(heap, -row_id)
                    elif heap and -heap[0] > row_id:
                        heapq.heapreplace(heap, -row_id)
    int_columns = [i for i, is_int in enumerate(numeric) if is_int and (i, "thai_id") in counts]
    if int_columns:
        shapes = ", ".join(
            f"count(*) FILTER ({quote(columns[i])} BETWEEN 1000000000000 AND 9999999999999)"
            for i in int_columns
        )
        totals = con.execute(f"SELECT {shapes} FROM {source_sql} AS _src").fetchone() or ()
        for i, total in zip(int_columns, totals, strict=True):
            candidates[i, "thai_id"] = int(total)

    return [
        Finding(
            column=column,
            kind=kind,
            count=counts[i, kind],
            rows=sorted(-r for r in positions[i, kind]),
            confidence=_confidence(kind, counts[i, kind], candidates.get((i, kind), 0)),
        )
        for i, column in enumerate(columns)
        for kind in KINDS
        if (i, kind) in counts
    ]


def normalise(value: str, kind: Kind | None = None) -> str:
    """The canonical form of an identifier, so that its written variants hash and compare alike.

    Thai digits become ASCII; e-mail addresses are lower-cased; phones (with ``kind="phone"``) become
    E.164 where valid as TH or SG numbers; anything else loses blanks, dashes, dots and parentheses and
    is upper-cased (1-2345-67890-12-1 -> 1234567890121, s1234567d -> S1234567D).
    """
    value = unicodedata.normalize("NFKC", value).translate(_THAI_DIGITS).strip()
    if kind == "email" or (kind is None and "@" in value):
        return value.lower()
    if kind == "phone":
        for region in ("TH", "SG"):
            try:
                number = phonenumbers.parse(value, region)
            except phonenumbers.NumberParseException:
                break
            if phonenumbers.is_valid_number(number):
                return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return _SEPARATORS.sub("", value).upper()


def keyed_hash(value: str, secret: bytes, kind: Kind | None = None) -> str:
    """HMAC-SHA256 (hex) of the normalised value under the portal's secret; raises ValueError without one.

    Keyed, because a plain hash of a 13-digit ID is reversed by hashing the ~10^12 possible IDs.
    """
    if not secret:
        raise ValueError("keyed_hash needs a non-empty secret")
    return hmac.new(secret, normalise(value, kind).encode(), hashlib.sha256).hexdigest()


def _mask_all(value: str) -> str:
    return "".join("x" if c.isalnum() else c for c in value)


def mask_partial(value: str, kind: Kind) -> str:
    """A partial mask: Thai ID 1-2345-xxxxx-xx-x, phone keeps its last 3 digits, e-mail s***@domain,
    NRIC S****567A, passport AA****567.

    A value that is not a well-formed instance of ``kind`` is masked entirely rather than rejected: a
    masking pass over a column must neither stop halfway nor let an odd value through. Raises
    ValueError for an unknown kind.
    """
    if kind == "thai_id":
        digits = _SEPARATORS.sub("", value.translate(_THAI_DIGITS))
        if len(digits) == 13 and digits.isascii() and digits.isdigit():
            return f"{digits[0]}-{digits[1:5]}-xxxxx-xx-x"
    elif kind == "phone":
        digit_places = [i for i, c in enumerate(value) if c.isdigit()]
        if len(digit_places) >= 8:
            keep = set(digit_places[-3:])
            return "".join("x" if c.isdigit() and i not in keep else c for i, c in enumerate(value))
    elif kind == "email":
        local, at, domain = value.strip().rpartition("@")
        if at and local and "." in domain:
            return f"{local[0]}***@{domain}"
    elif kind == "sg_nric":
        nric = value.strip().upper()
        if _NRIC.fullmatch(nric):
            return f"{nric[0]}****{nric[5:]}"
    elif kind == "thai_passport":
        passport = value.strip().upper()
        if _PASSPORT.fullmatch(passport):
            return f"{passport[:2]}****{passport[6:]}"
    else:
        raise ValueError(f"unknown kind: {kind!r}")
    return _mask_all(value)
