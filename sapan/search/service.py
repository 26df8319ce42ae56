"""package_search in CKAN's shape, and keeping the index in step with the catalogue."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from sapan.accounts.service import Actor
from sapan.catalog.context import CatalogConfig
from sapan.catalog.profiles import Profile
from sapan.errors import ValidationError
from sapan.governance.classification import PUBLIC_CATEGORY
from sapan.observability.metrics import timed_search
from sapan.search import index, neighbours, vectors
from sapan.search.crosslingual import Translated, TranslationOptions, translate_query
from sapan.search.documents import Document, build_document
from sapan.search.engine import Fusion, Visibility, best_matches, execute
from sapan.search.query import FACET_FIELDS, Plan, modified_since_of, parse_fq, parse_q, parse_sort
from sapan.thai.analysis import Mode, stem, surface_words

MAX_ROWS = 1000
T = TypeVar("T")


@dataclass
class SearchQuery:
    q: str = ""
    fq: str = ""
    rows: int = 10
    start: int = 0
    sort: str = "score desc, metadata_modified desc"
    facet_fields: list[str] = field(default_factory=list)  # CKAN's default: none
    facet_limit: int = 50
    include_private: bool = False
    include_drafts: bool = False
    modified_since: datetime | None = None  # naive UTC: only datasets changed at or after it
    analyzer: Mode = "sapan"  # the baselines (newmm, icu) exist for measuring, not for users
    # Cross-lingual search: also search the query's translation (None: the original only).
    translation: TranslationOptions | None = field(default_factory=TranslationOptions)


def facet_fields_of(profile: Profile) -> set[str]:
    """Fields that can be filtered and faceted: CKAN's, plus the profile's choice fields."""
    return set(FACET_FIELDS) | {f.name for f in profile.extra_dataset_fields if f.choices}


def index_dataset(session: Session, cfg: CatalogConfig, dataset: dict[str, Any]) -> None:
    """Bring the index in line with a dataset as package_show prints it (same transaction)."""
    index.put_document(session, build_document(dataset, cfg.profile))
    if dataset.get("state") == "deleted":
        vectors.remove_vector(session, dataset["id"])
    elif cfg.vectors:
        vectors.put_vector(session, dataset["id"], vectors.dataset_text(dataset))


def remove_dataset(session: Session, dataset_id: str) -> None:
    index.remove_dataset(session, dataset_id)
    vectors.remove_vector(session, dataset_id)


def reindex(
    session: Session,
    cfg: CatalogConfig,
    progress: Callable[[int, int], None] | None = None,
    analyzer: Mode = "sapan",
) -> int:
    """Rebuild the whole index from the catalogue in one transaction; returns datasets indexed."""
    from sapan.catalog.datasets import all_dataset_dicts, count_indexable

    total = count_indexable(session)
    texts: list[tuple[str, str]] = []

    def documents() -> Iterator[Document]:
        for ds in all_dataset_dicts(session, cfg.site_url):
            if ds.get("state") != "deleted":
                texts.append((ds["id"], vectors.dataset_text(ds)))
            yield build_document(ds, cfg.profile, analyzer)

    done = index.rebuild(session, documents(), (lambda n: progress(n, total)) if progress else None)
    if cfg.vectors:  # second pass: encoding is the slow part, and unchanged texts keep their vectors
        for n in vectors.rebuild_vectors(session, texts):
            if progress:
                progress(n, len(texts))
    return done


def _visibility(actor: Actor, query: SearchQuery) -> Visibility:
    if actor.partner is not None:  # the public view, narrowed by the agreement; never drafts or private
        return Visibility(
            ("active",),
            partner_levels=tuple(sorted(actor.partner.levels)),
            partner_categories=tuple(sorted(actor.partner.categories)),
            public_category=PUBLIC_CATEGORY,
        )
    states = ("active", "draft") if query.include_drafts and not actor.is_anonymous else ("active",)
    if not query.include_private or actor.is_anonymous:
        return Visibility(states)
    if actor.sysadmin:
        return Visibility(states, all_private=True)
    return Visibility(states, clearances=tuple((org, actor.clearances.get(org, 0)) for org in actor.roles))


@timed_search
def search_datasets(session: Session, cfg: CatalogConfig, actor: Actor, query: SearchQuery) -> dict[str, Any]:
    """Search the datasets `actor` may see. Returns CKAN's {count, results, facets, search_facets, sort};
    raises ValidationError for parameters it cannot read (never a server error)."""
    from sapan.catalog.datasets import dicts_by_ids

    if not 0 <= query.rows <= MAX_ROWS:
        raise ValidationError.one("rows", f"Must be between 0 and {MAX_ROWS}")
    if query.start < 0:
        raise ValidationError.one("start", "Must be a natural number")
    known = facet_fields_of(cfg.profile)
    unknown = [f for f in query.facet_fields if f not in known]
    if unknown:
        raise ValidationError.one("facet.field", f"Unknown facet field(s): {', '.join(unknown)}")
    plan = parse_q(query.q, known, query.analyzer)
    fq, since = modified_since_of(query.fq)
    plan.filters += parse_fq(fq, known)
    plan.sort = parse_sort(query.sort, bool(plan.terms))
    plan.modified_since = max(filter(None, (query.modified_since, since)), default=None)
    raw = {stem(w): w for w in surface_words(query.q, query.analyzer)}
    options = query.translation if cfg.cross_lingual and query.analyzer == "sapan" else None
    visibility = _visibility(actor, query)
    cross: list[tuple[Callable[[], list[str]], float, int]] = []
    translation: Future[tuple[Translated, list[str]]] | None = None
    if options and plan.terms and plan.sort[0][0] == "score":
        # The translation (and its query) and the vector search run in threads of their own (own
        # connections; SQLite, PostgreSQL and numpy release the GIL) beside this search's SQL.
        found = _pool().submit(_own_session, session.get_bind(), _translated_hits, plan, visibility, options)
        cross.append((lambda: found.result()[1], options.weight, options.offset))
        translation = found
        if options.vectors and cfg.vectors:
            copy = neighbours.snapshot(session)
            near = _pool().submit(
                neighbours.nearest, copy, plan.text, options.vector_limit, options.vector_floor
            )
            cross.append((near.result, options.vector_weight, options.vector_offset))
    hits = execute(
        session, plan, visibility, query.rows, query.start, query.facet_fields, query.facet_limit, raw,
        cross, options.fusion_of() if options else Fusion(),
    )  # fmt: skip
    return {
        "count": hits.count,
        "sort": query.sort,
        "results": dicts_by_ids(session, cfg.site_url, hits.ids),
        "facets": {f: {value: n for value, _, n in items} for f, items in hits.facets.items()},
        "search_facets": {
            f: {
                "title": f,
                "items": [{"name": v, "display_name": label, "count": n} for v, label, n in items],
            }
            for f, items in hits.facets.items()
        },
        # Not CKAN's: what the search also looked for in the other language (clients ignore it).
        "also_searched": translation.result()[0].shown if translation else [],
    }


@cache
def _pool() -> ThreadPoolExecutor:
    """Threads for the vector search that runs beside a search's SQL (one pool per process)."""
    return ThreadPoolExecutor(max_workers=4, thread_name_prefix="sapan-vectors")


def _own_session(bind: Any, work: Callable[..., T], *args: Any) -> T:
    """Run `work(session, *args)` on a session (and connection) of this thread's own."""
    with Session(bind=bind.engine if hasattr(bind, "engine") else bind) as session:
        return work(session, *args)


def _translated_hits(
    session: Session, plan: Plan, visibility: Visibility, options: TranslationOptions
) -> tuple[Translated, list[str]]:
    """The query's translation and the best datasets it finds."""
    translated = _translate(session, plan, options)
    if not translated.terms:
        return translated, []
    tplan = Plan(translated.terms, options.columns or plan.columns, [], plan.filters, plan.sort)
    return translated, best_matches(session, tplan, visibility, options.limit, options.any_term)


def _translate(session: Session, plan: Plan, options: TranslationOptions) -> Translated:
    """The query's words (as the user wrote them) translated, filtered by the index vocabulary."""
    return translate_query(
        plan.text, (lambda words: index.document_frequencies(session, words)) if options.vocabulary else None,
        index.approximate_count(session), options,
    )  # fmt: skip


def index_datasets(
    session: Session,
    cfg: CatalogConfig,
    datasets: list[dict[str, Any]],
    new: bool = False,
    later: bool = False,
) -> None:
    """index_dataset for many datasets at once (harvesting): the same documents, written in bulk when
    the datasets are `new` (not in the index yet), with the sentence vectors encoded in one batch, or,
    with `later`, by a `search_vectors` job (encoding costs several ms a dataset; full-text search
    finds the datasets at once, cross-lingual ranking once the job has run)."""
    documents = [build_document(dataset, cfg.profile) for dataset in datasets]
    if new:
        index.put_new_documents(session, documents)
    else:
        for document in documents:
            index.put_document(session, document)
    for dataset_id in [d["id"] for d in datasets if d.get("state") == "deleted"]:
        vectors.remove_vector(session, dataset_id)
    live = [d for d in datasets if d.get("state") != "deleted"]
    if not cfg.vectors or not live:
        return
    if later:
        from sapan.jobs.service import enqueue

        enqueue(session, "search_vectors", {"dataset_ids": [d["id"] for d in live]})
    else:
        vectors.put_vectors(session, [(d["id"], vectors.dataset_text(d)) for d in live])


def run_vectors(
    services: Any, payload: dict[str, Any], progress: Callable[[float, str], None]
) -> dict[str, Any]:
    """The `search_vectors` job: encode the sentence vectors of these datasets, 200 at a time."""
    from sapan.catalog.datasets import dicts_by_ids
    from sapan.db import transaction

    ids = [str(i) for i in payload.get("dataset_ids") or []]
    for start in range(0, len(ids), 200):
        with transaction(services.sessions) as session:
            found = dicts_by_ids(session, services.catalog.site_url, ids[start : start + 200])
            live = [(d["id"], vectors.dataset_text(d)) for d in found if d.get("state") != "deleted"]
            vectors.put_vectors(session, live)
        progress(
            min(1.0, (start + 200) / max(len(ids), 1)), f"Encoded {min(start + 200, len(ids))} of {len(ids)}"
        )
    return {"datasets": len(ids)}
