"""Request body limits through a real server: a JSON action body over SAPAN_MAX_JSON_KB and an upload
over SAPAN_MAX_UPLOAD_MB get a readable 413 in CKAN's envelope, with or without Content-Length."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sapan.app import create_app
from sapan.services import Services
from tests.servers import served


@pytest.fixture()
def live(services: Services) -> Iterator[str]:
    assert services.settings.max_upload_mb == 1
    services.settings.max_json_kb = 1
    try:
        with served(create_app(services=services)) as url:
            yield url
    finally:
        services.settings.max_json_kb = 1024


def chunked(data: bytes, size: int = 256) -> Iterator[bytes]:
    """The body as a stream: httpx sends it with Transfer-Encoding: chunked and no Content-Length."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


def assert_413(response: httpx.Response, field: str, message: str) -> None:
    assert response.status_code == 413, response.text
    body: dict[str, Any] = response.json()
    assert body["success"] is False and body["help"].endswith("help_show?name=package_search")
    assert body["error"] == {"__type": "Validation Error", field: [message]}


def test_a_json_body_over_the_limit_is_a_ckan_413(live: str) -> None:
    url = f"{live}/api/3/action/package_search"
    small = httpx.post(url, json={"q": "ข้อมูลประชากร", "rows": 5})
    assert small.status_code == 200 and small.json()["success"] is True
    big = json.dumps({"q": "ประชากร " * 200}, ensure_ascii=False).encode()  # 8.6 KiB: 3 bytes a letter
    message = "The request body is larger than the limit of 1 KiB"
    headers = {"Content-Type": "application/json"}
    sized = httpx.post(url, content=big, headers=headers)
    assert "content-length" in sized.request.headers
    assert_413(sized, "body", message)
    streamed = httpx.post(url, content=chunked(big), headers=headers)
    assert "content-length" not in streamed.request.headers
    assert streamed.request.headers["transfer-encoding"] == "chunked"
    assert_413(streamed, "body", message)


def test_an_upload_over_the_limit_is_a_ckan_413_even_without_content_length(live: str) -> None:
    url = f"{live}/api/3/action/package_search"  # any action: the body is refused before it runs
    boundary = "sapan-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="upload"; filename="big.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    body = head + b"a,b\n" * (600 * 1024) + f"\r\n--{boundary}--\r\n".encode()  # 2.4 MiB
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    message = "Upload is larger than the limit of 1 MiB"
    assert_413(httpx.post(url, content=body, headers=headers), "upload", message)
    assert_413(httpx.post(url, content=chunked(body, 64 * 1024), headers=headers), "upload", message)
    # A form below the upload limit is not held to the (smaller) JSON limit.
    fine = httpx.post(url, data={"q": "ประชากร " * 200})
    assert fine.status_code == 200 and fine.json()["success"] is True
