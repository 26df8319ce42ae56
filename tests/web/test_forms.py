"""The dataset form generated from a profile, and a submitted form read back (no database needed)."""

from __future__ import annotations

from starlette.datastructures import FormData

from sapan.catalog.profiles import load_profile
from sapan.web import forms


def test_ckan_profile_gets_the_core_fields() -> None:
    fields = forms.dataset_form(load_profile("ckan"))
    assert [f.name for f in fields][:3] == ["title", "name", "owner_org"]
    widgets = {f.name: f.widget for f in fields}
    assert widgets["notes"] == "textarea" and widgets["license_id"] == "license"
    assert {f.name for f in fields if f.required} == {"title", "owner_org"}


def test_gdc_profile_widgets_follow_choices_and_validators() -> None:
    fields = {f.name: f for f in forms.dataset_form(load_profile("thai_gdc"))}
    assert fields["data_type"].widget == "select" and fields["data_type"].required
    assert fields["objective"].widget == "checkboxes"
    assert fields["created_date"].widget == "date" and fields["maintainer_email"].widget == "email"
    assert fields["update_frequency_interval"].widget == "int"
    assert fields["data_type"].label["th"] == "ประเภทชุดข้อมูล"
    assert "title" not in [name for name in fields if list(fields).count(name) > 1]  # once each


def test_reading_a_form_back() -> None:
    fields = forms.dataset_form(load_profile("thai_gdc"))
    form = FormData(
        [("title", "  ชื่อ  "), ("objective", "a"), ("objective", "b"), ("tag_string", "สถิติ, , หนี้สิน"),
         ("name", "")]
    )  # fmt: skip
    data = forms.read_dataset_form(fields, form)
    assert data["title"] == "ชื่อ" and data["objective"] == ["a", "b"]
    assert data["tags"] == [{"name": "สถิติ"}, {"name": "หนี้สิน"}] and "tag_string" not in data
    assert "name" not in data  # made from the title by the domain
    assert data["data_format"] == [] and data["notes"] == ""  # emptied fields clear their values
    by_field, general = forms.errors_by_field(
        {"tags": ["Missing value"], "private": ["no"], "title": ["x"]}, fields
    )
    assert by_field == {"tag_string": ["Missing value"], "title": ["x"]} and general == ["private: no"]
