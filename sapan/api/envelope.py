"""CKAN's response envelope: {"help", "success", "result"} or {"help", "success": false, "error"}."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from sapan.errors import NotAuthorized, NotFound, PayloadTooLarge, SapanError, StorageFull, ValidationError


class BadRequest(SapanError):
    pass


def help_url(site_url: str, name: str) -> str:
    return f"{site_url.rstrip('/')}/api/3/action/help_show?name={name}"


def success(help: str, result: Any) -> JSONResponse:
    return JSONResponse({"help": help, "success": True, "result": result})


def failure(help: str, exc: SapanError) -> JSONResponse:
    status, error = error_body(exc)
    return JSONResponse({"help": help, "success": False, "error": error}, status_code=status)


def error_body(exc: SapanError) -> tuple[int, dict[str, Any]]:
    if isinstance(exc, ValidationError):
        return 409, {"__type": "Validation Error", **exc.errors}
    if isinstance(exc, NotFound):
        return 404, {"__type": "Not Found Error", "message": exc.message}
    if isinstance(exc, NotAuthorized):
        return 403, {"__type": "Authorization Error", "message": exc.message}
    if isinstance(exc, PayloadTooLarge):
        return 413, {"__type": "Validation Error", exc.field: [str(exc)]}
    if isinstance(exc, StorageFull):  # 507 Insufficient Storage; CKAN clients read it as a validation error
        return 507, {"__type": "Validation Error", "upload": [str(exc)]}
    return 400, {"__type": "Bad Request", "message": str(exc)}


UNAVAILABLE = "Database unavailable: the service cannot reach its database right now; try again shortly"


def unavailable(help: str) -> JSONResponse:
    """503 in CKAN's envelope while the database is away (a restart, a failover): clients retry."""
    return JSONResponse(
        {"help": help, "success": False, "error": {"__type": "Service Unavailable", "message": UNAVAILABLE}},
        status_code=503,
        headers={"Retry-After": "5"},
    )
