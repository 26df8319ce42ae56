"""Domain errors. Domains raise these; api/ maps them to CKAN's error envelope, web/ to pages."""

from __future__ import annotations

import json
from typing import Any


class SapanError(Exception):
    """Base of every error a user may see."""


class NotFound(SapanError):
    def __init__(self, what: str = "Not found") -> None:
        super().__init__(what)
        self.message = what


class NotAuthorized(SapanError):
    def __init__(self, message: str = "Not authorized") -> None:
        super().__init__(message)
        self.message = message


class ValidationError(SapanError):
    """Field -> messages, the shape CKAN puts in `error`."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items()))
        self.errors = errors

    @classmethod
    def one(cls, field: str, message: str) -> ValidationError:
        return cls({field: [message]})


def json_object(value: Any, field: str) -> dict[str, Any]:
    """A parameter that is a JSON object, sent as an object or as JSON text (CKAN's clients send both);
    a ValidationError naming the field otherwise."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise ValidationError.one(field, f"Must be a JSON object: {exc}") from exc
    if not isinstance(value, dict):
        raise ValidationError.one(field, "Must be a JSON object")
    return value


class PayloadTooLarge(SapanError):
    """A request body over a limit; `field` names what was too large (`upload` or the JSON `body`)."""

    def __init__(self, limit_bytes: int, field: str = "upload") -> None:
        size = f"{limit_bytes // 2**20} MiB" if limit_bytes >= 2**20 else f"{limit_bytes // 1024} KiB"
        what = "Upload" if field == "upload" else "The request body"
        super().__init__(f"{what} is larger than the limit of {size}")
        self.limit_bytes = limit_bytes
        self.field = field
