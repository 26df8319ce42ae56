"""Users, memberships and API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sapan.accounts.models import ApiToken, Membership, User
from sapan.db import utcnow
from sapan.errors import NotAuthorized, NotFound, ValidationError
from sapan.governance import audit
from sapan.governance.scope import PartnerScope, scope_for_user

NAME = re.compile(r"^[a-z0-9_-]{2,100}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CAPACITIES = ("admin", "editor", "member")
_hasher = PasswordHasher()


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user (with their organization roles) or nobody."""

    user_id: str | None = None
    name: str | None = None
    sysadmin: bool = False
    roles: dict[str, str] = field(default_factory=dict)  # organization id -> capacity
    clearances: dict[str, int] = field(default_factory=dict)  # organization id -> clearance (0-4)
    # A partner portal's request: only what its data-flow agreement lets cross (governance/scope.py).
    partner: PartnerScope | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None


ANONYMOUS = Actor()


def actor_for(session: Session, user: User) -> Actor:
    rows = session.execute(
        select(Membership.group_id, Membership.capacity, Membership.clearance).where(
            Membership.user_id == user.id
        )
    ).all()
    return Actor(user.id, user.name, user.sysadmin, {g: c for g, c, _ in rows}, {g: k for g, _, k in rows})


def get_user(session: Session, id_or_name: str) -> User:
    user = session.scalar(
        select(User).where((User.id == id_or_name) | (User.name == id_or_name), User.state == "active")
    )
    if user is None:
        raise NotFound("User not found")
    return user


def create_user(
    session: Session,
    name: str,
    email: str = "",
    password: str | None = None,
    sysadmin: bool = False,
    fullname: str = "",
) -> User:
    """Create a user; raises ValidationError for a bad or taken name, bad e-mail or short password."""
    errors: dict[str, list[str]] = {}
    if not NAME.match(name or ""):
        errors["name"] = ["Must be 2-100 characters: lowercase alphanumeric (ascii), '-' and '_'"]
    if email and not EMAIL.match(email):
        errors["email"] = [f"Email {email} is not a valid format"]
    if password is not None and len(password) < 8:
        errors["password"] = ["Your password must be 8 characters or longer"]
    if not errors and session.scalar(select(User.id).where(User.name == name)):
        errors["name"] = ["That login name is not available."]
    if errors:
        raise ValidationError(errors)
    user = User(
        name=name,
        email=email,
        fullname=fullname,
        sysadmin=sysadmin,
        password_hash=_hasher.hash(password) if password else None,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:
        raise ValidationError.one("name", "That login name is not available.") from exc
    return user


def check_password(session: Session, name: str, password: str) -> User:
    """Return the user whose password this is; raises NotAuthorized otherwise."""
    user = session.scalar(select(User).where(User.name == name, User.state == "active"))
    if user is None or not user.password_hash:
        # as slow as a wrong password, so the answer's timing does not tell which names exist
        with suppress(VerificationError, InvalidHashError):
            _hasher.verify(_unknown_user_hash(), password)
        raise NotAuthorized("Login failed. Bad username or password.")
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError) as exc:
        raise NotAuthorized("Login failed. Bad username or password.") from exc
    return user


@cache
def _unknown_user_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    session: Session, user: User, name: str = "", expires_in_days: int | None = None, by: str | None = None
) -> tuple[ApiToken, str]:
    """Create an API token; the plain token is returned once and never stored."""
    if expires_in_days is not None and expires_in_days <= 0:
        raise ValidationError.one("expires_in", "Must be a positive number of days")
    plain = secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=_digest(plain),
        expires_at=utcnow() + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    session.add(token)
    session.flush()
    audit.record(
        session, by or user.name, "token.create", "api_token", token.id, {"user": user.name, "name": name}
    )
    return token, plain


def actor_for_token(session: Session, plain: str) -> Actor:
    """The actor an `Authorization` header stands for; raises NotAuthorized for a bad token."""
    row = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == _digest(plain.strip()))
    ).first()
    if row is None:
        raise NotAuthorized("Invalid API token")
    token, user = row
    now = utcnow()
    # Before the token's own expiry: a revoked agreement also ends its token, and the partner should
    # read why (the agreement), not only that the token expired.
    partner = scope_for_user(session, user.id, now)
    if user.state != "active" or (token.expires_at is not None and token.expires_at < now):
        raise NotAuthorized("API token expired or user disabled")
    # Recorded hourly, not per request, so reads stay free of writes.
    if token.last_access is None or now - token.last_access > timedelta(hours=1):
        token.last_access = now
    if partner is not None:  # a partner acts under its agreement only, whatever its user was given
        return Actor(user.id, user.name, partner=partner)
    return actor_for(session, user)


def token_id(session: Session, plain: str) -> str | None:
    """The id of a usable API token (the rate limit counts per token); None for an unknown or expired
    token or a disabled user."""
    row = session.execute(
        select(ApiToken.id, ApiToken.expires_at, User.state)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == _digest(plain.strip()))
    ).first()
    if row is None or row.state != "active" or (row.expires_at is not None and row.expires_at < utcnow()):
        return None
    return str(row.id)


def revoke_token(
    session: Session, actor: Actor, token_id: str | None = None, plain: str | None = None
) -> None:
    """Revoke a token by its id or by the token itself. Users revoke their own; sysadmins any."""
    query = select(ApiToken)
    if token_id:
        query = query.where(ApiToken.id == token_id)
    elif plain:
        query = query.where(ApiToken.token_hash == _digest(plain))
    else:
        raise ValidationError.one("jti", "Missing value: give the token or its id (jti)")
    token = session.scalar(query)
    if token is None:
        raise NotFound("API token not found")
    if not actor.sysadmin and token.user_id != actor.user_id:
        raise NotAuthorized("You can only revoke your own API tokens")
    audit.record(session, actor.name or "", "token.revoke", "api_token", token.id, {"user_id": token.user_id})
    session.delete(token)
    session.flush()


def list_tokens(session: Session, user_id: str) -> list[ApiToken]:
    return list(
        session.scalars(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.created_at))
    )


def token_dict(token: ApiToken) -> dict[str, object]:
    return {
        "id": token.id,
        "name": token.name,
        "user_id": token.user_id,
        "created_at": token.created_at.isoformat(),
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        "last_access": token.last_access.isoformat() if token.last_access else None,
    }


def set_membership(session: Session, user: User, group_id: str, capacity: str) -> Membership:
    """Add a user to an organization with a role, or change their role."""
    if capacity not in CAPACITIES:
        raise ValidationError.one("role", f"Must be one of: {', '.join(CAPACITIES)}")
    member = session.scalar(
        select(Membership).where(Membership.user_id == user.id, Membership.group_id == group_id)
    )
    if member is None:
        member = Membership(user_id=user.id, group_id=group_id, capacity=capacity)
        session.add(member)
    else:
        member.capacity = capacity
    session.flush()
    return member


def members_of(session: Session, group_id: str) -> list[tuple[User, str]]:
    rows = session.execute(
        select(User, Membership.capacity)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.group_id == group_id)
        .order_by(User.name)
    ).all()
    return [(u, c) for u, c in rows]


def user_dict(user: User, include_private: bool = False) -> dict[str, object]:
    out: dict[str, object] = {
        "id": user.id,
        "name": user.name,
        "fullname": user.fullname,
        "display_name": user.fullname or user.name,
        "about": user.about,
        "created": user.created.isoformat(),
        "sysadmin": user.sysadmin,
        "state": user.state,
    }
    if include_private:
        out["email"] = user.email
    return out


SITE_USER = "sapan-site"


def site_actor(session: Session) -> Actor:
    """The site's own sysadmin account, used by the CLI and jobs (like CKAN's site user)."""
    user = session.scalar(select(User).where(User.name == SITE_USER))
    if user is None:
        user = create_user(session, SITE_USER, sysadmin=True, fullname="Sapan")
    return actor_for(session, user)


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).where(User.state == "active").order_by(User.name)))


def set_sysadmin(session: Session, actor: Actor, user: User, sysadmin: bool) -> None:
    """Make a user a sysadmin or take it back (sysadmins only; audited). NotAuthorized otherwise."""
    if not actor.sysadmin:
        raise NotAuthorized("Only sysadmins may change who is a sysadmin")
    if user.sysadmin == sysadmin:
        return
    user.sysadmin = sysadmin
    session.flush()
    audit.record(session, actor.name or "", "user.sysadmin", "user", user.name, {"sysadmin": sysadmin})
