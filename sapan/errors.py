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


class StorageFull(SapanError):
    """Storage has no room for a file: its quota (SAPAN_STORAGE_QUOTA_MB) is used up, or the disk or
    bucket behind it answered that it is full."""

    def __init__(self, used_bytes: int | None, quota_bytes: int | None, needed_bytes: int = 0) -> None:
        mib = 1024 * 1024
        if quota_bytes:
            detail = f"{(used_bytes or 0) / mib:.1f} MiB used of {quota_bytes / mib:.1f} MiB quota"
            if needed_bytes:
                detail += f"; a file of {needed_bytes / mib:.1f} MiB (or more) did not fit"
        else:
            detail = "the disk or bucket behind it has no space left"
        super().__init__(f"Storage is full: {detail}. Ask the portal's operator for more space.")
        self.used_bytes, self.quota_bytes, self.needed_bytes = used_bytes, quota_bytes, needed_bytes
