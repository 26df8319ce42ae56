"""The Thai-English lexicon: every Thai WordNet synset resolved, known pairs both ways, a fast
offline load. The committed data is checked against the installed pythainlp's wordnet_th.db."""

from __future__ import annotations

import gzip
import socket
import sqlite3
import time
from collections import Counter
from importlib.resources import files
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest

from sapan.search.lexicon import (
    SOURCES,
    TH_EN_FILE,
    Lexicon,
    load_lexicon,
    normalize_thai,
    read_lexicon,
)

PACKAGE = "sapan.search.lexicon"


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return load_lexicon()


def thai_wordnet() -> list[tuple[str, str]]:
    """(synset id, Thai lemma) rows of the installed pythainlp's Thai WordNet."""
    spec = find_spec("pythainlp")
    assert spec is not None and spec.origin is not None
    db = Path(spec.origin).parent / "corpus" / "wordnet_th.db"
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return connection.execute("SELECT synsetid, li FROM word_synset").fetchall()
    finally:
        connection.close()


def committed_rows() -> list[tuple[str, str, str, str, str]]:
    """(thai, english, source, rank, synset) from the committed th_en file."""
    text = gzip.decompress(files(PACKAGE).joinpath(TH_EN_FILE).read_bytes()).decode("utf-8")
    rows = []
    for line in text.splitlines()[1:]:
        thai, packed = line.split("\t")
        for item in packed.split(";"):
            english, source, rank, synset = item.split("|")
            rows.append((thai, english, source, rank, synset))
    return rows


@pytest.fixture(scope="module")
def resolved() -> dict[str, set[str]]:
    """Synset id -> the Thai lemmas the committed data gives at least one English lemma for."""
    synsets: dict[str, set[str]] = {}
    for thai, english, source, _, synset in committed_rows():
        if source == "wordnet" and english:
            synsets.setdefault(synset, set()).add(thai)
    return synsets


def test_every_thai_wordnet_synset_resolves_to_english(resolved: dict[str, set[str]]) -> None:
    synsets = {synset for synset, _ in thai_wordnet()}
    assert len(synsets) > 70_000
    assert sorted(synsets - resolved.keys())[:20] == []


def test_every_thai_wordnet_lemma_is_kept(resolved: dict[str, set[str]]) -> None:
    # entries holding HTML entities or several comma-joined lemmas are split by the build
    plain = [(s, normalize_thai(li)) for s, li in thai_wordnet() if "," not in li and "&" not in li]
    missing = [(s, li) for s, li in plain if li not in resolved.get(s, set())]
    assert missing[:20] == []
    split = [li for lemmas in resolved.values() for li in lemmas if "&quot;" in li or "," in li]
    assert split == []


def test_every_source_has_rows() -> None:
    counts = Counter(source for _, _, source, _, _ in committed_rows())
    assert set(counts) == set(SOURCES)
    assert counts["wordnet"] > 100_000 and counts["subdistrict"] > 5_000 and counts["loanword"] > 3_000


@pytest.mark.parametrize(
    ("thai", "english"),
    [
        ("หนี้", "debt"),
        ("ครัวเรือน", "household"),
        ("สหภาพแรงงาน", "trade union"),
        ("กรุงเทพมหานคร", "Bangkok"),
        ("กทม", "Bangkok"),
        ("เชียงใหม่", "Chiang Mai"),
        ("บางรัก", "Bang Rak"),
        ("คอมพิวเตอร์", "computer"),
        ("สถานภาพสมรส", "marital status"),
        (" ประชากร ", "population"),
    ],
)
def test_thai_to_english(lexicon: Lexicon, thai: str, english: str) -> None:
    assert english in lexicon.to_english(thai)


@pytest.mark.parametrize(
    ("english", "thai"),
    [
        ("household", "ครัวเรือน"),
        ("Households", "ครัวเรือน"),
        ("Trade Unions", "สหภาพแรงงาน"),
        ("labor_union", "สหภาพแรงงาน"),
        ("debt", "หนี้"),
        ("bangkok", "กรุงเทพมหานคร"),
        ("Chiang Mai", "เชียงใหม่"),
        ("computers", "คอมพิวเตอร์"),
        ("children", "เด็ก"),
        ("Marital status", "สถานภาพสมรส"),
    ],
)
def test_english_to_thai(lexicon: Lexicon, english: str, thai: str) -> None:
    assert thai in lexicon.to_thai(english)


def test_loanword_and_profile_label_pairs(lexicon: Lexicon) -> None:
    assert lexicon.to_english("คอมพิวเตอร์", sources={"loanword"}) == ["computer"]
    assert "คอมพิวเตอร์" in lexicon.to_thai("computer", sources={"loanword"})
    # "ครัวเรือน/ครอบครัว" | "Household / family" is split into its parts
    assert lexicon.to_english("ครัวเรือน", sources={"profile"}) == ["household"]
    assert lexicon.to_english("ครอบครัว", sources={"profile"}) == ["family"]
    assert lexicon.to_thai("Government agency", sources={"profile"}) == ["หน่วยงานของรัฐ"]
    assert lexicon.to_english("ไทย", sources={"profile"}) == ["Thai"]  # a language keeps its capital


def test_top_senses_first(lexicon: Lexicon) -> None:
    market = lexicon.thai_translations("ตลาด")
    assert market[0].term == "market" and market[-1] == ("Talat", "subdistrict", 3)
    assert "Talat" not in lexicon.to_english("ตลาด", max_rank=2)
    assert lexicon.to_thai("household")[0] == "ครัวเรือน"
    assert lexicon.to_thai("Bangkok")[0] == "กรุงเทพมหานคร"
    # "house" names the household synset only in its 4th sense, so it is not a translation of it
    assert "house" not in lexicon.to_english("ครอบครัว")
    english = lexicon.to_english("กรุงเทพมหานคร")
    assert len(english) == len({e.lower() for e in english})


def test_unknown_terms_and_sources(lexicon: Lexicon) -> None:
    assert lexicon.to_english("ไม่มีคำนี้ในพจนานุกรม") == []
    assert lexicon.to_thai("qwertyuiop") == []
    assert lexicon.english_base_forms("trade unions") == ["trade union"]
    assert lexicon.english_base_forms("data") == ["data", "datum"]
    with pytest.raises(ValueError, match="unknown lexicon sources"):
        lexicon.to_english("ตลาด", sources={"places"})


def test_loads_fast_and_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the lexicon touched the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    started = time.perf_counter()
    lexicon = read_lexicon()
    elapsed = time.perf_counter() - started
    assert lexicon.to_english("หนี้") == ["debt"]
    assert elapsed < 1.0, f"loading took {elapsed:.2f} s"
    assert load_lexicon() is load_lexicon()


def test_notice_lists_sources_and_licences() -> None:
    notice = files(PACKAGE).joinpath("NOTICE").read_text(encoding="utf-8")
    for text in [
        "Thai WordNet Copyright 2011 by the National Institute",
        "WordNet 3.0 Copyright 2006 by Princeton University",
        "geothai 3.2.1",
        "MIT License",
        "CC BY 4.0",
        "CC0 1.0",
        "th_en_transliteration_v1.4.tsv",
        "thai_gdc.json",
        "scripts/build_lexicon.py",
    ]:
        assert text in notice
