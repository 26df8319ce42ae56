"""Reading CKAN-style parameters, which arrive as JSON values or as strings from a query string."""

from __future__ import annotations

import json
from typing import Any

from sapan.errors import ValidationError

MAX_INT = 2**31 - 1


def int_param(
    data: dict[str, Any], key: str, default: int | None, lo: int = 0, hi: int | None = None
) -> int | None:
    value = data.get(key)
    if value is None or value == "":
        return default
    try:
        number = int(value)
        if isinstance(value, float) and value != number:
            raise ValueError
    except (TypeError, ValueError) as exc:
        raise ValidationError.one(key, "Invalid integer") from exc
    if number < lo or (hi is not None and number > hi):
        raise ValidationError.one(
            key, f"Must be between {lo} and {hi}" if hi is not None else f"Must be >= {lo}"
        )
    return number


def bool_param(data: dict[str, Any], key: str, default: bool = False) -> bool:
    value = data.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise ValidationError.one(key, "Must be true or false")


def str_param(data: dict[str, Any], key: str, default: str = "") -> str:
    value = data.get(key, default)
    if value is None:
        return default
    if not isinstance(value, (str, int, float)):
        raise ValidationError.one(key, "Must be a string")
    return str(value)


def list_param(data: dict[str, Any], key: str, default: list[str]) -> list[str]:
    """A list given as JSON (`["tags","organization"]`), repeated keys, or one string."""
    value = data.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = [value]
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError.one(key, "Must be a list of strings")
    return value


def require(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValidationError.one(key, "Missing value")
    return value.strip()


def find_nul(value: Any, path: str = "") -> str | None:
    """The key path of the first string holding a NUL character (PostgreSQL cannot store one)."""
    if isinstance(value, str):
        return (path or "__all__") if "\x00" in value else None
    pairs: Any
    if isinstance(value, dict):
        pairs = value.items()
    elif isinstance(value, list):
        pairs = enumerate(value)
    else:
        return None
    for key, item in pairs:
        if "\x00" in str(key):
            return path or "__all__"
        found = find_nul(item, f"{path}.{key}" if path else str(key))
        if found:
            return found
    return None
