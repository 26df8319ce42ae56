"""The portal's languages: choosing one, Buddhist-era dates, numbers, and a complete Thai catalogue."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from babel.messages.extract import extract_from_dir

from sapan.web import i18n

WEB = Path(i18n.__file__).parent


def test_language_choice_cookie_then_accept_language_then_thai() -> None:
    assert i18n.pick_language("en", "th") == "en"
    assert i18n.pick_language("th", "en-US,en;q=0.9") == "th"
    assert i18n.pick_language(None, "en-US,en;q=0.9,th;q=0.8") == "en"
    assert i18n.pick_language(None, "fr, en;q=0.1, th;q=0.5") == "th"
    assert i18n.pick_language("de", "de-DE") == "th"  # neither: Thai
    assert i18n.pick_language(None, "en;q=0, th;q=bad") == "th"


def test_thai_dates_use_the_buddhist_era() -> None:
    assert i18n.format_date("2021-03-25T10:15:00", "th") == "25 มี.ค. 2564"
    assert i18n.format_date(date(2021, 3, 25), "en") == "25 Mar 2021"
    assert i18n.format_date(datetime(2024, 12, 1), "th") == "1 ธ.ค. 2567"
    assert i18n.format_date("ไม่ระบุ", "th") == "ไม่ระบุ" and i18n.format_date(None, "en") == ""


def test_numbers_per_locale() -> None:
    assert i18n.format_number(1234567, "th") == "1,234,567"
    assert i18n.format_number(1234.5, "en") == "1,234.5"
    assert i18n.format_number("x", "en") == "x"


def test_every_message_has_a_thai_translation() -> None:
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    messages = {
        (message if isinstance(message, str) else message[0])
        for _, _, message, _, _ in extract_from_dir(str(WEB), method_map)
    }
    assert len(messages) > 50
    thai = i18n.translations("th")
    missing = sorted(m for m in messages if thai.gettext(m) == m and m not in {"API", "Action API"})
    assert not missing, f"add these to locale/th/LC_MESSAGES/messages.po: {missing}"


def test_profile_labels_fall_back_to_the_other_language() -> None:
    assert i18n.label({"th": "หน่วยงาน", "en": "Organization"}, "en") == "Organization"
    assert i18n.label({"th": "หน่วยงาน"}, "en") == "หน่วยงาน"
    assert i18n.label({}, "th", "owner_org") == "owner_org"
