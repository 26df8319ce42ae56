"""Metadata profiles in ckanext-scheming's JSON format: extra dataset/resource fields with th/en labels,
choices, required flags and validation. Profile fields travel as top-level keys, as with scheming."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

BUNDLED = Path(__file__).parent / "profiles"

# Keys the core dataset/resource already owns; a profile field with one of these names only adds
# labels and a required flag, its value lives in the core column.
CORE_DATASET_FIELDS = frozenset(
    {
        "id", "name", "title", "notes", "author", "author_email", "maintainer", "maintainer_email",
        "license_id", "url", "version", "private", "state", "type", "owner_org", "tags", "tag_string",
        "extras", "resources", "groups",
    }
)  # fmt: skip
CORE_RESOURCE_FIELDS = frozenset(
    {"id", "package_id", "name", "description", "format", "url", "mimetype", "size", "hash", "upload"}
)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
Label = dict[str, str]


@dataclass(frozen=True)
class ProfileField:
    name: str
    label: Label
    required: bool = False
    multiple: bool = False
    choices: tuple[tuple[str, Label], ...] = ()
    kind: str = "text"  # text | date | int | email
    help_text: Label = field(default_factory=dict)

    def check(self, value: Any) -> tuple[Any, str | None]:
        """Normalise one value; return (value, error message or None)."""
        if value is None or value == "" or value == []:
            return None, ("Missing value" if self.required else None)
        if self.multiple:
            values = _as_list(value)
            if values is None:
                return None, "Must be a list of strings"
            bad = [v for v in values if self.choices and v not in self.choice_values]
            if bad:
                return None, f"Unexpected choice(s): {', '.join(bad)}"
            return values, None
        if isinstance(value, (dict, list)):
            return None, "Must be a single value, not a list or object"
        text = str(value).strip()
        if self.choices and text not in self.choice_values:
            return None, f"Unexpected choice: {text}"
        if self.kind == "date":
            try:
                date.fromisoformat(text[:10])
            except ValueError:
                return None, "Date format incorrect, use YYYY-MM-DD"
        elif self.kind == "int":
            if not re.fullmatch(r"-?\d+", text):
                return None, "Invalid integer"
        elif self.kind == "email" and not EMAIL.match(text):
            return None, f"Email {text} is not a valid format"
        return text, None

    @property
    def choice_values(self) -> frozenset[str]:
        return frozenset(v for v, _ in self.choices)


@dataclass(frozen=True)
class Profile:
    name: str
    about: str
    dataset_fields: tuple[ProfileField, ...]
    resource_fields: tuple[ProfileField, ...]

    @property
    def extra_dataset_fields(self) -> tuple[ProfileField, ...]:
        return tuple(f for f in self.dataset_fields if f.name not in CORE_DATASET_FIELDS)

    @property
    def extra_resource_fields(self) -> tuple[ProfileField, ...]:
        return tuple(f for f in self.resource_fields if f.name not in CORE_RESOURCE_FIELDS)

    def core_field(self, name: str) -> ProfileField | None:
        return next((f for f in self.dataset_fields if f.name == name), None)

    def validate_dataset(self, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
        return _validate(self.extra_dataset_fields, data)

    def validate_resource(self, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
        return _validate(self.extra_resource_fields, data)


def _validate(
    fields: tuple[ProfileField, ...], data: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for f in fields:
        value, error = f.check(data.get(f.name))
        if error:
            errors[f.name] = [error]
        elif value is not None:
            values[f.name] = value
    return values, errors


def _as_list(value: Any) -> list[str] | None:
    if isinstance(value, str):
        # Forms and CKAN clients send multi-choice values as a JSON list, "a,b", or one value.
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError:
                return None
        else:
            return [v.strip() for v in text.split(",") if v.strip()]
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return [str(v) for v in value]
    return None


def _label(raw: Any, fallback: str) -> Label:
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}
    if isinstance(raw, str) and raw:
        return {"en": raw}
    return {"en": fallback.replace("_", " ").capitalize()}


def _field(raw: dict[str, Any]) -> ProfileField:
    validators = str(raw.get("validators", ""))
    preset = str(raw.get("preset", ""))
    name = str(raw["field_name"])
    kind = "text"
    if preset == "date" or "isodate" in validators:
        kind = "date"
    elif "int_validator" in validators or "natural_number" in validators:
        kind = "int"
    elif "email_validator" in validators or name.endswith("_email"):
        kind = "email"
    return ProfileField(
        name=name,
        label=_label(raw.get("label"), name),
        required=bool(raw.get("required")) or "scheming_required" in validators or "not_empty" in validators,
        multiple=preset in ("multiple_select", "multiple_checkbox") or "multiple_choice" in validators,
        choices=tuple(
            (str(c["value"]), _label(c.get("label"), str(c["value"]))) for c in raw.get("choices", [])
        ),
        kind=kind,
        help_text=_label(raw.get("help_text"), "") if raw.get("help_text") else {},
    )


def parse_profile(raw: dict[str, Any], name: str) -> Profile:
    """Read a ckanext-scheming dataset schema (any scheming_version)."""
    if "dataset_fields" not in raw:
        raise ValueError(f"{name}: not a ckanext-scheming dataset schema (no dataset_fields)")
    return Profile(
        name=name,
        about=str(raw.get("about", "")),
        dataset_fields=tuple(_field(f) for f in raw["dataset_fields"]),
        resource_fields=tuple(_field(f) for f in raw.get("resource_fields", [])),
    )


@lru_cache(maxsize=16)
def load_profile(name_or_path: str) -> Profile:
    """A bundled profile by name (`thai_gdc`, `ckan`) or a ckanext-scheming JSON file by path."""
    if name_or_path == "ckan":
        return Profile("ckan", "CKAN's core fields only", (), ())
    path = BUNDLED / f"{name_or_path}.json"
    if not path.exists():
        path = Path(name_or_path)
    if not path.exists():
        raise ValueError(f"Unknown dataset profile {name_or_path!r}: no bundled profile or file by that name")
    return parse_profile(json.loads(path.read_text(encoding="utf-8")), path.stem)
