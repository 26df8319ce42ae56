"""CKAN Action API sources (data.go.th, any CKAN 2.x, another Sapan): package_search pages of up to
1,000 datasets, sorted by name (a stable order while the source changes). Incremental runs, after a
successful one, ask only for datasets modified since it started (`fq=metadata_modified:[X TO *]`,
as ckanext-harvest does) and read package_list to learn which datasets still exist."""

from __future__ import annotations

from typing import Any

from sapan.harvest.backend import Fetcher, HarvestFailed, Listing, Progress, RemoteRecord, SourceSettings


def action_url(url: str, action: str) -> str:
    """The action's URL from the source's URL (the site, or its /api/3/action)."""
    base = url.rstrip("/")
    for suffix in ("/api/3/action", "/api/action", "/api/3"):
        base = base.removesuffix(suffix)
    return f"{base}/api/3/action/{action}"


def _result(body: Any, action: str) -> Any:
    if not isinstance(body, dict) or body.get("success") is not True or "result" not in body:
        error = body.get("error") if isinstance(body, dict) else None
        raise HarvestFailed(f"{action} did not answer a CKAN success envelope: {str(error or body)[:200]}")
    return body["result"]


class CkanBackend:
    def list_records(
        self, fetch: Fetcher, source: SourceSettings, since: str | None, progress: Progress
    ) -> Listing:
        filters = [f"organization:{org}" for org in source.organizations] or [""]
        modified = f"metadata_modified:[{since}Z TO *]" if since else ""
        records: dict[str, RemoteRecord] = {}
        for org_filter in filters:
            fq = " ".join(p for p in (org_filter, modified) if p)
            for package in self._pages(fetch, source, fq, progress):
                record = self.convert(source, package)
                records[record.remote_id] = record
        present = None
        if since:  # an incremental listing: package_list says what still exists
            names = _result(fetch.get_json(action_url(source.url, "package_list")), "package_list")
            if not isinstance(names, list):
                raise HarvestFailed("package_list did not answer a list")
            present = {str(n) for n in names}
        return Listing(list(records.values()), complete=not since, present=present)

    def _pages(self, fetch: Fetcher, source: SourceSettings, fq: str, progress: Progress) -> Any:
        url = action_url(source.url, "package_search")
        start, total = 0, None
        while total is None or start < total:
            params = {"rows": source.page_size, "start": start, "sort": "name asc", "q": "*:*"}
            if fq:
                params["fq"] = fq
            result = _result(fetch.get_json(url, params), "package_search")
            if not isinstance(result, dict) or not isinstance(result.get("results"), list):
                raise HarvestFailed("package_search answered no results list")
            total = int(result.get("count") or 0)
            page = result["results"]
            if not page:
                return
            for package in page:
                if not isinstance(package, dict) or not package.get("id"):
                    raise HarvestFailed("package_search answered a dataset without an id")
                yield package
            start += len(page)
            progress(0.5 * min(start / max(total, 1), 1.0), f"Fetched {start} of {total} datasets")

    def convert(self, source: SourceSettings, package: dict[str, Any]) -> RemoteRecord:
        org = package.get("organization") if isinstance(package.get("organization"), dict) else None
        site = action_url(source.url, "").removesuffix("/api/3/action/")
        name = str(package.get("name") or "")
        return RemoteRecord(
            remote_id=str(package["id"]),
            package=package,
            modified=str(package.get("metadata_modified") or ""),
            original_url=f"{site}/dataset/{name or package['id']}",
            remote_name=name,
            public=not package.get("private") and package.get("state", "active") == "active",
            organization=(
                {k: str(org.get(k) or "") for k in ("name", "title", "description")} if org else None
            ),
            licence={
                "id": str(package.get("license_id") or ""),
                "title": str(package.get("license_title") or ""),
                "url": str(package.get("license_url") or ""),
                "is_open": bool(package.get("isopen")),
            },
        )
