"""The ASGI application: composes the routers; builds nothing at import time."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

import sapan
from sapan.api import actions_router, audit_export, datastore_dump, dcat, downloads, outage, realtime
from sapan.api.limits import BodyLimit
from sapan.api.ratelimit import RateLimit, RateLimitStore, trusted_networks
from sapan.config import Settings
from sapan.harvest.schedule import HarvestScheduler
from sapan.jobs.handlers import handlers
from sapan.jobs.recovery import recover
from sapan.jobs.service import Worker
from sapan.observability import routes as observability
from sapan.observability.middleware import RequestObserver
from sapan.realtime.polling import Scheduler
from sapan.services import Services, build_services
from sapan.web import pages
from sapan.web.security import SecurityHeaders, content_security_policy
from sapan.web.throttle import LoginThrottle


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    """The app for these settings. Pass `services` to share one set of connections (tests)."""
    settings = settings or (services.settings if services else Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = services is None
        app.state.services = services or build_services(settings)
        worker, scheduler, harvests = None, None, None
        if owned and settings.embedded_worker:  # the embedded default: jobs run in this process
            worker = Worker(app.state.services, handlers())
            scheduler = Scheduler(app.state.services)
            harvests = HarvestScheduler(app.state.services)
            threading.Thread(target=recover, args=(app.state.services,), daemon=True).start()
            worker.start()
            scheduler.start()
            harvests.start()
        yield
        if harvests is not None:
            harvests.stop()
        if scheduler is not None:
            scheduler.stop()
        if worker is not None:
            worker.stop()
        if owned:
            app.state.services.close()

    app = FastAPI(
        title=settings.site_title,
        version=sapan.__version__,
        description="CKAN-compatible Action API v3 of Sapan. Every action answers "
        '`{"help", "success", "result"}`; errors answer `{"success": false, "error": {"__type": ...}}`.',
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    if services is not None:
        app.state.services = services
    app.include_router(observability.router)  # first: probes match before any page route
    app.include_router(actions_router.router)
    app.include_router(downloads.router)
    app.include_router(datastore_dump.router)
    app.include_router(audit_export.router)
    app.include_router(dcat.router)  # before the pages: /dataset/{id}.ttl would match /dataset/{name}
    app.include_router(realtime.router)
    pages.install(app)
    outage.install(app)
    # One store per app (Redis in production, shared by every process): the API's limits and logins.
    app.state.rate_limits = RateLimitStore(settings.rate_limit_storage_url, settings.rate_limit_key_prefix)
    app.state.login_throttle = LoginThrottle(app.state.rate_limits)
    app.state.trusted_proxies = trusted_networks(settings.trusted_proxies)
    app.add_middleware(BodyLimit, max_bytes=settings.max_upload_bytes + 1024 * 1024)
    app.add_middleware(
        RateLimit,
        store=app.state.rate_limits,
        anonymous=settings.rate_limit_anonymous,
        token=settings.rate_limit_token,
        trusted_proxies=settings.trusted_proxies,
    )
    app.add_middleware(SecurityHeaders, csp=content_security_policy(settings.portal_map_tiles_url))
    app.add_middleware(RequestObserver)  # outermost: times and ids everything inside
    return app


def app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory sapan.app:app_from_env` (used by `sapan serve --workers N`)."""
    return create_app(Settings())
