"""schemathesis against /api/openapi.json: every operation (each action by GET and POST, downloads,
dumps, DCAT, real-time), a few generated requests each as a sysadmin, and not one answer may be a 5xx.

The action routes document their body as any JSON object; here it gets the parameter names CKAN
clients send, with this catalogue's real ids among the values, so generated calls reach the code
behind validation. Bounded and derandomized: the same requests on every run."""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error

from sapan.app import create_app
from sapan.jobs.handlers import handlers
from sapan.jobs.service import run_pending
from sapan.services import Services
from tests.conftest import GDC_FIELDS, Api, gdc_dataset
from tests.servers import served

EXAMPLES = 8
SKIP = {"/api/realtime/{resource_id}/stream"}  # an event stream never ends; tested in tests/realtime
KEYS = [
    "q", "fq", "rows", "start", "sort", "facet.field", "include_private", "limit", "offset", "query",
    "name", "title", "notes", "tags", "private", "resources", "extras", "groups", "license_id", "url",
    "version", "format", "description", "data_category", "objective", "created_date", "config",
    "source_type", "frequency", "filters", "fields", "records", "sql", "plugin_options", "view_type",
    "username", "email", "password", "role", "capacity", "object", "object_type", "expires_in", "jti",
    "action", "all_fields", "include_datasets", "realtime_source_url", "realtime_mapping", "resource_type",
]  # fmt: skip
REQUIRED = {"Missing value", "Field required"}  # how actions say a key is required
ID_KEYS = [
    "id",
    "package_id",
    "resource_id",
    "owner_org",
    "org_id",
    "group_id",
    "source_id",
    "view_id",
    "user",
]


def plausible(known: list[str]) -> dict[str, list[Any]]:
    """Values a real client would send: tame calls get past validation to the code behind it."""
    dataset, _, resource = known[:3]
    values: dict[str, list[Any]] = {key: [value] for key, value in GDC_FIELDS.items()}
    return values | {
        "name": ["household-debt", "new-dataset", "ข้อมูลใหม่"],
        "title": ["หนี้สินครัวเรือน", "Household debt"],
        "q": ["หนี้สิน", "debt", "จังหวัด:เชียงใหม่"],
        "fq": ["organization:nso", "tags:หนี้สิน", "res_format:CSV"],
        "rows": [0, 1, 5, "10"],
        "start": [0, 1],
        "limit": [1, 5],
        "offset": [0, 1],
        "sort": ["จังหวัด desc", "score desc", "ปี"],
        "sql": [f'SELECT * FROM "{resource}"', f'SELECT "จังหวัด", sum("หนี้สิน") FROM "{resource}" GROUP BY 1'],
        "filters": [{"จังหวัด": "เชียงใหม่"}, {"ปี": [2566]}],
        "fields": [["จังหวัด"], [{"id": "จังหวัด", "type": "text"}, {"id": "ปี", "type": "int"}]],
        "records": [[{"จังหวัด": "ลำปาง", "ปี": 2567, "หนี้สิน": 1}]],
        "resources": [[{"name": "ตาราง", "url": "https://example.go.th/a.csv", "format": "CSV"}]],
        "url": ["https://example.go.th/data.csv", "http://127.0.0.1:9/feed"],
        "source_type": ["ckan", "dcat_rdf", "datagovsg"],
        "resource_type": ["realtime", "file"],
        "view_type": ["datatables_view", "chart_view", "map_view"],
        "role": ["admin", "editor", "member"],
        "username": ["admin"],
        "package_id": [dataset],
        "resource_id": [resource],
    }


def data_dict(known: list[str], required: list[str], wild: bool) -> tuple[dict[str, Any], list[str]]:
    """Properties and required keys of an action's data dict. Wild: any JSON value in any key.
    Tame: the plausible keys and the ones the action says are missing, each with a plausible value."""
    values = plausible(known)
    properties: dict[str, Any] = {}
    for key in dict.fromkeys(KEYS + ID_KEYS + required):
        choices = values.get(key) or (known if key in ID_KEYS or key in required else [])
        if wild:
            properties[key] = {"type": "string"} if key in ID_KEYS else {}  # {}: any JSON value
        elif choices:
            properties[key] = {"enum": choices}
    return properties, [] if wild else [key for key in required if key in properties]


def with_parameters(
    spec: dict[str, Any], known: list[str], missing: dict[str, list[str]], wild: bool
) -> dict[str, Any]:
    """The app's OpenAPI document with the actions' data dict spelled out (JSON for POST, query for
    GET), and, unless wild, this catalogue's ids as the other routes' path parameters."""
    spec = copy.deepcopy(spec)
    spec["paths"] = {path: ops for path, ops in spec["paths"].items() if path not in SKIP}
    for path, operations in spec["paths"].items():
        name = path.removeprefix("/api/3/action/")
        for method, operation in operations.items():
            if name == path:
                for parameter in operation.get("parameters", []):
                    if parameter["in"] == "path" and not wild:
                        choices = (
                            ["ttl", "jsonld", "rdf", "xml"] if parameter["name"] == "extension" else known
                        )
                        parameter["schema"] = {"enum": choices}
                continue
            properties, required = data_dict(known, missing.get(name, []), wild)
            if method == "post":
                schema = {"type": "object", "properties": properties, "required": required}
                schema["additionalProperties"] = wild
                operation["requestBody"] = {"content": {"application/json": {"schema": schema}}}
            else:
                operation["parameters"] = [
                    {"name": key, "in": "query", "required": key in required, "schema": as_text(schema)}
                    for key, schema in properties.items()
                ]
    return spec


def as_text(schema: dict[str, Any]) -> dict[str, Any]:
    """A query string carries text: JSON values as JSON text (as CKAN clients send lists)."""
    if "enum" in schema:
        return {
            "enum": [v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for v in schema["enum"]]
        }
    return {"type": "string"}


def missing_keys(live: str, headers: dict[str, str], names: list[str]) -> dict[str, list[str]]:
    """What each action says is missing from an empty data dict (its required keys)."""
    found = {}
    for name in names:
        error = httpx.post(f"{live}/api/3/action/{name}", json={}, headers=headers).json().get("error", {})
        found[name] = [key for key, problems in error.items() if key != "__type" and REQUIRED & {*problems}]
    return found


@pytest.fixture()
def catalogue(api: Api, services: Services, sysadmin: str, org: dict[str, Any]) -> list[str]:
    """A dataset with an ingested Thai CSV table; returns the ids and names generated calls may use."""
    dataset = api.ok("package_create", sysadmin, **gdc_dataset(name="household-debt", owner_org=org["id"]))
    csv = "จังหวัด,ปี,หนี้สิน\nกรุงเทพมหานคร,2566,150000\nเชียงใหม่,2566,98000\n".encode()
    answer = api.client.post(
        "/api/3/action/resource_create",
        data={"package_id": dataset["id"], "name": "หนี้สินครัวเรือน"},
        files={"upload": ("debt.csv", io.BytesIO(csv), "text/csv")},
        headers={"Authorization": sysadmin},
    )
    assert answer.status_code == 200, answer.text
    run_pending(services, handlers())  # the table lands in the DataStore
    resource = answer.json()["result"]
    return [dataset["id"], dataset["name"], resource["id"], org["id"], org["name"], "admin", "debt.csv"]


@pytest.fixture()
def live(services: Services) -> Iterator[str]:
    settings = services.settings.model_copy(update={"rate_limit_anonymous": "", "rate_limit_token": ""})
    with served(create_app(settings, services)) as url:
        yield url


@pytest.mark.parametrize("wild", [False, True], ids=["plausible", "wild"])
def test_no_operation_answers_a_server_error(
    live: str, sysadmin: str, catalogue: list[str], wild: bool
) -> None:
    headers = {"Authorization": sysadmin}
    spec = httpx.get(f"{live}/api/openapi.json").json()
    names = [p.removeprefix("/api/3/action/") for p in spec["paths"] if p.startswith("/api/3/action/")]
    spec = with_parameters(spec, catalogue, missing_keys(live, headers, names), wild)
    schema = schemathesis.openapi.from_dict(spec)
    failures: list[str] = []
    calls = 0

    def order(operation: Any) -> tuple[int, str]:
        """Reads first, then writes, deletions last: the catalogue's ids stay valid while they can."""
        gone = any(word in operation.path for word in ("delete", "revoke"))
        return (2 if gone else 0 if "get" in spec["paths"][operation.path] else 1, operation.label)

    for operation in sorted((result.ok() for result in schema.get_all_operations()), key=order):

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            nonlocal calls
            calls += 1
            response = case.call(base_url=live, headers=headers, timeout=30)
            try:
                case.validate_response(response, checks=[not_a_server_error], headers=headers)
            except (AssertionError, BaseExceptionGroup):  # schemathesis' failure (group): note it, go on
                failures.append(
                    f"{case.method} {case.formatted_path} {case.query or ''} {case.body!r}: "
                    f"{response.status_code} {response.text[:200]}"
                )

        run()
    assert not failures, "\n".join(failures[:30])
    assert calls > 250, calls  # every operation ran its examples


def test_what_schemathesis_found(api: Api, sysadmin: str, catalogue: list[str]) -> None:
    """datastore_search with `fields` as datastore_create's field objects was a 500 (TypeError)."""
    fields = [{"id": "จังหวัด", "type": "text"}, {"id": "ปี", "type": "int"}]
    error = api.error("datastore_search", sysadmin, resource_id=catalogue[2], fields=fields)
    assert error["fields"] == ["Must be a list of field names or a comma-separated string"]
    rows = api.ok("datastore_search", sysadmin, resource_id=catalogue[2], fields=["จังหวัด"])["records"]
    assert [row["จังหวัด"] for row in rows] == ["กรุงเทพมหานคร", "เชียงใหม่"]
