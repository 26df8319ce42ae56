"""DataStore services: ingest jobs, table info, datastore_search over Parquet with DuckDB."""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy.orm import Session

from sapan.accounts.service import Actor
from sapan.catalog import resources as catalog_resources
from sapan.datastore import engine
from sapan.datastore.ingest import ingest_csv, new_workdir, remove_workdir
from sapan.datastore.models import DatastoreTable
from sapan.datastore.query import build_query, plain
from sapan.datastore.reading import IngestError
from sapan.db import new_id, transaction, utcnow
from sapan.errors import NotFound, ValidationError
from sapan.jobs.service import job_dict, latest_job

MAX_LIMIT = 32000


def run_ingest(services: Any, payload: dict[str, Any], progress: Any) -> dict[str, Any]:
    """The `ingest` job: resource file -> Parquet table. A failure is recorded on the table and the
    previous Parquet (if any) keeps serving."""
    resource_id = payload["resource_id"]
    with transaction(services.sessions) as session:
        key, size = catalog_resources.stored_file(session, resource_id)
    workdir = new_workdir()
    try:
        storage = services.catalog.storage
        with storage.open_read(key) as source:
            parquet, fields, rows, report = ingest_csv(
                source, workdir, progress, size, storage.local_path(key)
            )
        target = f"datastore/{resource_id}/{new_id()}.parquet"
        with parquet.open("rb") as stream:
            services.catalog.storage.write(target, stream, max_bytes=2**62)
    except IngestError as exc:
        _record(services, resource_id, error=str(exc))
        raise
    finally:
        remove_workdir(workdir)
    _record(services, resource_id, key=target, fields=fields, rows=rows, report=report)
    return {"rows": rows, "fields": len(fields)}


def _record(services: Any, resource_id: str, error: str | None = None, **ok: Any) -> None:
    with transaction(services.sessions) as session:
        table = session.get(DatastoreTable, resource_id) or DatastoreTable(resource_id=resource_id)
        table.error, table.updated = error, utcnow()
        if error is None:
            table.parquet_key, table.fields, table.row_count, table.report = (
                ok["key"], ok["fields"], ok["rows"], ok["report"]
            )  # fmt: skip
        session.add(table)
        session.flush()
        catalog_resources.set_datastore_active(session, resource_id, table.parquet_key is not None)


def datastore_info(session: Session, actor: Actor, resource_id: Any) -> dict[str, Any]:
    """A table's fields, size and the state of its last ingest (job progress included)."""
    catalog_resources.get_resource(session, actor, resource_id)
    table = session.get(DatastoreTable, resource_id)
    job = latest_job(session, "ingest", "resource_id", resource_id)
    if table is None and job is None:
        raise NotFound("This resource has no DataStore table")
    return {
        "meta": {
            "id": resource_id,
            "count": table.row_count if table else 0,
            "aliases": [],
            "last_updated": table.updated.isoformat() if table else None,
        },
        "fields": table.fields if table else [],
        "ingest": {
            "report": table.report if table else {},
            "error": table.error if table else None,
            "job": job_dict(job) if job else None,
        },
    }


def _table(session: Session, actor: Actor, resource_id: Any, storage: Any) -> tuple[DatastoreTable, str]:
    catalog_resources.get_resource(session, actor, resource_id)
    table = session.get(DatastoreTable, resource_id)
    if table is None or table.parquet_key is None:
        raise NotFound("This resource has no DataStore table (yet)")
    path = storage.local_path(table.parquet_key)
    if path is None:
        raise ValidationError.one("resource_id", "DataStore tables on remote storage are not supported yet")
    return table, path


def search(session: Session, storage: Any, actor: Actor, params: dict[str, Any]) -> dict[str, Any]:
    """datastore_search with CKAN's parameters and result shape."""
    resource_id = params.get("resource_id") or params.get("id")
    table, path = _table(session, actor, resource_id, storage)
    query = build_query(table, path, params)
    limit = _int(params, "limit", 100, 0, MAX_LIMIT)
    offset = _int(params, "offset", 0, 0, 2**31 - 1)
    include_total = str(params.get("include_total", "true")).lower() != "false"
    con = engine.cursor()
    try:
        records = con.execute(query.rows_sql(limit, offset), query.args).fetchall()
        total = con.execute(query.count_sql(), query.args).fetchone()[0] if include_total else None  # type: ignore[index]
    finally:
        con.close()
    rows = [[plain(v) for v in r] for r in records]
    fmt = params.get("records_format", "objects")
    result: dict[str, Any] = {
        "resource_id": resource_id,
        "fields": query.fields,
        "records_format": fmt,
        "limit": limit,
        "_links": {
            "start": f"/api/3/action/datastore_search?resource_id={resource_id}",
            "next": f"/api/3/action/datastore_search?resource_id={resource_id}&offset={offset + limit}",
        },
    }
    if include_total:
        result["total"] = total
        result["total_was_estimated"] = False
    if fmt == "lists":
        result["records"] = rows
    elif fmt == "csv":
        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)
        result["records"] = buffer.getvalue()
    elif fmt == "objects":
        result["records"] = [dict(zip(query.columns, r, strict=True)) for r in rows]
    else:
        raise ValidationError.one("records_format", "Must be objects, lists or csv")
    return result


def _int(params: dict[str, Any], key: str, default: int, lo: int, hi: int) -> int:
    value = params.get(key)
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError.one(key, "Invalid integer") from exc
    if not lo <= number <= hi:
        raise ValidationError.one(key, f"Must be between {lo} and {hi}")
    return number
