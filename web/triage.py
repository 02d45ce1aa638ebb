"""Known issues from the web: the rules' API (a bearer token, like the push API) and the form on
a failure cluster's page, behind a token login kept in a signed session cookie.

Every form here carries a per-session random token (`csrf`), checked on each POST, so that
another site cannot make a signed-in browser post one. The session needs the app's SECRET_KEY
(PUSHGATE_SECRET_KEY): without it the form says so and nobody can sign in.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, NoReturn

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as cookie

from gate.acceptance import AcceptanceError
from gate.keep.acceptance import keep_acceptance
from gate.model import TestKey
from gate.pages.triage import triage_rules
from gate.read.failures import ClusterPage
from gate.read.triage import RuleDraft, draft_for
from gate.store import tokens
from gate.store.acceptance import NotAccepted
from gate.store.db import unit_of_work
from gate.store.roadmap import UnknownRelease
from gate.store.triage import Saved, save_rule
from gate.triage import Kind, Rule, RuleError
from ingest.triage_file import RULE_KEYS, read_rule
from web import db
from web.push import authorize
from web.twin import to_json

bp = Blueprint("triage", __name__)
CODES = {Saved.CREATED: 201, Saved.CHANGED: 201, Saved.UNCHANGED: 200}


@dataclass(frozen=True)
class SignedIn:
    """Whether the triage form can be used, and who signed in to it."""

    enabled: bool  # the app has a SECRET_KEY to sign the session with
    by: str | None


def _moment() -> datetime:
    """The moment a change is made: the app's fixed NOW (as the demo and the tests have), else
    the clock; never a page's `?as_of=`, which a form's address carries."""
    fixed: datetime | None = current_app.extensions[db.EXTENSION]["now"]
    return fixed if fixed is not None else datetime.now(UTC)


def _refuse(code: int, message: str) -> NoReturn:
    abort(code, description=message)


def _rule(values: Any, where: str) -> Rule:
    try:
        return read_rule(values, where)
    except RuleError as exc:
        _refuse(400, str(exc))


def _save(rule: Rule, by: str) -> Saved:
    at = _moment()
    with unit_of_work(db.engine()) as unit:
        tokens.mark_used(unit, by, at)
        return save_rule(unit, rule, at, by)


@bp.get("/api/v1/triage/rules")
def rules() -> Any:
    """The rules in force at the moment shown, each with who made its version and when."""
    return jsonify(to_json(triage_rules(db.session(), db.now())))


@bp.post("/api/v1/triage/rules")
def post_rule() -> Any:
    """Keep one rule from a JSON object; the bearer token's name is who made it."""
    by = authorize()
    body = request.get_json(silent=True)
    if body is None:
        _refuse(400, f"send the rule as a JSON object with the keys {', '.join(RULE_KEYS)}")
    rule = _rule(body, "the rule")
    saved = _save(rule, by)
    return jsonify(rule=to_json(rule), saved=saved.value, by=by), CODES[saved]


def _signing() -> bool:
    return bool(current_app.secret_key)


def _csrf_checked() -> None:
    expected = cookie.get("csrf")
    given = request.form.get("csrf", "")
    if not isinstance(expected, str) or not hmac.compare_digest(expected, given):
        _refuse(
            400, "the form is stale or came from another site: reload the page and send it again"
        )


def _signed_in() -> str:
    """Return who signed in to this session, if their token is still active; else refuse."""
    by = cookie.get("by") if _signing() else None
    active = {t.name for t in tokens.list_all(db.session()) if t.active}
    if not isinstance(by, str) or by not in active:
        _refuse(401, "sign in with an API token first (/login)")
    return by


@bp.app_template_global("csrf_token")
def csrf_token() -> str:
    """Return this session's form token, made on first use."""
    if "csrf" not in cookie:
        cookie["csrf"] = secrets.token_urlsafe(32)
    found: str = cookie["csrf"]
    return found


@bp.app_template_global("triage_signed_in")
def signed_in() -> SignedIn:
    """Say whether the triage form is on, and who signed in to it."""
    by = cookie.get("by") if _signing() else None
    return SignedIn(_signing(), by if isinstance(by, str) else None)


@bp.app_template_global("rule_draft")
def rule_draft(page: ClusterPage) -> RuleDraft:
    """The form's first proposal: the cluster's, or the job and testid a row's `t` asked for."""
    draft = draft_for(page)
    job, testid = request.args.get("job"), request.args.get("testid")
    return RuleDraft(job or draft.job, testid or draft.testid, draft.message)


@bp.app_template_global("triage_kinds")
def kinds() -> list[Kind]:
    return list(Kind)


def _local(target: str | None) -> str:
    """Return where to go after signing in: a path of this app, never another site."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return url_for("pages.failures")


@bp.get("/login")
def login() -> Any:
    return render_template("login.html", next=_local(request.args.get("next")), error=None)


@bp.post("/login")
def post_login() -> Any:
    """Sign in with an API token: its name is kept in the signed session, never the token."""
    if not _signing():
        _refuse(503, "signing in needs PUSHGATE_SECRET_KEY, which this server does not set")
    _csrf_checked()
    target = _local(request.form.get("next"))
    name = tokens.check(db.session(), request.form.get("token", "").strip())
    if name is None:
        page = render_template("login.html", next=target, error="that token is unknown or revoked")
        return page, 401
    cookie.clear()
    cookie["by"] = name
    cookie["csrf"] = secrets.token_urlsafe(32)  # a new session, a new form token
    return redirect(target, 303)


@bp.post("/logout")
def logout() -> Any:
    if _signing():
        _csrf_checked()
        cookie.clear()
    return redirect(_local(request.form.get("next")), 303)


@bp.post("/failures/<digest>/rules")
def add_rule(digest: str) -> Any:
    """Keep a rule from the form on a cluster's page, made by who signed in."""
    by = _signed_in()
    _csrf_checked()
    values = {key: request.form.get(key, "").strip() for key in RULE_KEYS}
    values = {key: value for key, value in values.items() if value or key in ("name", "kind")}
    rule = _rule(values, "the rule")
    _save(rule, by)
    return redirect(url_for("pages.failure", digest=digest, saved=f"rule {rule.name}"), 303)


@bp.post("/failures/<digest>/accept")
def accept_from_form(digest: str) -> Any:
    """Accept a blocking step for a release from the form on a cluster's page, by who signed in:
    readiness only, the push gate stays osstest's (`gate.acceptance`)."""
    by = _signed_in()
    _csrf_checked()
    field = {key: request.form.get(key, "").strip() for key in ("job", "testid", "release")}
    try:
        until = date.fromisoformat(request.form.get("until", "").strip())
    except ValueError:
        _refuse(400, "give the last day the acceptance holds as YYYY-MM-DD")
    at = _moment()
    with unit_of_work(db.engine()) as unit:
        try:
            made = keep_acceptance(
                unit,
                db.settings().policy(),
                field["release"] or None,
                TestKey(field["job"], field["testid"]),
                by,
                request.form.get("reason", ""),
                until,
                at,
            )
        except UnknownRelease as exc:
            _refuse(404, str(exc))
        except (AcceptanceError, NotAccepted) as exc:
            _refuse(400, str(exc))
        tokens.mark_used(unit, by, at)
    said = f"{made.key} for {made.release}, {made.words}"
    return redirect(url_for("pages.failure", digest=digest, saved=said), 303)
