"""Tables pushed through the API as JSON records: datastore_create, datastore_upsert, datastore_delete.
Each change rewrites the table's Parquet file (a new file, then the pointer moves in one transaction),
so readers never see half a change. Meant for the modest tables clients push; files go through ingest."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import delete as sql_delete
from sqlalchemy.orm import Session

from sapan.accounts import permissions
from sapan.accounts.service import Actor
from sapan.catalog import resources as catalog_resources
from sapan.datastore.models import DatastoreTable
from sapan.db import new_id, utcnow
from sapan.errors import ValidationError
from sapan.jobs.service import enqueue

MAX_ROWS = 1_000_000
TYPES: dict[str, tuple[str, pa.DataType]] = {
    "text": ("text", pa.string()), "int": ("int", pa.int64()), "int4": ("int", pa.int64()),
    "int8": ("int", pa.int64()), "integer": ("int", pa.int64()), "bigint": ("int", pa.int64()),
    "numeric": ("numeric", pa.float64()), "float": ("numeric", pa.float64()),
    "float8": ("numeric", pa.float64()), "double": ("numeric", pa.float64()),
    "date": ("date", pa.date32()), "timestamp": ("timestamp", pa.timestamp("us")),
    "bool": ("bool", pa.bool_()), "boolean": ("bool", pa.bool_()),
}  # fmt: skip


def _editable(session: Session, actor: Actor, resource_id: Any) -> str:
    res, ds = catalog_resources.get_resource(session, actor, resource_id)
    permissions.ensure_edit_in(actor, ds.owner_org, "change this resource's table")
    return res.id


def _fields(raw: Any) -> list[dict[str, str]]:
    if not isinstance(raw, list) or not raw:
        raise ValidationError.one("fields", 'Give a list of fields: [{"id": ..., "type": ...}]')
    out: list[dict[str, str]] = []
    for f in raw:
        if not isinstance(f, dict) or not isinstance(f.get("id"), str) or not f["id"].strip():
            raise ValidationError.one("fields", "Every field needs an id")
        kind = str(f.get("type") or "text").lower()
        if kind not in TYPES:
            raise ValidationError.one("fields", f"Field {f['id']!r}: unknown type {kind!r}")
        if f["id"] == "_id" or f["id"] in {o["id"] for o in out}:
            raise ValidationError.one("fields", f"Field {f['id']!r} is reserved or repeated")
        out.append({"id": f["id"], "type": TYPES[kind][0]})
    return out


def _value(field: dict[str, str], value: Any, row: int) -> Any:
    if value is None or value == "":
        return None
    kind = field["type"]
    try:
        if kind == "int":
            return int(value)
        if kind == "numeric":
            return float(value)
        if kind == "date":
            return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
        if kind == "timestamp":
            return datetime.fromisoformat(str(value))
        if kind == "bool":
            return value if isinstance(value, bool) else str(value).lower() in ("true", "1", "yes")
        return value if isinstance(value, str) else str(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError.one(
            "records", f"Row {row}: {field['id']!r} is not a valid {kind}: {value!r}"
        ) from exc


def _rows(fields: list[dict[str, str]], records: Any, start: int = 0) -> list[dict[str, Any]]:
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise ValidationError.one("records", "Must be a list of objects")
    known = {f["id"] for f in fields}
    out = []
    for i, record in enumerate(records, start):
        extra = set(record) - known - {"_id"}
        if extra:
            raise ValidationError.one("records", f"Row {i}: unknown field(s) {', '.join(sorted(extra))}")
        out.append({f["id"]: _value(f, record.get(f["id"]), i) for f in fields})
    return out


def _write(storage: Any, resource_id: str, fields: list[dict[str, str]], rows: list[dict[str, Any]]) -> str:
    if len(rows) > MAX_ROWS:
        raise ValidationError.one("records", f"Tables pushed through the API hold at most {MAX_ROWS} rows")
    schema = pa.schema([(f["id"], _arrow(f["type"])) for f in fields])  # _id: the row's place
    table = pa.Table.from_pylist(rows, schema=schema)
    key = f"datastore/{resource_id}/{new_id()}.parquet"
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    storage.write(key, pa.BufferReader(sink.getvalue()), max_bytes=2**62)
    return key


def _arrow(kind: str) -> pa.DataType:
    return TYPES[kind][1]


def _existing(
    session: Session, storage: Any, resource_id: str
) -> tuple[DatastoreTable, list[dict[str, Any]]]:
    table = session.get(DatastoreTable, resource_id)
    if table is None or table.parquet_key is None:
        raise ValidationError.one(
            "resource_id", "This resource has no DataStore table: datastore_create first"
        )
    with storage.open_read(table.parquet_key) as file:
        rows = pq.read_table(file).to_pylist()
    return table, [{k: v for k, v in r.items() if k != "_id"} for r in rows]


def _save(
    session: Session, resource_id: str, key: str, fields: list[dict[str, str]], rows: int, pk: list[str]
) -> None:
    table = session.get(DatastoreTable, resource_id) or DatastoreTable(
        id=resource_id, resource_id=resource_id, position=1
    )
    table.parquet_key, table.fields, table.row_count, table.error = key, fields, rows, None
    table.name, table.index_key, table.value_counts, table.personal_data = "", None, {}, {}
    # A pushed table is the resource's only one (an earlier workbook's other sheets go).
    session.execute(
        sql_delete(DatastoreTable).where(
            DatastoreTable.resource_id == resource_id, DatastoreTable.position > 1
        )
    )
    table.report = {"source": "api", "primary_key": pk, "row_ids": "position"}
    table.updated = utcnow()
    session.add(table)
    catalog_resources.set_datastore_active(session, resource_id, True)
    # the q index and the personal-data scan, as after an ingest
    enqueue(session, "datastore_index", {"table_id": resource_id, "resource_id": resource_id})


def create(session: Session, storage: Any, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """datastore_create: a table with these fields (and records) for an existing resource."""
    resource_id = _editable(session, actor, data.get("resource_id"))
    fields = _fields(data.get("fields"))
    pk = data.get("primary_key") or []
    pk = [pk] if isinstance(pk, str) else pk
    if not isinstance(pk, list) or any(k not in {f["id"] for f in fields} for k in pk):
        raise ValidationError.one("primary_key", "Must name fields of the table")
    rows = _rows(fields, data.get("records") or [])
    _check_unique(rows, pk)
    _save(session, resource_id, _write(storage, resource_id, fields, rows), fields, len(rows), pk)
    return {"resource_id": resource_id, "fields": fields, "primary_key": pk, "method": "insert"}


def _check_unique(rows: list[dict[str, Any]], pk: list[str]) -> None:
    if pk:
        keys = [tuple(r[k] for k in pk) for r in rows]
        if len(set(keys)) != len(keys):
            raise ValidationError.one("records", "Two records have the same primary key")


def upsert(session: Session, storage: Any, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """datastore_upsert: method upsert (default), insert or update, matched on the primary key."""
    resource_id = _editable(session, actor, data.get("resource_id"))
    table, rows = _existing(session, storage, resource_id)
    pk: list[str] = table.report.get("primary_key") or []
    method = data.get("method") or "upsert"
    if method not in ("upsert", "insert", "update"):
        raise ValidationError.one("method", "Must be upsert, insert or update")
    new = _rows(table.fields, data.get("records") or [])
    if method != "insert" and not pk:
        raise ValidationError.one("method", f"{method} needs a table created with a primary_key")
    if method == "insert":
        rows += new
    else:
        index = {tuple(r[k] for k in pk): i for i, r in enumerate(rows)}
        for i, record in enumerate(new):
            key = tuple(record[k] for k in pk)
            if key in index:
                rows[index[key]] = record
            elif method == "update":
                raise ValidationError.one("records", f"Row {i}: no record with key {key}")
            else:
                index[key] = len(rows)
                rows.append(record)
    _check_unique(rows, pk)
    _save(session, resource_id, _write(storage, resource_id, table.fields, rows), table.fields, len(rows), pk)
    return {"resource_id": resource_id, "method": method, "records": len(new)}


def delete(session: Session, storage: Any, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """datastore_delete: rows matching `filters` ({field: value}), or the whole table without them."""
    resource_id = _editable(session, actor, data.get("resource_id") or data.get("id"))
    filters = data.get("filters")
    if not filters:
        session.execute(sql_delete(DatastoreTable).where(DatastoreTable.resource_id == resource_id))
        catalog_resources.set_datastore_active(session, resource_id, False)
        return {"resource_id": resource_id, "deleted": "table"}
    if not isinstance(filters, dict):
        raise ValidationError.one("filters", "Must be an object of field: value")
    table, rows = _existing(session, storage, resource_id)
    fields = {f["id"]: f for f in table.fields}
    unknown = [k for k in filters if k not in fields]
    if unknown:
        raise ValidationError.one("filters", f"Field(s) not in the table: {', '.join(unknown)}")
    wanted = {k: _value(fields[k], v, 0) for k, v in filters.items()}
    kept = [r for r in rows if any(r[k] != v for k, v in wanted.items())]
    pk: list[str] = table.report.get("primary_key") or []
    _save(session, resource_id, _write(storage, resource_id, table.fields, kept), table.fields, len(kept), pk)
    return {"resource_id": resource_id, "deleted": len(rows) - len(kept)}
