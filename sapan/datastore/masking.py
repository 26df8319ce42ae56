"""datastore_mask: a new version of a table with its personal-data columns dropped, replaced by a keyed
hash (same person, same hash: joins still work) or partly masked (1-2345-xxxxx-xx-x). The original
Parquet is kept, private: it is no longer served, and the resource's uploaded file downloads only for
its organization's editors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy.orm import Session

from sapan.accounts import permissions
from sapan.accounts.service import Actor
from sapan.catalog import resources as catalog_resources
from sapan.datastore import engine
from sapan.datastore.engine import quote
from sapan.datastore.ingest import new_workdir, remove_workdir
from sapan.datastore.models import DatastoreTable, resource_of
from sapan.db import new_id, utcnow
from sapan.errors import NotFound, ValidationError
from sapan.governance import audit, pii
from sapan.jobs.service import enqueue

METHODS = ("drop", "hash", "partial")


def mask_table(
    session: Session, storage: Any, secret: bytes, actor: Actor, ref: Any, columns: Any
) -> dict[str, Any]:
    """Mask `columns` ({column: drop | hash | partial}) of a table; raises ValidationError naming a bad
    column or method (nothing changes then)."""
    ref = str(ref or "")
    _, ds = catalog_resources.get_resource(session, actor, resource_of(ref))
    permissions.ensure_edit_in(actor, ds.owner_org, "mask this table")
    table = session.get(DatastoreTable, ref)
    if table is None or table.parquet_key is None:
        raise NotFound("This resource has no DataStore table")
    if not isinstance(columns, dict) or not columns:
        raise ValidationError.one("columns", "Give {column: drop | hash | partial} for at least one column")
    known = {f["id"]: f for f in table.fields}
    kinds = {f["column"]: f["kind"] for f in (table.personal_data or {}).get("findings", [])}
    for column, method in columns.items():
        if column not in known:
            raise ValidationError.one("columns", f"Column {column!r} is not in the table")
        if method not in METHODS:
            raise ValidationError.one("columns", f"{column}: the method must be one of {', '.join(METHODS)}")
        if method == "partial" and column not in kinds:
            raise ValidationError.one("columns", f"{column}: no personal data was found here to mask partly")
    path = storage.duckdb_path(table.parquet_key)

    def transform(method: str, kind: Any) -> Callable[[str], str]:
        if method == "hash":
            return lambda value: pii.keyed_hash(value, secret)
        return lambda value: pii.mask_partial(value, kind)  # a kind the scan found in that column

    select, fields, change = [], [], {}
    for field in table.fields:
        name, method = field["id"], columns.get(field["id"])
        if method == "drop":
            continue
        if method is None:
            select.append(quote(name))
            fields.append(field)
        else:
            select.append(f"CAST({quote(name)} AS VARCHAR) AS {quote(name)}")
            fields.append({"id": name, "type": "text"})
            change[name] = transform(method, kinds.get(name))
    workdir = new_workdir()
    con = engine.connect(storage, threads=2, memory_limit="512MB", temp_directory=str(workdir / "spill"))
    try:
        source = engine.table_source(path, table.positional_ids)
        reader = con.sql(f"SELECT {', '.join(select)} FROM {source} ORDER BY _id").to_arrow_reader(50_000)
        local = workdir / "masked.parquet"
        with pq.ParquetWriter(local, reader.schema) as writer:
            for batch in reader:  # streamed: memory stays flat whatever the table's size
                arrays = [
                    pa.array(
                        [None if v is None else change[n](v) for v in batch.column(n).to_pylist()],
                        pa.string(),
                    )
                    if n in change
                    else batch.column(n)
                    for n in batch.schema.names
                ]
                writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=reader.schema))
        key = f"datastore/{table.resource_id}/{new_id()}.parquet"
        storage.put_file(key, local)
    finally:
        con.close()
        remove_workdir(workdir)
    masked = {**(table.personal_data or {}).get("masked", {}), **columns}
    original = (table.personal_data or {}).get("original_key") or table.parquet_key
    table.personal_data = {"masked": masked, "original_key": original, "findings": [],
                           "masked_by": actor.name, "masked_at": utcnow().isoformat()}  # fmt: skip
    table.parquet_key, table.fields, table.index_key, table.value_counts = key, fields, None, {}
    table.report = {**table.report, "row_ids": "position"}
    table.updated = utcnow()
    enqueue(session, "datastore_index", {"table_id": table.id, "resource_id": table.resource_id})  # re-scan
    audit.record(session, actor.name or "", "personal_data.mask", "table", table.id, {"columns": columns})
    return {"id": table.id, "fields": fields, "masked": masked}
