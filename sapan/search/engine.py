"""Running a query plan: SQLite FTS5 (bm25 with column weights) or PostgreSQL (tsvector, GIN, idf-weighted
ts_rank). Filters, facets and sorting are the same SQL on both, over the index's own tables."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz.distance import Levenshtein
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from sapan.search.index import document_count, is_postgres
from sapan.search.models import SearchTerm
from sapan.search.query import Plan
from sapan.thai.analysis import THAI, QueryTerm, stem

# bm25 weights, in the order of documents.FIELDS: title > tags > organization > notes > resources.
BM25_WEIGHTS = "10.0, 3.0, 6.0, 5.0, 2.0, 2.0, 0.6, 1.0"
PG_RANK_WEIGHTS = "{0.15, 0.3, 0.6, 1.0}"  # D, C, B, A
COLUMN_WEIGHTS = {"title": "AB", "title_parts": "AB", "notes": "CD", "notes_parts": "CD"}
EXACT_TITLE_BOOST, PHRASE_BOOST = 3.0, 1.6


@dataclass
class Visibility:
    states: tuple[str, ...] = ("active",)
    all_private: bool = False  # sysadmins asking for private datasets
    private_orgs: tuple[str, ...] = ()  # organizations whose private datasets the caller sees


@dataclass
class Hits:
    count: int
    ids: list[str]
    facets: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)


@dataclass
class _Sql:
    source: str
    where: list[str]
    params: dict[str, Any]
    score: str
    matched: str = "0"  # how many of the query's terms a row matches
    required: int = 0


def required_terms(n: int) -> int:
    """How many of n query terms a dataset must match, after CKAN's default for Solr (mm =
    "2<-1 5<80%"), loosened for two terms: one or two terms: any; up to five: all but one;
    more: 80%. Datasets matching more terms rank higher (see COORD)."""
    if n <= 2:
        return 1
    return n - 1 if n <= 5 else math.ceil(0.8 * n)


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
    forms = {f for t in terms for f in [*t.forms, *t.parts, t.chunk]}
    df = dict(session.execute(select(SearchTerm.term, SearchTerm.df).where(SearchTerm.term.in_(forms))).all())
    known = {f for f, n in df.items() if n > 0}
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
                terms.insert(at, QueryTerm(candidates, tokens[i:j], chunk=chunk, chunk_tokens=tokens))
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
    if term.parts:
        alternatives.append('"' + " ".join(term.parts) + '"')
    group = "(" + " OR ".join(alternatives) + ")"
    return "{" + " ".join(columns) + "} : " + group if columns else group


def _lexeme(token: str, weights: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'" + (f":{weights}" if weights else "")


def _tsquery(term: QueryTerm, weights: str) -> str:
    alternatives = [_lexeme(f, weights) for f in [*term.forms, *term.fuzzy]]
    if term.parts:
        alternatives.append("(" + " <-> ".join(_lexeme(p, weights) for p in term.parts) + ")")
    return "(" + " | ".join(alternatives) + ")"


def _base_sql(session: Session, plan: Plan, df: dict[str, int]) -> _Sql:
    params: dict[str, Any] = {}
    where: list[str] = []
    n = len(plan.terms)
    if not n:
        return _Sql("search_doc d", where, params, "0.0")
    required = required_terms(n)
    boost = "1.0"
    if plan.phrase:
        params["exact"] = " " + " ".join(plan.phrase) + " "
        boost = f"(CASE WHEN d.title_tokens = :exact THEN {EXACT_TITLE_BOOST}"
        if len(plan.phrase) > 1:
            params["phrase"] = "% " + " ".join(plan.phrase) + " %"
            boost += f" WHEN d.title_tokens LIKE :phrase THEN {PHRASE_BOOST}"
        boost += " ELSE 1.0 END)"
    if not is_postgres(session):
        groups = [_fts_group(t, plan.columns) for t in plan.terms]
        params["match"] = (" OR " if required < n else " AND ").join(groups)
        where.append("search_fts MATCH :match")
        matched = str(n)
        if required < n:
            for i, group in enumerate(groups):
                params[f"g{i}"] = group
            matched = " + ".join(
                f"(search_fts.rowid IN (SELECT rowid FROM search_fts WHERE search_fts MATCH :g{i}))"
                for i in range(n)
            )
        return _Sql(
            "search_fts JOIN search_doc d ON d.id = search_fts.rowid",
            where,
            params,
            f"(-bm25(search_fts, {BM25_WEIGHTS})) * {boost} * {_coord(matched, n)}",
            matched,
            required,
        )
    weights = (
        "".join(sorted({w for c in plan.columns for w in COLUMN_WEIGHTS.get(c, "")})) if plan.columns else ""
    )
    total = max(document_count(session), 1)
    ranks = []
    for i, term in enumerate(plan.terms):
        params[f"g{i}"] = _tsquery(term, weights)
        df_term = max((df.get(f, 0) for f in [*term.forms, *term.fuzzy, *term.parts]), default=0)
        idf = math.log(1 + (total - df_term + 0.5) / (df_term + 0.5))
        ranks.append(f"{idf:.4f} * ts_rank('{PG_RANK_WEIGHTS}', d.tsv, CAST(:g{i} AS tsquery), 1)")
    params["match"] = (" | " if required < n else " & ").join(params[f"g{i}"] for i in range(n))
    where.append("d.tsv @@ CAST(:match AS tsquery)")
    matched = (
        " + ".join(f"(d.tsv @@ CAST(:g{i} AS tsquery))::int" for i in range(n)) if required < n else str(n)
    )
    return _Sql(
        "search_doc d",
        where,
        params,
        f"({' + '.join(ranks)}) * {boost} * {_coord(matched, n)}",
        matched,
        required,
    )


def _coord(matched: str, n: int) -> str:
    """Lucene's coordination factor, squared: a dataset with every term beats one with most of them."""
    return "1.0" if matched == str(n) else f"(({matched}) * 1.0 / {n}) * (({matched}) * 1.0 / {n})"


def _filters(sql: _Sql, plan: Plan, visibility: Visibility) -> None:
    where, params = sql.where, sql.params
    params["states"] = list(visibility.states)
    where.append("d.state IN :states")
    if not visibility.all_private:
        if visibility.private_orgs:
            params["private_orgs"] = list(visibility.private_orgs)
            where.append("(d.private = false OR d.owner_org IN :private_orgs)")
        else:
            where.append("d.private = false")
    for i, f in enumerate(plan.filters):
        key = f"f{i}"
        if f.field in ("name", "owner_org"):
            clause = f"d.{f.field} = :{key}"
        elif f.field == "id":
            clause = f"d.dataset_id = :{key}"
        elif f.field == "private":
            clause = f"d.private = {'true' if f.value == 'true' else 'false'}"
        else:
            params[f"{key}n"] = f.field
            clause = f"d.id IN (SELECT doc_id FROM search_facet WHERE field = :{key}n AND value = :{key})"
        params[key] = f.value
        where.append(f"NOT ({clause})" if f.negate else clause)


def execute(
    session: Session,
    plan: Plan,
    visibility: Visibility,
    rows: int,
    start: int,
    facet_fields: list[str],
    facet_limit: int,
    raw_words: dict[str, str],
) -> Hits:
    df = expand_typos(session, plan.terms, raw_words) if plan.terms else {}
    sql = _base_sql(session, plan, df)
    _filters(sql, plan, visibility)
    where = " AND ".join(sql.where)
    expanding = {k for k, v in sql.params.items() if isinstance(v, list)}
    params = sql.params

    def run(statement: str, extra: dict[str, Any] | None = None) -> Any:
        stmt = text(statement)
        from sqlalchemy import bindparam

        stmt = stmt.bindparams(*(bindparam(k, expanding=True) for k in expanding))
        return session.execute(stmt, {**params, **(extra or {})})

    columns = (
        "d.id AS id, d.dataset_id AS dataset_id, d.metadata_modified AS metadata_modified, "
        "d.metadata_created AS metadata_created, d.name AS name, d.title_sort AS title_sort"
    )
    inner = (
        f"SELECT {columns}, {sql.score} AS score, {sql.matched} AS matched FROM {sql.source} WHERE {where}"
    )
    params["required"] = sql.required
    hits = f"({inner}) h WHERE h.matched >= :required"
    count = int(run(f"SELECT count(*) FROM {hits}").scalar_one())
    order = ", ".join(f"h.{column} {'DESC' if desc else 'ASC'}" for column, desc in plan.sort)
    ids: list[str] = []
    if rows and start < count:
        result = run(
            f"SELECT h.dataset_id FROM {hits} ORDER BY {order}, h.id LIMIT :limit OFFSET :offset",
            {"limit": rows, "offset": start},
        )
        ids = [r[0] for r in result]
    facets: dict[str, list[tuple[str, str, int]]] = {f: [] for f in facet_fields}
    if facet_fields and count:
        params["facet_fields"] = list(facet_fields)
        expanding.add("facet_fields")
        grouped = run(
            "SELECT f.field, f.value, max(f.label), count(*) FROM search_facet f "
            f"WHERE f.field IN :facet_fields AND f.doc_id IN (SELECT h.id FROM {hits}) "
            "GROUP BY f.field, f.value"
        )
        by_field: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
        for field_name, value, label, n in grouped:
            by_field[field_name].append((value, label or value, int(n)))
        for name, items in by_field.items():
            items.sort(key=lambda item: (-item[2], item[0]))
            facets[name] = items if facet_limit < 0 else items[:facet_limit]
    return Hits(count, ids, facets)
