"""Each process's copy of the dataset vectors, and the nearest-neighbour search over it.

The copy follows the database: a generation counter that every vector write bumps tells a process to
read the rows written since its copy was made. A query's neighbours are looked for among datasets of
the other language only (full-text search already finds the query's own), first on a 64-dimension
principal-component projection of every vector, then exactly on the best few hundred: at 100,000
datasets that keeps the search to a few milliseconds."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from sapan.search import vectors as vector_store
from sapan.search.models import SearchMeta, SearchVector
from sapan.search.vectors import DIMENSIONS, GENERATION, LATIN_LETTERS, THAI_LETTERS, query_vector

COARSE_DIMENSIONS = 64
CANDIDATES = 200  # rescored exactly after the coarse pass
SAMPLE = 5000  # vectors the principal components are computed from
# How often a process asks the database whether other processes wrote vectors: a query saved on most
# searches (it was 2 ms of every search's own time), at the cost of a new dataset's vector reaching the
# other processes up to a second late. This process's own writes are seen at once.
RECHECK_SECONDS = 1.0


@dataclass
class _Part:
    """The vectors of one language: exact, and projected for the coarse pass."""

    ids: list[str]
    exact: np.ndarray
    coarse: np.ndarray


@dataclass
class _Copy:
    generation: int = -1
    ids: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, DIMENSIONS), dtype=np.float32))
    thai: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    basis: np.ndarray = field(default_factory=lambda: np.zeros((DIMENSIONS, 0), dtype=np.float32))
    parts: dict[bool | None, _Part] = field(default_factory=dict)  # by thai: True, False, None (all)

    def part(self, thai: bool | None) -> _Part:
        """The vectors in Thai (True), in other scripts (False) or all (None), projected."""
        if thai not in self.parts:
            chosen = np.arange(len(self.ids)) if thai is None else np.flatnonzero(self.thai == thai)
            exact = self.vectors[chosen]
            self.parts[thai] = _Part([self.ids[i] for i in chosen], exact, exact @ self.basis)
        return self.parts[thai]


_copies: dict[str, _Copy] = {}
_checked: dict[str, tuple[float, int]] = {}  # by database: when last checked, this process's writes then
_lock = threading.Lock()


def _principal_components(vectors: np.ndarray) -> np.ndarray:
    """The top principal directions of (an evenly spaced sample of) the vectors, as columns."""
    if len(vectors) <= COARSE_DIMENSIONS:
        return np.eye(DIMENSIONS, dtype=np.float32)
    sample = vectors[:: max(1, len(vectors) // SAMPLE)]
    centred = sample - sample.mean(axis=0)
    _, vecs = np.linalg.eigh(centred.T @ centred)
    return np.ascontiguousarray(vecs[:, ::-1][:, :COARSE_DIMENSIONS], dtype=np.float32)


def _current(session: Session) -> _Copy:
    """This process's copy, brought up to the database's generation."""
    key = str(session.get_bind().engine.url)
    copy = _copies.get(key)
    checked_at, writes = _checked.get(key, (0.0, -1))
    now = time.monotonic()
    if copy is not None and now - checked_at < RECHECK_SECONDS and writes == vector_store.writes():
        return copy
    _checked[key] = (now, vector_store.writes())
    generation = int(session.scalar(select(SearchMeta.value).where(SearchMeta.name == GENERATION)) or 0)
    with _lock:
        copy = _copies.get(key)
        if copy is not None and copy.generation == generation:
            return copy
        full = copy is None or generation < copy.generation
        if full:
            copy = _Copy()
        assert copy is not None
        fresh = session.execute(
            select(SearchVector.dataset_id, SearchVector.vector, SearchVector.thai).where(
                SearchVector.generation > copy.generation
            )
        ).all()
        ids, rows = list(copy.ids), dict(copy.rows)
        added = [i for i, _, _ in fresh if i not in rows]
        vectors = np.vstack([copy.vectors, np.zeros((len(added), DIMENSIONS), dtype=np.float32)])
        thai = np.concatenate([copy.thai, np.zeros(len(added), dtype=bool)])
        for dataset_id in added:
            rows[dataset_id] = len(ids)
            ids.append(dataset_id)
        for dataset_id, blob, in_thai in fresh:
            vectors[rows[dataset_id]] = np.frombuffer(blob, dtype=np.float32)
            thai[rows[dataset_id]] = in_thai
        # The projection is made once per full read; rows added later are projected on it.
        basis = _principal_components(vectors) if full or not copy.basis.size else copy.basis
        copy = _Copy(generation, ids, rows, vectors, thai, basis)
        _copies[key] = copy
        return copy


def snapshot(session: Session) -> _Copy:
    """This process's copy of the vectors as of now (read from the database only when it changed)."""
    return _current(session)


def nearest(copy: _Copy, query: str, limit: int, floor: float) -> list[str]:
    """Dataset ids whose vectors are nearest the query's (cosine at least `floor`), best first; in
    the other language when the query is in one only. Deleted and hidden datasets are included: the
    caller filters by visibility. Needs no session, so it can run beside the SQL of a search."""
    if not copy.ids or not query.strip() or limit <= 0:
        return []
    has_thai, has_latin = bool(THAI_LETTERS.search(query)), bool(LATIN_LETTERS.search(query))
    with _lock:  # parts are made lazily, once per copy
        part = copy.part(not has_thai if has_thai != has_latin else None)
    if not part.ids:
        return []
    q = query_vector(query)
    candidates = np.arange(len(part.ids))
    if len(part.ids) > CANDIDATES:
        coarse = part.coarse @ (q @ copy.basis)
        candidates = np.argpartition(-coarse, CANDIDATES - 1)[:CANDIDATES]
    scores = part.exact[candidates] @ q
    order = np.argsort(-scores)[:limit]
    return [part.ids[candidates[i]] for i in order if scores[i] >= floor]
