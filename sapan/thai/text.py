"""Normalising Thai text before it is split: Thai digits, old-style typing, common abbreviations
(กทม., month names with two-digit Buddhist-era years such as เม.ย.58)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")

MONTHS = {
    "ม.ค.": "มกราคม", "ก.พ.": "กุมภาพันธ์", "มี.ค.": "มีนาคม", "เม.ย.": "เมษายน",
    "พ.ค.": "พฤษภาคม", "มิ.ย.": "มิถุนายน", "ก.ค.": "กรกฎาคม", "ส.ค.": "สิงหาคม",
    "ก.ย.": "กันยายน", "ต.ค.": "ตุลาคม", "พ.ย.": "พฤศจิกายน", "ธ.ค.": "ธันวาคม",
}  # fmt: skip

# Abbreviations common in Thai government data, mapped to the full form people also type.
ABBREVIATIONS = {
    "กทม.": "กรุงเทพมหานคร", "กทม": "กรุงเทพมหานคร", "กรุงเทพฯ": "กรุงเทพมหานคร",
    "ธปท.": "ธนาคารแห่งประเทศไทย", "สสช.": "สำนักงานสถิติแห่งชาติ", "สธ.": "กระทรวงสาธารณสุข",
    "ศธ.": "กระทรวงศึกษาธิการ", "มท.": "กระทรวงมหาดไทย", "กษ.": "กระทรวงเกษตรและสหกรณ์",
    "คค.": "กระทรวงคมนาคม", "ดศ.": "กระทรวงดิจิทัลเพื่อเศรษฐกิจและสังคม", "สพฐ.": "สำนักงานคณะกรรมการการศึกษาขั้นพื้นฐาน",
    "อบต.": "องค์การบริหารส่วนตำบล", "อบจ.": "องค์การบริหารส่วนจังหวัด", "ผวจ.": "ผู้ว่าราชการจังหวัด",
    "รพ.": "โรงพยาบาล", "รร.": "โรงเรียน", "จ.": "จังหวัด", "อ.": "อำเภอ", "ต.": "ตำบล",
    "พรบ": "พระราชบัญญัติ", "พรก": "พระราชกำหนด", "ปณร": "ร้านไปรษณีย์", "ปณอ": "ที่ทำการไปรษณีย์อนุญาต",
    "ปณท": "บริษัทไปรษณีย์ไทย", "จปฐ": "ข้อมูลความจำเป็นพื้นฐาน", "สขร": "สรุปผลการจัดซื้อจัดจ้าง",
    # Era markers carry no meaning for search: the year after them does.
    "พศ": " ", "คศ": " ",
}  # fmt: skip
# Initialisms written with dots between letters (ป.ป.ช., พ.ร.บ.) are also written without (ปปช).
_DOTTED = re.compile(r"(?<![\u0E01-\u0E4E])((?:[\u0E01-\u0E2E]\.){2,})")
# Marks typed in the wrong order look the same but are different text: below/above vowels come
# before tone marks, which come before the thanthakhat (กาฬสินธ์ุ -> กาฬสินธุ์).
_MARK_ORDER = {
    ch: i
    for i, ch in enumerate(
        "\u0e31\u0e34\u0e35\u0e36\u0e37\u0e38\u0e39\u0e47\u0e48\u0e49\u0e4a\u0e4b\u0e4c\u0e4d"
    )
}
_MARKS = re.compile("[" + "".join(_MARK_ORDER) + "]{2,}")
_HAS_THAI = re.compile(r"[\u0E00-\u0E7F]")
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff]")
_NIKHAHIT_AA = re.compile(r"\u0e4d([\u0e48-\u0e4b]?)\u0e32")
_REPEATED_MARK = re.compile(r"([\u0e31-\u0e3a\u0e47-\u0e4e])\1+")

_MONTH = re.compile(
    "(" + "|".join(re.escape(m) for m in sorted(MONTHS, key=len, reverse=True)) + r")\s*(\d{2}|\d{4})?(?!\d)"
)
# An abbreviation counts only where it stands alone (not inside a Thai word); กรุงเทพฯ, ending in ฯ,
# is unmistakable anywhere.
_ABBREV = re.compile(
    r"กรุงเทพฯ|(?<![\u0E01-\u0E4E])("
    + "|".join(re.escape(a) for a in sorted(ABBREVIATIONS, key=len, reverse=True))
    + r")(?=[^\u0E01-\u0E4E]|$)"
)


def _month(match: re.Match[str]) -> str:
    month, year = MONTHS[match.group(1)], match.group(2)
    if year and len(year) == 2:
        year = "25" + year  # government tables write เม.ย.58 for April BE 2558
    return f" {month} {year or ''} "


@lru_cache(maxsize=65536)
def normalize(text: str) -> str:
    """NFC, mended Thai typing, Arabic digits and expanded abbreviations (the same for documents
    and queries, so either form finds the other)."""
    text = unicodedata.normalize("NFC", text).translate(THAI_DIGITS)
    if _HAS_THAI.search(text):
        text = _INVISIBLE.sub("", text).replace("เเ", "แ")  # two sara e typed for one sara ae
        text = _NIKHAHIT_AA.sub("\\1\u0e33", text)  # นํ้า (nikhahit + tone + aa) -> น้ำ
        text = _REPEATED_MARK.sub("\\1", text)
        text = _MARKS.sub(lambda m: "".join(sorted(m.group(), key=_MARK_ORDER.__getitem__)), text)
        text = _MONTH.sub(_month, text)
        text = _DOTTED.sub(lambda m: m.group(1).replace(".", "") + " ", text)
        text = _ABBREV.sub(lambda m: f" {ABBREVIATIONS[m.group(1) or m.group()]} ", text)
    return text


_collator = None


def sort_key(text: str) -> str:
    """A string whose plain (binary) order is Thai dictionary order (ICU's th collation): leading
    vowels sort under their consonant (เงิน under ง), Thai before Latin, case ignored. Hex, so every
    database compares it the same way."""
    global _collator
    if _collator is None:
        import icu

        _collator = icu.Collator.createInstance(icu.Locale("th_TH"))
        _collator.setStrength(icu.Collator.SECONDARY)
    return bytes(_collator.getSortKey(normalize(text.strip())[:100])).hex()
