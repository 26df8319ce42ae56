"""Reading CKAN's package_search parameters (Solr-flavoured q and fq) into a plain query plan."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sapan.errors import ValidationError
from sapan.thai.analysis import Mode, QueryTerm, analyse_query, words

MAX_TERMS = 32  # a 10,000-character q still answers fast: only its first terms count
FACET_FIELDS = ("organization", "groups", "tags", "res_format", "license_id")
DOC_FIELDS = ("name", "id")
TEXT_FIELDS = {"title": ("title", "title_parts"), "notes": ("notes", "notes_parts"), "text": None}
TERM = re.compile(r'([+-]?)([A-Za-z_][\w.]*):("(?:[^"\\]|\\.)*"?|\((?:[^()]*)\)?|\S*)')
SORTS = {
    "score": "score",
    "metadata_modified": "metadata_modified",
    "metadata_created": "metadata_created",
    "name": "name",
    "title_string": "title_sort",
    "title": "title_sort",
}


@dataclass
class Filter:
    field: str
    value: str
    negate: bool = False


@dataclass
class Plan:
    terms: list[QueryTerm] = field(default_factory=list)
    columns: tuple[str, ...] | None = None  # full-text columns a `title:` query keeps to
    phrase: list[str] = field(default_factory=list)  # the query's words, for phrase/title boosts
    filters: list[Filter] = field(default_factory=list)
    sort: list[tuple[str, bool]] = field(default_factory=list)  # (column, descending)
    text: str = ""  # the free text as typed (cross-lingual search translates and embeds it)
    modified_since: datetime | None = None  # naive UTC: datasets changed at or after it


def _unquote(raw: str) -> str:
    raw = raw.strip()
    if raw.startswith("(") and raw.endswith(")"):
        raw = raw[1:-1].strip()
    if raw.startswith('"'):
        raw = raw[1:-1] if raw.endswith('"') and len(raw) > 1 else raw[1:]
    return raw.replace('\\"', '"').strip()


def _filter(name: str, raw: str, negate: bool, facet_fields: set[str], param: str) -> Filter | None:
    value = _unquote(raw)
    if name in ("capacity",):
        return Filter("private", "false" if value == "public" else "true", negate)
    if name in ("type", "dataset_type"):
        if value != "dataset":
            return Filter("id", "", negate)  # no other dataset types exist: matches nothing
        return None
    if name == "private":
        return Filter("private", value.lower(), negate)
    if name == "owner_org":
        return Filter("owner_org", value, negate)
    if name in facet_fields or name in DOC_FIELDS:
        if not value:
            raise ValidationError.one(param, f"{name}: needs a value")
        return Filter(name, value, negate)
    raise ValidationError.one(param, f"Cannot filter on {name!r}")


MODIFIED_RANGE = re.compile(r"\bmetadata_modified:\[\s*(\S+)\s+TO\s+\*\s*\]")


def modified_since_of(fq: str) -> tuple[str, datetime | None]:
    """Take `metadata_modified:[X TO *]` out of fq (what harvesters send for incremental runs, as
    ckanext-harvest's CKAN harvester does); returns the rest of fq and X as naive UTC."""
    found = MODIFIED_RANGE.search(fq)
    if not found:
        return fq, None
    raw = found.group(1)
    try:
        when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationError.one("fq", f"metadata_modified: cannot read the date {raw[:40]!r}") from exc
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return (fq[: found.start()] + fq[found.end() :]).strip(), when


def parse_fq(fq: str, facet_fields: set[str]) -> list[Filter]:
    """`organization:x tags:"ข้อมูล" +res_format:CSV -license_id:y`, ANDed."""
    filters: list[Filter] = []
    rest = fq
    for sign, name, raw in TERM.findall(fq):
        made = _filter(name, raw, sign == "-", facet_fields, "fq")
        if made:
            filters.append(made)
    rest = TERM.sub(" ", fq)
    rest = re.sub(r"\b(AND|&&)\b|\*:\*", " ", rest).strip()
    if rest:
        raise ValidationError.one("fq", f"Cannot read {rest[:50]!r}: use field:value terms")
    return filters


def parse_q(q: str, facet_fields: set[str], mode: Mode = "sapan") -> Plan:
    """Free text (Thai, English or both) plus any `field:value` terms CKAN clients put in q.
    Stray Solr syntax (*, ~, ^, brackets, AND/OR/NOT) is read as plain words, never an error."""
    plan = Plan()
    texts: list[str] = []
    for sign, name, raw in TERM.findall(q):
        value = _unquote(raw)
        if name in TEXT_FIELDS:
            texts.append(value)
            plan.columns = TEXT_FIELDS[name] if value else plan.columns
        elif name in facet_fields or name in DOC_FIELDS:
            if value and value != "*":
                plan.filters.append(Filter(name, value, sign == "-"))
        else:
            texts.append(f"{name} {value}")  # "foo:bar" of an unknown field: plain words
    free = TERM.sub(" ", q)
    free = re.sub(r"\*:\*|\b(AND|OR|NOT)\b", " ", free)
    text = " ".join([free, *texts])
    plan.text = " ".join(text.split())[:1000]
    plan.terms = analyse_query(text, mode)[:MAX_TERMS]
    plan.phrase = words(text, mode)[:MAX_TERMS]
    return plan


def parse_sort(sort: str, has_text: bool) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    for part in sort.split(","):
        bits = part.split()
        if not bits:
            continue
        column = SORTS.get(bits[0])
        if column is None:
            raise ValidationError.one("sort", f"Cannot sort by {bits[0]}")
        direction = bits[1].lower() if len(bits) > 1 else "asc"
        if direction not in ("asc", "desc"):
            raise ValidationError.one("sort", f"Sort direction must be asc or desc, not {bits[1]}")
        if column == "score" and not has_text:
            continue  # without words every score is equal: the next key decides
        out.append((column, direction == "desc"))
    return out or [("metadata_modified", True)]
