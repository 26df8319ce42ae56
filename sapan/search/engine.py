"""Running a query plan: SQLite FTS5 (bm25 with column weights) or PostgreSQL (tsvector, GIN, idf-weighted
ts_rank). Filters, facets and sorting are the same SQL on both, over the index's own tables."""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz.distance import Levenshtein
from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from sapan.search.index import (
    FACET_KEY_SEPARATOR,
    approximate_count,
    document_count,
    document_frequencies,
    is_postgres,
)
from sapan.search.models import SearchLabel, SearchTerm
from sapan.search.query import Plan
from sapan.thai.analysis import STOPWORDS, THAI, QueryTerm, stem

# bm25 weights, in the order of documents.FIELDS: title > tags > organization > notes > resources.
BM25_WEIGHTS = "10.0, 3.0, 6.0, 5.0, 2.0, 2.0, 0.6, 1.0"
_SQLITE_PAGE = "search_fts JOIN search_doc d ON d.id = search_fts.rowid"
PG_RANK_WEIGHTS = "{0.15, 0.3, 0.6, 1.0}"  # D, C, B, A
COLUMN_WEIGHTS = {"title": "AB", "title_parts": "AB", "notes": "CD", "notes_parts": "CD"}
EXACT_TITLE_BOOST, PHRASE_BOOST = 3.0, 1.6


@dataclass
class Visibility:
    states: tuple[str, ...] = ("active",)
    all_private: bool = False  # sysadmins asking for private datasets
    # (organization, clearance): the caller sees that organization's private datasets up to that level
    clearances: tuple[tuple[str, int], ...] = ()
    # A partner portal's data-flow agreement (governance/scope.py): only these classification levels
    # and data categories (a dataset without a category counts as public_category). None: no agreement.
    partner_levels: tuple[int, ...] | None = None
    partner_categories: tuple[str, ...] = ()
    public_category: str = ""


@dataclass
class Hits:
    count: int
    ids: list[str]
    facets: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)


@dataclass
class _Sql:
    """The pieces of one search: `ids` (FROM + WHERE) finds the matching index rows, cheaply, for the
    count and facets; `page` joins the document table for scores and sort keys."""

    ids_from: str
    id_column: str
    where: list[str]
    params: dict[str, Any]
    score: str
    page_from: str
    raw_score: str = ""  # SQLite: bm25 alone, so the best candidates can be found before any join
    boost: str = "1.0"
    rank: str = ""  # the full-text score before boosts
    # SQLite: conditions on the document row `d`, tested on the best candidates after the full-text
    # index has ranked them (best_matches' visibility), not on every hit inside it.
    candidates_where: list[str] = field(default_factory=list)


def required_terms(n: int) -> int:
    """How many of n query terms a dataset must match: CKAN's default for Solr (mm = "2<-1 5<80%"):
    one or two terms: all; three to five: all but one; more: 80%."""
    if n <= 2:
        return n
    return n - 1 if n <= 5 else math.ceil(0.8 * n)


RELAX_BELOW = 5  # fewer hits than this with the required terms: any term will do
RELAXED_MAX_SHARE = 0.05  # ... but not a word that one dataset in twenty has
RELAXED_MIN_DF = 1000  # (in a small catalogue every word is in one dataset in twenty; and cheap to read)


def _typo_candidates(session: Session, word: str) -> list[str]:
    """Known words one edit away (two for long ones), most common first."""
    limit = 2 if len(word) >= 8 else 1
    lo = word[0]
    rows = session.execute(
        select(SearchTerm.term, SearchTerm.df).where(
            SearchTerm.term >= lo,
            SearchTerm.term < lo + "\U0010ffff",
            SearchTerm.df > 0,
        )
    ).all()
    near = [
        (t, df)
        for t, df in rows
        if abs(len(t) - len(word)) <= limit and Levenshtein.distance(t, word) <= limit
    ]
    return [t for t, _ in sorted(near, key=lambda r: -r[1])[:3]]


def _windows(tokens: tuple[str, ...], known: set[str]) -> list[tuple[int, int]]:
    """Runs of fragments to try mending, widest first: the whole piece, then runs of three and two
    tokens around an unknown one. At most eight, so a long query stays fast."""
    out = [(0, len(tokens))]
    for size in (3, 2):
        out += [
            (i, i + size)
            for i in range(len(tokens) - size + 1)
            if size < len(tokens) and any(t not in known for t in tokens[i : i + size])
        ]
    return [(i, j) for i, j in out if len("".join(tokens[i:j])) >= 4][:8]


def expand_typos(session: Session, terms: list[QueryTerm], raw_words: dict[str, str]) -> dict[str, int]:
    """Mend misspellings: an unknown longer word (5+ letters, 4+ for Thai) also matches its nearest
    known spellings. A misspelt Thai word usually falls apart into fragments (ประชาการ -> ประชา|การ);
    then the whole piece is looked up and its fragments become one term. Changes `terms` in place and
    returns the document frequency of every form (PostgreSQL's ranking uses it as idf)."""
    df = document_frequencies(session, {f for t in terms for f in [*t.forms, *t.parts, t.chunk]})
    known = set(df)
    for chunk in dict.fromkeys(t.chunk for t in terms if THAI.match(t.chunk)):
        group = [t for t in terms if t.chunk == chunk]
        tokens = group[0].chunk_tokens
        if len(tokens) < 2 or chunk in known or all(t.token in known for t in group):
            continue
        for i, j in _windows(tokens, known):
            candidates = _typo_candidates(session, "".join(tokens[i:j]))
            if candidates:
                replaced = [t for t in group if t.token in tokens[i:j]]
                at = terms.index(replaced[0]) if replaced else len(terms)
                for t in replaced:
                    terms.remove(t)
                terms.insert(
                    at, QueryTerm(candidates, tokens[i:j], chunk=chunk, chunk_tokens=tokens, mended=True)
                )
                df.update({c: df.get(c) or 1 for c in candidates})
                break
    for term in terms:
        if any(f in known for f in term.forms) or term.fuzzy:
            continue
        surface = raw_words.get(term.token, term.token)
        if len(surface) < (4 if THAI.match(surface) else 5) or surface.isdigit():
            continue
        for candidate in _typo_candidates(session, surface):
            token = stem(candidate)
            if token not in term.forms and token not in term.fuzzy:
                term.fuzzy.append(token)
                df[token] = df.get(token) or 1
    return df


def _fts_group(term: QueryTerm, columns: tuple[str, ...] | None) -> str:
    alternatives = [f'"{f}"' for f in [*term.forms, *term.fuzzy]]
    alternatives += ['"' + " ".join(words) + '"' for words in [term.parts, *term.phrases] if words]
    group = "(" + " OR ".join(alternatives) + ")"
    return "{" + " ".join(columns) + "} : " + group if columns else group


def _lexeme(token: str, weights: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'" + (f":{weights}" if weights else "")


def _tsquery(term: QueryTerm, weights: str) -> str:
    alternatives = [_lexeme(f, weights) for f in [*term.forms, *term.fuzzy]]
    alternatives += [
        "(" + " <-> ".join(_lexeme(w, weights) for w in words) + ")"
        for words in [term.parts, *term.phrases]
        if words
    ]
    return "(" + " | ".join(alternatives) + ")"


def _relaxed(terms: list[QueryTerm], df: dict[str, int] | None = None, total: int = 0) -> list[QueryTerm]:
    """Terms for the relaxed search: a compound also counts part by part (พืชเศรษฐกิจ finds พืช). Given
    document frequencies, a word in more than RELAXED_MAX_SHARE of the datasets (and RELAXED_MIN_DF)
    is left out: alone it tells nothing (คน, ไป, ประเทศ of คนงานไทยไปทำงานต่างประเทศ), and each such
    word made the relaxed search read a quarter of the catalogue three times (count, page, facets:
    300 ms at 100,000 datasets)."""
    out: list[QueryTerm] = []
    for term in terms:
        pieces = [p for p in term.parts if p not in STOPWORDS]
        out.extend([QueryTerm([p]) for p in pieces] if pieces and not term.mended else [term])
    if df is None or total <= 0 or len(out) <= 1:
        return out

    def frequency(term: QueryTerm) -> int:
        return max((df.get(f, 0) for f in [*term.forms, *term.parts]), default=0)

    common = max(RELAXED_MAX_SHARE * total, RELAXED_MIN_DF)
    telling = [t for t in out if frequency(t) <= common]
    return telling or [min(out, key=frequency)]


def _base_sql(
    session: Session,
    plan: Plan,
    df: dict[str, int],
    relaxed: bool = False,
    prefix: str = "",
    loose: list[QueryTerm] | None = None,
) -> _Sql:
    """The full-text part of a search; `prefix` names its parameters apart from another's. `relaxed`:
    any one term will do (`loose`: the terms to use then, default _relaxed's)."""
    params: dict[str, Any] = {}
    where: list[str] = []
    if relaxed:
        plan = dataclasses.replace(plan, terms=loose if loose is not None else _relaxed(plan.terms))
    n = len(plan.terms)
    if not n:
        return _Sql("search_doc d", "d.id", where, params, "0.0", "search_doc d")
    required = 1 if relaxed else required_terms(n)
    boost = "1.0"
    if plan.phrase:
        params[f"{prefix}exact"] = " " + " ".join(plan.phrase) + " "
        boost = f"(CASE WHEN d.title_tokens = :{prefix}exact THEN {EXACT_TITLE_BOOST}"
        if len(plan.phrase) > 1:
            params[f"{prefix}phrase"] = "% " + " ".join(plan.phrase) + " %"
            boost += f" WHEN d.title_tokens LIKE :{prefix}phrase THEN {PHRASE_BOOST}"
        boost += " ELSE 1.0 END)"
    if not is_postgres(session):
        params[f"{prefix}match"] = _at_least(
            required, [_fts_group(t, plan.columns) for t in plan.terms], " AND ", " OR "
        )
        where.append(f"search_fts MATCH :{prefix}match")
        raw = f"(-bm25(search_fts, {BM25_WEIGHTS}))"
        return _Sql(
            "search_fts", "search_fts.rowid", where, params, f"{raw} * {boost}", _SQLITE_PAGE, raw, boost, raw
        )
    weights = (
        "".join(sorted({w for c in plan.columns for w in COLUMN_WEIGHTS.get(c, "")})) if plan.columns else ""
    )
    total = max(document_count(session), 1)
    ranks = []
    for i, term in enumerate(plan.terms):
        g = f"{prefix}g{i}"
        params[g] = _tsquery(term, weights)
        phrase_df = [min(df.get(w, 0) for w in words) for words in term.phrases]
        df_term = max((df.get(f, 0) for f in [*term.forms, *term.fuzzy, *term.parts]), default=0)
        df_term = max([df_term, *phrase_df])
        idf = math.log(1 + (total - df_term + 0.5) / (df_term + 0.5))
        ranks.append(f"{idf:.4f} * ts_rank('{PG_RANK_WEIGHTS}', d.tsv, CAST(:{g} AS tsquery), 1)")
    params[f"{prefix}match"] = _at_least(required, [params[f"{prefix}g{i}"] for i in range(n)], " & ", " | ")
    where.append(f"d.tsv @@ CAST(:{prefix}match AS tsquery)")
    rank = f"({' + '.join(ranks)})"
    return _Sql(
        "search_doc d", "d.id", where, params, f"{rank} * {boost}", "search_doc d", boost=boost, rank=rank
    )


def _at_least(k: int, groups: list[str], and_: str, or_: str) -> str:
    """A full-text expression true when at least k of the groups match: the OR of every k-subset's
    AND, so the index itself does the counting. Scores sum per term (bm25; idf x ts_rank), so
    datasets with more of the terms rank higher."""
    if k >= len(groups):
        return and_.join(groups)
    if k <= 1:
        return or_.join(groups)
    return or_.join("(" + and_.join(combo) + ")" for combo in itertools.combinations(groups, k))


def _cleared(visibility: Visibility, params: dict[str, Any], prefix: str) -> str:
    """SQL true for a private dataset the caller's memberships and clearances let them see."""
    parts = []
    for i, (org, clearance) in enumerate(visibility.clearances):
        params[f"vo{i}"], params[f"vc{i}"] = org, clearance
        parts.append(f"({prefix}owner_org = :vo{i} AND {prefix}level <= :vc{i})")
    return " OR ".join(parts)


def _filters(
    session: Session,
    sql: _Sql,
    plan: Plan,
    visibility: Visibility,
    rows: bool = False,
    candidates: bool = False,
) -> None:
    """Add the visibility and fq conditions. `rows`: the query reads search_doc rows (`d`) itself,
    so the conditions test each row's columns on SQLite too. `candidates` (SQLite): state and privacy
    are tested on the page's best candidates only (sql.candidates_where), as `rows` does."""
    where, params, ids = sql.where, sql.params, sql.id_column
    shown = sql.candidates_where if candidates and not is_postgres(session) else where
    if is_postgres(session) or rows or candidates:
        # "+" keeps SQLite on the rows it was given instead of scanning the (private, state) index
        plus = "" if is_postgres(session) else "+"
        params["states"] = list(visibility.states)
        shown.append(f"{plus}d.state IN :states")
        if not visibility.all_private:
            cleared = _cleared(visibility, params, "d.")
            shown.append(f"({plus}d.private = false OR {cleared})" if cleared else f"{plus}d.private = false")
    else:  # SQLite: exclude the few hidden datasets (a small set, probed per row, no join)
        params["states"] = list(visibility.states)
        hidden = ["state NOT IN :states"]
        if not visibility.all_private:
            cleared = _cleared(visibility, params, "")
            hidden.append(f"(private = true AND NOT ({cleared}))" if cleared else "private = true")
        where.append(f"{ids} NOT IN (SELECT id FROM search_doc WHERE {' OR '.join(hidden)})")
    if ids == "search_fts.rowid":
        # Unary "+": SQLite must not look the filters' ids up in the full-text index one by one (each
        # a fresh MATCH: 0.3 s for a two-word query and a common format at 20,000 datasets); the MATCH
        # drives and each hit is probed in the filter's small ephemeral index instead.
        ids = "+search_fts.rowid"
    if visibility.partner_levels is not None:
        _partner_filters(where, params, ids, visibility)
    for i, f in enumerate(plan.filters):
        key = f"f{i}"
        if f.field in ("name", "owner_org", "id", "private"):
            column = "dataset_id" if f.field == "id" else f.field
            value: Any = f.value == "true" if f.field == "private" else f.value
            clause = f"{ids} IN (SELECT id FROM search_doc WHERE {column} = :{key})"
        elif is_postgres(session) and (plan.terms or rows):
            # The row's own facet array, tested per full-text hit (or per given row). `= ANY` is
            # deliberately not the GIN-indexable `@>`: the full-text match drives, and joining every
            # dataset with a common value (a format: a sixth of the catalogue) cost the count, the
            # page and the facets 80-100 ms each at 100,000 datasets; this costs 25-35.
            params[f"{key}k"] = f"{f.field}{FACET_KEY_SEPARATOR}{f.value}"
            value = f.value
            clause = f":{key}k = ANY(d.facet_keys)"
        elif ids == "+search_fts.rowid" or rows:
            # One primary-key seek per full-text hit (or per given row: the cross-lingual hits tested
            # for visibility), rather than listing every dataset with a common value (a format: a
            # sixth of the catalogue, 45 ms at 100,000 datasets) for each of the search's statements.
            params[f"{key}n"] = f.field
            value = f.value
            row_id = "search_fts.rowid" if ids == "+search_fts.rowid" else ids
            clause = (
                f"EXISTS (SELECT 1 FROM search_facet WHERE doc_id = {row_id} "
                f"AND field = :{key}n AND value = :{key})"
            )
        else:
            params[f"{key}n"] = f.field
            value = f.value
            clause = f"{ids} IN (SELECT doc_id FROM search_facet WHERE field = :{key}n AND value = :{key})"
        params[key] = value
        where.append(f"NOT ({clause})" if f.negate else clause)
    if plan.modified_since is not None:
        # SQLite keeps DateTime as text with microseconds; PostgreSQL compares timestamps
        since = plan.modified_since
        params["since"] = since if is_postgres(session) else since.strftime("%Y-%m-%d %H:%M:%S.%f")
        where.append(f"{ids} IN (SELECT id FROM search_doc WHERE metadata_modified >= :since)")


def _partner_filters(where: list[str], params: dict[str, Any], ids: str, visibility: Visibility) -> None:
    """What a partner's agreement lets cross, on top of the public view (the same rule as
    PartnerScope.allows, in SQL over the index's tables)."""
    levels, categories = list(visibility.partner_levels or ()), list(visibility.partner_categories)
    if not levels or not categories:
        where.append("1 = 0")
        return
    params["plevels"], params["pcats"] = levels, categories
    where.append(f"{ids} IN (SELECT id FROM search_doc WHERE level IN :plevels)")
    if visibility.public_category in categories:  # those without a category are in, too
        where.append(
            f"{ids} NOT IN (SELECT doc_id FROM search_facet WHERE field = 'data_category' "
            "AND value NOT IN :pcats)"
        )
    else:
        where.append(
            f"{ids} IN (SELECT doc_id FROM search_facet WHERE field = 'data_category' AND value IN :pcats)"
        )


def _runner(session: Session, params: dict[str, Any]) -> Any:
    def run(statement: str, extra: dict[str, Any] | None = None) -> Any:
        values = {**params, **(extra or {})}
        expanding: list[Any] = [
            bindparam(k, expanding=True) for k, v in values.items() if isinstance(v, list)
        ]
        return session.execute(text(statement).bindparams(*expanding), values)

    return run


def _count(session: Session, sql: _Sql, plan: Plan, visibility: Visibility) -> int:
    _filters(session, sql, plan, visibility)
    count = _runner(session, sql.params)(
        f"SELECT count(*) FROM {sql.ids_from} WHERE {' AND '.join(sql.where)}"
    )
    return int(count.scalar_one())


@dataclass(frozen=True)
class Fusion:
    """How cross-lingual rankings join the original's: the original's first `keep` stay first; after
    them a dataset scores 1/(k + rank) from the original and weight/(k + offset + rank) from each
    other ranking (the translation's best few, the vector neighbours)."""

    k: float = 1.0
    keep: int = 5


def _page(session: Session, sql: _Sql, plan: Plan, rows: int, start: int) -> list[str]:
    """Dataset ids of one page of a filtered query, in the plan's order."""
    where = " AND ".join(sql.where)
    columns = "d.id, d.dataset_id, d.metadata_modified, d.metadata_created, d.name, d.title_sort"
    order = ", ".join(f"h.{column} {'DESC' if desc else 'ASC'}" for column, desc in plan.sort)
    source, score = f"{sql.page_from} WHERE {where}", sql.score
    if sql.raw_score and plan.sort[0][0] == "score":
        # Rank by bm25 inside the full-text index first; boosts and sort keys then need the
        # document table only for the best candidates (boosts never exceed x3, so 4x the page
        # and at least 200 candidates keep the order exact in practice).
        source = (
            f"(SELECT search_fts.rowid AS rid, {sql.raw_score} AS raw FROM search_fts WHERE {where} "
            f"ORDER BY raw DESC LIMIT {max(200, 4 * (start + rows))}) c JOIN search_doc d ON d.id = c.rid"
        )
        score = f"c.raw * {sql.boost}"
        if sql.candidates_where:
            source += f" WHERE {' AND '.join(sql.candidates_where)}"
    elif sql.candidates_where:
        source += f" AND {' AND '.join(sql.candidates_where)}"
    result = _runner(session, sql.params)(
        f"SELECT h.dataset_id FROM (SELECT {columns}, {score} AS score FROM {source}) h "
        f"ORDER BY {order}, h.id LIMIT :limit OFFSET :offset",
        {"limit": rows, "offset": start},
    )
    return [r[0] for r in result]


FUSION_BLOCK = 50  # the original is read to the first multiple of this that holds the page


def _fused(rankings: list[tuple[list[str], float, int]], k: float, keep: int) -> list[str]:
    """The weighted reciprocal-rank fusion of rankings (the original first), each with its weight and
    rank offset; the original's first `keep` stay first."""
    scores: dict[str, float] = {}
    for ranked, weight, offset in rankings:
        for rank, dataset_id in enumerate(ranked, start=1):
            scores[dataset_id] = scores.get(dataset_id, 0.0) + weight / (k + offset + rank)
    head = rankings[0][0][:keep]
    rest = sorted((d for d in scores if d not in head), key=lambda d: -scores[d])  # stable: ties keep order
    return head + rest


def best_matches(
    session: Session, plan: Plan, visibility: Visibility, limit: int, any_term: bool
) -> list[str]:
    """The `limit` best datasets for a plan, by score (a translated query's share of a search);
    `any_term` matches datasets with any one of its terms."""
    words = {w for t in plan.terms for w in [*t.forms, *(w for p in t.phrases for w in p)]}
    # Only PostgreSQL's ranking reads the document frequencies (its idf); SQLite's bm25 has its own.
    df = document_frequencies(session, words) if is_postgres(session) else {}
    sql = _base_sql(session, plan, df, any_term, prefix="t")
    # On SQLite the hidden datasets' ids are not listed for the full-text statement (that reads the
    # whole (private, state) index: 3 ms at 100,000 datasets, most of a small translation's cost);
    # each of the best candidates is tested instead. Hidden datasets are few, so the candidates hold
    # the `limit` best visible ones in practice (execute() tests every cross hit again: _visible).
    _filters(session, sql, plan, visibility, candidates=True)
    return _page(session, sql, plan, limit, 0)


def _visible(session: Session, ids: list[str], plan: Plan, visibility: Visibility) -> set[str]:
    """Those of `ids` (cross-lingual hits) the caller may see and the filters keep."""
    if not ids:
        return set()
    sql = _Sql("search_doc d", "d.id", ["d.dataset_id IN :cids"], {"cids": ids}, "0", "")
    _filters(session, sql, plan, visibility, rows=True)
    return set(
        _runner(session, sql.params)(f"SELECT d.dataset_id FROM search_doc d WHERE {' AND '.join(sql.where)}")
        .scalars()
        .all()
    )


def execute(
    session: Session,
    plan: Plan,
    visibility: Visibility,
    rows: int,
    start: int,
    facet_fields: list[str],
    facet_limit: int,
    raw_words: dict[str, str],
    cross: list[tuple[Callable[[], list[str]], float, int]] | None = None,
    fusion: Fusion = Fusion(),
) -> Hits:
    """Count, page and facet a plan. Ranking by score, `cross` rankings (each a call that answers
    dataset ids best first, made as late as possible so it can run beside this search, with its
    weight and rank offset) join the results: their hits the caller may see are fused in, and those
    the original lacks add to the count and facets."""
    df = expand_typos(session, plan.terms, raw_words) if plan.terms else {}
    sql = _base_sql(session, plan, df)
    count = _count(session, sql, plan, visibility)
    if count < RELAX_BELOW and len(_relaxed(plan.terms)) > 1:
        loose = _relaxed(plan.terms, df, approximate_count(session))
        sql = _base_sql(session, plan, df, relaxed=True, loose=loose)
        count = _count(session, sql, plan, visibility)
    crossing = bool(cross) and bool(plan.sort) and plan.sort[0][0] == "score" and bool(plan.terms)
    run = _runner(session, sql.params)
    # The original's facets are counted before the cross rankings are waited for: their threads get
    # the time of this query to finish in.
    counted = (
        _facet_counts(session, sql, run, " AND ".join(sql.where), facet_fields)
        if facet_fields and count
        else []
    )
    ids: list[str] = []
    if crossing:
        # The original is read to the same depth for every page of a block: pages never overlap.
        depth = (start + rows + FUSION_BLOCK - 1) // FUSION_BLOCK * FUSION_BLOCK
        original = _page(session, sql, plan, depth, 0) if count else []
        rankings = [(original, 1.0, 0)] + [
            (answer(), weight, offset) for answer, weight, offset in cross or []
        ]
        crossed = list(dict.fromkeys(i for ranked, _, _ in rankings[1:] for i in ranked))
        visible = _visible(session, crossed, plan, visibility)
        # Hits the original's first `depth` lack add to the count. When the original has more
        # matches than that, one of them may match it further down and is counted twice: testing
        # each against the full-text index would cost more than the whole search (FTS5 reads every
        # posting list of the query to test one row), and the count of a ranked search is an
        # estimate in Solr too.
        seen = set(original)
        extra = [i for i in crossed if i in visible and i not in seen]
        count += len(extra)
        if facet_fields and extra:  # the cross-lingual hits the full-text query does not find
            xsql = _Sql("search_doc d", "d.id", ["d.dataset_id IN :xids"], {"xids": extra}, "0", "")
            counted += _facet_counts(
                session, xsql, _runner(session, xsql.params), xsql.where[0], facet_fields
            )
        rankings = [rankings[0], *(([i for i in r if i in visible], w, o) for r, w, o in rankings[1:])]
        ids = _fused(rankings, fusion.k, fusion.keep)[start : start + rows]
    elif rows and start < count:
        ids = _page(session, sql, plan, rows, start)
    return Hits(count, ids, _facets(session, counted, facet_fields, facet_limit))


def _facets(
    session: Session, counted: list[Any], facet_fields: list[str], facet_limit: int
) -> dict[str, list[tuple[str, str, int]]]:
    """Facet counts summed per (field, value), the largest first, with their labels."""
    facets: dict[str, list[tuple[str, str, int]]] = {f: [] for f in facet_fields}
    summed: dict[tuple[str, str], int] = defaultdict(int)
    for field_name, value, n in counted:
        summed[(field_name, value)] += int(n)
    by_field: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for (field_name, value), n in summed.items():
        by_field[field_name].append((value, n))
    shown = {
        name: sorted(items, key=lambda item: (-item[1], item[0]))[: None if facet_limit < 0 else facet_limit]
        for name, items in by_field.items()
    }
    labels = facet_labels(session, shown)
    for name, items in shown.items():
        facets[name] = [(value, labels.get((name, value), value), n) for value, n in items]
    return facets


def _facet_counts(
    session: Session, sql: _Sql, run: Any, where: str, facet_fields: list[str]
) -> list[tuple[str, str, int]]:
    if is_postgres(session):  # the facet values ride along in an array: no join
        wanted = set(facet_fields)
        counted = run(
            f"SELECT k, count(*) FROM (SELECT unnest(d.facet_keys) AS k FROM {sql.ids_from} WHERE {where}) x "
            "GROUP BY k"
        )
        split = ((*key.split(FACET_KEY_SEPARATOR, 1), n) for key, n in counted)
        return [(f, v, n) for f, v, n in split if f in wanted]
    # Driven from the hits through the facet table's primary key; "+" keeps SQLite to one seek per
    # dataset instead of one per field.
    return list(
        run(
            f"SELECT f.field, f.value, count(*) FROM {sql.ids_from} "
            f"JOIN search_facet f ON f.doc_id = {sql.id_column} "
            f"WHERE {where} AND +f.field IN :facet_fields GROUP BY f.field, f.value",
            {"facet_fields": list(facet_fields)},
        )
    )


def facet_labels(session: Session, shown: dict[str, list[tuple[str, int]]]) -> dict[tuple[str, str], str]:
    """Display names (organization titles, licence titles, Thai labels of choices) of shown values."""
    out: dict[tuple[str, str], str] = {}
    for name, items in shown.items():
        if items and name != "tags" and name != "res_format":
            rows = session.execute(
                select(SearchLabel.value, SearchLabel.label).where(
                    SearchLabel.field == name, SearchLabel.value.in_([v for v, _ in items])
                )
            )
            out.update({(name, value): label for value, label in rows})
    return out
