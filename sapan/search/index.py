"""Writing the index: one dataset inside the caller's transaction, or a full rebuild in bulk.
SQLite keeps the tokens in an FTS5 table; PostgreSQL in a tsvector column (GIN-indexed). Both get the
same pre-analysed tokens, so both answer the same way."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable
from typing import Any

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

from sapan.search.documents import FIELDS, Document
from sapan.search.models import SearchDoc, SearchFacet, SearchLabel, SearchTerm

# tsvector weights: A title; B tags, organization, title parts; C notes, organization parts; D the rest.
PG_WEIGHTS = {
    "title": "A", "title_parts": "B", "tags": "B", "org": "B",
    "org_parts": "C", "notes": "C", "notes_parts": "D", "resources": "D",
}  # fmt: skip
PG_MAX_POSITION = 16383
INSERT_FTS = text(
    f"INSERT INTO search_fts(rowid, {', '.join(FIELDS)}) "
    f"VALUES (:rowid, {', '.join(':' + f for f in FIELDS)})"
)


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_literal(doc: Document) -> str:
    """The document as tsvector text: every token with its position and weight, taken verbatim."""
    positions: dict[str, list[str]] = {}
    pos = 1
    for name in FIELDS:
        for token in doc.fields.get(name, []):
            if pos > PG_MAX_POSITION:
                break
            positions.setdefault(token, []).append(f"{pos}{PG_WEIGHTS[name]}")
            pos += 1
        pos += 10  # a gap so phrases never run across two fields
    return " ".join(f"{_quote(t)}:{','.join(p[:256])}" for t, p in positions.items())


_DOC_COLUMNS = (
    "dataset_id", "name", "title_sort", "title_tokens", "words", "private", "level", "state", "owner_org",
    "metadata_modified", "metadata_created",
)  # fmt: skip
PG_INSERT_DOC = text(
    f"INSERT INTO search_doc (id, {', '.join(_DOC_COLUMNS)}, tsv, facet_keys) "
    f"VALUES (:id, {', '.join(':' + c for c in _DOC_COLUMNS)}, CAST(:tsv AS tsvector), :keys)"
)

PG_INSERT_ONE = text(
    f"INSERT INTO search_doc ({', '.join(_DOC_COLUMNS)}, tsv, facet_keys) "
    f"VALUES ({', '.join(':' + c for c in _DOC_COLUMNS)}, CAST(:tsv AS tsvector), :keys) RETURNING id"
)


def _doc_row(doc: Document) -> dict[str, Any]:
    return {
        "dataset_id": doc.dataset_id,
        "name": doc.name,
        "title_sort": doc.title_sort,
        "title_tokens": doc.title_tokens,
        "words": " ".join(sorted(doc.terms)),
        "private": doc.private,
        "level": doc.level,
        "state": doc.state,
        "owner_org": doc.owner_org,
        "metadata_modified": doc.metadata_modified,
        "metadata_created": doc.metadata_created,
    }


FACET_KEY_SEPARATOR = "\x1f"  # field and value in one array element (no field name holds it)


def facet_keys(doc: Document) -> list[str]:
    return [f"{field}{FACET_KEY_SEPARATOR}{value}" for field, value, _ in doc.facets]


def _write_fts(session: Session, pairs: list[tuple[int, Document]]) -> None:
    """SQLite's full-text rows. (On PostgreSQL the tsvector and the facet array go in with the
    document's own INSERT.)"""
    session.execute(
        INSERT_FTS, [{"rowid": i, **{f: " ".join(d.fields.get(f, [])) for f in FIELDS}} for i, d in pairs]
    )


def _put_labels(session: Session, labels: dict[tuple[str, str], str]) -> None:
    if not labels:
        return
    rows = [{"field": f, "value": v, "label": lb} for (f, v), lb in sorted(labels.items())]
    if is_postgres(session):
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
    stmt = upsert(SearchLabel)
    session.execute(
        stmt.on_conflict_do_update(index_elements=["field", "value"], set_={"label": stmt.excluded.label}),
        rows,
    )


def _count_terms(session: Session, counts: Counter[str], sign: int) -> None:
    if not counts:
        return
    rows = [{"term": t, "df": sign * n} for t, n in sorted(counts.items())]  # sorted: no deadlocks
    if is_postgres(session):
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
    stmt = upsert(SearchTerm)
    session.execute(
        stmt.on_conflict_do_update(index_elements=["term"], set_={"df": SearchTerm.df + stmt.excluded.df}),
        rows,
    )


def _remove(session: Session, dataset_id: str) -> set[str]:
    """Delete a dataset's index rows; return the vocabulary it held."""
    old = session.execute(
        select(SearchDoc.id, SearchDoc.words).where(SearchDoc.dataset_id == dataset_id)
    ).first()
    if old is None:
        return set()
    if not is_postgres(session):
        session.execute(text("DELETE FROM search_fts WHERE rowid = :id"), {"id": old.id})
    session.execute(delete(SearchFacet).where(SearchFacet.doc_id == old.id))
    session.execute(delete(SearchDoc).where(SearchDoc.id == old.id))
    return set(old.words.split())


def remove_dataset(session: Session, dataset_id: str) -> None:
    """Take a dataset out of the index (in the caller's transaction)."""
    _count_terms(session, Counter(_remove(session, dataset_id)), -1)


def put_document(session: Session, doc: Document) -> None:
    """Index one dataset, replacing what the index had for it (in the caller's transaction)."""
    before = _remove(session, doc.dataset_id)
    if doc.state == "deleted":
        _count_terms(session, Counter(before), -1)
        return
    if is_postgres(session):  # the tsvector and facet array go in with the row: one statement
        row = {**_doc_row(doc), "tsv": tsvector_literal(doc), "keys": facet_keys(doc)}
        doc_id = session.execute(PG_INSERT_ONE, row).scalar_one()
    else:
        doc_id = session.execute(
            insert(SearchDoc).values(**_doc_row(doc)).returning(SearchDoc.id)
        ).scalar_one()
        _write_fts(session, [(doc_id, doc)])
    if doc.facets:
        session.execute(
            insert(SearchFacet), [{"doc_id": doc_id, "field": f, "value": v} for f, v, _ in doc.facets]
        )
        _put_labels(session, {(f, v): lb for f, v, lb in doc.facets if lb != v})
    # Only the words that came or went change the vocabulary's counts.
    _count_terms(session, Counter(before - doc.terms), -1)
    _count_terms(session, Counter(doc.terms - before), +1)


def put_new_documents(session: Session, docs: list[Document]) -> None:
    """Index datasets the index does not hold yet, in bulk (a harvest's new datasets): the same rows
    put_document writes, with a few statements per batch instead of several per dataset."""
    docs = [d for d in docs if d.state != "deleted"]
    if not docs:
        return
    if is_postgres(session):
        ids = list(
            session.scalars(
                text(
                    "SELECT nextval(pg_get_serial_sequence('search_doc', 'id')) FROM generate_series(1, :n)"
                ),
                {"n": len(docs)},
            )
        )
    else:  # this transaction holds SQLite's write lock: nobody else takes ids meanwhile
        first = int(session.scalar(select(func.coalesce(func.max(SearchDoc.id), 0))) or 0) + 1
        ids = list(range(first, first + len(docs)))
    df: Counter[str] = Counter()
    labels: dict[tuple[str, str], str] = {}
    _bulk_insert(session, list(zip(ids, docs, strict=True)), df, labels)
    _put_labels(session, labels)
    _count_terms(session, df, +1)


def rebuild(
    session: Session,
    documents: Iterable[Document],
    progress: Callable[[int], None] | None = None,
    batch: int = 2000,
) -> int:
    """Empty the index and fill it with `documents` in bulk; returns how many were indexed."""
    if not is_postgres(session):
        session.execute(text("DELETE FROM search_fts"))
    for table in (SearchFacet, SearchDoc, SearchTerm, SearchLabel):
        session.execute(delete(table))
    df: Counter[str] = Counter()
    labels: dict[tuple[str, str], str] = {}
    next_id, done, chunk = 1, 0, []
    for doc in documents:
        if doc.state == "deleted":
            continue
        chunk.append((next_id, doc))
        next_id += 1
        if len(chunk) >= batch:
            _bulk_insert(session, chunk, df, labels)
            done += len(chunk)
            chunk = []
            if progress:
                progress(done)
    _bulk_insert(session, chunk, df, labels)
    done += len(chunk)
    if progress:
        progress(done)
    _put_labels(session, labels)
    rows = [{"term": t, "df": n} for t, n in df.items()]
    for start in range(0, len(rows), 20_000):
        session.execute(insert(SearchTerm), rows[start : start + 20_000])
    if is_postgres(session):
        # Fresh statistics, or the planner keeps plans made for an empty index.
        session.execute(text("ANALYZE search_doc, search_facet, search_term"))
        # ids were given explicitly: move the sequence past them
        session.execute(
            text("SELECT setval(pg_get_serial_sequence('search_doc', 'id'), :n, true)"),
            {"n": max(next_id - 1, 1)},
        )
    return done


def _bulk_insert(
    session: Session, chunk: list[tuple[int, Document]], df: Counter[str], labels: dict[tuple[str, str], str]
) -> None:
    if not chunk:
        return
    if is_postgres(session):  # one INSERT with the tsvector, not an INSERT and an UPDATE
        rows = [{"id": i, **_doc_row(d), "tsv": tsvector_literal(d), "keys": facet_keys(d)} for i, d in chunk]
        session.execute(PG_INSERT_DOC, rows)
    else:
        session.execute(insert(SearchDoc), [{"id": i, **_doc_row(d)} for i, d in chunk])
        _write_fts(session, chunk)
    facets = [{"doc_id": i, "field": f, "value": v} for i, d in chunk for f, v, _ in d.facets]
    labels.update({(f, v): lb for _, d in chunk for f, v, lb in d.facets if lb != v})
    if facets:
        session.execute(insert(SearchFacet), facets)
    for _, d in chunk:
        df.update(d.terms)


def document_count(session: Session) -> int:
    """How many datasets are indexed. PostgreSQL answers from its statistics (idf needs no exact N)."""
    if is_postgres(session):
        estimate = session.scalar(text("SELECT reltuples FROM pg_class WHERE oid = 'search_doc'::regclass"))
        if estimate and estimate > 0:
            return int(estimate)
    return int(session.scalar(select(func.count()).select_from(SearchDoc)) or 0)


def approximate_count(session: Session) -> int:
    """About how many datasets are indexed, without counting them (SQLite: the highest row id)."""
    if is_postgres(session):
        return document_count(session)
    return int(session.scalar(select(func.max(SearchDoc.id))) or 0)


def document_frequencies(session: Session, words: Collection[str]) -> dict[str, int]:
    """How many datasets hold each of these words (absent words are left out)."""
    if not words:
        return {}
    rows = session.execute(select(SearchTerm.term, SearchTerm.df).where(SearchTerm.term.in_(list(words))))
    return {term: df for term, df in rows if df > 0}


def change_stamp(session: Session) -> tuple[str, int]:
    """A value that changes whenever a dataset is indexed anew, hidden or removed: the newest
    metadata_modified (every change to a dataset, its visibility included, sets it to now) and the
    number of documents. Readers cache whole-catalogue answers under it (the portal's browse page)."""
    newest, count = session.execute(
        select(func.max(SearchDoc.metadata_modified), func.count(SearchDoc.id))
    ).one()
    return (str(newest), int(count))
