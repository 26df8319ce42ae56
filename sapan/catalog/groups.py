"""Organizations (publishers) and groups (themes)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError as PydanticError
from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session

from sapan.accounts import permissions
from sapan.accounts.models import Membership
from sapan.accounts.service import Actor, actor_for, get_user, members_of, set_membership, user_dict
from sapan.catalog import activity
from sapan.catalog.context import CatalogConfig
from sapan.catalog.datasets import visible_to
from sapan.catalog.dictize import group_dict
from sapan.catalog.models import Dataset, DatasetGroup, Group
from sapan.catalog.schemas import _In, check_name, pydantic_errors
from sapan.errors import NotFound, ValidationError
from sapan.governance import audit, classification


class GroupIn(_In):
    name: str
    title: str = ""
    description: str = ""
    image_url: str = ""
    # Echoed keys from *_show.
    id: str | None = None
    state: str | None = None
    type: str | None = None
    is_organization: bool | None = None
    created: str | None = None
    display_name: str | None = None
    approval_status: str | None = None
    image_display_url: str | None = None
    package_count: int | None = None
    users: list[dict[str, Any]] | None = None
    packages: list[dict[str, Any]] | None = None
    extras: list[dict[str, Any]] | None = None

    @classmethod
    def parse(cls, data: dict[str, Any]) -> GroupIn:
        try:
            group = cls.model_validate(data)
        except PydanticError as exc:
            raise ValidationError(pydantic_errors(exc)) from exc
        try:
            check_name(group.name)
        except ValueError as exc:
            raise ValidationError.one("name", str(exc)) from exc
        return group


def get_group(session: Session, id_or_name: str, organization: bool) -> Group:
    group = session.scalar(
        select(Group).where(
            (Group.id == id_or_name) | (Group.name == id_or_name),
            Group.is_organization == organization,
            Group.state == "active",
        )
    )
    if group is None:
        raise NotFound("Organization not found" if organization else "Group not found")
    return group


def create_group(session: Session, actor: Actor, data: dict[str, Any], organization: bool) -> dict[str, Any]:
    """Create an organization or group. Sysadmins only; the creator becomes its admin."""
    kind = "organization" if organization else "group"
    permissions.ensure_sysadmin(actor, f"create an {kind}")
    parsed = GroupIn.parse(data)
    if session.scalar(select(Group.id).where(Group.name == parsed.name)):
        raise ValidationError.one("name", "Group name already exists in database")
    group = Group(
        name=parsed.name,
        title=parsed.title,
        description=parsed.description,
        image_url=parsed.image_url,
        is_organization=organization,
    )
    session.add(group)
    session.flush()
    if organization and actor.user_id:
        set_membership(session, get_user(session, actor.user_id), group.id, "admin")
    out = group_dict(group)
    activity.record(session, actor.user_id, group.id, f"new {kind}", "group", out)
    return out


def update_group(
    session: Session, cfg: CatalogConfig, actor: Actor, data: dict[str, Any], organization: bool
) -> dict[str, Any]:
    ref = data.get("id") or data.get("name")
    if not isinstance(ref, str):
        raise ValidationError.one("id", "Missing value")
    group = get_group(session, ref, organization)
    permissions.ensure_org_admin(actor, group.id)
    before = group_dict(group)
    parsed = GroupIn.parse({"name": group.name, **data})
    if parsed.name != group.name and session.scalar(select(Group.id).where(Group.name == parsed.name)):
        raise ValidationError.one("name", "Group name already exists in database")
    group.name, group.title = parsed.name, parsed.title
    group.description, group.image_url = parsed.description, parsed.image_url
    session.flush()
    out = group_dict(group)
    kind = "organization" if organization else "group"
    activity.record(session, actor.user_id, group.id, f"changed {kind}", "group", out, before)
    if (out["title"], out["name"]) != (before["title"], before["name"]):
        _reindex_members(session, cfg, group)  # its title is part of its datasets' index entries
    return out


def _reindex_members(session: Session, cfg: CatalogConfig, group: Group) -> None:
    from sapan.catalog.datasets import reindex_datasets

    if group.is_organization:
        ids = list(session.scalars(select(Dataset.id).where(Dataset.owner_org == group.id)))
    else:
        ids = list(session.scalars(select(DatasetGroup.dataset_id).where(DatasetGroup.group_id == group.id)))
    reindex_datasets(session, cfg, ids)


def delete_group(session: Session, cfg: CatalogConfig, actor: Actor, ref: str, organization: bool) -> None:
    group = get_group(session, ref, organization)
    permissions.ensure_sysadmin(actor, "delete organizations and groups")
    if organization and session.scalar(
        select(func.count())
        .select_from(Dataset)
        .where(Dataset.owner_org == group.id, Dataset.state != "deleted")
    ):
        raise ValidationError.one("id", "Organization cannot be deleted while it still has datasets")
    group.state = "deleted"
    session.flush()
    if not organization:  # a deleted theme no longer holds datasets
        from sapan.catalog.datasets import reindex_datasets

        ids = list(session.scalars(select(DatasetGroup.dataset_id).where(DatasetGroup.group_id == group.id)))
        session.execute(delete(DatasetGroup).where(DatasetGroup.group_id == group.id))
        session.expire_all()
        reindex_datasets(session, cfg, ids)
    kind = "organization" if organization else "group"
    activity.record(session, actor.user_id, group.id, f"deleted {kind}", "group", group_dict(group))


def dataset_counts(session: Session, actor: Actor, organization: bool) -> dict[str, int]:
    """Datasets per organization/group that this actor can see."""
    visible: ColumnElement[bool] = (Dataset.state == "active") & (Dataset.private.is_(False))
    if actor.sysadmin:
        visible = Dataset.state == "active"
    elif actor.roles:
        visible = (Dataset.state == "active") & visible_to(actor)
    if organization:
        query = select(Dataset.owner_org, func.count()).where(visible).group_by(Dataset.owner_org)
    else:
        query = (
            select(DatasetGroup.group_id, func.count())
            .join(Dataset, Dataset.id == DatasetGroup.dataset_id)
            .where(visible)
            .group_by(DatasetGroup.group_id)
        )
    return {gid: n for gid, n in session.execute(query).all() if gid}


def list_groups(
    session: Session,
    actor: Actor,
    organization: bool,
    all_fields: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> list[Any]:
    query = (
        select(Group)
        .where(Group.is_organization == organization, Group.state == "active")
        .order_by(Group.name)
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    groups = list(session.scalars(query))
    if not all_fields:
        return [g.name for g in groups]
    counts = dataset_counts(session, actor, organization)
    return [group_dict(g, counts.get(g.id, 0)) for g in groups]


def show_group(
    session: Session, actor: Actor, ref: str, organization: bool, include_users: bool = True
) -> dict[str, Any]:
    group = get_group(session, ref, organization)
    counts = dataset_counts(session, actor, organization)
    out = group_dict(group, counts.get(group.id, 0))
    if include_users and organization:
        out["users"] = [
            {**user_dict(u), "capacity": capacity} for u, capacity in members_of(session, group.id)
        ]
    return out


def add_member(
    session: Session, actor: Actor, org_ref: str, username: str, role: str, clearance: Any = None
) -> dict[str, Any]:
    """organization_member_create: org admins (and sysadmins) add users with a role and a clearance
    (kept as it was when not given; 0 for a new member)."""
    org = get_group(session, org_ref, organization=True)
    permissions.ensure_org_admin(actor, org.id)
    user = get_user(session, username)
    previous = actor_for(session, user)
    level = None if clearance in (None, "") else classification.check_clearance(clearance)
    member = set_membership(session, user, org.id, role)
    if level is not None:
        member.clearance = level
    session.flush()
    audit.record(
        session, actor.name or "", "membership.change", "organization", org.name,
        {"user": user.name, "role": member.capacity, "previous_role": previous.roles.get(org.id),
         "clearance": member.clearance, "previous_clearance": previous.clearances.get(org.id)},
    )  # fmt: skip
    return {"id": member.id, "group_id": org.id, "user_id": user.id, "capacity": member.capacity,
            "clearance": member.clearance}  # fmt: skip


def remove_member(session: Session, actor: Actor, org_ref: str, username: str) -> None:
    """organization_member_delete: org admins (and sysadmins) take a user's role away (audited)."""
    org = get_group(session, org_ref, organization=True)
    permissions.ensure_org_admin(actor, org.id)
    user = get_user(session, username)
    member = session.scalar(
        select(Membership).where(Membership.user_id == user.id, Membership.group_id == org.id)
    )
    if member is None:
        raise NotFound("User is not a member of this organization")
    previous = member.capacity
    session.delete(member)
    session.flush()
    audit.record(
        session, actor.name or "", "membership.change", "organization", org.name,
        {"user": user.name, "role": None, "previous_role": previous},
    )  # fmt: skip
