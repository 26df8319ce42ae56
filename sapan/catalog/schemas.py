"""What the catalogue accepts: CKAN-shaped input checked with Pydantic, errors in CKAN's shape."""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic import ValidationError as PydanticError

NAME = re.compile(r"^[a-z0-9_-]{2,100}$")
NAME_MESSAGE = "Must be purely lowercase alphanumeric (ascii) characters and these symbols: -_ (2-100 long)"
MAX_TAG = 100


def check_name(value: str) -> str:
    if not NAME.match(value):
        raise ValueError(NAME_MESSAGE)
    return value


def check_tag(value: str) -> str:
    """Tags may be any words, Thai ones included (with vowel and tone marks, which CKAN's regex
    rejects), and spaces; never control characters or commas (the tag_string separator)."""
    value = unicodedata.normalize("NFC", value.strip())
    if not value:
        raise ValueError("Tag must not be empty")
    if len(value) > MAX_TAG:
        raise ValueError(f'Tag "{value[:20]}..." length is more than maximum {MAX_TAG}')
    if "," in value:
        raise ValueError(f'Tag "{value}" must not contain a comma')
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in value):
        raise ValueError(f'Tag "{value!r}" must not contain control characters')
    return value


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class TagIn(_In):
    name: str
    vocabulary_id: str | None = Field(None, max_length=100)
    # Keys CKAN prints that clients echo back.
    id: str | None = None
    display_name: str | None = None
    state: str | None = None

    @field_validator("name")
    @classmethod
    def _tag(cls, v: str) -> str:
        return check_tag(v)


class ExtraIn(_In):
    key: str
    value: Any = ""
    state: str | None = None


class GroupRef(_In):
    model_config = ConfigDict(extra="ignore")
    name: str | None = None
    id: str | None = None


class DatasetIn(_In):
    name: str | None = None
    title: str | None = None
    notes: str | None = None
    author: str | None = None
    author_email: str | None = None
    maintainer: str | None = None
    maintainer_email: str | None = None
    license_id: str | None = None
    url: str | None = None
    version: str | None = Field(None, max_length=100)
    type: str | None = Field(None, max_length=100)
    private: bool = False
    state: Literal["active", "draft"] | None = None
    owner_org: str | None = None
    tags: list[TagIn] | None = None
    tag_string: str | None = None
    extras: list[ExtraIn] | None = None
    resources: list[dict[str, Any]] | None = None
    groups: list[GroupRef] | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str | None) -> str | None:
        return check_name(v) if v else v


class ResourceIn(_In):
    package_id: str | None = None
    id: str | None = None
    name: str | None = None
    description: str | None = None
    format: str | None = Field(None, max_length=100)
    url: str | None = None
    mimetype: str | None = Field(None, max_length=200)
    url_type: str | None = Field(None, max_length=20)


# Keys that package_show prints and CKAN clients send straight back: accepted and ignored.
DATASET_OUTPUT_KEYS = frozenset(
    {
        "id", "metadata_created", "metadata_modified", "creator_user_id", "organization", "num_resources",
        "num_tags", "isopen", "license_title", "license_url", "revision_id", "relationships_as_object",
        "relationships_as_subject", "tracking_summary", "title_translated", "notes_translated",
    }
)  # fmt: skip
RESOURCE_OUTPUT_KEYS = frozenset(
    {
        "created", "last_modified", "metadata_modified", "position", "state", "size", "hash",
        "datastore_active", "cache_url", "cache_last_updated", "mimetype_inner", "resource_type",
        "revision_id", "tracking_summary", "upload", "datastore_contains_all_records_of_source_file",
    }
)  # fmt: skip


def pydantic_errors(exc: PydanticError, prefix: str = "") -> dict[str, list[str]]:
    """Turn Pydantic's errors into CKAN's {field: [message]} (first path element is the field)."""
    out: dict[str, list[str]] = {}
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        field = prefix + (loc[0] if loc else "__all__")
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "The field is not in the schema"
        elif len(loc) > 1:
            message = f"{'.'.join(loc[1:])}: {message}"
        out.setdefault(field, []).append(message)
    return out
