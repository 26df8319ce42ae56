"""A small catalogue with Thai metadata for the export tests, and RDF helpers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, URIRef

from sapan.app import create_app
from sapan.services import Services
from tests.conftest import Api, gdc_dataset

SYNTAXES = {"ttl": "turtle", "jsonld": "json-ld", "rdf": "xml", "xml": "xml"}


def parse(client: TestClient, path: str, extension: str = "ttl", **headers: str) -> Graph:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return Graph().parse(data=response.content, format=SYNTAXES[extension])


def dataset_iri(ds: dict[str, Any]) -> URIRef:
    return URIRef(f"http://testserver/dataset/{ds['id']}")


def publish(api: Api, token: str, name: str, title: str, **fields: Any) -> dict[str, Any]:
    result: dict[str, Any] = api.ok(
        "package_create", token, **gdc_dataset(name=name, title=title, owner_org="nso", **fields)
    )
    return result


@pytest.fixture()
def small_pages(services: Services) -> Iterator[TestClient]:
    """A client whose catalogue pages hold two datasets (same database as `client`)."""
    settings = services.settings.model_copy(update={"dcat_page_size": 2})
    with TestClient(create_app(services=replace(services, settings=settings))) as c:
        yield c
