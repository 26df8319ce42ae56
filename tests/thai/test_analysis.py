"""Thai-aware analysis: words and their parts, digits, abbreviations, years, English stems."""

from __future__ import annotations

from sapan.thai.analysis import analyse, analyse_query, parts, words
from sapan.thai.text import normalize, sort_key


def test_compounds_keep_their_words_and_get_their_parts() -> None:
    analysed = analyse("กระทรวงดิจิทัลเพื่อเศรษฐกิจและสังคม ส่งเสริมการลงทุน")
    assert analysed.words == ["กระทรวงดิจิทัลเพื่อเศรษฐกิจและสังคม", "ส่งเสริม", "การลงทุน"]
    assert {"ดิจิทัล", "เศรษฐกิจ", "สังคม", "ลงทุน"} <= set(analysed.parts)
    assert parts("ครัวเรือน") == ("ครัว", "เรือน")
    assert parts("ข้อมูล") == ()


def test_baseline_modes_segment_differently() -> None:
    text = "กระทรวงดิจิทัลเพื่อเศรษฐกิจและสังคม"
    assert words(text, "newmm") == [text]
    assert "ดิจิทัล" in words(text, "icu")
    assert analyse(text, "icu").parts == [] and analyse(text, "newmm").parts == []


def test_thai_digits_abbreviations_and_months() -> None:
    assert words("ประชากร พ.ศ. ๒๕๖๔") == ["ประชากร", "2564"]
    assert words("ข้อมูล กทม.") == words("ข้อมูล กรุงเทพมหานคร")
    assert words("ยอดขาย เม.ย.58") == ["ยอดขาย", "เมษายน", "2558"]
    assert words("ยอดขาย ธ.ค. 2564") == ["ยอดขาย", "ธันวาคม", "2564"]
    assert "นํ้า" not in normalize("นํ้าฝน")  # old-style typing mended (ํ + า -> ำ)


def test_queries_drop_stopwords_and_know_both_eras() -> None:
    terms = analyse_query("ข้อมูลของจังหวัด 2021")
    assert [t.token for t in terms] == ["ข้อมูล", "จังหวัด", "2021"]
    assert terms[2].forms == ["2021", "2564"]
    assert analyse_query("สถิติ ๒๕๕๖")[1].forms == ["2556", "2013"]
    assert [t.token for t in analyse_query("และ")] == ["และ"]  # nothing else left: keep it


def test_english_is_lowercased_and_stemmed_in_mixed_text() -> None:
    assert words("Marriages by Age Group") == ["marriag", "by", "age", "group"]
    assert words("ผู้ป่วย COVID-19 schools") == ["ผู้ป่วย", "covid", "19", "school"]


def test_sort_key_is_thai_dictionary_order() -> None:
    titles = ["ไฟฟ้า", "School", "เงินเฟ้อ", "ดัชนี", "การค้า", "apple"]
    assert sorted(titles, key=sort_key) == ["การค้า", "เงินเฟ้อ", "ดัชนี", "ไฟฟ้า", "apple", "School"]
