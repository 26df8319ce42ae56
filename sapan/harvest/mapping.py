"""A source's CKAN-shaped package dict -> what Sapan stores: the core fields, the profile's fields
(values the profile cannot hold are dropped, not fatal), scalar extras, tags and resources. The local
name, organization, licence and provenance are added by run.py."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sapan.catalog.profiles import CORE_DATASET_FIELDS, EMAIL, Profile
from sapan.catalog.schemas import check_tag

TEXT_FIELDS = ("title", "notes", "author", "author_email", "maintainer", "maintainer_email", "url", "version")
RESOURCE_CORE = ("id", "name", "description", "format", "url", "mimetype", "size")
# Keys CKAN prints about a resource that are the source's own bookkeeping, not metadata to copy.
RESOURCE_SKIP = frozenset({
    "package_id", "position", "state", "created", "metadata_modified", "cache_url", "cache_last_updated",
    "datastore_active", "url_type", "hash", "mimetype_inner", "revision_id", "tracking_summary",
})  # fmt: skip
PROVENANCE = "harvest_"  # extras Sapan writes itself (a source's own harvest extras are replaced)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def importable(package: dict[str, Any], profile: Profile) -> tuple[dict[str, Any], list[str]]:
    """The dataset dict to import and the notes on what was dropped (for the run's report)."""
    notes: list[str] = []
    out: dict[str, Any] = {k: _text(package.get(k)) for k in TEXT_FIELDS}
    for key in ("author_email", "maintainer_email"):
        if out[key] and not EMAIL.match(out[key]):
            notes.append(f"{key} {out[key]!r} is not an e-mail address")
            out[key] = ""
    out["title"] = out["title"] or _text(package.get("name"))
    out["private"] = False
    fields = {f.name: f for f in profile.extra_dataset_fields}
    extras: dict[str, str] = {}
    raw_extras = package.get("extras") or []
    if isinstance(raw_extras, dict):
        raw_extras = [{"key": k, "value": v} for k, v in raw_extras.items()]
    for extra in raw_extras:
        if not isinstance(extra, dict) or not _text(extra.get("key")):
            continue
        key, value = _text(extra["key"]), extra.get("value")
        if key.startswith(PROVENANCE) or key in CORE_DATASET_FIELDS:
            continue
        if key in fields:  # a profile field the source kept as an extra
            package.setdefault(key, value)
        else:
            extras[key] = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    for name, f in fields.items():
        value = package.get(name)
        if value is None or value == "" or value == []:
            continue
        checked, error = f.check(value)
        if error:
            notes.append(f"{name}: {error}")
        elif checked is not None:
            out[name] = checked
    out["extras"] = [{"key": k, "value": v} for k, v in sorted(extras.items())]
    out["tags"] = _tags(package.get("tags"), notes)
    out["groups"] = [
        {"name": _text(g.get("name"))}
        for g in package.get("groups") or []
        if isinstance(g, dict) and g.get("name")
    ]
    out["resources"] = [_resource(r, profile) for r in package.get("resources") or [] if isinstance(r, dict)]
    return out, notes


def _tags(raw: Any, notes: list[str]) -> list[dict[str, str]]:
    names: list[str] = []
    for tag in raw or []:
        name = _text(tag.get("name") if isinstance(tag, dict) else tag)
        try:
            names.append(check_tag(name))
        except ValueError as exc:
            notes.append(f"tag dropped: {exc}")
    return [{"name": n} for n in dict.fromkeys(names) if n]


def _resource(raw: dict[str, Any], profile: Profile) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in RESOURCE_CORE:
        value = raw.get(key)
        if value is not None and value != "":
            out[key] = value if key == "size" else _text(value)
    if not isinstance(out.get("size"), int) or out["size"] < 0:
        out.pop("size", None)
    if not out.get("name"):  # profiles require a name; the file's name (or its format) stands in
        tail = str(out.get("url") or "").split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        out["name"] = tail or str(out.get("format") or "") or "resource"
    profile_names = {f.name: f for f in profile.extra_resource_fields}
    for key, value in raw.items():
        if key in out or key in RESOURCE_CORE or key in RESOURCE_SKIP or value is None or value == "":
            continue
        if key in profile_names:
            checked, error = profile_names[key].check(value)
            if not error and checked is not None:
                out[key] = checked
        elif isinstance(value, (str, int, float, bool)) and key != "resource_type":
            out[key] = value
    return out


def content_hash(record: dict[str, Any]) -> str:
    """What a second run compares: the converted dict (and what decides its local shape)."""
    body = json.dumps(record, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()
