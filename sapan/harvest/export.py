"""Which datasets the exports describe, and the catalogue's pages.

DCAT and Data Package are publication formats: partner portals harvest them and republish what they
find. So they describe published datasets only (public, active, classified open) whoever asks, even a
sysadmin; members read their private datasets through the Action API instead."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from sapan.accounts.service import ANONYMOUS, Actor
from sapan.catalog.context import CatalogConfig
from sapan.catalog.datasets import show_dataset
from sapan.errors import NotFound, ValidationError
from sapan.governance import classification
from sapan.governance.scope import PartnerScope
from sapan.search.service import MAX_ROWS, SearchQuery, search_datasets

_PLUS_AS_SPACE = re.compile(r"(T[\d:.]+) (\d{2}:?\d{2})$")
NOT_PUBLISHED = "Dataset not found: only published (public) datasets have DCAT and Data Package exports"


@dataclass(frozen=True)
class CatalogQuery:
    page: int = 1
    page_size: int = 100
    q: str = ""
    fq: str = ""
    modified_since: datetime | None = None  # naive UTC, as the catalogue stores times


@dataclass(frozen=True)
class CatalogPage:
    query: CatalogQuery
    total: int
    datasets: list[dict[str, Any]]
    withheld: frozenset[str]  # resource ids whose files are kept from the public

    @property
    def last_page(self) -> int:
        return max(1, -(-self.total // self.query.page_size))


def is_published(ds: dict[str, Any]) -> bool:
    return ds.get("state") == "active" and not ds.get("private") and classification.level_of(ds) == 0


def published_dataset(session: Session, cfg: CatalogConfig, actor: Actor, ref: Any) -> dict[str, Any]:
    """The package dict of a published dataset. NotFound for an unknown one, for one the actor may not
    read (so a private dataset's existence does not leak), and for an unpublished one."""
    ds = show_dataset(session, cfg, actor, ref)
    if not is_published(ds):
        raise NotFound(NOT_PUBLISHED)
    return ds


def withheld_resources(session: Session, datasets: list[dict[str, Any]]) -> frozenset[str]:
    """Uploaded files the public may not download yet (awaiting the personal-data scan, or masked):
    the exports leave them out, as the download route refuses them."""
    from sapan.datastore.service import file_withheld

    return frozenset(
        res["id"]
        for ds in datasets
        for res in ds.get("resources", [])
        if res.get("url_type") == "upload" and file_withheld(session, res["id"])
    )


def parse_modified_since(value: str | None) -> datetime | None:
    """An ISO 8601 date or date-time (with or without a zone) as naive UTC."""
    if not value:
        return None
    try:
        # an unencoded "+07:00" arrives as " 07:00" (a query string's + is a space)
        when = datetime.fromisoformat(_PLUS_AS_SPACE.sub(r"\1+\2", value.strip()))
    except ValueError as exc:
        raise ValidationError.one("modified_since", "Use an ISO 8601 date or date-time") from exc
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return when


def catalog_page(
    session: Session, cfg: CatalogConfig, query: CatalogQuery, partner: PartnerScope | None = None
) -> CatalogPage:
    """One page of the published catalogue, newest change first (a stable order for harvesters); a
    partner portal's page holds only what its data-flow agreement lets cross.
    Raises ValidationError for a bad page, page size, q or fq."""
    if query.page < 1:
        raise ValidationError.one("page", "Must be 1 or more")
    if not 1 <= query.page_size <= MAX_ROWS:
        raise ValidationError.one("page_size", f"Must be between 1 and {MAX_ROWS}")
    start = (query.page - 1) * query.page_size
    # The anonymous view whoever asks: see the module's docstring.
    search = SearchQuery(
        q=query.q, fq=query.fq, rows=query.page_size, start=start, sort="metadata_modified desc",
        modified_since=query.modified_since,
    )  # fmt: skip
    found = search_datasets(session, cfg, replace(ANONYMOUS, partner=partner), search)
    total, datasets = int(found["count"]), found["results"]
    # The index only holds public active datasets for the anonymous view, and a classified dataset can
    # never be public (governance/classification.py); checking again costs nothing.
    datasets = [ds for ds in datasets if is_published(ds)]
    return CatalogPage(query, total, datasets, withheld_resources(session, datasets))
