"""Turning CKAN's datastore_search parameters (filters, q, fields, sort, distinct) into DuckDB SQL over
a table's Parquet file. Shared by datastore_search and the dumps."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sapan.datastore.engine import quote, table_source
from sapan.datastore.models import DatastoreTable
from sapan.datastore.textindex import q_condition
from sapan.errors import ValidationError
from sapan.thai.analysis import surface_words

SQL_TYPES = {
    "int": "BIGINT",
    "numeric": "DOUBLE",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "text": "VARCHAR",
}
SORT = re.compile(r"^\s*(.+?)(?:\s+(asc|desc))?\s*$", re.IGNORECASE)


def plain(value: Any) -> Any:
    """A cell as JSON carries it: dates as ISO text, decimals as floats."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


@dataclass
class TableQuery:
    source: str  # FROM read_parquet(...)
    columns: list[str]
    fields: list[dict[str, str]]  # of the chosen columns, with _id first when chosen
    where: list[str]
    args: list[Any]
    order: list[str]
    distinct: bool
    filters: dict[str, Any]
    indexed: bool = False  # q through the index: `_id IN (...)` does not keep file order

    def rows_sql(self, limit: int | None = None, offset: int = 0) -> str:
        where = f" WHERE {' AND '.join(self.where)}" if self.where else ""
        page = f" LIMIT {limit} OFFSET {offset}" if limit is not None else ""
        if self.order:
            order = " ORDER BY " + ", ".join(self.order)
        elif self.distinct:
            order = " ORDER BY 1"
        elif self.indexed:
            order = ' ORDER BY "_id"'
        else:
            # The Parquet file is written in _id order and DuckDB keeps file order for queries
            # without ORDER BY (preserve_insertion_order, on by default): no sort needed.
            order = ""
        return (
            f"SELECT {'DISTINCT ' if self.distinct else ''}{', '.join(quote(c) for c in self.columns)} "
            f"FROM {self.source}{where}{order}{page}"
        )

    def count_sql(self) -> str:
        where = f" WHERE {' AND '.join(self.where)}" if self.where else ""
        if self.distinct:  # the total counts the distinct rows the pages hold
            columns = ", ".join(quote(c) for c in self.columns)
            return f"SELECT count(*) FROM (SELECT DISTINCT {columns} FROM {self.source}{where})"
        return f"SELECT count(*) FROM {self.source}{where}"


def _json(value: Any, key: str) -> Any:
    """Query strings and forms carry filters/fields as JSON text."""
    if isinstance(value, str) and value.strip().startswith(("{", "[")):
        try:
            return json.loads(value)
        except ValueError as exc:
            raise ValidationError.one(key, "Must be JSON") from exc
    return value


def build_query(
    table: DatastoreTable, path: str, params: dict[str, Any], index: str | None = None
) -> TableQuery:
    """Check every parameter against the table's fields; raise ValidationError naming the bad one.
    `index` is the table's postings file (textindex.py): q looks its words up there when it is built."""
    fields = [{"id": "_id", "type": "int"}, *table.fields]
    known = {f["id"]: f["type"] for f in fields}
    params = {**params, **{k: _json(params[k], k) for k in ("filters", "fields") if k in params}}
    where: list[str] = []
    args: list[Any] = []
    filters = params.get("filters") or {}
    if not isinstance(filters, dict):
        raise ValidationError.one("filters", "Must be an object of column: value or [values]")
    for column, wanted in filters.items():
        if column not in known:
            raise ValidationError.one("filters", f"Field {column!r} not in the table")
        values = wanted if isinstance(wanted, list) else [wanted]
        if not values:
            raise ValidationError.one("filters", f"Field {column!r}: give at least one value")
        # Compare in the column's own type (a cast column would defeat Parquet's statistics).
        cast = SQL_TYPES.get(known[column], "VARCHAR")
        where.append(f"{quote(column)} IN ({', '.join(f'TRY_CAST(? AS {cast})' for _ in values)})")
        args.extend(str(v) for v in values)
    q = params.get("q")
    condition = None
    if q and index:
        condition = q_condition(index, str(q))
        if condition:
            where.append(condition[0])
            args.extend(condition[1])
    elif q:  # until the index is built: scan (substring match of each word)
        text_columns = [f["id"] for f in table.fields if f["type"] == "text"] or [
            f["id"] for f in table.fields
        ]
        for word in surface_words(str(q))[:16]:  # every word, Thai ones segmented, in some text column
            found = [f"contains(lower(CAST({quote(c)} AS VARCHAR)), ?)" for c in text_columns]
            where.append("(" + " OR ".join(found) + ")")
            args.extend([word.lower()] * len(text_columns))
    chosen = params.get("fields")
    if isinstance(chosen, str):
        chosen = [c.strip() for c in chosen.split(",") if c.strip()]
    if chosen is not None and not (isinstance(chosen, list) and all(isinstance(c, str) for c in chosen)):
        raise ValidationError.one("fields", "Must be a list of field names or a comma-separated string")
    columns = chosen or [f["id"] for f in fields]
    unknown = [c for c in columns if c not in known]
    if unknown:
        raise ValidationError.one("fields", f"Field(s) not in the table: {', '.join(map(str, unknown))}")
    order = []
    for part in str(params.get("sort") or "").split(","):
        if not part.strip():
            continue
        match = SORT.match(part)
        name = match.group(1).strip('"') if match else ""
        if name not in known:
            raise ValidationError.one("sort", f"Cannot sort by {name!r}: not a field")
        order.append(f"{quote(name)} {(match.group(2) or 'asc').upper() if match else 'ASC'}")
    return TableQuery(
        source=table_source(path, table.positional_ids),
        columns=columns,
        fields=[f for f in fields if f["id"] in columns],
        where=where,
        args=args,
        order=order,
        distinct=str(params.get("distinct", "")).lower() == "true",
        filters=filters,
        indexed=condition is not None,
    )
