"""The dataset form, generated from the metadata profile: one input per profile field (CKAN's core
fields the profile leaves out are added), with the profile's th/en labels, help text, choices and
required flags; and reading a submitted form back into a package dict for the domain to validate."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from sapan.catalog.profiles import Label, Profile

# Core fields every dataset form has, with labels for profiles (like `ckan`) that do not name them
CORE: tuple[tuple[str, Label, bool], ...] = (
    ("title", {"th": "ชื่อชุดข้อมูล", "en": "Title"}, True),
    ("name", {"th": "ชื่อย่อสำหรับ URL", "en": "URL name"}, False),
    ("owner_org", {"th": "หน่วยงาน", "en": "Organization"}, True),
    ("notes", {"th": "คำอธิบาย", "en": "Description"}, False),
    ("tag_string", {"th": "คำสำคัญ", "en": "Tags"}, False),
    ("license_id", {"th": "สัญญาอนุญาต", "en": "Licence"}, False),
    ("maintainer", {"th": "ผู้ดูแล", "en": "Maintainer"}, False),
    ("maintainer_email", {"th": "อีเมลผู้ดูแล", "en": "Maintainer e-mail"}, False),
)
HELP: dict[str, Label] = {
    "name": {
        "th": "ตัวอักษร a-z ตัวเลข - และ _ ว่างไว้เพื่อสร้างจากชื่อชุดข้อมูล",
        "en": "Lowercase a-z, digits, - and _. Leave empty to make one from the title.",
    },
    "tag_string": {"th": "คั่นด้วยจุลภาค (,)", "en": "Separated by commas (,)"},
    "notes": {"th": "เขียนแบบ Markdown ได้", "en": "Markdown is allowed."},
}
WIDGETS = {"notes": "textarea", "owner_org": "organization", "license_id": "license", "name": "slug"}
KIND_WIDGETS = {"date": "date", "email": "email", "int": "int"}


@dataclass(frozen=True)
class FormField:
    name: str
    label: Label
    required: bool
    widget: str  # text | textarea | select | checkboxes | date | email | int | organization | license | slug
    choices: tuple[tuple[str, Label], ...] = ()
    help_text: Label = field(default_factory=dict)


def dataset_form(profile: Profile) -> list[FormField]:
    """The form's fields in the profile's order, the core ones it lacks first."""
    named = {f.name for f in profile.dataset_fields}
    out = [
        FormField(name, label, required, WIDGETS.get(name, "text"), (), HELP.get(name, {}))
        for name, label, required in CORE
        if name not in named
    ]
    for f in profile.dataset_fields:
        if f.choices:
            widget = "checkboxes" if f.multiple else "select"
        else:
            widget = WIDGETS.get(f.name) or KIND_WIDGETS.get(f.kind, "text")
        required = f.required or f.name in ("title", "owner_org")
        out.append(
            FormField(f.name, f.label, required, widget, f.choices, f.help_text or HELP.get(f.name, {}))
        )
    return out


def resource_form(profile: Profile) -> list[FormField]:
    """The profile's own resource fields (the upload form has url, name and description itself)."""
    return [
        FormField(
            f.name,
            f.label,
            f.required,
            ("checkboxes" if f.multiple else "select") if f.choices else KIND_WIDGETS.get(f.kind, "text"),
            f.choices,
            f.help_text,
        )
        for f in profile.extra_resource_fields
    ]


def read_resource_form(fields: list[FormField], form: FormData) -> dict[str, Any]:
    """The filled profile fields of an upload form (empty ones are left out: a new resource)."""
    data: dict[str, Any] = {}
    for f in fields:
        if f.widget == "checkboxes":
            chosen = [str(v) for v in form.getlist(f.name) if str(v)]
            if chosen:
                data[f.name] = chosen
        elif value := str(form.get(f.name) or "").strip():
            data[f.name] = value
    return data


def read_dataset_form(fields: list[FormField], form: FormData) -> dict[str, Any]:
    """The package dict a submitted form stands for. Every field of the form is present (an emptied
    field clears its value); tags arrive as CKAN's comma-separated tag_string."""
    data: dict[str, Any] = {}
    for f in fields:
        if f.widget == "checkboxes":
            data[f.name] = [str(v) for v in form.getlist(f.name) if str(v)]
        else:
            data[f.name] = str(form.get(f.name) or "").strip()
    if "tag_string" in data:
        tags = [t.strip() for t in data.pop("tag_string").split(",") if t.strip()]
        data["tags"] = [{"name": t} for t in tags]
    if not data.get("name"):
        data.pop("name", None)  # the domain makes one from the title
    return data


def form_values(ds: dict[str, Any]) -> dict[str, Any]:
    """A stored dataset's values as the form shows them."""
    values = dict(ds)
    values["tag_string"] = ", ".join(t["name"] for t in ds.get("tags", []))
    return values


def submitted_values(data: dict[str, Any]) -> dict[str, Any]:
    """What was typed, to show again next to the errors."""
    values = dict(data)
    values["tag_string"] = ", ".join(t["name"] for t in data.get("tags", []))
    return values


def errors_by_field(
    errors: dict[str, list[str]], fields: list[FormField]
) -> tuple[dict[str, list[str]], list[str]]:
    """The domain's errors next to the field they name (tags -> the tag field); the rest for the top."""
    names = {f.name for f in fields}
    by_field: dict[str, list[str]] = {}
    general: list[str] = []
    for key, messages in errors.items():
        target = "tag_string" if key == "tags" and "tag_string" in names else key
        if target in names:
            by_field.setdefault(target, []).extend(str(m) for m in messages)
        else:
            general.extend(f"{key}: {m}" for m in messages)
    return by_field, general
