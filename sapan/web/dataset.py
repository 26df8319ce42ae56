"""/dataset/{name}: a dataset's page (JSON twin: package_show; RDF twins: /dataset/{id}.ttl...)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from sapan.accounts import permissions
from sapan.accounts.service import ANONYMOUS, Actor
from sapan.api import dcat
from sapan.catalog import activity, datasets
from sapan.catalog.context import CatalogConfig
from sapan.catalog.profiles import Profile
from sapan.db import transaction
from sapan.errors import NotFound, ValidationError
from sapan.harvest.export import withheld_resources
from sapan.services import Services
from sapan.web.jsonld import dataset_jsonld
from sapan.web.rendering import error_page, render
from sapan.web.session import PortalSession, actor_in, current

router = APIRouter(include_in_schema=False)
PROVENANCE_KEYS = ("original_url", "source_url", "remote_id")


def profile_values(ds: dict[str, Any], profile: Profile) -> list[dict[str, Any]]:
    """The profile's fields this dataset fills: both labels, and each value with its choice's labels."""
    out = []
    for f in profile.extra_dataset_fields:
        value = ds.get(f.name)
        if value in (None, "", []):
            continue
        choices = dict(f.choices)
        values = value if isinstance(value, list) else [value]
        out.append(
            {
                "name": f.name,
                "label": f.label,
                "values": [{"value": str(v), "labels": choices.get(str(v), {})} for v in values],
                "kind": f.kind,
            }
        )
    return out


def provenance(ds: dict[str, Any]) -> list[tuple[str, str]]:
    """Where a harvested dataset came from: its harvest_* extras (and the original's URL)."""
    extras = {e["key"]: str(e["value"]) for e in ds.get("extras", [])}
    return [(k, v) for k, v in sorted(extras.items()) if k.startswith("harvest_") or k in PROVENANCE_KEYS]


def dataset_page_data(
    session: Session, cfg: CatalogConfig, ref: str, actor: Actor = ANONYMOUS
) -> dict[str, Any]:
    """What the dataset page shows; NotFound for a dataset this actor may not read."""
    try:
        ds = datasets.show_dataset(session, cfg, actor, ref)
    except ValidationError as exc:
        raise NotFound("Dataset not found") from exc
    withheld = withheld_resources(session, [ds])
    return {
        "ds": ds,
        "fields": profile_values(ds, cfg.profile),
        "provenance": provenance(ds),
        "activities": activity.activities_of(session, ds["id"], limit=10),
        "withheld": withheld,
        "jsonld": dataset_jsonld(ds, cfg.site_url, cfg.profile, withheld),
        "site_url": cfg.site_url.rstrip("/"),
        "can_edit": permissions.can_edit_in(actor, ds.get("owner_org")) and not actor.is_anonymous,
    }


def _page(services: Services, name: str, visitor: PortalSession | None) -> dict[str, Any]:
    with transaction(services.sessions) as session:
        return dataset_page_data(session, services.catalog, name, actor_in(session, visitor))


@router.get("/dataset/{name}")
async def dataset_page(request: Request, name: str) -> Response:
    extension = dcat.negotiate(request.headers.get("accept", ""))
    if extension is not None:  # a harvester asking for RDF gets the page's DCAT twin
        return await dcat.dataset_rdf(request, name, extension)
    services: Services = request.app.state.services
    try:
        context = await run_in_threadpool(_page, services, name, current(request))
    except NotFound:
        return error_page(request, 404)
    return render(request, "dataset.html", context, headers={"Vary": "Accept"})
