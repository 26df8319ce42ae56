"""Metadata profiles: the bundled Thai GDC profile and any ckanext-scheming file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sapan.catalog.profiles import load_profile, parse_profile

FIXTURES = Path(__file__).parent.parent / "fixtures" / "profiles"


def test_thai_gdc_profile_has_the_standard_fields() -> None:
    profile = load_profile("thai_gdc")
    names = {f.name for f in profile.extra_dataset_fields}
    assert {
        "data_type", "objective", "update_frequency_unit", "update_frequency_interval", "geo_coverage",
        "data_source", "data_category", "data_classification", "accessible_condition", "data_language",
        "created_date", "high_value_dataset",
    } <= names  # fmt: skip
    category = next(f for f in profile.dataset_fields if f.name == "data_category")
    assert category.required and category.label["th"] == "หมวดหมู่ข้อมูลตามธรรมาภิบาลข้อมูลภาครัฐ"
    assert {"ข้อมูลสาธารณะ", "ข้อมูลส่วนบุคคล", "ข้อมูลใช้ภายใน"} <= category.choice_values
    classification = next(f for f in profile.dataset_fields if f.name == "data_classification")
    assert classification.choice_values == {"เปิดเผย", "ชั้นเผยแพร่ภายในองค์กร", "ลับ", "ลับมาก", "ลับที่สุด"}
    objective = next(f for f in profile.dataset_fields if f.name == "objective")
    assert objective.multiple and objective.required
    assert all(f.label.get("th") and f.label.get("en") for f in profile.extra_dataset_fields if f.choices)


def test_profile_validation_normalises_and_names_errors() -> None:
    profile = load_profile("thai_gdc")
    values, errors = profile.validate_dataset(
        {
            "data_type": "ข้อมูลสถิติ",
            "objective": '["เพื่อการให้บริการประชาชน"]',  # JSON text from a form
            "data_language": "ไทย,อังกฤษ",
            "update_frequency_interval": "๑x",
            "created_date": "2564-13-01",
        }
    )
    assert values["objective"] == ["เพื่อการให้บริการประชาชน"]
    assert values["data_language"] == ["ไทย", "อังกฤษ"]
    assert errors["update_frequency_interval"] == ["Invalid integer"]
    assert "YYYY-MM-DD" in errors["created_date"][0]
    assert errors["geo_coverage"] == ["Missing value"]


def test_any_scheming_file_loads() -> None:
    profile = load_profile(str(FIXTURES / "minimal_scheming.json"))
    spatial = next(f for f in profile.extra_dataset_fields if f.name == "spatial_level")
    assert spatial.choice_values == {"national", "province", "district"}
    values, errors = profile.validate_dataset({"spatial_level": "province", "coverage_start": "2021-01-01"})
    assert values["spatial_level"] == "province"
    assert errors == {"publisher_unit": ["Missing value"]}


def test_bad_profiles_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="Unknown dataset profile"):
        load_profile("no-such-profile")
    with pytest.raises(ValueError, match="dataset_fields"):
        parse_profile(json.loads('{"scheming_version": 2}'), "empty")
    assert load_profile("ckan").extra_dataset_fields == ()
