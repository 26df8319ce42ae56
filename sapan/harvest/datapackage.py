"""A published dataset as a Frictionless Data Package (datapackage.json), with each table's Table Schema."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from sapan.accounts.service import Actor
from sapan.catalog.context import CatalogConfig
from sapan.harvest import vocab
from sapan.harvest.dcat_export import iri
from sapan.harvest.export import published_dataset, withheld_resources
from sapan.thai.slug import slugify


def data_package(session: Session, cfg: CatalogConfig, actor: Actor, ref: Any) -> dict[str, Any]:
    """datapackage.json of a published dataset. Raises NotFound as published_dataset does. Resources
    whose file is withheld from the public, or that have no http(s) URL, are left out."""
    ds = published_dataset(session, cfg, actor, ref)
    withheld = withheld_resources(session, [ds])
    package: dict[str, Any] = {
        "profile": "data-package",
        "name": ds["name"],
        "id": f"{cfg.site_url.rstrip('/')}/dataset/{ds['id']}",
        "title": ds["title"],
        "homepage": f"{cfg.site_url.rstrip('/')}/dataset/{ds['name']}",
        "keywords": [t["name"] for t in ds.get("tags", [])],
        "created": datetime.fromisoformat(ds["metadata_created"]).replace(tzinfo=UTC).isoformat(),
        "resources": [],
    }
    if ds.get("notes"):
        package["description"] = ds["notes"]
    if ds.get("version"):
        package["version"] = ds["version"]
    if ds.get("license_id"):
        licence = {"name": ds["license_id"], "title": ds.get("license_title") or ds["license_id"]}
        if ds.get("license_url"):
            licence["path"] = ds["license_url"]
        package["licenses"] = [licence]
    if ds.get("organization"):
        org = ds["organization"]
        package["contributors"] = [{"title": org.get("title") or org["name"], "role": "publisher"}]
    names: set[str] = set()
    for res in ds.get("resources", []):
        path = iri(res.get("url"))
        if res["id"] in withheld or path is None:
            continue
        package["resources"].append(_resource(session, res, str(path), names))
    return package


def _resource(session: Session, res: dict[str, Any], path: str, names: set[str]) -> dict[str, Any]:
    # Frictionless names are lower-case ASCII: a Thai name is romanized, as dataset slugs are.
    name = slugify(res.get("name") or "") or res["id"]
    if name in names:
        name = f"{name}-{res['id'][:8]}"
    names.add(name)
    out: dict[str, Any] = {"name": name, "path": path}
    if res.get("name"):
        out["title"] = res["name"]
    if res.get("description"):
        out["description"] = res["description"]
    fmt = str(res.get("format") or "")
    if fmt:
        out["format"] = fmt.lower()
    if mediatype := vocab.media_type_name(res.get("mimetype"), fmt):
        out["mediatype"] = mediatype
    if isinstance(res.get("size"), int):
        out["bytes"] = res["size"]
    digest = str(res.get("hash") or "")
    if digest.startswith("sha256:"):
        out["hash"] = digest
    if schema := _schema(session, res["id"]):
        out["schema"] = schema
    return out


def _schema(session: Session, resource_id: str) -> dict[str, Any] | None:
    """The Table Schema of the resource's file, from its DataStore table: the first one (a workbook's
    first sheet, the one a Frictionless reader opens), once its personal-data scan has run."""
    from sapan.datastore.service import table_schema, tables_of

    tables = [t for t in tables_of(session, resource_id) if t.parquet_key]
    if not tables or not (tables[0].personal_data or {}).get("scanned"):
        return None
    schema = table_schema(tables[0].fields)
    # `_id` is the DataStore's row number, not a column of the file this resource's path points to.
    schema["fields"] = [f for f in schema["fields"] if f["name"] != "_id"]
    schema.pop("primaryKey", None)
    return schema
