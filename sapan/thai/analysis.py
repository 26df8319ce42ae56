"""Turning text into search tokens, for documents and queries alike.

Thai has no spaces. PyThaiNLP's newmm (run by nlpo3, in Rust) finds words but keeps dictionary
compounds whole (กระทรวงดิจิทัลเพื่อเศรษฐกิจและสังคม is one word); ICU's break iterator splits finer but
also breaks words people mean whole (ส่งเสริม -> ส่ง|เสริม). Sapan keeps both: newmm words as the main
tokens, and ICU's pieces of each longer word as "parts", indexed in fields of their own with a lower
weight. A query for ดิจิทัล then finds the ministry; a query for ส่งเสริม still prefers ส่งเสริม.
English is lowercased and Snowball-stemmed. `mode` gives the two baselines the benchmark compares:
"newmm" (words only) and "icu" (ICU pieces only, as Solr and Elasticsearch do)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from sapan.thai.text import normalize

Mode = Literal["sapan", "newmm", "icu"]
THAI = re.compile(r"[\u0E00-\u0E7F]")
RUNS = re.compile(r"[\u0E01-\u0E4E]+|[^\W_]+")  # a Thai run, or a word of any other script
# Words that carry no meaning on their own; dropped from queries (documents keep them).
STOPWORDS = frozenset(
    "และ ของ ใน ที่ การ ความ เป็น กับ แห่ง ต่อ จาก โดย ให้ ได้ ซึ่ง อยู่ คือ ว่า หรือ ตาม ณ "
    "the of and in for to a an by on with from at or is are".split()
)


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    import snowballstemmer

    return snowballstemmer.stemmer("english")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    return str(_stemmer().stemWord(word)) if word.isalpha() and word.isascii() else word


@lru_cache(maxsize=200_000)
def _newmm(run: str) -> tuple[str, ...]:
    from pythainlp.tokenize.nlpo3 import segment  # nlpo3: newmm in Rust, ~20x PyThaiNLP's own

    return tuple(w for w in segment(run) if w.strip())


_icu_iterator = None


@lru_cache(maxsize=200_000)
def icu_split(text: str) -> tuple[str, ...]:
    """ICU's word breaks (the dictionary-based Thai break iterator Solr and Elasticsearch use)."""
    global _icu_iterator
    if _icu_iterator is None:
        import icu

        _icu_iterator = icu.BreakIterator.createWordInstance(icu.Locale("th"))
    _icu_iterator.setText(text)
    bounds = [0, *_icu_iterator]
    return tuple(p for a, b in zip(bounds, bounds[1:], strict=False) if (p := text[a:b].strip()))


@lru_cache(maxsize=200_000)
def parts(word: str) -> tuple[str, ...]:
    """ICU's pieces of a longer Thai word, or () when ICU keeps it whole."""
    if len(word) < 4 or not THAI.match(word):
        return ()
    pieces = tuple(p for p in icu_split(word) if len(p) > 1 or not THAI.match(p))
    return pieces if len(pieces) > 1 else ()


def _keep(token: str) -> bool:
    return len(token) > 1 or token.isdigit() or (token.isascii() and token.isalnum())


@lru_cache(maxsize=200_000)
def _split_run(run: str, mode: Mode) -> tuple[str, ...]:
    if THAI.match(run):
        return tuple(w for w in (icu_split(run) if mode == "icu" else _newmm(run)) if _keep(w))
    return (run.lower(),)


def surface_words(text: str, mode: Mode = "sapan") -> list[str]:
    """The words of a text as written (Thai segmented, other scripts lowercased), in order."""
    return [w for match in RUNS.finditer(normalize(text)) for w in _split_run(match.group(), mode)]


def words(text: str, mode: Mode = "sapan") -> list[str]:
    """The word tokens of a text, in order: surface words with English stemmed."""
    return [stem(w) for w in surface_words(text, mode)]


@dataclass
class Analysed:
    """A field's tokens: words, its fine-grained tokens (empty except in sapan mode), and the words
    as written (the vocabulary typo tolerance looks in)."""

    words: list[str]
    parts: list[str]
    surface: list[str]


def analyse(text: str, mode: Mode = "sapan") -> Analysed:
    """Words, and the same text at ICU's finer grain (each compound replaced by its parts), so a
    phrase of parts (น้ำ บาดาล) matches across word boundaries (แหล่งน้ำ|บาดาล)."""
    surface = surface_words(text, mode)
    tokens = [stem(w) for w in surface]
    if mode != "sapan":
        return Analysed(tokens, [], surface)
    return Analysed(tokens, [p for w in tokens for p in (parts(w) or (w,))], surface)


@dataclass
class QueryTerm:
    """One thing the query asks for: any of `forms` (as words or parts), or its `parts` in a row.
    `chunk` is the space-separated piece of the query it came from, and `chunk_tokens` all the
    tokens of that piece, so a misspelt Thai word that segments into fragments can be mended whole."""

    forms: list[str]
    parts: tuple[str, ...] = ()
    fuzzy: list[str] = field(default_factory=list)  # filled by the search layer from its vocabulary
    chunk: str = ""
    chunk_tokens: tuple[str, ...] = ()
    mended: bool = False  # forms are corrections of a misspelt piece; its parts are mere fragments
    phrases: list[tuple[str, ...]] = field(default_factory=list)  # more alternatives, words in a row

    @property
    def token(self) -> str:
        return self.forms[0] if self.forms else " ".join(self.phrases[0])


def year_forms(token: str) -> list[str]:
    """A year in either era also finds the other: 2564 <-> 2021 (BE = CE + 543)."""
    if token.isdigit() and len(token) == 4:
        year = int(token)
        if 2400 <= year <= 2700:
            return [token, str(year - 543)]
        if 1857 <= year <= 2157:
            return [token, str(year + 543)]
    return [token]


def analyse_query(text: str, mode: Mode = "sapan") -> list[QueryTerm]:
    """Query terms, ANDed by the search. Stopwords go unless nothing else is left."""
    terms: list[QueryTerm] = []
    seen: set[str] = set()
    for chunk in normalize(text).split():
        tokens = tuple(words(chunk, mode))
        for token in tokens:
            if token not in seen:
                seen.add(token)
                part = parts(token) if mode == "sapan" else ()
                terms.append(QueryTerm(year_forms(token), part, chunk=chunk, chunk_tokens=tokens))
    meaningful = [t for t in terms if t.token not in STOPWORDS]
    return meaningful or terms
