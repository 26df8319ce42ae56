"""DataStore services: ingest jobs, table info, datastore_search over Parquet with DuckDB."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import duckdb
from sqlalchemy.orm import Session

from sapan.accounts.service import Actor
from sapan.catalog import resources as catalog_resources
from sapan.datastore.ingest import ingest_csv, new_workdir, remove_workdir
from sapan.datastore.models import DatastoreTable
from sapan.datastore.reading import IngestError
from sapan.db import new_id, transaction, utcnow
from sapan.errors import NotFound, ValidationError
from sapan.jobs.service import job_dict, latest_job
from sapan.thai.analysis import surface_words

MAX_LIMIT = 32000
SORT = re.compile(r"^\s*(.+?)(?:\s+(asc|desc))?\s*$", re.IGNORECASE)


def run_ingest(services: Any, payload: dict[str, Any], progress: Any) -> dict[str, Any]:
    """The `ingest` job: resource file -> Parquet table. A failure is recorded on the table and the
    previous Parquet (if any) keeps serving."""
    resource_id = payload["resource_id"]
    with transaction(services.sessions) as session:
        key, size = catalog_resources.stored_file(session, resource_id)
    workdir = new_workdir()
    try:
        with services.catalog.storage.open_read(key) as source:
            parquet, fields, rows, report = ingest_csv(source, workdir, progress, size)
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


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _json(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def search(session: Session, storage: Any, actor: Actor, params: dict[str, Any]) -> dict[str, Any]:
    """datastore_search with CKAN's parameters and result shape."""
    resource_id = params.get("resource_id") or params.get("id")
    table, path = _table(session, actor, resource_id, storage)
    fields = [{"id": "_id", "type": "int"}, *table.fields]
    known = {f["id"]: f["type"] for f in fields}
    where: list[str] = []
    args: list[Any] = []
    filters = params.get("filters") or {}
    if not isinstance(filters, dict):
        raise ValidationError.one("filters", "Must be an object of column: value or [values]")
    for column, wanted in filters.items():
        if column not in known:
            raise ValidationError.one("filters", f"Field {column!r} not in the table")
        values = wanted if isinstance(wanted, list) else [wanted]
        where.append(f"CAST({_q(column)} AS VARCHAR) IN ({', '.join('?' for _ in values)})")
        args.extend(str(v) for v in values)
    q = params.get("q")
    if q:
        text_columns = [f["id"] for f in table.fields if f["type"] == "text"] or [
            f["id"] for f in table.fields
        ]
        haystack = " || ' ' || ".join(f"coalesce(CAST({_q(c)} AS VARCHAR), '')" for c in text_columns)
        for word in surface_words(str(q))[:16]:  # every word, Thai ones segmented, somewhere in the row
            where.append(f"({haystack}) ILIKE ?")
            args.append(f"%{word}%")
    chosen = params.get("fields")
    if isinstance(chosen, str):
        chosen = [c.strip() for c in chosen.split(",") if c.strip()]
    columns = chosen or [f["id"] for f in fields]
    unknown = [c for c in columns if c not in known]
    if unknown:
        raise ValidationError.one("fields", f"Field(s) not in the table: {', '.join(unknown)}")
    order = []
    for part in str(params.get("sort") or "").split(","):
        if not part.strip():
            continue
        match = SORT.match(part)
        name = match.group(1).strip('"') if match else ""
        if name not in known:
            raise ValidationError.one("sort", f"Cannot sort by {name!r}: not a field")
        order.append(f"{_q(name)} {(match.group(2) or 'asc').upper() if match else 'ASC'}")
    limit = _int(params, "limit", 100, 0, MAX_LIMIT)
    offset = _int(params, "offset", 0, 0, 2**31 - 1)
    select = "DISTINCT " if str(params.get("distinct", "")).lower() == "true" else ""
    sql_where = f" WHERE {' AND '.join(where)}" if where else ""
    con = duckdb.connect(config={"enable_external_access": True, "threads": 2})
    try:
        base = f"FROM read_parquet('{path.replace(chr(39), chr(39) * 2)}'){sql_where}"
        records = con.execute(
            f"SELECT {select}{', '.join(_q(c) for c in columns)} {base} "
            f"ORDER BY {', '.join(order) or '_id'} LIMIT {limit} OFFSET {offset}",
            args,
        ).fetchall()
        include_total = str(params.get("include_total", "true")).lower() != "false"
        total = con.execute(f"SELECT count(*) {base}", args).fetchone()[0] if include_total else None  # type: ignore[index]
    finally:
        con.close()
    out_fields = [f for f in fields if f["id"] in columns]
    rows = [[_json(v) for v in r] for r in records]
    fmt = params.get("records_format", "objects")
    result: dict[str, Any] = {
        "resource_id": resource_id,
        "fields": out_fields,
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
        result["records"] = [dict(zip(columns, r, strict=True)) for r in rows]
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
