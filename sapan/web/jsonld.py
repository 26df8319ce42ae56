"""schema.org `Dataset` JSON-LD for dataset pages, so Google Dataset Search and others index them."""

from __future__ import annotations

from typing import Any

from sapan.catalog.profiles import Profile


def _choice_label(profile: Profile, name: str, value: str, language: str) -> str:
    field = next((f for f in profile.dataset_fields if f.name == name), None)
    for code, labels in field.choices if field else ():
        if code == value:
            return labels.get(language) or labels.get("en") or value
    return value


def _temporal(ds: dict[str, Any]) -> str | None:
    """ISO 8601 interval from the profile's first/last year of data (Buddhist-era years converted)."""
    years = []
    for key in ("first_year_of_data", "last_year_of_data"):
        raw = str(ds.get(key) or "").strip()
        if not raw.isdigit():
            years.append("..")
            continue
        year = int(raw)
        years.append(str(year - 543 if year > 2400 else year))
    return None if years == ["..", ".."] else "/".join(years)


def _spatial(ds: dict[str, Any], profile: Profile) -> dict[str, Any] | None:
    bounds = [ds.get(f"{side}_bound_longitude") for side in ("south", "west", "north", "east")]
    try:
        south, west, north, east = (float(b) for b in bounds)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        coverage = ds.get("geo_coverage")
        if not coverage or coverage == "ไม่มี":
            return None
        return {"@type": "Place", "name": _choice_label(profile, "geo_coverage", str(coverage), "en")}
    return {"@type": "Place", "geo": {"@type": "GeoShape", "box": f"{south} {west} {north} {east}"}}


def dataset_jsonld(
    ds: dict[str, Any], site_url: str, profile: Profile, withheld: frozenset[str]
) -> dict[str, Any]:
    """The dataset as schema.org: name, description, url, license, creator, distribution (files the
    public may download: withheld uploads are left out, as in the DCAT export), coverage."""
    site = site_url.rstrip("/")
    url = f"{site}/dataset/{ds['name']}"
    out: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": url,
        "name": ds.get("title") or ds["name"],
        # Google requires 50+ characters of description; the title stands in when notes are empty
        "description": ds.get("notes") or ds.get("title") or ds["name"],
        "url": url,
        "identifier": ds["id"],
        "keywords": [t["name"] for t in ds.get("tags", [])],
        "dateCreated": ds.get("metadata_created"),
        "dateModified": ds.get("metadata_modified"),
        "isAccessibleForFree": True,
        "includedInDataCatalog": {"@type": "DataCatalog", "url": site + "/dataset"},
    }
    if ds.get("license_url") or ds.get("license_title"):
        out["license"] = ds.get("license_url") or ds.get("license_title")
    org = ds.get("organization")
    if org:
        out["creator"] = {
            "@type": "Organization",
            "name": org.get("title") or org["name"],
            "url": f"{site}/organization/{org['name']}",
        }
        out["publisher"] = out["creator"]
    if ds.get("version"):
        out["version"] = ds["version"]
    distributions = []
    for res in ds.get("resources", []):
        if res["id"] in withheld or not res.get("url"):
            continue
        item = {"@type": "DataDownload", "name": res.get("name") or res["id"], "contentUrl": res["url"]}
        fmt = res.get("mimetype") or res.get("format")
        if fmt:
            item["encodingFormat"] = fmt
        distributions.append(item)
    if distributions:
        out["distribution"] = distributions
    temporal = _temporal(ds)
    if temporal:
        out["temporalCoverage"] = temporal
    spatial = _spatial(ds, profile)
    if spatial:
        out["spatialCoverage"] = spatial
    return out
