"""Romanized slugs from Thai titles."""

from __future__ import annotations

import re

from sapan.thai.slug import slugify

SLUG = re.compile(r"^[a-z0-9_-]{2,100}$")


def test_thai_titles_become_rtgs_slugs() -> None:
    assert slugify("จำนวนหนี้สินเฉลี่ยต่อครัวเรือน") == "chamnuan-nisin-cheli-to-khruaruean"
    assert slugify("สถิติประชากร พ.ศ. ๒๕๖๔").endswith("2564")  # Thai digits folded


def test_mixed_and_odd_titles_still_give_valid_slugs() -> None:
    titles = [
        "ข้อมูลพิกัด  LAT/LONG ที่ตั้งตำบล",
        "Population (2020) — Singapore",
        "รายได้เฉลี่ยต่อเดือนต่อครัวเรือน จำแนกตามภาค และจังหวัด พ.ศ. 2539 - 2556" * 3,
    ]
    for title in titles:
        assert SLUG.match(slugify(title)), title
    assert slugify("ๆ") == ""  # nothing romanizable: the caller reports a missing name
