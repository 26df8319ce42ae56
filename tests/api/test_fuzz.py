"""Whatever JSON a client sends, the API answers in CKAN's envelope and never with a 500."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import GDC_FIELDS

KEYS = [
    "name",
    "title",
    "notes",
    "tags",
    "owner_org",
    "private",
    "resources",
    "extras",
    "groups",
    "id",
    "license_id",
    "url",
    "version",
    "rows",
    "start",
    "q",
    "fq",
    "sort",
    "package_id",
    "format",
    "data_category",
    "objective",
    "created_date",
    "facet.field",
    "username",
    "role",
    "expires_in",
]
TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=120) | st.sampled_from(
    ["ข้อมูลสาธารณะ", "กทม.", "", "  ", "a" * 300, "nso", "\x00", "-1", "99999999999999999999", "true"]
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | TEXT,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS) | TEXT, inner, max_size=4)
    ),
    max_leaves=12,
)
BODIES = st.dictionaries(st.sampled_from(KEYS), JSON, max_size=8)
ACTIONS = [
    "package_create",
    "package_update",
    "package_patch",
    "package_show",
    "package_search",
    "resource_create",
    "resource_patch",
    "resource_view_create",
    "organization_create",
    "organization_member_create",
    "group_show",
    "tag_list",
    "package_list",
    "package_activity_list",
    "api_token_create",
]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(action=st.sampled_from(ACTIONS), body=BODIES, base=st.booleans())
def test_random_input_never_breaks_the_api(
    client: TestClient, sysadmin: str, org: dict[str, Any], action: str, body: dict[str, Any], base: bool
) -> None:
    data = {**GDC_FIELDS, "title": "ชุดข้อมูล", "owner_org": "nso", **body} if base else body
    response = client.post(f"/api/3/action/{action}", json=data, headers={"Authorization": sysadmin})
    assert response.status_code in (200, 400, 403, 404, 409), response.text
    envelope = response.json()
    assert envelope["success"] is (response.status_code == 200)
    if not envelope["success"]:
        assert envelope["error"]["__type"] in (
            "Validation Error",
            "Not Found Error",
            "Authorization Error",
            "Bad Request",
        )
