"""What the index holds for one dataset: tokens per weighted field, facet values, sort keys."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sapan.catalog.profiles import Profile
from sapan.governance.classification import level_of
from sapan.thai.analysis import Mode, analyse
from sapan.thai.text import sort_key

# Columns of the full-text index, strongest first; *_parts hold the pieces of compound Thai words.
FIELDS = ("title", "title_parts", "tags", "org", "org_parts", "notes", "notes_parts", "resources")
MAX_TOKENS = 4000  # per field: a 100-page description must not swamp the index


@dataclass
class Document:
    dataset_id: str
    name: str
    title_sort: str
    title_tokens: str
    private: bool
    level: int
    state: str
    owner_org: str | None
    metadata_modified: datetime
    metadata_created: datetime
    fields: dict[str, list[str]]
    facets: list[tuple[str, str, str]]
    terms: set[str] = field(default_factory=set)  # the vocabulary this document adds


def _when(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _profile_text(ds: dict[str, Any], profile: Profile) -> tuple[list[str], list[tuple[str, str, str]]]:
    """Profile values as text (with the English labels of Thai choices, so "public" finds
    ข้อมูลสาธารณะ) and the choice fields as facets."""
    texts: list[str] = []
    facets: list[tuple[str, str, str]] = []
    for f in profile.extra_dataset_fields:
        value = ds.get(f.name)
        if not value:
            continue
        values = value if isinstance(value, list) else [str(value)]
        labels = dict(f.choices)
        for v in values:
            texts.append(v)
            if f.choices:
                label = labels.get(v, {})
                texts.extend(x for x in (label.get("en"), label.get("th")) if x and x != v)
                facets.append((f.name, v[:300], label.get("th") or label.get("en") or v))
    return texts, facets


def build_document(ds: dict[str, Any], profile: Profile, mode: Mode = "sapan") -> Document:
    """The index entry for a package dict as package_show prints it."""
    org = ds.get("organization") or {}
    groups = ds.get("groups") or []
    tags = [t["name"] for t in ds.get("tags") or []]
    resources = [r for r in ds.get("resources") or []]
    profile_texts, profile_facets = _profile_text(ds, profile)
    texts = {
        "title": ds.get("title") or ds.get("name") or "",
        "tags": " ; ".join(tags),
        "org": " ; ".join([org.get("title", ""), org.get("name", "")] + [g.get("title", "") for g in groups]),
        "notes": " ; ".join([ds.get("notes") or "", *profile_texts]),
        "resources": " ; ".join(
            " ".join(str(r.get(k) or "") for k in ("name", "description", "format")) for r in resources
        ),
    }
    fields: dict[str, list[str]] = {}
    terms: set[str] = set()
    for name, text in texts.items():
        analysed = analyse(text, mode)
        fields[name] = analysed.words[:MAX_TOKENS]
        if name in ("title", "org", "notes"):
            fields[f"{name}_parts"] = analysed.parts[:MAX_TOKENS]
        terms.update(analysed.words, analysed.parts, analysed.surface)
    facets = [
        *((("organization", org["name"], org.get("title") or org["name"]),) if org.get("name") else ()),
        *(("groups", g["name"], g.get("title") or g["name"]) for g in groups),
        *(("tags", t[:300], t) for t in tags),
        *(("res_format", f, f) for f in {str(r.get("format") or "").upper() for r in resources} if f),
        *(
            (("license_id", ds["license_id"], ds.get("license_title") or ds["license_id"]),)
            if ds.get("license_id")
            else ()
        ),
        *profile_facets,
    ]
    return Document(
        dataset_id=ds["id"],
        name=ds["name"],
        title_sort=sort_key(ds.get("title") or ds["name"]),
        title_tokens=" " + " ".join(fields["title"]) + " ",
        private=bool(ds.get("private")),
        level=level_of(ds),
        state=ds.get("state") or "active",
        owner_org=ds.get("owner_org"),
        metadata_modified=_when(ds["metadata_modified"]),
        metadata_created=_when(ds["metadata_created"]),
        fields=fields,
        facets=list(dict.fromkeys(facets)),
        terms={t for t in terms if len(t) <= 200},
    )
