"""Every permission check, in one place. Private data answers 404 to outsiders (never 403),
so its existence does not leak."""

from __future__ import annotations

from sapan.accounts.service import Actor
from sapan.errors import NotAuthorized, NotFound
from sapan.governance.classification import PUBLIC_CATEGORY as PUBLIC

EDITING = ("admin", "editor")


def can_read_dataset(
    actor: Actor, owner_org: str | None, private: bool, state: str, level: int = 0, category: str = PUBLIC
) -> bool:
    """Public data is everyone's; private data is its organization's members' whose clearance reaches the
    dataset's classification level (governance/classification.py); sysadmins see all. A partner portal
    sees only public data its data-flow agreement allows (`category`: the dataset's data category)."""
    if actor.partner is not None:  # first: whatever roles the partner's user was given
        return actor.partner.allows(private, state, level, category)
    if actor.sysadmin:
        return True
    if state == "deleted":
        return False
    if not private and state == "active":
        return True
    return owner_org is not None and owner_org in actor.roles and actor.clearances.get(owner_org, 0) >= level


def ensure_read_dataset(
    actor: Actor, owner_org: str | None, private: bool, state: str, level: int = 0, category: str = PUBLIC
) -> None:
    if not can_read_dataset(actor, owner_org, private, state, level, category):
        raise NotFound("Dataset not found")


def can_edit_in(actor: Actor, owner_org: str | None) -> bool:
    if actor.partner is not None:  # partner portals read; their agreements never let them write
        return False
    if actor.sysadmin:
        return True
    return owner_org is not None and actor.roles.get(owner_org) in EDITING


def ensure_edit_in(actor: Actor, owner_org: str | None, what: str = "edit datasets") -> None:
    if actor.is_anonymous:
        raise NotAuthorized(f"You must be logged in (send an API token) to {what}")
    if not can_edit_in(actor, owner_org):
        raise NotAuthorized(f"User {actor.name} not authorized to {what} in this organization")


def ensure_org_admin(actor: Actor, org_id: str) -> None:
    if actor.is_anonymous:
        raise NotAuthorized("You must be logged in (send an API token)")
    if not (actor.sysadmin or actor.roles.get(org_id) == "admin"):
        raise NotAuthorized(f"User {actor.name} not authorized to manage this organization")


def ensure_sysadmin(actor: Actor, what: str) -> None:
    if not actor.sysadmin or actor.partner is not None:
        raise NotAuthorized(f"Only sysadmins may {what}")


def ensure_logged_in(actor: Actor, what: str) -> None:
    if actor.is_anonymous:
        raise NotAuthorized(f"You must be logged in (send an API token) to {what}")
