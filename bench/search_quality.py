"""Search quality: recall@5 and nDCG@10 of Sapan's analysis and two baselines, on the same index and
queries: ICU-only segmentation (what Solr and Elasticsearch do with Thai) and newmm-only (PyThaiNLP's
dictionary words). Catalogue and judgments: tests/fixtures/search (3,072 real Thai and Singapore
datasets, 91 hand-judged queries). Everything else (normalisation, years, stems, typo tolerance,
minimum-should-match, ranking) is the same for all three, so the figures isolate segmentation.

    .venv/bin/python bench/search_quality.py [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.databases import empty_database  # noqa: E402
from sapan.accounts.service import ANONYMOUS, site_actor  # noqa: E402
from sapan.catalog.profiles import load_profile  # noqa: E402
from sapan.config import Settings  # noqa: E402
from sapan.db import transaction  # noqa: E402
from sapan.search.evaluation import (  # noqa: E402
    Judged,
    catalogue_records,
    evaluate,
    load_catalogue,
    load_judgments,
)
from sapan.search.service import SearchQuery, reindex, search_datasets  # noqa: E402
from sapan.services import build_services  # noqa: E402
from sapan.thai.analysis import Mode  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "search"
MODES: tuple[Mode, ...] = ("sapan", "icu", "newmm")


def measure(url: str) -> dict[str, dict[str, tuple[float, float]]]:
    services = build_services(Settings(home=Path(tempfile.mkdtemp()), database_url=url))
    cfg = dataclasses.replace(services.catalog, profile=load_profile("ckan"))
    with transaction(services.sessions) as session:
        load_catalogue(session, cfg, site_actor(session), catalogue_records(FIXTURES / "catalog.jsonl"))
    judged = load_judgments(FIXTURES / "relevance.json")
    groups: dict[str, list[Judged]] = defaultdict(list)
    for j in judged:
        groups["all"].append(j)
        groups[f"lang:{j.lang}"].append(j)
        for kind in j.kinds:
            groups[kind].append(j)
    out: dict[str, dict[str, tuple[float, float]]] = defaultdict(dict)
    for mode in MODES:
        with transaction(services.sessions) as session:
            reindex(session, cfg, analyzer=mode)

        def search(q: str, mode: Mode = mode) -> list[str]:
            with transaction(services.sessions) as session:
                query = SearchQuery(q=q, rows=10, facet_fields=[], analyzer=mode)
                return [d["name"] for d in search_datasets(session, cfg, ANONYMOUS, query)["results"]]

        for name, items in groups.items():
            scores = evaluate(search, items)
            out[name][mode] = (scores.recall_at_5, scores.ndcg_at_10)
    services.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        with empty_database(backend) as url:
            results = measure(url)
        print(f"\n[{backend}] recall@5 / nDCG@10 (queries per group in brackets)")
        print(f"{'group':<22}" + "".join(f"{m:>18}" for m in MODES))
        judged = load_judgments(FIXTURES / "relevance.json")
        for name, by_mode in sorted(results.items(), key=lambda kv: (kv[0] != "all", kv[0])):
            n = (
                len(judged)
                if name == "all"
                else sum((name == f"lang:{j.lang}") or (name in j.kinds) for j in judged)
            )
            cells = "".join(f"{by_mode[m][0]:>10.3f} / {by_mode[m][1]:.3f}" for m in MODES)
            print(f"{name + f' [{n}]':<22}{cells}")


if __name__ == "__main__":
    main()
