"""Search quality on a real catalogue: the 770 data.go.th titles and the data.gov.sg catalogue, with
91 hand-judged queries (tests/fixtures/search). recall@5 must stay >= 0.9 on both backends."""

from __future__ import annotations

import dataclasses

from sapan.accounts.service import ANONYMOUS, site_actor
from sapan.catalog.profiles import load_profile
from sapan.db import transaction
from sapan.search.evaluation import catalogue_records, evaluate, load_catalogue, load_judgments
from sapan.search.service import SearchQuery, search_datasets
from sapan.services import Services
from tests.conftest import FIXTURES


def test_recall_at_5_over_judged_queries(services: Services) -> None:
    # Core fields only: the GDC profile's required values would add the same words to every record.
    cfg = dataclasses.replace(services.catalog, profile=load_profile("ckan"))
    with transaction(services.sessions) as session:
        load_catalogue(
            session, cfg, site_actor(session), catalogue_records(FIXTURES / "search" / "catalog.jsonl")
        )
    judged = load_judgments(FIXTURES / "search" / "relevance.json")
    assert len(judged) >= 50
    assert sum(j.lang == "th" for j in judged) >= 30 and sum(j.lang == "en" for j in judged) >= 15

    def search(q: str) -> list[str]:
        with transaction(services.sessions) as session:
            found = search_datasets(session, cfg, ANONYMOUS, SearchQuery(q=q, rows=10, facet_fields=[]))
        return [d["name"] for d in found["results"]]

    scores = evaluate(search, judged)
    assert scores.recall_at_5 >= 0.9, scores.misses
    assert scores.ndcg_at_10 >= 0.85, scores.misses
