"""The CKAN Action API v3 as a table: action name -> adapter that maps CKAN's dict to a domain call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

import sapan
from sapan.accounts import permissions
from sapan.accounts import service as accounts
from sapan.api.params import bool_param, int_param, list_param, require, str_param
from sapan.catalog import activity, datasets, downloads, groups, resources, views
from sapan.catalog.context import CatalogConfig
from sapan.catalog.licenses import list_licenses
from sapan.config import Settings
from sapan.errors import ValidationError
from sapan.governance import audit
from sapan.search.crosslingual import TranslationOptions
from sapan.search.service import SearchQuery, search_datasets


@dataclass
class Call:
    session: Session
    cfg: CatalogConfig
    settings: Settings
    actor: accounts.Actor
    data: dict[str, Any]
    upload: resources.Upload | None = None


@dataclass(frozen=True)
class Action:
    func: Callable[[Call], Any]
    write: bool
    summary: str


ACTIONS: dict[str, Action] = {}


def action(name: str, write: bool = False) -> Callable[[Callable[[Call], Any]], Callable[[Call], Any]]:
    def register(func: Callable[[Call], Any]) -> Callable[[Call], Any]:
        ACTIONS[name] = Action(func, write, (func.__doc__ or name).strip())
        return func

    return register


# -- site ---------------------------------------------------------------------------------------


@action("site_read")
def site_read(call: Call) -> Any:
    """Whether the site can be read: always true."""
    return True


@action("status_show")
def status_show(call: Call) -> Any:
    """Version and settings of this site."""
    return {
        "site_title": call.settings.site_title,
        "site_url": call.settings.site_url,
        "site_description": "Sapan open-government-data portal",
        "ckan_version": "2.10.0",
        "sapan_version": sapan.__version__,
        "locale_default": "th",
        "extensions": ["scheming_datasets"],
        "dataset_profile": call.cfg.profile.name,
    }


@action("license_list")
def license_list(call: Call) -> Any:
    """Licences a dataset may have."""
    return list_licenses(call.session)


@action("tag_list")
def tag_list(call: Call) -> Any:
    """Names of tags used by public datasets (optionally containing `query`)."""
    return datasets.list_tags(call.session, str_param(call.data, "query"), call.actor)


# -- datasets -----------------------------------------------------------------------------------


@action("package_list")
def package_list(call: Call) -> Any:
    """Names of all public datasets (limit, offset)."""
    limit, offset = int_param(call.data, "limit", None, 0), int_param(call.data, "offset", 0, 0) or 0
    return datasets.list_names(call.session, call.actor, limit, offset)


@action("current_package_list_with_resources")
def current_package_list_with_resources(call: Call) -> Any:
    """Recently changed datasets with their resources (limit, offset)."""
    limit = int_param(call.data, "limit", 10, 0, 1000) or 0
    return datasets.list_recent(
        call.session, call.cfg, call.actor, limit, int_param(call.data, "offset", 0) or 0
    )


@action("package_show")
def package_show(call: Call) -> Any:
    """A dataset by id or name, with its downloads as `tracking_summary` (on it and each resource)."""
    ds = datasets.show_dataset(
        call.session, call.cfg, call.actor, call.data.get("id") or call.data.get("name")
    )
    return downloads.with_tracking(call.session, ds)


@action("package_create", write=True)
def package_create(call: Call) -> Any:
    """Create a dataset. A Thai title without a name gets a romanized name."""
    return datasets.create_dataset(call.session, call.cfg, call.actor, call.data)


@action("package_update", write=True)
def package_update(call: Call) -> Any:
    """Replace a dataset (fields not given are cleared; resources not listed are deleted)."""
    return datasets.update_dataset(call.session, call.cfg, call.actor, call.data)


@action("package_patch", write=True)
def package_patch(call: Call) -> Any:
    """Change only the given fields of a dataset."""
    return datasets.patch_dataset(call.session, call.cfg, call.actor, call.data)


@action("package_delete", write=True)
def package_delete(call: Call) -> Any:
    """Delete a dataset (its state becomes `deleted`)."""
    datasets.delete_dataset(call.session, call.cfg, call.actor, call.data.get("id") or call.data.get("name"))
    return None


@action("package_search")
def package_search(call: Call) -> Any:
    """Search datasets: q, fq, sort, rows, start, facet.field, facet.limit, include_private,
    include_drafts, translate (cross-lingual search, default true)."""
    d = call.data
    query = SearchQuery(
        q=str_param(d, "q"),
        fq=str_param(d, "fq"),
        rows=int_param(d, "rows", 10, 0, 1000) or 0,
        start=int_param(d, "start", 0, 0) or 0,
        sort=str_param(d, "sort") or "score desc, metadata_modified desc",
        facet_fields=list_param(d, "facet.field", []),  # as CKAN: no facets unless asked for
        facet_limit=int_param(d, "facet.limit", 50, -1) or 50,
        include_private=bool_param(d, "include_private"),
        include_drafts=bool_param(d, "include_drafts"),
        # Sapan's own: translate=false searches the query's language only
        translation=TranslationOptions() if bool_param(d, "translate", True) else None,
    )
    return search_datasets(call.session, call.cfg, call.actor, query)


@action("package_activity_list")
def package_activity_list(call: Call) -> Any:
    """Changes to a dataset, newest first (id, offset, limit)."""
    ds = datasets.readable_dataset(call.session, call.actor, call.data.get("id"))
    limit = int_param(call.data, "limit", 31, 1, 100) or 31
    return activity.activities_of(call.session, ds.id, int_param(call.data, "offset", 0) or 0, limit)


# -- resources ----------------------------------------------------------------------------------


@action("resource_show")
def resource_show(call: Call) -> Any:
    """A resource by id, with its downloads as `tracking_summary`."""
    res = resources.show_resource(call.session, call.cfg, call.actor, call.data.get("id"))
    return downloads.resource_with_tracking(call.session, res)


@action("resource_create", write=True)
def resource_create(call: Call) -> Any:
    """Add a resource to a dataset: a `url`, or a file in the multipart field `upload`."""
    return resources.create_resource(call.session, call.cfg, call.actor, call.data, call.upload)


@action("resource_update", write=True)
def resource_update(call: Call) -> Any:
    """Replace a resource's fields (and optionally its file)."""
    return resources.update_resource(call.session, call.cfg, call.actor, call.data, call.upload)


@action("resource_patch", write=True)
def resource_patch(call: Call) -> Any:
    """Change only the given fields of a resource."""
    return resources.update_resource(call.session, call.cfg, call.actor, call.data, call.upload, patch=True)


@action("resource_delete", write=True)
def resource_delete(call: Call) -> Any:
    """Delete a resource."""
    resources.delete_resource(call.session, call.cfg, call.actor, call.data.get("id"))
    return None


@action("resource_view_show")
def resource_view_show(call: Call) -> Any:
    """A resource view by id (its config keys, e.g. a chart's `spec`, at the top level)."""
    return views.show_view(call.session, call.actor, call.data.get("id"))


@action("resource_view_list")
def resource_view_list(call: Call) -> Any:
    """A resource's views in order: id (the resource's)."""
    return views.list_views(call.session, call.actor, call.data.get("id") or call.data.get("resource_id"))


@action("resource_view_create", write=True)
def resource_view_create(call: Call) -> Any:
    """Add a view to a resource: resource_id, title, view_type (vega-lite, datatables_view), description,
    and for a chart `spec` (a Vega-Lite spec whose data is the resource's DataStore table)."""
    return views.create_view(call.session, call.actor, call.data)


@action("resource_view_update", write=True)
def resource_view_update(call: Call) -> Any:
    """Replace a view's title, description and config: id, title, ..."""
    return views.update_view(call.session, call.actor, call.data)


@action("resource_view_delete", write=True)
def resource_view_delete(call: Call) -> Any:
    """Delete a view: id."""
    views.delete_view(call.session, call.actor, call.data.get("id"))
    return None


# -- organizations and groups -------------------------------------------------------------------


def _list_groups(call: Call, organization: bool) -> Any:
    d = call.data
    return groups.list_groups(
        call.session,
        call.actor,
        organization,
        all_fields=bool_param(d, "all_fields"),
        limit=int_param(d, "limit", None, 0),
        offset=int_param(d, "offset", 0, 0) or 0,
    )


def _group_ref(data: dict[str, Any]) -> str:
    ref = data.get("id") or data.get("name")
    if not isinstance(ref, str) or not ref:
        raise ValidationError.one("id", "Missing value")
    return ref


@action("organization_list")
def organization_list(call: Call) -> Any:
    """Organization names, or dicts with all_fields=true."""
    return _list_groups(call, True)


@action("organization_show")
def organization_show(call: Call) -> Any:
    """An organization with its members (and datasets with include_datasets=true)."""
    out = groups.show_group(call.session, call.actor, _group_ref(call.data), True)
    if bool_param(call.data, "include_datasets"):
        found = search_datasets(
            call.session,
            call.cfg,
            call.actor,
            SearchQuery(fq=f'organization:"{out["name"]}"', rows=1000, facet_fields=[], include_private=True),
        )
        out["packages"] = found["results"]
    return out


@action("organization_create", write=True)
def organization_create(call: Call) -> Any:
    """Create an organization (sysadmins); the creator becomes its admin."""
    return groups.create_group(call.session, call.actor, call.data, True)


@action("organization_update", write=True)
def organization_update(call: Call) -> Any:
    """Update an organization (its admins)."""
    return groups.update_group(call.session, call.cfg, call.actor, call.data, True)


@action("organization_delete", write=True)
def organization_delete(call: Call) -> Any:
    """Delete an organization that has no datasets (sysadmins)."""
    groups.delete_group(call.session, call.cfg, call.actor, _group_ref(call.data), True)
    return None


@action("organization_member_create", write=True)
def organization_member_create(call: Call) -> Any:
    """Give a user a role (admin, editor, member) in an organization: id, username, role, and clearance
    (0 open ... 4 top secret: the highest classification of the organization's data they may see)."""
    return groups.add_member(
        call.session,
        call.actor,
        _group_ref(call.data),
        require(call.data, "username"),
        require(call.data, "role"),
        call.data.get("clearance"),
    )


@action("organization_member_delete", write=True)
def organization_member_delete(call: Call) -> Any:
    """Take a user's role in an organization away (its admins, sysadmins): id, username."""
    groups.remove_member(call.session, call.actor, _group_ref(call.data), require(call.data, "username"))
    return None


@action("group_list")
def group_list(call: Call) -> Any:
    """Group (theme) names, or dicts with all_fields=true."""
    return _list_groups(call, False)


@action("group_show")
def group_show(call: Call) -> Any:
    """A group (theme)."""
    return groups.show_group(call.session, call.actor, _group_ref(call.data), False)


@action("group_create", write=True)
def group_create(call: Call) -> Any:
    """Create a group (theme); sysadmins."""
    return groups.create_group(call.session, call.actor, call.data, False)


# -- users and tokens ---------------------------------------------------------------------------


@action("user_show")
def user_show(call: Call) -> Any:
    """A user by id or name (e-mail only for themselves and sysadmins)."""
    user = accounts.get_user(call.session, _group_ref(call.data))
    own = call.actor.sysadmin or call.actor.user_id == user.id
    return accounts.user_dict(user, include_private=own)


@action("user_create", write=True)
def user_create(call: Call) -> Any:
    """Create a user (sysadmins): name, email, password, fullname."""
    permissions.ensure_sysadmin(call.actor, "create users")
    d = call.data
    user = accounts.create_user(
        call.session,
        require(d, "name"),
        email=str_param(d, "email"),
        password=str_param(d, "password") or None,
        fullname=str_param(d, "fullname"),
        sysadmin=bool_param(d, "sysadmin"),
    )
    return accounts.user_dict(user, include_private=True)


@action("api_token_create", write=True)
def api_token_create(call: Call) -> Any:
    """Create an API token for a user (themselves, or anyone for sysadmins): user, name, expires_in
    (days). The token is shown only in this answer."""
    permissions.ensure_logged_in(call.actor, "create API tokens")
    user = accounts.get_user(call.session, require(call.data, "user"))
    if not (call.actor.sysadmin or call.actor.user_id == user.id):
        raise accounts.NotAuthorized("You can only create API tokens for yourself")
    _, plain = accounts.create_token(
        call.session, user, str_param(call.data, "name"), int_param(call.data, "expires_in", None, 1),
        by=call.actor.name,
    )  # fmt: skip
    return {"token": plain}


@action("api_token_list")
def api_token_list(call: Call) -> Any:
    """A user's API tokens (never the tokens themselves): user_id (or user)."""
    permissions.ensure_logged_in(call.actor, "list API tokens")
    user = accounts.get_user(call.session, call.data.get("user_id") or require(call.data, "user"))
    if not (call.actor.sysadmin or call.actor.user_id == user.id):
        raise accounts.NotAuthorized("You can only list your own API tokens")
    return [accounts.token_dict(t) for t in accounts.list_tokens(call.session, user.id)]


@action("api_token_revoke", write=True)
def api_token_revoke(call: Call) -> Any:
    """Revoke an API token: `token`, or its id as `jti`."""
    permissions.ensure_logged_in(call.actor, "revoke API tokens")
    accounts.revoke_token(
        call.session,
        call.actor,
        token_id=str_param(call.data, "jti") or None,
        plain=str_param(call.data, "token") or None,
    )
    return None


@action("audit_list")
def audit_list(call: Call) -> Any:
    """The audit log, newest first (sysadmins): actor, action, object_type, object_id, since, until
    (ISO), limit (100, max 1000), offset. Export all of it as JSONL from /api/audit.jsonl."""
    permissions.ensure_sysadmin(call.actor, "read the audit log")
    limit = int_param(call.data, "limit", 100, 0, 1000) or 0
    offset = int_param(call.data, "offset", 0, 0) or 0
    found = audit.entries(call.session, call.data, limit, offset)
    return [audit.entry_dict(e) for e in found]


# -- DataStore and jobs -------------------------------------------------------------------------


@action("datastore_search")
def datastore_search(call: Call) -> Any:
    """Rows of a resource's table: resource_id, filters, q, fields, sort, limit (100, max 32000),
    offset, distinct, include_total, records_format (objects, lists, csv)."""
    from sapan.datastore.service import search
    from sapan.realtime.feeds import realtime_feed_of
    from sapan.realtime.queries import datastore_view

    feed = realtime_feed_of(call.session, call.actor, call.data.get("resource_id") or call.data.get("id"))
    if feed is not None:  # a real-time feed: its recent observations
        return datastore_view(call.session, call.cfg.storage, feed, call.data)
    return search(call.session, call.cfg.storage, call.actor, call.data)


@action("datastore_search_sql")
def datastore_search_sql(call: Call) -> Any:
    """One read-only SELECT over DataStore tables, each named by its resource id ("<id>"), sandboxed
    with a time limit and a row limit."""
    from sapan.datastore.sql import search_sql

    settings = call.settings
    return search_sql(
        call.session, call.cfg.storage, call.actor, call.data.get("sql"),
        settings.datastore_sql_timeout, settings.datastore_sql_max_rows,
    )  # fmt: skip


@action("datastore_create", write=True)
def datastore_create(call: Call) -> Any:
    """A table pushed as JSON: resource_id, fields [{id, type}], records, primary_key."""
    from sapan.datastore.push import create

    return create(call.session, call.cfg.storage, call.actor, call.data)


@action("datastore_upsert", write=True)
def datastore_upsert(call: Call) -> Any:
    """Add or change records of a pushed table: resource_id, records, method (upsert, insert, update)."""
    from sapan.datastore.push import upsert

    return upsert(call.session, call.cfg.storage, call.actor, call.data)


@action("datastore_delete", write=True)
def datastore_delete(call: Call) -> Any:
    """Delete the records matching filters, or the whole table without filters: resource_id, filters."""
    from sapan.datastore.push import delete

    return delete(call.session, call.cfg.storage, call.actor, call.data)


@action("datastore_mask", write=True)
def datastore_mask(call: Call) -> Any:
    """Mask a table's personal data in a new version (editors): resource_id (a table id), columns
    {column: drop | hash (keyed with SAPAN_SECRET_KEY) | partial}. The original stays private."""
    from sapan.datastore.masking import mask_table

    return mask_table(
        call.session, call.cfg.storage, call.settings.resolved_secret_key, call.actor,
        call.data.get("resource_id") or call.data.get("id"), call.data.get("columns"),
    )  # fmt: skip


@action("datastore_personal_data_approve", write=True)
def datastore_personal_data_approve(call: Call) -> Any:
    """Record why a table's personal-data findings may be published (organization admins): resource_id
    (a table id), reason. Audited; the dataset can then be made public."""
    from sapan.datastore.service import approve_personal_data

    return approve_personal_data(
        call.session, call.actor, call.data.get("resource_id") or call.data.get("id"), call.data.get("reason")
    )


@action("datastore_info")
def datastore_info(call: Call) -> Any:
    """A resource's table: fields, row count, the last ingest's report, error and job progress."""
    from sapan.datastore.service import datastore_info as info

    return info(call.session, call.actor, call.data.get("id") or call.data.get("resource_id"))


@action("job_show")
def job_show(call: Call) -> Any:
    """A background job's state and progress (sysadmins; publishers see ingest jobs in datastore_info)."""
    from sapan.jobs.service import get_job, job_dict

    permissions.ensure_sysadmin(call.actor, "see jobs")
    return job_dict(get_job(call.session, require(call.data, "id")))


# -- data-flow agreements -----------------------------------------------------------------------


@action("partner_create", write=True)
def partner_create(call: Call) -> Any:
    """Record a data-flow agreement with a partner portal (sysadmins): name, title, country (ISO 3166-1,
    e.g. SG), base_url, allowed_data_categories and allowed_classifications (default: public data
    classified open), purposes, licence_conditions, starts, expires (ISO 8601). Answers the partner's
    API token: shown only in this answer."""
    from sapan.governance import agreements

    agreement, plain = agreements.create_partner(call.session, call.actor, call.data)
    return {**agreements.partner_dict(agreement), "token": plain}


@action("partner_list")
def partner_list(call: Call) -> Any:
    """Data-flow agreements, with their state (active, pending, expired, revoked); sysadmins."""
    from sapan.governance import agreements

    return [agreements.partner_dict(a) for a in agreements.list_partners(call.session, call.actor)]


@action("partner_show")
def partner_show(call: Call) -> Any:
    """A data-flow agreement by id or name (sysadmins)."""
    from sapan.governance import agreements

    ref = call.data.get("id") or call.data.get("name")
    return agreements.partner_dict(agreements.show_partner(call.session, call.actor, ref))


@action("partner_update", write=True)
def partner_update(call: Call) -> Any:
    """Change a data-flow agreement (sysadmins): id or name, and any of title, base_url,
    allowed_data_categories, allowed_classifications, purposes, licence_conditions, expires."""
    from sapan.governance import agreements

    return agreements.partner_dict(agreements.update_partner(call.session, call.actor, call.data))


@action("partner_revoke", write=True)
def partner_revoke(call: Call) -> Any:
    """Revoke a data-flow agreement (sysadmins): id or name, reason. The flow stops at once; the
    partner's token answers 403 naming the revocation."""
    from sapan.governance import agreements

    ref = call.data.get("id") or call.data.get("name")
    revoked = agreements.revoke_partner(call.session, call.actor, ref, str_param(call.data, "reason"))
    return agreements.partner_dict(revoked)
