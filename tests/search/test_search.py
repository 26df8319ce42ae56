"""package_search over the Thai-aware index, on SQLite FTS5 and PostgreSQL."""

from __future__ import annotations

import time
from typing import Any

import pytest

from sapan.db import transaction
from sapan.search.service import reindex
from sapan.services import Services
from tests.conftest import Api, gdc_dataset, make_user


def names(result: dict[str, Any]) -> list[str]:
    return [d["name"] for d in result["results"]]


@pytest.fixture()
def catalogue(api: Api, sysadmin: str, org: dict[str, Any]) -> str:
    api.ok("organization_create", sysadmin, name="mdes", title="กระทรวงดิจิทัลเพื่อเศรษฐกิจและสังคม")
    api.ok("group_create", sysadmin, name="economy", title="เศรษฐกิจ / Economy")
    rows = [
        ("debt", "จำนวนหนี้สินเฉลี่ยต่อครัวเรือน จำแนกตามภาค พ.ศ. 2556", "nso", ["หนี้สิน"]),
        ("internet", "สถิติการใช้อินเทอร์เน็ต", "mdes", ["อินเทอร์เน็ต"]),
        ("invest", "การส่งเสริมการลงทุนรายจังหวัด", "nso", ["ลงทุน"]),
        ("send", "ปริมาณการส่งไปรษณีย์", "nso", ["ไปรษณีย์"]),
        ("bkk", "ประชากรกรุงเทพมหานคร รายเขต", "nso", ["ประชากร"]),
        ("marriages", "Marriages under the Women's Charter by age group", "nso", ["marriage"]),
        ("schools", "School directory and information", "nso", ["education"]),
    ]
    for name, title, owner, tags in rows:
        api.ok(
            "package_create",
            sysadmin,
            name=name,
            owner_org=owner,
            **gdc_dataset(title=title, notes="ชุดข้อมูลจากหน่วยงานรัฐ", tags=[{"name": t} for t in tags]),
        )
    api.ok("package_patch", sysadmin, id="internet", groups=[{"name": "economy"}])
    return sysadmin


def test_parts_of_compounds_find_whole_words(api: Api, catalogue: str) -> None:
    assert names(api.ok("package_search", q="ดิจิทัล")) == ["internet"]  # inside the ministry's name
    assert names(api.ok("package_search", q="ครัวเรือน")) == ["debt"]
    # The whole word ranks first: ส่งเสริม is not ส่ง + เสริม (as ICU alone would have it), though
    # with so few hits the search relaxes and lists the part's match after it.
    assert names(api.ok("package_search", q="ส่งเสริม")) == ["invest", "send"]
    assert names(api.ok("package_search", q="ส่ง")) == ["send", "invest"]
    # No พืชเศรษฐกิจ anywhere: relaxed, its part เศรษฐกิจ finds the ministry's dataset.
    assert names(api.ok("package_search", q="พืชเศรษฐกิจ")) == ["internet"]


def test_years_digits_abbreviations_typos_and_stems(api: Api, catalogue: str) -> None:
    assert names(api.ok("package_search", q="หนี้สิน 2013")) == ["debt"]  # BE 2556 = CE 2013
    assert names(api.ok("package_search", q="หนี้สิน ๒๕๕๖")) == ["debt"]
    assert names(api.ok("package_search", q="ประชากร กทม.")) == ["bkk"]
    assert names(api.ok("package_search", q="ประชาการ")) == ["bkk"]  # one letter too many
    assert names(api.ok("package_search", q="marriage")) == ["marriages"]
    assert names(api.ok("package_search", q="mariages")) == ["marriages"]
    assert names(api.ok("package_search", q="schools information")) == ["schools"]
    assert names(api.ok("package_search", q="อินเทอร์เน็ต economy")) == ["internet"]  # mixed, via group


def test_ranking_prefers_titles_and_exact_titles(api: Api, catalogue: str, sysadmin: str) -> None:
    api.ok(
        "package_create",
        sysadmin,
        name="mention",
        owner_org="nso",
        **gdc_dataset(title="รายงานประจำปี", notes="มีข้อมูลประชากรบางส่วน"),
    )
    api.ok("package_create", sysadmin, name="exact", owner_org="nso", **gdc_dataset(title="ประชากร"))
    ranked = names(api.ok("package_search", q="ประชากร"))
    assert ranked[0] == "exact" and ranked[-1] == "mention" and set(ranked) == {"exact", "bkk", "mention"}


def test_ckan_q_and_fq_syntax(api: Api, catalogue: str) -> None:
    assert api.ok("package_search", q="*:*")["count"] == 7
    assert names(api.ok("package_search", q="tags:หนี้สิน")) == ["debt"]
    assert names(api.ok("package_search", q="title:ประชากร")) == ["bkk"]
    assert api.ok("package_search", fq="organization:mdes")["count"] == 1
    assert names(api.ok("package_search", fq='tags:"อินเทอร์เน็ต" +organization:mdes')) == ["internet"]
    assert names(api.ok("package_search", fq="groups:economy AND organization:mdes")) == ["internet"]
    assert api.ok("package_search", fq="-organization:mdes")["count"] == 6
    assert api.ok("package_search", fq='data_category:"ข้อมูลสาธารณะ"')["count"] == 7
    assert api.ok("package_search", fq="capacity:public")["count"] == 7
    assert "fq" in api.error("package_search", fq="colour:blue")
    assert "fq" in api.error("package_search", fq="just words")
    assert "sort" in api.error("package_search", sort="popularity desc")


def test_facets_sorting_and_paging(api: Api, catalogue: str) -> None:
    result = api.ok(
        "package_search", **{"facet.field": '["organization", "tags", "data_category"]', "facet.limit": 1}
    )
    assert result["facets"]["organization"] == {"nso": 6}
    assert result["search_facets"]["organization"]["items"][0]["display_name"].startswith("สำนักงานสถิติ")
    assert result["facets"]["data_category"] == {"ข้อมูลสาธารณะ": 7}
    assert len(result["facets"]["tags"]) == 1
    by_name = names(api.ok("package_search", sort="name asc", rows=3))
    assert by_name == ["bkk", "debt", "internet"]
    assert names(api.ok("package_search", sort="name asc", rows=3, start=3)) == [
        "invest",
        "marriages",
        "schools",
    ]
    # Thai dictionary order (ICU), Thai before Latin: การ < จำนวน < ประชากร < ปริมาณ < สถิติ < Marriages
    assert names(api.ok("package_search", sort="title_string asc")) == [
        "invest", "debt", "bkk", "send", "internet", "marriages", "schools"
    ]  # fmt: skip
    newest = api.ok("package_search", sort="metadata_modified desc", rows=1)
    assert names(newest) == ["internet"]  # patched last
    assert api.ok("package_search", start=100)["results"] == []


def test_index_follows_every_change(api: Api, services: Services, catalogue: str) -> None:
    api.ok("package_patch", catalogue, id="bkk", title="ประชากรเชียงใหม่")
    assert names(api.ok("package_search", q="เชียงใหม่")) == ["bkk"]
    assert api.ok("package_search", q="กรุงเทพมหานคร")["count"] == 0
    api.ok("package_patch", catalogue, id="bkk", private=True)
    assert api.ok("package_search", q="เชียงใหม่")["count"] == 0
    _, member = make_user(services, "member-x")
    api.ok("organization_member_create", catalogue, id="nso", username="member-x", role="member")
    assert api.ok("package_search", member, q="เชียงใหม่", include_private=True)["count"] == 1
    api.ok("resource_create", catalogue, package_id="send", name="พัสดุด่วน", url="http://x/p.csv", format="CSV")
    assert names(api.ok("package_search", q="พัสดุ")) == ["send"]
    assert names(api.ok("package_search", fq="res_format:CSV")) == ["send"]
    api.ok("organization_update", catalogue, id="mdes", title="Ministry of Digital Economy and Society")
    assert names(api.ok("package_search", q="ministry digital")) == ["internet"]
    api.ok("package_delete", catalogue, id="send")
    assert api.ok("package_search", q="พัสดุ")["count"] == 0
    api.ok("package_patch", catalogue, id="invest", state="draft")
    assert api.ok("package_search", q="ลงทุน")["count"] == 0
    assert api.ok("package_search", catalogue, q="ลงทุน", include_drafts=True)["count"] == 1


def _vocabulary(services: Services) -> dict[str, int]:
    from sqlalchemy import text

    with services.engine.connect() as conn:
        return {t: n for t, n in conn.execute(text("SELECT term, df FROM search_term WHERE df > 0"))}


def test_reindex_rebuilds_the_same_index(api: Api, services: Services, catalogue: str) -> None:
    api.ok("package_patch", catalogue, id="bkk", title="ประชากรเชียงราย", notes="ข้อมูลใหม่")
    api.ok("package_delete", catalogue, id="send")
    vocabulary = _vocabulary(services)  # kept up to date change by change...
    before = api.ok("package_search", q="ประชากร OR ดิจิทัล", rows=100)
    seen: list[int] = []
    with transaction(services.sessions) as session:
        assert reindex(session, services.catalog, lambda done, total: seen.append(total)) == 6
    assert seen[-1] == 6
    assert _vocabulary(services) == vocabulary  # ...equals the one a rebuild counts
    assert api.ok("package_search", q="ดิจิทัล")["count"] == 1
    after = api.ok("package_search", q="ประชากร OR ดิจิทัล", rows=100)
    assert names(after) == names(before)
    api.ok("package_create", catalogue, name="after-reindex", owner_org="nso", **gdc_dataset(title="ดัชนีใหม่"))
    assert names(api.ok("package_search", q="ดัชนี")) == ["after-reindex"]


BAD_QUERIES: list[dict[str, Any]] = [
    {"q": "ข้อมูล" * 2000},
    {"q": '"ประชากร'},
    {"q": "(ประชากร AND (หนี้"},
    {"q": "title:"},
    {"q": "*"},
    {"q": "ประชา~ กร^2 [a TO b] {x}"},
    {"q": "\x01\x02ประชากร\x7f"},
    {"q": "-", "fq": ""},
    {"q": "NOT", "sort": "score desc, metadata_modified desc"},
]


@pytest.mark.parametrize("params", BAD_QUERIES, ids=range(len(BAD_QUERIES)))
def test_odd_queries_answer_fast_and_never_fail(client: Any, catalogue: str, params: dict[str, Any]) -> None:
    started = time.perf_counter()
    response = client.post("/api/3/action/package_search", json=params)
    assert time.perf_counter() - started < 1.0
    assert response.status_code in (200, 409), response.text
    assert response.json()["success"] is (response.status_code == 200)


def test_rows_and_start_bounds(api: Api, catalogue: str) -> None:
    assert "rows" in api.error("package_search", rows=-1)
    assert "rows" in api.error("package_search", rows=10**9)
    assert "start" in api.error("package_search", start=-5)
    assert api.ok("package_search", rows=1000)["count"] == 7
    assert api.ok("package_search", start=10**6)["results"] == []


def test_the_relaxed_search_leaves_out_words_too_common_to_tell() -> None:
    from sapan.search.engine import _relaxed
    from sapan.thai.analysis import QueryTerm

    terms = [QueryTerm([w]) for w in ("คน", "งาน", "ไทย", "ไป", "ทำงาน", "ต่าง", "ประเทศ", "แรงงานต่างด้าว")]
    df = {"คน": 30_000, "งาน": 25_000, "ไทย": 40_000, "ไป": 12_000, "ทำงาน": 900, "ต่าง": 9_000,
          "ประเทศ": 20_000, "แรงงานต่างด้าว": 300}  # fmt: skip
    kept = [t.forms[0] for t in _relaxed(terms, df, 100_000)]
    assert kept == ["ทำงาน", "แรงงานต่างด้าว"]
    # A small catalogue: every word is in one dataset in twenty, none is left out.
    assert len(_relaxed(terms, {w: 40 for w in df}, 300)) == len(terms)
    # All of them common: the rarest one still searches.
    assert [t.forms[0] for t in _relaxed(terms[:3], df, 100_000)] == ["งาน"]
