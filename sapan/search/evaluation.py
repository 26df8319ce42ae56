"""Measuring search quality against hand-judged queries: recall@k and nDCG@k."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Judged:
    query: str
    lang: str
    kinds: tuple[str, ...]
    relevant: frozenset[str]


@dataclass
class Scores:
    recall_at_5: float
    ndcg_at_10: float
    misses: list[tuple[str, list[str]]]  # query, relevant ids not in the top 5


def record_name(record_id: str) -> str:
    """The dataset name a judged record gets in the catalogue."""
    return record_id.lower().replace("_", "-")[:100]


def load_judgments(path: Path) -> list[Judged]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    return [
        Judged(q["query"], q["lang"], tuple(q["kinds"]), frozenset(record_name(r) for r in q["relevant"]))
        for q in raw["queries"]
    ]


def recall(ranked: list[str], relevant: frozenset[str], k: int = 5) -> float:
    return len(relevant & set(ranked[:k])) / len(relevant)


def ndcg(ranked: list[str], relevant: frozenset[str], k: int = 10) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, doc in enumerate(ranked[:k]) if doc in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), k)))
    return dcg / ideal


def evaluate(search: Callable[[str], list[str]], judged: Iterable[Judged]) -> Scores:
    """Run every query through `search` (query -> ranked ids) and average the scores; recall is
    micro-averaged over all judged datasets, nDCG over queries."""
    found = total = 0
    ndcgs: list[float] = []
    misses: list[tuple[str, list[str]]] = []
    for j in judged:
        ranked = search(j.query)
        hit = j.relevant & set(ranked[:5])
        found += len(hit)
        total += len(j.relevant)
        ndcgs.append(ndcg(ranked, j.relevant))
        if hit != j.relevant:
            misses.append((j.query, sorted(j.relevant - hit)))
    return Scores(found / total, sum(ndcgs) / len(ndcgs), misses)


def catalogue_records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_catalogue(session: Any, cfg: Any, actor: Any, records: list[dict[str, Any]]) -> None:
    """Put judged catalogue records (id, title, notes, tags, organization) into the catalogue, each
    dataset named by its record id, so search results can be compared with the judgments."""
    from sapan.catalog import datasets, groups
    from sapan.thai.slug import slugify

    orgs: dict[str, str] = {}
    for record in records:
        title = record.get("organization") or ""
        if title and title not in orgs:
            orgs[title] = (slugify(title) or "org")[:90] + f"-{len(orgs)}"
            groups.create_group(session, actor, {"name": orgs[title], "title": title}, organization=True)
    for record in records:
        datasets.create_dataset(
            session,
            cfg,
            actor,
            {
                "name": record_name(record["id"]),
                "title": record["title"],
                "notes": record.get("notes", ""),
                "tags": [{"name": t} for t in record.get("tags", [])],
                "owner_org": orgs.get(record.get("organization") or ""),
            },
        )


@dataclass(frozen=True)
class Pair:
    """A cross-lingual judgment: a query in one language, the relevant datasets in the other."""

    query: str
    direction: str  # "en->th" or "th->en"
    kinds: tuple[str, ...]
    relevant: frozenset[str]


@dataclass
class RankScores:
    mrr: float
    top_1: float  # share of queries with a relevant dataset first
    top_10: float  # ... in the first ten
    ndcg_at_10: float
    misses: list[str]  # queries with nothing relevant in the first ten


def load_pairs(path: Path) -> list[Pair]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    return [
        Pair(p["query"], p["direction"], tuple(p["kinds"]), frozenset(record_name(r) for r in p["relevant"]))
        for p in raw["pairs"]
    ]


def rank_scores(search: Callable[[str], list[str]], pairs: Iterable[Pair]) -> RankScores:
    """MRR, top-1, top-10 and nDCG@10 (means over queries) of `search` (query -> ranked ids)."""
    reciprocal: list[float] = []
    ndcgs: list[float] = []
    misses: list[str] = []
    for pair in pairs:
        ranked = search(pair.query)[:10]
        first = next((i for i, doc in enumerate(ranked, start=1) if doc in pair.relevant), None)
        reciprocal.append(1 / first if first else 0.0)
        ndcgs.append(ndcg(ranked, pair.relevant))
        if first is None:
            misses.append(pair.query)
    n = max(len(reciprocal), 1)
    return RankScores(
        sum(reciprocal) / n,
        sum(r == 1.0 for r in reciprocal) / n,
        sum(r > 0 for r in reciprocal) / n,
        sum(ndcgs) / n,
        misses,
    )
