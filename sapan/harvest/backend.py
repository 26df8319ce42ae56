"""What every harvest backend shares: the source's settings, the remote records a backend lists, the
HTTP fetcher (timeouts, size limit, byte count) and the error that fails a whole run.

A backend (ckan.py, dcat_import.py, datagovsg.py) only lists the source's records and converts each
into a CKAN-shaped package dict; run.py owns the bookkeeping (udata's template method)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from sapan.errors import SapanError

MAX_BYTES = 200 * 1024 * 1024  # one answer; a whole run may fetch many
WHOLE_ANSWER = 10  # an answer may take this many times the timeout in all (connect and read: 1x each)
SOURCE_TYPES = ("ckan", "dcat", "datagovsg")
FREQUENCIES = ("manual", "hourly", "daily", "weekly")


class HarvestFailed(SapanError):
    """The source could not be read (timeout, HTTP error, malformed JSON or RDF): the run fails and
    nothing already harvested changes."""


@dataclass(frozen=True)
class SourceSettings:
    """A source as a backend sees it (its config already checked)."""

    id: str
    name: str
    title: str
    url: str
    source_type: str
    api_token: str = ""
    organizations: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    name_prefix: str = ""
    fetch_resources: bool = False
    owner_org: str = ""
    page_size: int = 1000
    timeout: float = 30.0


@dataclass
class RemoteRecord:
    """One dataset of the source, converted to a CKAN-shaped package dict (`package`): what Sapan would
    store, before the local name, organization and licence are decided."""

    remote_id: str
    package: dict[str, Any]
    modified: str = ""  # the source's metadata_modified (or dct:modified), as it says it
    original_url: str = ""
    remote_name: str = ""
    public: bool = True  # public at the source (a private record is never imported)
    organization: dict[str, str] | None = None  # {"name", "title", "description"} at the source
    licence: dict[str, Any] = field(default_factory=dict)  # {"id", "title", "url", "is_open"}


@dataclass
class Listing:
    """What a backend found. `complete`: every record of the source is listed, so a harvested record
    missing from it was deleted there. `present`: when the listing is incremental, the remote names
    (or ids) of everything the source still has, for the same purpose."""

    records: list[RemoteRecord]
    complete: bool = True
    present: set[str] | None = None
    failures: list[tuple[str, str]] = field(default_factory=list)  # (remote id, reason)
    unchanged: set[str] = field(default_factory=set)  # listed, and not changed since the last run


Progress = Callable[[float, str], None]


class Fetcher:
    """GETs for one run: one connection pool, a timeout per request, and the bytes fetched counted
    (they go in the run's audit entry)."""

    def __init__(self, timeout: float, headers: dict[str, str] | None = None) -> None:
        self.client = httpx.Client(
            timeout=httpx.Timeout(timeout), follow_redirects=True, headers=headers or {}
        )
        self.timeout = timeout
        self.bytes = 0

    def get(self, url: str, params: dict[str, Any] | None = None, accept: str = "application/json") -> bytes:
        """The body of a 2xx answer; raises HarvestFailed saying what went wrong."""
        try:
            with self.client.stream("GET", url, params=params, headers={"Accept": accept}) as response:
                if response.status_code >= 400:
                    raise HarvestFailed(
                        f"{url} answered HTTP {response.status_code} {response.reason_phrase}"
                        + _ckan_message(response)
                    )
                chunks: list[bytes] = []
                size = 0
                deadline = time.monotonic() + WHOLE_ANSWER * self.timeout
                for chunk in response.iter_bytes():
                    if time.monotonic() > deadline:  # a trickle that never ends
                        raise httpx.ReadTimeout("whole answer")
                    size += len(chunk)
                    if size > MAX_BYTES:
                        raise HarvestFailed(f"{url}: answer larger than {MAX_BYTES // 2**20} MiB")
                    chunks.append(chunk)
        except httpx.TimeoutException as exc:
            raise HarvestFailed(f"{url} did not answer within {self.timeout:g} s") from exc
        except httpx.HTTPError as exc:
            raise HarvestFailed(f"Could not reach {url}: {exc}") from exc
        self.bytes += size
        return b"".join(chunks)

    def get_json(self, url: str, params: dict[str, Any] | None = None) -> Any:
        body = self.get(url, params)
        try:
            return json.loads(body)
        except ValueError as exc:
            raise HarvestFailed(f"{url} sent malformed JSON: {exc}") from exc

    def close(self) -> None:
        self.client.close()


class Backend(Protocol):
    def list_records(
        self, fetch: Fetcher, source: SourceSettings, since: str | None, progress: Progress
    ) -> Listing:
        """Every record of the source (or, with `since`, those changed at or after it when the
        source can say so). Raises HarvestFailed when the source cannot be read."""
        ...


def _ckan_message(response: httpx.Response) -> str:
    """The message of a CKAN error envelope (a partner portal saying why it refuses), if one came."""
    try:
        body = json.loads(response.read()[:65536])
        message = body["error"].get("message") if isinstance(body.get("error"), dict) else None
    except (ValueError, AttributeError, KeyError, TypeError, httpx.HTTPError):
        return ""
    return f": {str(message)[:500]}" if message else ""
