"""Log lines as text (a terminal) or JSON (a log shipper), with the request id of the work in progress
and without credentials: known secrets and anything shaped like a token, password or URL password are
replaced by `[redacted]` before a line is written."""

from __future__ import annotations

import contextlib
import json
import logging
import logging.config
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sapan.observability import context

if TYPE_CHECKING:
    from sapan.config import Settings

# Extra fields a log call may pass (`extra={...}`) that JSON lines carry as their own keys.
FIELDS = ("route", "method", "path", "status", "duration_ms", "job_id", "job_kind", "outcome")
REDACTED = "[redacted]"
_PATTERNS = (
    (re.compile(r"(?i)\b(bearer)\s+[^\s\"',;]+"), rf"\1 {REDACTED}"),
    (re.compile(r"(://[^:/@\s]*:)[^@\s/]+@"), rf"\1{REDACTED}@"),  # (user):password@ in URLs
    (
        re.compile(
            r"(?i)\b(authorization|x-ckan-api-key|api[_-]?key|api[_-]?token|password|passwd|secret[_-]?key"
            r"|metrics[_-]?token|token)(\"?'?\s*[:=]\s*\"?'?)(?!\s*\[redacted\])[^\s\"',;&}]+"
        ),
        rf"\1\2{REDACTED}",
    ),
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """The text with the given secret values and token-, password- and URL-credential-shaped parts
    replaced by [redacted]."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def known_secrets(settings: Settings) -> list[str]:
    """The configured values no log line may show (short ones would redact ordinary words)."""
    from sqlalchemy.engine import make_url

    values = [settings.secret_key or "", settings.metrics_token or ""]
    with contextlib.suppress(Exception):  # an unparsable URL: doctor names it; the logs still start
        values.append(make_url(settings.resolved_database_url).password or "")
    return [v for v in values if len(v) >= 6]


class TextFormatter(logging.Formatter):
    """`time level logger [request id] message`: for people reading a terminal."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s %(rid)s%(message)s")
        self.secrets = list(secrets)

    def format(self, record: logging.LogRecord) -> str:
        rid = getattr(record, "request_id", "") or context.current()
        record.rid = f"[{rid}] " if rid else ""
        return redact(super().format(record), self.secrets)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: timestamp (UTC), level, logger, message, request_id and the extra
    fields of FIELDS a call passed; a traceback goes in `exception`."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = list(secrets)

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        entry: dict[str, Any] = {
            "timestamp": stamp.replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage(), self.secrets),
            "request_id": getattr(record, "request_id", "") or context.current() or None,
        }
        for field in FIELDS:
            if (value := getattr(record, field, None)) is not None:
                entry[field] = value
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info), self.secrets)
        return json.dumps(entry, ensure_ascii=False, default=str)


class StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a line is logged (test runners and CLI runners swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def log_config(settings: Settings) -> dict[str, Any]:
    """A dictConfig for Sapan's and uvicorn's loggers alike (`sapan serve` hands it to uvicorn, which
    applies it in each web process)."""
    formatter = "JsonFormatter" if settings.log_format == "json" else "TextFormatter"
    level = settings.log_level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"sapan": {"()": f"{__name__}.{formatter}", "secrets": known_secrets(settings)}},
        "handlers": {"stderr": {"()": f"{__name__}.StderrHandler", "formatter": "sapan"}},
        "root": {"handlers": ["stderr"], "level": level},
        # uvicorn's loggers lose their own handlers and write through the root's formatter.
        "loggers": {
            name: {"handlers": [], "propagate": True, "level": level}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
        },
    }


def configure_logging(settings: Settings) -> None:
    """Apply log_config (for `sapan worker` and other long-running commands)."""
    logging.config.dictConfig(log_config(settings))
