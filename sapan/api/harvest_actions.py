"""ckanext-harvest's actions (harvest_source_*, harvest_job_*), with its names and shapes so its
clients work. Registered in the Action API's table on import (actions_router imports this module)."""

from __future__ import annotations

from typing import Any

from sapan.accounts import permissions
from sapan.api.actions import Call, action
from sapan.api.params import require, str_param
from sapan.harvest import sources


@action("harvest_source_create", write=True)
def harvest_source_create(call: Call) -> Any:
    """Add a harvest source (sysadmins): name, url, source_type (ckan, dcat, datagovsg), title,
    frequency (MANUAL, HOURLY, DAILY, WEEKLY), config (a JSON string: api_token, organizations, tags,
    groups, name_prefix, owner_org, fetch_resources)."""
    return sources.create_source(call.session, call.actor, call.data)


@action("harvest_source_show")
def harvest_source_show(call: Call) -> Any:
    """A harvest source by id or name, with `status`: its last job and job count (sysadmins)."""
    permissions.ensure_sysadmin(call.actor, "see harvest sources")
    source = sources.get_source(call.session, call.data.get("id") or call.data.get("name"))
    return sources.source_dict(call.session, source)


@action("harvest_source_list")
def harvest_source_list(call: Call) -> Any:
    """Every active harvest source (sysadmins)."""
    permissions.ensure_sysadmin(call.actor, "see harvest sources")
    return sources.list_sources(call.session)


@action("harvest_source_update", write=True)
def harvest_source_update(call: Call) -> Any:
    """Change a harvest source (sysadmins): id, and any of name, title, url, source_type, frequency,
    config."""
    return sources.update_source(call.session, call.actor, call.data)


@action("harvest_source_delete", write=True)
def harvest_source_delete(call: Call) -> Any:
    """Stop harvesting a source (sysadmins); its datasets stay."""
    sources.delete_source(call.session, call.actor, call.data.get("id") or call.data.get("name"))
    return None


@action("harvest_job_create", write=True)
def harvest_job_create(call: Call) -> Any:
    """Run a source now (sysadmins): source_id. The run is a background job."""
    return sources.create_job(call.session, call.actor, require(call.data, "source_id"))


@action("harvest_job_list")
def harvest_job_list(call: Call) -> Any:
    """Runs, newest first (sysadmins): source_id, status (New, Running, Finished, Failed)."""
    permissions.ensure_sysadmin(call.actor, "see harvest jobs")
    return sources.list_jobs(call.session, call.data.get("source_id"), str_param(call.data, "status"))


@action("harvest_job_show")
def harvest_job_show(call: Call) -> Any:
    """A run with its counts and report (sysadmins): id."""
    permissions.ensure_sysadmin(call.actor, "see harvest jobs")
    return sources.job_dict(sources.get_job(call.session, require(call.data, "id")), with_report=True)
