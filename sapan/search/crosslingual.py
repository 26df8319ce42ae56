"""Cross-lingual search: a Thai query also searches its English translation and an English query its
Thai one, so "household debt" finds หนี้สินครัวเรือน and สหภาพแรงงาน finds "Trade Unions".

Translation is a lexicon lookup at query time (no model, nothing downloaded): the longest phrases of the
query that the packaged lexicon knows (English base forms; Thai newmm words joined, with and without
การ/ความ), their top senses only, and only translations whose words occur in the index's vocabulary,
so a sense no dataset uses costs nothing. The search layer runs the translation beside the original
query and fuses the two rankings, the translation at a lower weight (engine.fuse)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field

from sapan.search.engine import Fusion
from sapan.search.lexicon import SOURCES, Lexicon, Translation, load_lexicon
from sapan.thai.analysis import RUNS, STOPWORDS, THAI, QueryTerm, parts, stem, surface_words, year_forms
from sapan.thai.text import normalize

MAX_SPAN = 4  # words in the longest phrase looked up (the lexicon's phrases rarely run longer)
NOMINALIZERS = ("การ", "ความ")  # Thai prefixes that make nouns: การว่างงาน = unemployment


@dataclass(frozen=True)
class TranslationOptions:
    """How queries are translated. The defaults are what users get; the other settings exist for
    measuring each step's worth (bench/crosslingual.py)."""

    sources: frozenset[str] = frozenset(SOURCES)
    max_rank: int = 2  # top senses: rank 1, or the best rank a phrase has if it has no rank-1 sense
    per_phrase: int = 4  # translations kept per phrase, best first
    vocabulary: bool = True  # keep only translations whose words the index holds
    max_df_share: float = 0.05  # drop a translation in more than this share of datasets: it says
    # little, and its query is the costly part of cross-lingual search (bench/crosslingual.py)
    max_postings_share: float | None = 0.1  # a phrase's second and later translations only while the
    # translated query reads fewer postings (datasets per word, summed) than this share of datasets
    rrf_k: float = 1.0  # rank fusion: a dataset scores weight / (rrf_k + offset + rank) per ranking
    keep: int = 5  # the original's first this many stay on top
    weight: float = 1.0  # the translation's weight (the original's is 1)
    offset: int = 0  # ...and its rank offset (after the original's first `keep`)
    limit: int = 20  # the translation's best this many join the results
    any_term: bool = True  # the translation matches on any one of its terms (else CKAN's mm)
    # The translation is matched in titles only: the same quality on the tuning set, and on PostgreSQL a
    # fifth of the added p95 (ranking the matches' whole documents was most of its cost). None: all.
    columns: tuple[str, ...] | None = ("title", "title_parts")
    vectors: bool = True  # also rank by sentence vectors (where the index keeps them)
    vector_limit: int = 10  # nearest datasets taken from the vectors
    vector_floor: float = 0.2  # ...at least this similar (cosine)
    vector_weight: float = 1.0
    vector_offset: int = 0

    def fusion_of(self) -> Fusion:
        return Fusion(k=self.rrf_k, keep=self.keep)


# Below this many postings a translated query costs well under a millisecond: small catalogues keep
# every translation.
MIN_POSTINGS_BUDGET = 1000


@dataclass
class Translated:
    """A query's translation: one term per translated phrase (any of its translations matches)."""

    terms: list[QueryTerm] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)  # the translations used, for "also searched"


@dataclass
class _Phrase:
    text: str
    translations: list[str]


def _longest(tokens: list[str], join: str, lookup: Callable[[str], list[str]]) -> list[_Phrase]:
    """Longest-first runs of tokens (up to MAX_SPAN, joined with `join`) that `lookup` translates;
    a lone stopword or number is never a phrase."""
    found: list[_Phrase] = []
    i = 0
    while i < len(tokens):
        for j in range(min(len(tokens), i + MAX_SPAN), i, -1):
            phrase = join.join(tokens[i:j])
            if j - i == 1 and (phrase in STOPWORDS or phrase.isdigit()):
                continue
            translations = lookup(phrase)
            if translations:
                found.append(_Phrase(phrase, translations))
                i = j
                break
        else:
            i += 1
    return found


def _english_phrases(words: list[str], lexicon: Lexicon, options: TranslationOptions) -> list[_Phrase]:
    """Phrases of English words (lowercase, as typed) with their Thai translations."""
    return _longest(
        words, " ", lambda p: _top(lexicon.english_translations(p, sources=options.sources), options)
    )


def _thai_variants(joined: str) -> list[str]:
    """A Thai phrase as typed, without its nominalizer, and with one (ว่างงาน <-> การว่างงาน)."""
    for prefix in NOMINALIZERS:
        if joined.startswith(prefix) and len(joined) > len(prefix) + 1:
            return [joined, joined[len(prefix) :]]
    return [joined, *(prefix + joined for prefix in NOMINALIZERS)]


def _pieces(tokens: list[str], lexicon: Lexicon) -> list[str]:
    """newmm's words, each compound the lexicon lacks replaced by ICU's pieces of it (newmm keeps
    ห้องสมุดประชาชน whole; the lexicon has ห้องสมุด and ประชาชน)."""
    out: list[str] = []
    for token in tokens:
        known = any(lexicon.thai_translations(v) for v in _thai_variants(token))
        out.extend((token,) if known else (parts(token) or (token,)))
    return out


def _thai_phrases(tokens: list[str], lexicon: Lexicon, options: TranslationOptions) -> list[_Phrase]:
    """Runs of Thai words (newmm, compounds the lexicon lacks split further) with their English
    translations, each run tried as typed and with or without its nominalizer."""

    def lookup(joined: str) -> list[str]:
        for variant in _thai_variants(joined):
            translations = _top(lexicon.thai_translations(variant, sources=options.sources), options)
            if translations:
                return translations
        return []

    return _longest(_pieces(tokens, lexicon), "", lookup)


def _top(translations: list[Translation], options: TranslationOptions) -> list[str]:
    """The top senses: rank <= max_rank, or the best rank there is when none is that good."""
    if not translations:
        return []
    best = max(options.max_rank, min(t.rank for t in translations))
    return [t.term for t in translations if t.rank <= best]


def _tokens(translation: str) -> list[str]:
    """A translation's words as the index holds them: Thai segmented like the documents, English
    stemmed (the vocabulary has "nurs" from "Nurses", not "nurse")."""
    return [stem(w) for w in surface_words(translation)]


def translate_query(
    text: str,
    known: Callable[[Collection[str]], dict[str, int]] | None,
    total: int,
    options: TranslationOptions = TranslationOptions(),
    lexicon: Lexicon | None = None,
) -> Translated:
    """The other-language terms for a query. `known` maps words to the number of datasets holding
    them (the index vocabulary; None skips the vocabulary filter), `total` is the datasets indexed."""
    lexicon = lexicon or load_lexicon()
    english: list[str] = []
    thai: list[str] = []
    for match in RUNS.finditer(normalize(text)):
        run = match.group()
        if THAI.match(run):
            thai.extend(surface_words(run))
        else:
            english.append(run.lower())
    phrases = _english_phrases(english, lexicon, options) + _thai_phrases(thai, lexicon, options)
    if not phrases:
        return Translated()
    candidates = {t: _tokens(t) for p in phrases for t in p.translations}
    counts = known({w for words in candidates.values() for w in words}) if known else {}
    chosen: list[list[tuple[tuple[str, ...], str]]] = []
    for phrase in phrases:
        alternatives: list[tuple[tuple[str, ...], str]] = []
        for translation in phrase.translations:
            words = candidates[translation]
            if known is not None and not _useful(words, counts, total, options):
                # an English compound the index lacks may still have its head: "cargo container"
                words = words[-1:] if len(words) > 1 and not THAI.match(translation) else []
                if not words or not _useful(words, counts, total, options):
                    continue
            if words and tuple(words) not in (a for a, _ in alternatives):
                alternatives.append((tuple(words), translation))
            if len(alternatives) >= options.per_phrase:
                break
        chosen.append(alternatives)
    if known is not None and options.max_postings_share is not None:
        chosen = _within_budget(chosen, counts, max(MIN_POSTINGS_BUDGET, options.max_postings_share * total))
    out = Translated()
    for phrase, alternatives in zip(phrases, chosen, strict=True):
        if alternatives:
            out.terms.append(_term([words for words, _ in alternatives], phrase.text))
            out.shown.extend(translation for _, translation in alternatives)
    return out


def _within_budget(
    chosen: list[list[tuple[tuple[str, ...], str]]], counts: dict[str, int], budget: float
) -> list[list[tuple[tuple[str, ...], str]]]:
    """Each phrase's best translation, then the next best of each in turn while the postings the
    query reads (what its cost grows with) stay within the budget."""
    kept: list[list[tuple[tuple[str, ...], str]]] = [a[:1] for a in chosen]
    spent = sum(counts.get(w, 0) for a in kept for words, _ in a for w in words)
    for depth in range(1, max((len(a) for a in chosen), default=0)):
        for i, alternatives in enumerate(chosen):
            if depth < len(alternatives):
                cost = sum(counts.get(w, 0) for w in alternatives[depth][0])
                if spent + cost <= budget:
                    kept[i].append(alternatives[depth])
                    spent += cost
    return kept


def _useful(words: Iterable[str], counts: dict[str, int], total: int, options: TranslationOptions) -> bool:
    """Every word is in the index, and the translation is not in nearly every dataset."""
    held = [counts.get(w, 0) for w in words]
    if not held or not all(held):
        return False
    return min(held) <= max(1.0, options.max_df_share * total)


def _term(alternatives: list[tuple[str, ...]], chunk: str) -> QueryTerm:
    """One query term: any single-word translation as a form, any longer one as a phrase."""
    single = [f for words in alternatives if len(words) == 1 for f in year_forms(words[0])]
    phrases = [words for words in alternatives if len(words) > 1]
    return QueryTerm(list(dict.fromkeys(single)), chunk=chunk, phrases=phrases)
