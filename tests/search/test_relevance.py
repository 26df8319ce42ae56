"""Search quality on a real catalogue: the 770 data.go.th titles and the data.gov.sg catalogue, with
91 hand-judged queries and 258 hand-judged cross-lingual pairs (tests/fixtures/search), on both
backends. The catalogue is loaded once per backend; one test measures everything on it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from sapan.accounts.service import ANONYMOUS, site_actor
from sapan.catalog.profiles import load_profile
from sapan.db import transaction
from sapan.search.crosslingual import TranslationOptions
from sapan.search.evaluation import (
    catalogue_records,
    evaluate,
    load_catalogue,
    load_judgments,
    load_pairs,
    rank_scores,
)
from sapan.search.service import SearchQuery, reindex, search_datasets
from sapan.services import Services
from tests.conftest import FIXTURES


def test_relevance_monolingual_and_cross_lingual(services: Services) -> None:
    # Core fields only: the GDC profile's required values would add the same words to every record.
    cfg = dataclasses.replace(services.catalog, profile=load_profile("ckan"), vectors=False)
    with transaction(services.sessions) as session:
        load_catalogue(
            session, cfg, site_actor(session), catalogue_records(FIXTURES / "search" / "catalog.jsonl")
        )
    cfg = dataclasses.replace(cfg, vectors=True)
    with transaction(services.sessions) as session:  # the vectors, encoded in batches
        reindex(session, cfg)

    def searcher(translation: TranslationOptions | None) -> Callable[[str], list[str]]:
        def search(q: str) -> list[str]:
            with transaction(services.sessions) as session:
                query = SearchQuery(q=q, rows=10, translation=translation)
                found = search_datasets(session, cfg, ANONYMOUS, query)
            return [d["name"] for d in found["results"]]

        return search

    judged = load_judgments(FIXTURES / "search" / "relevance.json")
    assert len(judged) >= 50
    assert sum(j.lang == "th" for j in judged) >= 30 and sum(j.lang == "en" for j in judged) >= 15
    alone = evaluate(searcher(None), judged)
    assert alone.recall_at_5 >= 0.9, alone.misses
    assert alone.ndcg_at_10 >= 0.85, alone.misses

    # Cross-lingual search leaves monolingual relevance where it was (the issue allows 0.01 less).
    crossed = evaluate(searcher(TranslationOptions()), judged)
    assert crossed.recall_at_5 >= alone.recall_at_5 - 0.01, crossed.misses
    assert crossed.ndcg_at_10 >= alone.ndcg_at_10 - 0.01, crossed.misses

    pairs = load_pairs(FIXTURES / "search" / "crosslingual.json")
    for direction in ("en->th", "th->en"):
        chosen = [p for p in pairs if p.direction == direction]
        assert len(chosen) >= 75
        before = rank_scores(searcher(None), chosen)
        after = rank_scores(searcher(TranslationOptions()), chosen)
        assert before.top_10 < 0.2  # without translation BM25 finds little across languages
        assert after.top_10 >= 0.85, (direction, after.misses)
        assert after.mrr > before.mrr and after.ndcg_at_10 > before.ndcg_at_10
