"""DataStore services: ingest jobs, table info, datastore_search over Parquet with DuckDB."""

from __future__ import annotations

import csv
import io
import logging
import shutil
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import IO, Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sapan.accounts import permissions
from sapan.accounts.service import Actor
from sapan.catalog import datasets
from sapan.catalog import resources as catalog_resources
from sapan.datastore import engine, formats, textindex
from sapan.datastore.ingest import ingest_csv, new_workdir, remove_workdir
from sapan.datastore.models import DatastoreTable, resource_of, table_file_keys, table_id
from sapan.datastore.query import build_query, plain
from sapan.datastore.reading import IngestError
from sapan.datastore.stats import counted_total, value_counts
from sapan.db import new_id, transaction, utcnow
from sapan.errors import NotFound, StorageFull, ValidationError
from sapan.governance import audit, pii
from sapan.jobs.service import enqueue, job_dict, latest_job
from sapan.observability.metrics import ingested
from sapan.storage.service import FULL

MAX_LIMIT = 32000
log = logging.getLogger(__name__)


def run_ingest(services: Any, payload: dict[str, Any], progress: Any) -> dict[str, Any]:
    """The `ingest` job: resource file -> one Parquet table (a table per sheet for a workbook). A
    failure is recorded on the resource's table and the previous tables keep serving."""
    resource_id, started = payload["resource_id"], time.perf_counter()
    with transaction(services.sessions) as session:
        stored = catalog_resources.stored_file(session, resource_id)
    storage = services.catalog.storage
    workdir = new_workdir()
    try:
        with storage.open_read(stored.key) as source:
            kind = formats.kind_of(stored.filename, stored.format, source.read(8192))
            source.seek(0)
            if kind in (None, "csv"):
                tables = [
                    ("", *ingest_csv(source, workdir, progress, stored.size, storage.local_path(stored.key)))
                ]
            else:
                tables = _ingest_converted(kind, source, storage.local_path(stored.key), workdir, progress)
        written: list[NewTable] = []
        try:
            for name, parquet, fields, rows, report in tables:
                target = f"datastore/{resource_id}/{new_id()}.parquet"
                storage.put_file(target, parquet)
                written.append(NewTable(name, target, fields, rows, report))
        except BaseException:
            for table in written:  # a workbook's first sheets must not linger unused
                storage.delete(table.key)
            raise
    except StorageFull as exc:
        _record_error(services, resource_id, str(exc))
        raise
    except OSError as exc:
        if exc.errno not in FULL:
            raise
        full = StorageFull(None, None)  # the ingest's own work folder: its disk is full
        _record_error(services, resource_id, str(full))
        raise full from exc
    except IngestError as exc:
        _record_error(services, resource_id, str(exc))
        raise
    finally:
        remove_workdir(workdir)
    _record(services, resource_id, written)
    progress(1.0, "done")
    rows = sum(t.rows for t in written)
    ingested(kind or "csv", rows, time.perf_counter() - started)
    return {"rows": rows, "fields": len(written[0].fields), "tables": len(written)}


def _ingest_converted(
    kind: formats.Kind, source: IO[bytes], local: str | None, workdir: Path, progress: Any
) -> list[tuple[str, Path, list[dict[str, str]], int, dict[str, Any]]]:
    """A workbook, JSON or GeoJSON file: each of its tables as CSV, then the CSV ingest."""
    if local is None:  # the readers need a file on disk
        copy = workdir / "original"
        with copy.open("wb") as original:
            shutil.copyfileobj(source, original, 1024 * 1024)
        local = str(copy)
    parts = formats.to_csv_tables(kind, Path(local), workdir, lambda f, m: progress(0.3 * f, m))
    out = []
    for i, part in enumerate(parts):
        sub = workdir / f"table-{i}"
        (sub / "spill").mkdir(parents=True)
        share = (0.3 + 0.7 * i / len(parts), 0.7 / len(parts))

        def step(
            fraction: float, message: str, share: tuple[float, float] = share, name: str = part.name
        ) -> None:
            progress(share[0] + share[1] * fraction, f"{name}: {message}" if name else message)

        with part.path.open("rb") as csv_file:
            try:
                parquet, fields, rows, report = ingest_csv(
                    csv_file, sub, step, part.path.stat().st_size, str(part.path)
                )
            except IngestError as exc:
                raise IngestError(f"Sheet {part.name!r}: {exc}" if part.name else str(exc)) from exc
        report = {
            **report,
            "format": kind,
            "encoding": "utf-8" if kind in ("json", "geojson") else report["encoding"],
        }
        out.append((part.name, parquet, fields, rows, report))
    return out


@dataclass
class NewTable:
    name: str
    key: str
    fields: list[dict[str, str]]
    rows: int
    report: dict[str, Any]


def _record(services: Any, resource_id: str, tables: list[NewTable]) -> None:
    """Switch the resource to its new tables in one transaction; sheets no longer there go."""
    with transaction(services.sessions) as session:
        for position, new in enumerate(tables, 1):
            table = session.get(DatastoreTable, table_id(resource_id, position)) or DatastoreTable(
                id=table_id(resource_id, position), resource_id=resource_id, position=position
            )
            table.name, table.parquet_key, table.index_key = new.name, new.key, None
            table.fields, table.value_counts, table.row_count = new.fields, {}, new.rows
            table.report, table.error, table.updated = new.report, None, utcnow()
            table.personal_data = {}  # a new file: scanned afresh by the index job
            session.add(table)
            # q scans and the personal-data scan is pending until this job is done
            enqueue(session, "datastore_index", {"table_id": table.id, "resource_id": resource_id})
        session.execute(
            delete(DatastoreTable).where(
                DatastoreTable.resource_id == resource_id, DatastoreTable.position > len(tables)
            )
        )
        catalog_resources.set_datastore_active(session, resource_id, True)


def run_index(services: Any, payload: dict[str, Any], progress: Any) -> dict[str, Any]:
    """The `datastore_index` job, run after a table starts serving: the postings behind q, the value
    counts of few-valued columns, and the personal-data scan (governance/pii.py). A table with personal
    data in a public dataset takes the dataset private until it is masked or approved.
    A newer ingest that replaced the table meanwhile wins (its own index job follows)."""
    with transaction(services.sessions) as session:
        table = session.get(DatastoreTable, payload["table_id"])
        if table is None or table.parquet_key is None:
            return {"postings": 0}
        key, resource_id, fields = table.parquet_key, table.resource_id, table.fields
        positional = table.positional_ids
        text = [f["id"] for f in fields if f["type"] == "text"]
        masked = set((table.personal_data or {}).get("masked", {}))  # hashes can look like IDs by chance
    storage = services.catalog.storage
    path = storage.duckdb_path(key)
    workdir = new_workdir()
    target, postings = None, 0
    try:
        # Sorting ten million rows' postings needs more room than an ingest; order comes from ORDER BY.
        con = engine.connect(
            storage, memory_limit="1GB", temp_directory=str(workdir / "spill"), threads=2,
            preserve_insertion_order=False,
        )  # fmt: skip
        try:
            if text:
                postings = textindex.build_postings(
                    con,
                    path,
                    text,
                    workdir / "postings.parquet",
                    lambda f, m: progress(0.8 * f, m),
                    positional,
                )
                target = f"datastore/{resource_id}/{new_id()}.postings.parquet"
                try:
                    storage.put_file(target, workdir / "postings.parquet")
                except StorageFull as exc:  # q scans the table instead; the scan below must still run
                    log.warning("table %s has no q index: %s", payload["table_id"], exc)
                    target, postings = None, 0
            progress(0.85, "looking for personal data")
            findings = pii.scan_table(
                con, engine.table_source(path, positional), [c for c in text if c not in masked]
            )
        finally:
            con.close()
    finally:
        remove_workdir(workdir)
    progress(0.95, "counting values")
    counts = value_counts(path, [f for f in fields if f["type"] == "text"], storage)
    with transaction(services.sessions) as session:
        table = session.get(DatastoreTable, payload["table_id"])
        if table is not None and table.parquet_key == key:
            table.index_key, table.value_counts = target, counts
            table.personal_data = {  # an approval or masking of this version stays
                **(table.personal_data or {}),
                "findings": [asdict(f) for f in findings],
                "scanned": utcnow().isoformat(),
            }
            if blocking(table):
                datasets.quarantine(
                    session, services.catalog, resource_id, f"personal data in table {table.id}"
                )
    return {"postings": postings, "counted_columns": len(counts), "personal_data": len(findings)}


BLOCKING = ("high", "medium")  # low-confidence findings (passport-like codes) are reported only


def blocking(table: DatastoreTable) -> list[dict[str, Any]]:
    """The findings that keep this table's dataset from being public (none once approved)."""
    data = table.personal_data or {}
    if data.get("approval"):
        return []
    return [f for f in data.get("findings", []) if f.get("confidence") in BLOCKING]


def unpublishable_tables(session: Session, resource_ids: list[str]) -> list[tuple[str, str]]:
    """(table id, what was found) for these resources' tables whose personal data blocks publishing."""
    if not resource_ids:
        return []
    out = []
    for table in session.scalars(select(DatastoreTable).where(DatastoreTable.resource_id.in_(resource_ids))):
        if found := blocking(table):
            out.append(
                (table.id, ", ".join(sorted({f"{f['kind']} in column {f['column']!r}" for f in found})))
            )
    return out


def approve_personal_data(session: Session, actor: Actor, ref: Any, reason: Any) -> dict[str, Any]:
    """datastore_personal_data_approve: an organization admin records why this table's personal data
    may be published (audited); the dataset can then be made public."""
    ref = str(ref or "")
    _, ds = catalog_resources.get_resource(session, actor, resource_of(ref))
    permissions.ensure_org_admin(actor, ds.owner_org or "")
    table = session.get(DatastoreTable, ref)
    if table is None or not (table.personal_data or {}).get("findings"):
        raise ValidationError.one("resource_id", "This table has no personal-data findings to approve")
    if not isinstance(reason, str) or len(reason.strip()) < 10:
        raise ValidationError.one(
            "reason", "Say why this personal data may be published (10 characters or more)"
        )
    approval = {"by": actor.name, "reason": reason.strip(), "at": utcnow().isoformat()}
    table.personal_data = {**table.personal_data, "approval": approval}
    details = {"reason": approval["reason"], "findings": table.personal_data.get("findings", [])}
    audit.record(session, actor.name or "", "personal_data.approve", "table", table.id, details)
    return {"id": table.id, "approval": approval}


def table_keys(session: Session, resource_ids: list[str]) -> set[str]:
    """The storage keys these resources' tables use: the Parquet, its text index, a masked table's
    original."""
    keys: set[str] = set()
    for table in session.scalars(select(DatastoreTable).where(DatastoreTable.resource_id.in_(resource_ids))):
        keys.update(table_file_keys(table.parquet_key, table.index_key, table.personal_data))
    return keys


def _record_error(services: Any, resource_id: str, error: str) -> None:
    with transaction(services.sessions) as session:
        table = session.get(DatastoreTable, resource_id) or DatastoreTable(
            id=resource_id, resource_id=resource_id, position=1
        )
        table.error, table.updated = error, utcnow()
        session.add(table)
        session.flush()
        catalog_resources.set_datastore_active(session, resource_id, table.parquet_key is not None)


# CKAN's DataStore types -> Frictionless Table Schema types
SCHEMA_TYPES = {"text": "string", "int": "integer", "numeric": "number", "date": "date",
                "timestamp": "datetime", "bool": "boolean"}  # fmt: skip


def table_schema(fields: list[dict[str, Any]]) -> dict[str, Any]:
    """The table's Frictionless Table Schema (as its Parquet holds it: ISO dates, empty cells null)."""
    return {
        "fields": [
            {"name": "_id", "type": "integer", "constraints": {"required": True, "unique": True}},
            *({"name": f["id"], "type": SCHEMA_TYPES.get(f["type"], "any")} for f in fields),
        ],
        "primaryKey": ["_id"],
        "missingValues": [""],
    }


def tables_of(session: Session, resource_id: str) -> list[DatastoreTable]:
    return list(
        session.scalars(
            select(DatastoreTable)
            .where(DatastoreTable.resource_id == resource_id)
            .order_by(DatastoreTable.position)
        )
    )


def datastore_info(session: Session, actor: Actor, ref: Any) -> dict[str, Any]:
    """A table's fields, size and the state of its last ingest (job progress included), and the
    resource's other tables (one per workbook sheet)."""
    ref = str(ref or "")
    resource_id = resource_of(ref)
    catalog_resources.get_resource(session, actor, resource_id)
    table = session.get(DatastoreTable, ref)
    first = table if table is None or table.position == 1 else session.get(DatastoreTable, resource_id)
    job = latest_job(session, "ingest", "resource_id", resource_id)
    index_job = latest_job(session, "datastore_index", "table_id", ref)
    if table is None and (job is None or ref != resource_id):
        raise NotFound("This resource has no DataStore table")
    return {
        "meta": {
            "id": ref,
            "name": table.name if table else "",
            "count": table.row_count if table else 0,
            "aliases": [],
            "last_updated": table.updated.isoformat() if table else None,
        },
        "fields": table.fields if table else [],
        "schema": table_schema(table.fields) if table else None,
        "tables": [
            {"id": t.id, "name": t.name, "count": t.row_count, "fields": len(t.fields)}
            for t in tables_of(session, resource_id)
            if t.parquet_key
        ],
        "ingest": {
            "report": table.report if table else {},
            "error": first.error if first else None,
            "job": job_dict(job) if job else None,
        },
        "personal_data": table.personal_data if table else {},  # findings never hold the values
        "q_index": {  # q scans the table until its index job has built this
            "ready": bool(table and (table.personal_data or {}).get("scanned")),  # the job has run
            "job": job_dict(index_job) if index_job else None,
        },
    }


def readable_table(session: Session, actor: Actor, ref: Any, storage: Any) -> tuple[DatastoreTable, str]:
    """A table the actor may read (by its id: a resource id, or `{resource_id}:{sheet}`) and its file."""
    ref = str(ref or "")
    _, ds = catalog_resources.get_resource(session, actor, resource_of(ref))
    table = session.get(DatastoreTable, ref)
    if table is None or table.parquet_key is None:
        raise NotFound("This resource has no DataStore table (yet)")
    if not awaiting_scan_allowed(actor, ds, table):
        raise NotFound("This table is being checked for personal data; it will be available shortly")
    return table, storage.duckdb_path(table.parquet_key)


def awaiting_scan_allowed(actor: Actor, dataset: Any, table: DatastoreTable) -> bool:
    """Until its personal-data scan has run, a table serves only its organization's editors: otherwise
    a new upload to a public dataset would be public before the scan could take it private."""
    return bool((table.personal_data or {}).get("scanned")) or permissions.can_edit_in(
        actor, dataset.owner_org
    )


def file_withheld(session: Session, resource_id: str) -> bool:
    """Whether a tabular upload's own file must be kept from the public: while its tables wait for the
    personal-data scan (or its ingest has not run yet), and once a table of it was masked (the file
    still holds what was masked)."""
    tables = tables_of(session, resource_id)
    if any((t.personal_data or {}).get("masked") for t in tables):
        return True
    if tables:
        return any(t.parquet_key and not (t.personal_data or {}).get("scanned") for t in tables)
    job = latest_job(session, "ingest", "resource_id", resource_id)
    return job is not None and job.state in ("queued", "running")


def index_path(table: DatastoreTable, storage: Any) -> str | None:
    """The table's q index file, once its index job has built it."""
    return storage.duckdb_path(table.index_key) if table.index_key else None


def search(session: Session, storage: Any, actor: Actor, params: dict[str, Any]) -> dict[str, Any]:
    """datastore_search with CKAN's parameters and result shape."""
    resource_id = params.get("resource_id") or params.get("id")
    table, path = readable_table(session, actor, resource_id, storage)
    index = index_path(table, storage)
    query = build_query(table, path, params, index)
    limit = _int(params, "limit", 100, 0, MAX_LIMIT)
    offset = _int(params, "offset", 0, 0, 2**31 - 1)
    include_total = str(params.get("include_total", "true")).lower() != "false"
    con = engine.cursor(storage)
    try:
        match = None
        if index and params.get("q") and not (query.filters or query.order or query.distinct):
            # q alone: the count and the page's _ids come from the postings, then just those rows
            match = textindex.q_match(con, index, str(params["q"]), limit, offset)
        if match is not None:
            source = engine.table_source(path, table.positional_ids, match.ids)
            page = replace(query, source=source, where=[], args=[], order=['"_id"'])
            records = con.execute(page.rows_sql(), []).fetchall()
            total = match.total if include_total else None
        else:
            records = con.execute(query.rows_sql(limit, offset), query.args).fetchall()
            total = counted_total(table.value_counts, params, query.filters) if include_total else None
            if include_total and total is None:
                total = con.execute(query.count_sql(), query.args).fetchone()[0]  # type: ignore[index]
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
