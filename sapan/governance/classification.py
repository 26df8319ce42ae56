"""Who may see a dataset, by Thailand's government data governance framework: its data category
(หมวดหมู่ข้อมูล) and classification (ระดับชั้นข้อมูล), with the values data.go.th uses.

Only category public with classification open (or none given) may be public. Anything else is private:
visible to members of the owning organization whose clearance (a membership attribute, 0-4) is at
least the classification's level, and to sysadmins."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sapan.errors import ValidationError

PUBLIC_CATEGORY = "ข้อมูลสาธารณะ"
LEVELS = {  # classification -> level; a member needs a clearance at least this high
    "เปิดเผย": 0,  # open
    "ชั้นเผยแพร่ภายในองค์กร": 1,  # internal
    "ลับ": 2,  # confidential
    "ลับมาก": 3,  # secret
    "ลับที่สุด": 4,  # top secret
}
CLEARANCES = range(0, 5)
CATEGORIES = (  # the data_category choices of the thai_gdc profile
    PUBLIC_CATEGORY,
    "ข้อมูลใช้ภายใน",  # internal use
    "ข้อมูลส่วนบุคคล",  # personal
    "ข้อมูลความมั่นคง",  # security
    "ข้อมูลความลับทางราชการ",  # official secret
)
# English names accepted wherever a category or classification is typed (CLI, agreements).
CATEGORY_ALIASES = dict(
    zip(("public", "internal", "personal", "security", "secret"), CATEGORIES, strict=True)
)
CLASSIFICATION_ALIASES = dict(
    zip(("open", "internal", "confidential", "secret", "top_secret"), LEVELS, strict=True)
)


def level_of(values: Mapping[str, Any]) -> int:
    """The level of a dataset's classification (0 when it has none)."""
    return LEVELS.get(str(values.get("data_classification") or ""), 0)


def category_of(values: Mapping[str, Any]) -> str:
    """A dataset's data category. None given counts as public, as no classification counts as open: only
    profiles without the field (the plain CKAN one) leave it out, and there public means public."""
    return str(values.get("data_category") or PUBLIC_CATEGORY)


def check_public(private: bool, values: Mapping[str, Any], governed: bool) -> None:
    """Raise ValidationError when a dataset that may not be public is marked public. `governed`: the
    portal's profile has the category field (the plain CKAN profile does not)."""
    if private or not governed:
        return
    category = values.get("data_category") or "uncategorised"
    if category != PUBLIC_CATEGORY:
        why = f"Only {PUBLIC_CATEGORY} (public) data may be public; this dataset is {category}"
        raise ValidationError.one("private", why)
    if level_of(values) > 0:
        why = f"Only data classified เปิดเผย (open) may be public; this is {values['data_classification']}"
        raise ValidationError.one("private", why)


def check_clearance(value: Any) -> int:
    try:
        clearance = int(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError.one(
            "clearance", "Must be a whole number from 0 (open) to 4 (top secret)"
        ) from exc
    if clearance not in CLEARANCES:
        raise ValidationError.one("clearance", "Must be a whole number from 0 (open) to 4 (top secret)")
    return clearance
