"""`pushgate token`: the API tokens that may push flights to POST /api/v1/flights."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import click
from sqlalchemy.orm import Session

from gate.store import tokens
from gate.store.db import unit_of_work
from web.context import FORMAT, Context, Group


@click.group(cls=Group)
def token() -> None:
    """Create, list and revoke the API tokens that may push flights."""


@token.command("create")
@click.argument("name")
@click.pass_obj
def token_create(obj: Context, name: str) -> None:
    """Create a token named NAME and print it: only its hash is kept, so it is shown once.

    Example:

    \b
      pushgate token create osstest-pusher
    """
    with unit_of_work(obj.engine()) as session:
        secret = tokens.create(session, name, datetime.now(UTC))
    click.echo(secret)
    click.echo(f"token {name} created: copy it now, it will not be shown again", err=True)


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment else "-"


def _token_dict(found: tokens.Token) -> dict[str, Any]:
    return {
        "name": found.name,
        "created": found.created.isoformat(),
        "revoked": found.revoked.isoformat() if found.revoked else None,
        "last_used": found.last_used.isoformat() if found.last_used else None,
    }


@token.command("list")
@FORMAT
@click.pass_obj
def token_list(obj: Context, fmt: str) -> None:
    """List the tokens (never the tokens themselves): created, last used, revoked (UTC).

    Example:

    \b
      pushgate token list --format json
    """
    with Session(obj.reader()) as session:
        found = tokens.list_all(session)
    if fmt == "json":
        click.echo(json.dumps([_token_dict(t) for t in found], indent=2))
        return
    if not found:
        click.echo("no tokens")
        return
    width = max(len("name"), *(len(t.name) for t in found))
    click.echo(f"{'name':<{width}}  {'created':<16}  {'last used':<16}  revoked")
    for t in found:
        click.echo(
            f"{t.name:<{width}}  {_when(t.created):<16}  {_when(t.last_used):<16}  "
            f"{_when(t.revoked)}"
        )


@token.command("revoke")
@click.argument("name")
@click.pass_obj
def token_revoke(obj: Context, name: str) -> None:
    """Revoke the token named NAME: pushes with it are refused from now on.

    Example:

    \b
      pushgate token revoke osstest-pusher
    """
    with unit_of_work(obj.engine()) as session:
        revoked = tokens.revoke(session, name, datetime.now(UTC))
    click.echo(f"token {name} revoked on {_when(revoked.revoked)} UTC")
