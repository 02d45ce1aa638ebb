"""API tokens: a token is shown once, when it is created; only its SHA-256 is kept.

Every function takes a Session and never commits: the entrypoint owns the transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gate.store.records import TokenRecord, as_utc

PREFIX = "pg_"  # says what a leaked string is, to people and to secret scanners
RANDOM_BYTES = 32
NAME_LIMIT = 200  # the width of token.name


class TokenError(ValueError):
    """A token operation that cannot be done; the message says why in one sentence."""


class TokenNameTaken(TokenError):
    """A token of that name exists already (revoked tokens keep their names)."""


class UnknownToken(TokenError):
    """No token of that name."""


@dataclass(frozen=True)
class Token:
    """What is known about a token: never the token itself."""

    name: str
    created: datetime
    revoked: datetime | None
    last_used: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked is None


def _token(record: TokenRecord) -> Token:
    created = as_utc(record.created)
    assert created is not None
    return Token(record.name, created, as_utc(record.revoked), as_utc(record.last_used))


def digest_of(token: str) -> str:
    """Return the SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def _checked_name(name: str) -> str:
    if not 0 < len(name) <= NAME_LIMIT or not name.isprintable() or " " in name:
        raise TokenError(f"a token name is 1 to {NAME_LIMIT} printable characters without spaces")
    return name


def create(session: Session, name: str, now: datetime) -> str:
    """Store a new token named `name` and return it: the only time it is ever seen."""
    token = PREFIX + secrets.token_urlsafe(RANDOM_BYTES)
    record = TokenRecord(name=_checked_name(name), digest=digest_of(token), created=now)
    try:
        # The unique name decides, also against a concurrent create of the same name.
        with session.begin_nested():
            session.add(record)
    except IntegrityError:
        raise TokenNameTaken(f"a token named {name!r} exists already") from None
    return token


def list_all(session: Session) -> list[Token]:
    """List every token, active and revoked, oldest first."""
    records = session.scalars(select(TokenRecord).order_by(TokenRecord.created, TokenRecord.name))
    return [_token(record) for record in records]


def revoke(session: Session, name: str, now: datetime) -> Token:
    """Revoke the token named `name` for good; revoking it again keeps the first date."""
    record = session.scalars(select(TokenRecord).where(TokenRecord.name == name)).first()
    if record is None:
        raise UnknownToken(f"no token named {name!r}")
    if record.revoked is None:
        record.revoked = now
        session.flush()
    return _token(record)


def check(session: Session, presented: str) -> str | None:
    """Return the name of the active token whose digest matches the presented one, else None.

    The digest is compared with every active token in constant time and without stopping at a
    match, so that the answer's timing says nothing about how close a guess came.
    """
    digest = digest_of(presented)
    rows = session.execute(
        select(TokenRecord.name, TokenRecord.digest).where(TokenRecord.revoked.is_(None))
    ).all()
    found: str | None = None
    for name, stored in rows:
        if hmac.compare_digest(digest, stored):
            found = name
    return found


def mark_used(session: Session, name: str, now: datetime) -> None:
    """Record that the token named `name` was just used."""
    session.execute(update(TokenRecord).where(TokenRecord.name == name).values(last_used=now))
