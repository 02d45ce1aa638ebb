"""Known issues from the web, on both engines: the rules' API behind a bearer token, and the
cluster page's form behind a token login and a per-session form token."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from tests.conftest import EXAMPLES
from web.app import SECURITY_HEADERS, create_app
from web.cli import main

GUEST_START = (
    "ts-guest-start: step failed / + xl create <PATH>/debian.guest.osstest.cfg / "
    "libxl: error: domain did not respond in <N>s"
)
RULE = {
    "name": "guest-start-timeout",
    "kind": "product",
    "bug_url": "https://bugs.xenproject.org/xen/bug/12",
    "testid": "guest-start",
    "message": "did not respond in <N>s",
}
SECRET = "a test secret, not for use"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def store(db_url: str) -> tuple[str, str]:
    """The example flights in a new store of each engine, and an API token for it."""
    run = CliRunner().invoke
    allow = str(EXAMPLES / "allow.xen-unstable")
    ingest = ["ingest", "--allow-file", allow, str(EXAMPLES / "flights")]
    assert run(main, ["--database", db_url, *ingest]).exit_code == 0
    made = run(main, ["--database", db_url, "token", "create", "ian"])
    assert made.exit_code == 0
    return db_url, made.stdout.strip()


def _client(url: str, secret: str | None = SECRET) -> FlaskClient:
    config = {"DATABASE_URL": url, "NOW": "2013-07-31", "SECRET_KEY": secret}
    return create_app(config).test_client()


def _digest(client: FlaskClient) -> str:
    clusters = client.get("/api/v1/failures").get_json()["clusters"]
    return next(c["digest"] for c in clusters if c["signature"] == GUEST_START)


def test_posting_a_rule_needs_a_token_and_the_rule_classifies_past_failures(store):
    url, token = store
    client = _client(url)
    refused = client.post("/api/v1/triage/rules", json=RULE)
    assert refused.status_code == 401 and "API token" in refused.get_json()["error"]
    wrong = client.post("/api/v1/triage/rules", json=RULE, headers={"Authorization": "Bearer pg_x"})
    assert wrong.status_code == 401
    auth = {"Authorization": f"Bearer {token}"}
    made = client.post("/api/v1/triage/rules", json=RULE, headers=auth)
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["saved"] == "created" and made.get_json()["by"] == "ian"
    again = client.post("/api/v1/triage/rules", json=RULE, headers=auth)
    assert again.status_code == 200 and again.get_json()["saved"] == "unchanged"
    listed = client.get("/api/v1/triage/rules").get_json()
    assert [(v["rule"]["name"], v["by"], v["at"][:10]) for v in listed] == [
        ("guest-start-timeout", "ian", "2013-07-31")
    ]
    assert client.get("/api/v1/triage/rules?as_of=2013-07-30").get_json() == []
    flight = client.get("/api/v1/flights/17006").get_json()
    assert flight["triage"] == {"known": 2, "total": 2}
    cluster = client.get(f"/api/v1/failures/{_digest(client)}").get_json()
    assert (
        cluster["triage"]["known"]
        == cluster["triage"]["total"]
        == cluster["cluster"]["occurrences"]
    )
    assert {o["known"]["rule"] for o in cluster["occurrences"]} == {"guest-start-timeout"}


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ({**RULE, "bug_url": ""}, "a product rule needs the `bug_url` of its bug"),
        ({**RULE, "message": "(x"}, "`message` is not a regular expression"),
        ({**RULE, "colour": "red"}, "unknown key `colour`"),
        ([1, 2], "is not a table of the keys"),
    ],
    ids=["bug-url", "regex", "key", "not-an-object"],
)
def test_a_wrong_rule_is_a_400_in_one_sentence(store, body, said):
    url, token = store
    answer = _client(url).post(
        "/api/v1/triage/rules", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 400
    assert said in answer.get_json()["error"]


def _login(client: FlaskClient, token: str) -> None:
    page = client.get("/login?next=/failures/")
    csrf = CSRF.search(page.get_data(as_text=True))
    assert csrf
    answer = client.post("/login", data={"csrf": csrf[1], "token": token, "next": "/failures/"})
    assert answer.status_code == 303 and answer.headers["Location"] == "/failures/"


def _form(client: FlaskClient, digest: str) -> dict[str, str]:
    html = client.get(f"/failures/{digest}").get_data(as_text=True)
    assert 'action="/failures/' in html
    fields = dict(re.findall(r'<input (?:class="mono" )?name="(\w+)" value="([^"]*)"', html))
    csrf = CSRF.search(html)
    assert csrf
    return {
        **fields,
        "csrf": csrf[1],
        "name": "guest-start-timeout",
        "kind": "product",
        "bug_url": RULE["bug_url"],
    }


def test_the_form_is_refused_without_a_login_and_without_the_form_token(store):
    url, token = store
    client = _client(url)
    digest = _digest(client)
    html = client.get(f"/failures/{digest}").get_data(as_text=True)
    assert "Sign in with an API token" in html and 'name="bug_url"' not in html
    post = f"/failures/{digest}/rules"
    assert client.post(post, data={**RULE, "csrf": "x"}).status_code == 401
    # Signing in needs the login form's own token.
    assert client.post("/login", data={"token": token}).status_code == 400
    _login(client, token)
    form = _form(client, digest)
    assert form["testid"] == "guest-start" and form["message"]
    without = {k: v for k, v in form.items() if k != "csrf"}
    assert client.post(post, data=without).status_code == 400
    assert client.post(post, data={**form, "csrf": "forged"}).status_code == 400
    assert client.get("/api/v1/triage/rules").get_json() == []
    made = client.post(post, data=form)
    assert made.status_code == 303
    assert made.headers["Location"].startswith(f"/failures/{digest}?saved=rule")
    assert "Kept: rule guest-start-timeout." in client.get(made.headers["Location"]).get_data(
        as_text=True
    )
    listed = client.get("/api/v1/triage/rules").get_json()
    assert [(v["rule"]["name"], v["by"]) for v in listed] == [("guest-start-timeout", "ian")]
    page = client.get(f"/failures/{digest}").get_data(as_text=True)
    assert re.search(r"\d+ of \d+ failures known", page)
    assert 'href="https://bugs.xenproject.org/xen/bug/12"' in page
    # The proposed expression matched the cluster it was made from: every failure is known.
    tally = client.get(f"/api/v1/failures/{digest}").get_json()["triage"]
    assert tally["known"] == tally["total"] > 0


def test_a_wrong_token_does_not_sign_in_and_a_revoked_one_signs_out(store):
    url, token = store
    client = _client(url)
    csrf = CSRF.search(client.get("/login").get_data(as_text=True))
    assert csrf
    assert client.post("/login", data={"csrf": csrf[1], "token": "pg_nope"}).status_code == 401
    _login(client, token)
    digest = _digest(client)
    form = _form(client, digest)
    assert CliRunner().invoke(main, ["--database", url, "token", "revoke", "ian"]).exit_code == 0
    assert client.post(f"/failures/{digest}/rules", data=form).status_code == 401


def test_without_a_secret_key_the_form_is_off_and_nobody_signs_in(store):
    url, token = store
    client = _client(url, secret=None)
    digest = _digest(client)
    assert "needs <code>PUSHGATE_SECRET_KEY</code>" in client.get(f"/failures/{digest}").get_data(
        as_text=True
    )
    assert client.post("/login", data={"token": token}).status_code == 503
    assert client.post(f"/failures/{digest}/rules", data=RULE).status_code == 401


def test_the_login_page_and_the_form_keep_the_security_headers(store):
    url, token = store
    client = _client(url)
    for answer in (client.get("/login"), client.post("/login", data={"token": token})):
        for name, value in SECURITY_HEADERS.items():
            assert answer.headers[name] == value
    cookie = _client(url).get("/login").headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_the_form_accepts_a_blocking_step_for_a_release_by_who_signed_in(store):
    url, token = store
    roadmap = ["--database", url, "roadmap", "import", str(EXAMPLES / "xen-4.3" / "roadmap.toml")]
    assert CliRunner().invoke(main, roadmap).exit_code == 0
    client = _client(url)
    digest = _digest(client)
    post = f"/failures/{digest}/accept"
    wanted = {"job": "test-amd64-amd64-xl-pcipt-intel", "testid": "guest-start", "release": "4.3"}
    wanted |= {"until": "2013-08-31", "reason": "no card in the slot"}
    assert client.post(post, data={**wanted, "csrf": "x"}).status_code == 401
    _login(client, token)
    html = client.get(f"/failures/{digest}").get_data(as_text=True)
    assert 'action="/failures/' + digest + '/accept"' in html and "<option>4.3</option>" in html
    csrf = CSRF.search(html)
    assert csrf
    assert client.post(post, data={**wanted, "csrf": "forged"}).status_code == 400
    bad = client.post(post, data={**wanted, "until": "soon", "csrf": csrf[1]})
    assert bad.status_code == 400
    made = client.post(post, data={**wanted, "csrf": csrf[1]})
    assert made.status_code == 303 and "saved=" in made.headers["Location"]
    accepted = client.get("/api/v1/triage/accepted?release=4.3").get_json()["accepted"]
    assert [(a["job"], a["by"], a["until"]) for a in accepted] == [
        ("test-amd64-amd64-xl-pcipt-intel", "ian", "2013-08-31")
    ]
    page = client.get(made.headers["Location"]).get_data(as_text=True)
    assert "accepted by ian until 2013-08-31: no card in the slot" in page
