"""Settings, read once from SAPAN_* environment variables (or a .env file)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting Sapan reads. The README's configuration table is generated from these fields."""

    model_config = SettingsConfigDict(env_prefix="SAPAN_", env_file=".env", extra="ignore")

    home: Path = Field(
        Path("./sapan-data"),
        description="Folder for the embedded database, uploaded files and Parquet tables.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the metadata database. Default: a SQLite file `sapan.db` in "
        "SAPAN_HOME. Production: `postgresql+psycopg://user:pass@host/db`.",
    )
    storage_url: str | None = Field(
        None,
        description="Where files are kept: a folder, or `s3://bucket/prefix` for S3-compatible object "
        "storage. Default: the folder `files` in SAPAN_HOME.",
    )
    storage_endpoint_url: str | None = Field(
        None,
        description="Endpoint of S3-compatible storage (MinIO, Ceph, a cloud's S3 API), e.g. "
        "`https://s3.example.go.th`. Default: AWS S3.",
    )
    storage_access_key: str | None = Field(
        None, description="S3 access key id. Default: the environment's AWS credentials (AWS_*, IAM role)."
    )
    storage_secret_key: SecretStr | None = Field(
        None, description="S3 secret access key (never logged or shown)."
    )
    storage_region: str | None = Field(None, description="S3 region name, where the storage needs one.")
    storage_quota_mb: int = Field(
        0,
        ge=0,
        description="Most MiB that uploads and tables may take in storage; 0: no limit. Past it an upload "
        "answers 507 and an ingest fails with a report; what is published stays.",
    )
    max_upload_mb: int = Field(100, description="Largest accepted upload, in MiB; larger ones get 413.")
    site_url: str = Field("http://127.0.0.1:8000", description="Public base URL of the portal.")
    site_title: str = Field("Sapan สะพาน", description="Name of the portal shown in pages and site_read.")
    embedded_worker: bool = Field(
        True,
        description="Run background jobs (ingest) inside each `sapan serve` process (each job runs once).",
    )
    job_max_attempts: int = Field(
        5,
        description="Runs a background job gets when it fails for a passing reason (database or network "
        "away, its worker killed) before it is marked failed.",
    )
    job_retry_seconds: float = Field(
        10.0, description="Wait before a failed job's first retry; each further retry waits twice as long."
    )
    job_lease_seconds: float = Field(
        60.0,
        description="How long a worker holds a job without a heartbeat; a job whose worker died is taken "
        "over by another worker after this.",
    )
    datastore_sql_timeout: float = Field(5.0, description="Seconds a datastore_search_sql query may run.")
    datastore_sql_max_rows: int = Field(
        32000, description="Rows a datastore_search_sql answer returns at most."
    )
    secret_key: str | None = Field(
        None,
        description="The portal's secret for keyed hashes of masked personal data and (through a derived "
        "key) the signature of portal login cookies. Default: a random key made once in "
        "SAPAN_HOME/secret.key. Several processes or machines must share one.",
    )
    search_cross_lingual: bool = Field(
        True,
        description="Cross-lingual search: a Thai query also searches its English translation and an "
        "English query its Thai one (a packaged lexicon; nothing is downloaded).",
    )
    search_vectors: bool = Field(
        True,
        description="Cross-lingual search also ranks datasets by multilingual sentence vectors (Google's "
        "USE v3, packaged; about 4 ms per indexed dataset). Turning it on needs `sapan search reindex`.",
    )
    dcat_page_size: int = Field(
        100,
        ge=1,
        le=1000,
        description="Datasets per page of the DCAT catalogue (`/catalog.ttl` and its twins).",
    )
    dataset_profile: str = Field(
        "thai_gdc",
        description="Metadata profile for datasets: a bundled profile name (`thai_gdc`, `ckan`) or "
        "the path of a ckanext-scheming JSON file.",
    )

    portal_map_tiles_url: str = Field(
        "",
        description="Tile URL template for the portal's maps "
        "(e.g. `https://tile.openstreetmap.org/{z}/{x}/{y}.png`). Default: none, "
        "maps draw the data on a blank background and the browser contacts no other host.",
    )

    realtime_min_poll_seconds: int = Field(
        30, description="Shortest schedule a polled real-time feed may have, in seconds."
    )
    realtime_retention_days: int = Field(
        90, description="Days of real-time history kept; older days' Parquet files are deleted at compaction."
    )
    realtime_compact_seconds: int = Field(
        300,
        description="How often a real-time feed's recent observations are compacted into its daily "
        "Parquet history, in seconds.",
    )
    realtime_heartbeat_seconds: float = Field(
        15.0, description="Seconds between heartbeats on an idle real-time event stream."
    )

    log_format: Literal["text", "json"] = Field(
        "text",
        description="Log lines as `text` (for a terminal) or `json` (one object per line with timestamp, "
        "level, logger, message, request_id, route, status, duration_ms: for a log shipper in production).",
    )
    log_level: Literal["debug", "info", "warning", "error", "critical"] = Field(
        "warning",
        description="Least severe log level written (`info` adds one access line per request and one per "
        "job start and end).",
    )
    metrics_token: str | None = Field(
        None,
        description="When set, /metrics answers only requests with `Authorization: Bearer <this token>` "
        "(Prometheus: `authorization: {credentials: ...}` in the scrape config). Default: open.",
    )
    readyz_timeout: float = Field(
        2.0, gt=0, description="Seconds /readyz waits for each of the database, storage and queue checks."
    )

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    rate_limit_storage_url: str = Field(
        "memory://",
        description="Where request counts for rate limits are kept (a `limits` storage URL). `memory://` "
        "counts per process; with several processes or machines use Redis "
        "(`redis://127.0.0.1:6379/0`) so that they share one count. If Redis cannot be reached, "
        "requests are let through and a warning is logged.",
    )
    rate_limit_key_prefix: str = Field(
        "sapan", description="Prefix of the rate-limit keys in the storage (portals sharing one Redis)."
    )
    rate_limit_anonymous: str = Field(
        "120/minute",
        description="Requests per client address to the API, downloads and dumps without an API token "
        "(`limits` syntax, e.g. `120/minute`, `1000/hour;20/second`); empty or `0` turns it off.",
    )
    rate_limit_token: str = Field(
        "600/minute",
        description="Requests per API token to the API, downloads and dumps (`limits` syntax); empty "
        "or `0` turns it off.",
    )
    trusted_proxies: str = Field(
        "",
        description="Comma-separated addresses or networks of reverse proxies whose X-Forwarded-For "
        "names the client (for rate limits). Default: none, the socket's peer is the client. "
        "uvicorn's own `--proxy-headers`/`--forwarded-allow-ips` rewrite the peer before Sapan sees it.",
    )
    max_json_kb: int = Field(
        1024, ge=1, description="Largest JSON body of an API action (not an upload), in KiB; larger get 413."
    )
    http_timeout_seconds: float = Field(
        30.0,
        gt=0,
        description="Seconds an outbound HTTP request (harvest, file fetch, real-time poll) may wait to "
        "connect or for the next bytes (ten times that for a whole answer). A harvest source's own `timeout` "
        "config overrides it.",
    )

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'sapan.db').resolve()}"

    @cached_property
    def resolved_storage_url(self) -> str:
        if self.storage_url:
            return self.storage_url
        return str((self.home / "files").resolve())

    @property
    def storage_options(self) -> dict[str, Any]:
        """Arguments for the storage's fsspec filesystem (s3fs): endpoint, credentials, region."""
        if not self.resolved_storage_url.startswith(("s3://", "s3a://")):
            return {}
        # No listings cache: another process's new files must be seen at once (a cached listing of a
        # table's folder would hide the Parquet file that process just wrote).
        options: dict[str, Any] = {"use_listings_cache": False}
        if self.storage_access_key:
            options["key"] = self.storage_access_key
        if self.storage_secret_key:
            options["secret"] = self.storage_secret_key.get_secret_value()
        client = {"endpoint_url": self.storage_endpoint_url, "region_name": self.storage_region}
        if client := {k: v for k, v in client.items() if v}:
            options["client_kwargs"] = client
        return options

    @cached_property
    def resolved_secret_key(self) -> bytes:
        if self.secret_key:
            return self.secret_key.encode()
        path = self.home / "secret.key"
        if not path.exists():
            _create_secret(path)
        return path.read_text().strip().encode()

    @property
    def storage_quota_bytes(self) -> int:
        return self.storage_quota_mb * 1024 * 1024

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024


def _create_secret(path: Path) -> None:
    """Write a new secret key unless another process (of `serve --workers N`) is quicker: the key is
    written whole under a name of this process's own, then linked into place, which only one can do.
    (Writing in place let a second process read an empty or a different key: sessions that other
    processes refuse, personal data masked differently.)"""
    import os
    import secrets

    path.parent.mkdir(parents=True, exist_ok=True)
    mine = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(mine, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_hex(32))
    try:
        os.link(mine, path)
    except FileExistsError:
        pass  # another process's key is the key
    finally:
        mine.unlink()


def settings_table() -> str:
    """The README's configuration table, made from the fields above (a test keeps them in sync)."""
    rows = ["| variable | default | what it sets |", "|---|---|---|"]
    for name, info in Settings.model_fields.items():
        default = "(see description)" if info.default is None else f"`{info.default}`"
        rows.append(f"| `SAPAN_{name.upper()}` | {default} | {info.description} |")
    return "\n".join(rows)
