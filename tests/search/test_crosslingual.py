"""Cross-lingual search: query translation with the packaged lexicon, the vector layer, and what the
answer says it also searched for; private datasets never surface through either."""

from __future__ import annotations

from typing import Any

from sapan.search.crosslingual import TranslationOptions, translate_query
from tests.conftest import Api, gdc_dataset, make_user


def names(result: dict[str, Any]) -> list[str]:
    return [d["name"] for d in result["results"]]


def test_english_phrases_translate_to_thai_longest_first() -> None:
    translated = translate_query("household debt", None, 0)
    assert "ครัวเรือน" in translated.shown
    assert {"หนี้", "หนี้สิน"} & set(translated.shown)
    assert len(translated.terms) == 2  # one term per phrase: either translation of "debt" matches
    union = translate_query("trade unions", None, 0)  # plural, a two-word phrase in the lexicon
    assert "สหภาพแรงงาน" in union.shown
    assert translate_query("Chiang Mai", None, 0).shown == ["เชียงใหม่"]  # place names, any case


def test_thai_words_translate_to_english_with_nominalizers_and_pieces() -> None:
    assert "trade union" in translate_query("สหภาพแรงงาน", None, 0).shown
    assert "unemployment" in translate_query("การว่างงาน", None, 0).shown
    assert "unemployment" in translate_query("ว่างงาน", None, 0, TranslationOptions(max_rank=1)).shown or (
        "unemployed" in translate_query("ว่างงาน", None, 0).shown
    )
    # newmm keeps ห้องสมุดประชาชน whole; the lexicon knows its pieces
    assert "library" in translate_query("ห้องสมุดประชาชน", None, 0).shown
    assert translate_query("อินเทอร์เน็ต", None, 0).shown[0] == "internet"  # a loanword


def test_only_translations_the_index_holds_are_kept() -> None:
    def known(words: Any) -> dict[str, int]:
        return {w: 3 for w in words if w in {"หนี้สิน", "ครัวเรือน"}}

    translated = translate_query("household debt", known, 1000)
    assert set(translated.shown) == {"หนี้สิน", "ครัวเรือน"}
    assert translate_query("household debt", lambda words: {}, 1000).terms == []
    # a word in nearly every dataset says little: dropped
    common = translate_query("household debt", lambda words: {w: 900 for w in words}, 1000)
    assert common.terms == []


def test_a_large_index_keeps_each_phrases_best_translation_and_more_only_within_the_budget() -> None:
    def held(n: int) -> Any:
        return lambda words: {w: n for w in words}

    cheap = translate_query("household debt", held(10), 100_000)
    assert cheap.shown[0] == "ครัวเรือน" and len(cheap.shown) == 8  # every translation kept
    # 4,000 datasets a word: each phrase's best translation reads 12,000 postings, over the 10% budget
    costly = translate_query("household debt", held(4_000), 100_000)
    assert costly.shown == ["ครัวเรือน", "การติดหนี้"] and len(costly.terms) == 2
    unbounded = TranslationOptions(max_postings_share=None)
    assert len(translate_query("household debt", held(4_000), 100_000, unbounded).shown) == 8
    # a small catalogue is never cut: its queries cost little
    assert translate_query("household debt", held(50), 3_000).shown == cheap.shown


def test_english_finds_thai_and_thai_finds_english(api: Api, sysadmin: str, org: dict[str, Any]) -> None:
    rows = [
        ("debt", "จำนวนหนี้สินเฉลี่ยต่อครัวเรือน จำแนกตามภาคและจังหวัด พ.ศ. 2556"),
        ("rice", "ผลผลิตข้าวนาปี รายจังหวัด"),
        ("unions", "Trade Unions and Membership, Annual"),
        ("rainfall", "Rainfall - Monthly Total"),
    ]
    for name, title in rows:
        api.ok("package_create", sysadmin, name=name, owner_org="nso", **gdc_dataset(title=title, notes="-"))
    found = api.ok("package_search", q="household debt")
    assert names(found)[0] == "debt"
    assert "หนี้สิน" in found["also_searched"] and "ครัวเรือน" in found["also_searched"]
    assert found["count"] == len(found["results"])
    thai = api.ok("package_search", q="สหภาพแรงงาน")
    assert "unions" in names(thai)
    assert "trade union" in thai["also_searched"]
    # Thai queries still find Thai datasets first; cross-lingual hits join relevance-ranked searches
    # only (sorted by name, the full-text matches are the answer)
    assert names(api.ok("package_search", q="ข้าว"))[0] == "rice"
    by_name = api.ok("package_search", q="สหภาพแรงงาน", sort="name asc")
    assert by_name["count"] == 0 and by_name["also_searched"] == []


def test_private_datasets_never_surface_through_translation_or_vectors(
    api: Api, sysadmin: str, org: dict[str, Any], services: Any
) -> None:
    api.ok(
        "package_create", sysadmin, name="secret-debt", owner_org="nso", private=True,
        **gdc_dataset(title="หนี้สินครัวเรือนของผู้ประกันตน รายบุคคล", notes="หนี้สินครัวเรือน"),
    )  # fmt: skip
    api.ok("package_create", sysadmin, name="rain", owner_org="nso", **gdc_dataset(title="Rainfall records"))
    for q in ("household debt", "debt of households", "หนี้สินครัวเรือน"):
        found = api.ok("package_search", q=q, rows=50)
        assert "secret-debt" not in names(found)
        assert found["count"] == len(found["results"])
    _, outsider = make_user(services, "outsider")
    assert "secret-debt" not in names(
        api.ok("package_search", outsider, q="household debt", include_private=True)
    )
    assert "secret-debt" in names(
        api.ok("package_search", sysadmin, q="household debt", include_private=True)
    )


def test_translation_can_be_left_out(api: Api, sysadmin: str, org: dict[str, Any]) -> None:
    api.ok("package_create", sysadmin, name="debt", owner_org="nso", **gdc_dataset(title="หนี้สินครัวเรือน"))
    assert api.ok("package_search", q="household debt", translate="false")["also_searched"] == []
    assert api.ok("package_search", q="household debt", translate="false")["count"] == 0


def test_the_translations_best_matches_are_the_best_visible_ones(
    api: Api, sysadmin: str, org: dict[str, Any], services: Any
) -> None:
    # The translated query tests visibility on its best candidates (on SQLite after ranking them):
    # a hidden dataset that ranks first neither shows nor takes the place of a visible one.
    from sapan.db import transaction
    from sapan.search.engine import Visibility, best_matches
    from sapan.search.query import parse_q, parse_sort

    made = {
        name: api.ok(
            "package_create", sysadmin, name=name, owner_org="nso", private=private,
            **gdc_dataset(title=title, notes="-"),
        )["id"]
        for name, title, private in [
            ("secret", "หนี้สินครัวเรือน", True),  # the best match: the title is the query
            ("gone", "หนี้สินครัวเรือน 2556", False),
            ("shown", "หนี้สินครัวเรือน จำแนกตามภาคและจังหวัด พ.ศ. 2557", False),
            ("other", "ผลผลิตข้าวนาปี", False),
        ]
    }  # fmt: skip
    api.ok("package_delete", sysadmin, id="gone")
    plan = parse_q("หนี้สินครัวเรือน", set())
    plan.columns, plan.sort = ("title", "title_parts"), parse_sort("score desc", True)
    with transaction(services.sessions) as session:
        assert best_matches(session, plan, Visibility(), 1, True) == [made["shown"]]
        assert best_matches(session, plan, Visibility(), 20, True) == [made["shown"]]
        everything = best_matches(session, plan, Visibility(all_private=True), 20, True)
        assert everything == [made["secret"], made["shown"]]
