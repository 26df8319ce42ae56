"""URL slugs from titles in Thai or English: Thai words are romanized (RTGS, PyThaiNLP's royin)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

THAI = re.compile(r"[\u0E00-\u0E7F]+")
NOT_SLUG = re.compile(r"[^a-z0-9]+")
THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")


@lru_cache(maxsize=4096)
def _romanize_run(run: str) -> str:
    from pythainlp.tokenize import word_tokenize
    from pythainlp.transliterate import romanize
    from pythainlp.util import normalize

    # normalize() mends old-style typing (นํ้า with a separate nikhahit) before splitting words.
    words = [w for w in word_tokenize(normalize(run), engine="newmm", keep_whitespace=False) if w.strip()]
    return " ".join(romanize(w, engine="royin") for w in words)


def slugify(title: str, max_length: int = 100) -> str:
    """Make a slug matching ^[a-z0-9_-]{2,100}$ from any title.

    >>> slugify("จำนวนหนี้สินเฉลี่ยต่อครัวเรือน")
    'chamnuan-nisin-cheli-to-khruaruean'
    """
    text = title.translate(THAI_DIGITS)
    text = THAI.sub(lambda m: f" {_romanize_run(m.group(0))} ", text)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    slug = NOT_SLUG.sub("-", text).strip("-")
    slug = slug[:max_length].rstrip("-")
    return slug if len(slug) >= 2 else ""
