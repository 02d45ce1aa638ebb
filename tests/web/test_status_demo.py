"""The demo's status update as of 2013-03-18, a week before the 4.3 feature freeze, kept in
examples/ to read beside the seed's roadmap mail; a test keeps it byte for byte."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from gate.readiness import Readiness
from web.cli import main

GOLDEN = Path(__file__).resolve().parents[2] / "examples" / "status-4.3-2013-03-18.txt"
COMMAND = ["roadmap", "status", "--release", "4.3", "--now", "2013-03-18"]


@pytest.fixture
def demo(demo_db: str) -> str:
    """The demo's database, built once for the session."""
    return demo_db


@pytest.mark.slow  # generates the Xen 4.3 story and ingests its 200 flights
def test_the_demos_status_update_names_every_feature_and_is_the_example(demo):
    result = CliRunner().invoke(main, ["--database", demo, *COMMAND])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    features = json.loads(
        CliRunner().invoke(main, ["--database", demo, "features", "--format", "json"]).stdout
    )
    sections = result.stdout.split("\nChanges since")[0]
    for feature in features:
        assert sections.count(f"[{feature['slug']}]") == 1, feature["slug"]
    assert result.stdout == GOLDEN.read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_demos_page_text_and_twin_are_the_commands(demo):
    from web.app import create_app

    client = create_app({"DATABASE_URL": demo, "NOW": "2013-03-18"}).test_client()
    assert client.get("/releases/4.3/status").status_code == 200
    text = client.get("/releases/4.3/status.txt").get_data(as_text=True)
    assert text == GOLDEN.read_text(encoding="utf-8")
    twin = client.get("/api/v1/releases/4.3/status").get_json()
    found = CliRunner().invoke(main, ["--database", demo, *COMMAND, "--format", "json"])
    assert twin == json.loads(found.stdout)


@pytest.mark.slow  # the demo, as above
def test_the_status_pages_push_gate_names_where_the_blocking_step_came_in(demo):
    """The demo's 16594 tested the xen commit that broke guest-localmigrate/x10 (the demo's
    story, `ingest/demo.py`); 16566 was the last push before it."""
    from web.app import create_app

    client = create_app({"DATABASE_URL": demo, "NOW": "2013-03-18"}).test_client()
    gate = client.get("/api/v1/releases/4.3/status").get_json()["gate"]
    (step,) = gate["steps"]
    assert (step["testid"], step["came_in"], step["flights"], len(step["jobs"])) == (
        "guest-localmigrate/x10",
        16594,
        4,
        18,
    )
    assert step["revisions"]["xen"].startswith("5f86a42a1a27")
    page = client.get("/releases/4.3/status").get_data(as_text=True)
    assert 'id="gate"' in page and "<strong>8.9 days</strong>" in page
    assert 'came in in <a class="came-in" href="/flights/16594">16594</a> (4 flights)' in page
    assert 'the last push was flight <a href="/flights/16566">16566</a>' in page


@pytest.mark.slow  # the demo, as above
def test_the_readiness_of_a_demo_feature_over_time_is_what_its_flights_show(demo):
    """Worked out by hand from the demo's flights (SQL over its steps, not pushgate's rules):
    event-channel-scalability (declared ok) links the test-amd64-*-xl-multivcpu jobs. Up to
    flight 16576 (2013-03-10) every linked step passes; 16594 (2013-03-11 17:49) regresses
    test-amd64-i386-xl-multivcpu guest-localmigrate/x10, and it fails in every flight since. On
    2013-03-11 the window, the 10 real flights 16460 to 16594, holds 185 passes and 1 failure."""
    from web.app import create_app

    client = create_app({"DATABASE_URL": demo, "NOW": "2013-03-18"}).test_client()
    data = client.get("/api/v1/releases/4.3/readiness?feature=event-channel-scalability").get_json()
    by_day = {d["day"]: d for d in data["features"][0]["days"]}
    assert by_day["2013-03-10"]["readiness"] == "on_track"
    assert by_day["2013-03-10"]["pass_rate"] == 1.0
    assert by_day["2013-03-11"]["readiness"] == "blocked"
    assert by_day["2013-03-11"]["pass_rate"] == pytest.approx(185 / 186)
    assert by_day["2013-03-17"]["readiness"] == "blocked"
    # The overview of the same moment agrees with the timeline's last day.
    overview = client.get("/api/v1/overview").get_json()
    states = {f["slug"]: f["readiness"] for f in overview["features"]}
    for slug, state in states.items():
        one = client.get(f"/api/v1/releases/4.3/readiness?feature={slug}").get_json()
        assert one["features"][0]["days"][-1]["readiness"] == state, slug
    every = client.get("/api/v1/releases/4.3/readiness").get_json()
    # Every day counts every state; the chart's states are those of the release's phase (on
    # 2013-03-18, before the freeze, none has missed it).
    counts = every["days"][-1]["counts"]
    assert counts == {s: sum(1 for v in states.values() if v == s) for s in counts}
    assert set(every["readiness_states"]) == set(counts) - {"missed_freeze"}
    assert client.get("/releases/4.3/readiness").status_code == 200


@pytest.mark.slow  # the demo, as above
def test_the_overview_and_a_feature_page_chart_the_days_the_timeline_shows(demo):
    """The burn-down on the overview and the chart on a feature's page are the readiness
    page's days, every one of them kept in the store up to the newest flight's day."""
    import html
    import re

    from sqlalchemy import create_engine, func, select
    from sqlalchemy.orm import Session

    from gate.read.timeline import declared_on
    from gate.store.records import ReadinessDayRecord, ReadinessKeptRecord
    from gate.store.roadmap import load_roadmap
    from web.app import create_app

    client = create_app({"DATABASE_URL": demo, "NOW": "2013-03-18"}).test_client()
    every = client.get("/api/v1/releases/4.3/readiness").get_json()
    overview = client.get("/api/v1/overview").get_json()
    assert overview["burn_down"] == every["days"]
    assert every["days"][0]["day"] == "2012-10-01"  # the first flight's day
    assert every["days"][-1]["day"] == "2013-03-18"

    def figure(url: str, name: str) -> dict:
        page = client.get(url).get_data(as_text=True)
        found = re.search(rf'id="chart-{name}" data-figure="([^"]*)"', page)
        assert found, url
        return json.loads(html.unescape(found.group(1)))

    bars = {trace["name"]: trace["y"] for trace in figure("/", "burn_down")["data"]}
    for state, counts in bars.items():
        assert counts == [d["counts"][state.replace(" ", "_")] for d in every["days"]], state
    slug = "event-channel-scalability"
    days = client.get(f"/api/v1/features/{slug}").get_json()["timeline"]
    one = client.get(f"/api/v1/releases/4.3/readiness?feature={slug}").get_json()
    assert days == one["features"][0]["days"]
    assert [d["day"] for d in days] == [d["day"] for d in every["days"]]
    points = {
        x[:10]: trace["name"]
        for trace in figure(f"/features/{slug}", "readiness")["data"][1:]
        for x in trace["x"]
    }
    assert points == {d["day"]: d["readiness"].replace("_", " ") for d in days}
    with Session(create_engine(demo)) as session:
        kept = session.scalars(select(ReadinessKeptRecord)).one()
        rows = session.scalar(select(func.count()).select_from(ReadinessDayRecord))
        _rel, features = load_roadmap(session, "4.3")
    assert (kept.first.isoformat(), kept.through.isoformat()) == ("2012-10-01", "2013-06-15")
    span = [kept.first + timedelta(days=n) for n in range((kept.through - kept.first).days + 1)]
    # Each feature from the day its first update declared it: 17 from the plan of 2012-10-01,
    # 2 more from 2012-12-10, the last 3 from 2013-02-06.
    assert sorted({f.first_declared.date().isoformat() for f in features}) == [
        "2012-10-01",
        "2012-12-10",
        "2013-02-06",
    ]
    assert rows == sum(declared_on(f, day) for day in span for f in features)


@pytest.mark.slow  # the demo, as above
def test_the_freeze_is_kept_and_a_flight_of_before_it_that_comes_late_takes_it_again(
    demo, tmp_path
):
    """The demo's flights go on to July: the feature freeze (2013-03-25) was kept when the first
    flight after it was stored. A flight stored now, started before the freeze, changes the
    day before's view (judged now), and the kept freeze is taken again with it: a snapshot is
    of the flights started by then, whatever order they came in."""
    import sqlite3

    from gate.model import Status
    from tests.builders import flight, write
    from web.app import create_app

    copy = tmp_path / "demo.sqlite"
    with sqlite3.connect(demo.removeprefix("sqlite:///")) as source, sqlite3.connect(copy) as to:
        source.backup(to)  # the write-ahead log's pages too
    url = f"sqlite:///{copy}"

    def views() -> tuple[dict, dict]:
        client = create_app({"DATABASE_URL": url, "NOW": "2013-04-20"}).test_client()
        kept = client.get("/api/v1/releases/4.3/at/2013-03-25").get_json()
        live = client.get("/api/v1/releases/4.3/at/2013-03-24").get_json()
        return kept, live

    kept, live = views()
    assert kept["kept"] and kept["taken"] and kept["milestone"] == "feature_freeze"
    assert not live["kept"] and live["milestone"] is None
    late = flight(
        16999,
        {"test-amd64-i386-xl-multivcpu guest-start": Status.FAIL},
        xen="f00d",
        started=datetime(2013, 3, 23, 12, tzinfo=UTC),
    )
    stored = CliRunner().invoke(
        main, ["--database", url, "ingest", str(write(late, tmp_path / "late.xml"))]
    )
    assert stored.exit_code == 0, stored.output
    kept_after, live_after = views()
    before = [f["then"] for f in live["features"]]
    assert [f["then"] for f in live_after["features"]] != before  # the day before moved
    assert kept_after["kept"] and kept_after["taken"] != kept["taken"]  # taken again
    then = {f["slug"]: f["then"] for f in kept["features"]}
    again = {f["slug"]: f["then"] for f in kept_after["features"]}
    changed = {slug for slug in then if then[slug] != again[slug]}
    # The late flight failed a step of the multi-vCPU job: what the features it serves show.
    assert "event-channel-scalability" in changed


@pytest.mark.slow  # the demo, as above
def test_comparing_two_demo_flights_lists_no_step_that_only_moved(demo):
    """16594 regressed guest-localmigrate/x10 in 18 jobs (and one more), which stopped there:
    their `capture-logs(N)` steps took a lower number. They only moved: not listed."""
    from web.app import create_app

    client = create_app({"DATABASE_URL": demo, "NOW": "2013-07-31"}).test_client()
    found = client.get("/api/v1/compare/16566/16594").get_json()
    assert found["moved"] == 19
    assert found["counts"]["new_pass"] == 0
    steps = [
        line
        for group in found["groups"]
        for line in group["lines"]
        if "capture-logs" in line["testid"]
    ]
    assert steps == []
    page = client.get("/compare/16566/16594").get_data(as_text=True)
    assert "19 steps only moved: a new step number in the name, not listed" in page


@pytest.mark.slow  # the demo, as above
def test_a_demo_regressions_flight_page_names_the_commits_and_authors_of_its_range(
    demo, monkeypatch
):
    """The demo's xen tree lands the p2m change that breaks guest-localmigrate/x10 on
    2013-03-11: the bisect hint of flight 16631's regressions holds it, by a roadmap owner."""
    from ingest.demo_repo import REPO_NAME, roadmap_owners
    from web.app import create_app

    repo = Path(demo.removeprefix("sqlite:///")).with_name(REPO_NAME)
    assert (repo / "HEAD").is_file()
    monkeypatch.setenv("PUSHGATE_TREE_REPOS", f"xen={repo}")
    client = create_app({"DATABASE_URL": demo, "NOW": "2013-03-18"}).test_client()
    listed = client.get("/api/v1/flights?verdict=regressions").get_json()["flights"]
    number = listed[0]["flight"]
    data = client.get(f"/api/v1/flights/{number}").get_json()
    owners = {f"{p.name} <{p.email}>" for p in roadmap_owners()}
    assert data["people"] and set(data["people"]) <= owners
    [changed] = data["changes"]
    assert (changed["base"], changed["tip"]) == (data["baseline"]["xen"], data["tested"]["xen"])
    assert changed["log"]["reason"] is None and changed["log"]["commits"]
    x10 = [h for h in data["bisect"] if h["testid"] == "guest-localmigrate/x10"]
    assert x10 and all(h["failed_flight"] == 16594 for h in x10)
    [between] = x10[0]["ranges"]
    commits = between["log"]["commits"]
    culprit = "x86/mm: drop the p2m lock across paging populate"
    [landed] = [c for c in commits if c["subject"] == culprit]
    assert f"{landed['author']} <{landed['email']}>" in owners
    page = client.get(f"/flights/{number}").get_data(as_text=True)
    assert "People who touched revisions under test" in page
    assert "Where the regressions came in" in page
    assert culprit in page and landed["author"] in page and landed["sha"][:12] in page
    report = client.get(f"/flights/{number}/report.txt").get_data(as_text=True)
    assert "People who touched revisions under test:\n" in report
    assert all(f"  {person}\n" in report for person in data["people"])


@pytest.mark.slow  # the demo, as above
def test_as_of_2013_02_01_every_surface_shows_the_statuses_declared_by_then(demo):
    """The demo's updates are those of 2012-10-01, 2012-12-10 and 2013-02-06 (the seed's): on
    2013-02-01 the overview, the features table, the status mail and the release page show each
    feature as the update of 2012-12-10 declared it, and none of the three the seed added."""
    import tomllib

    from ingest.demo import ROADMAP_UPDATES
    from web.app import create_app

    def declared(path: Path) -> dict[str, str]:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return {f["slug"]: f["status"] for f in data["feature"]}

    december, february = declared(ROADMAP_UPDATES[1]), declared(ROADMAP_UPDATES[2])
    assert set(february) - set(december) == {"vtpm", "osstest-opened", "qxl-spice"}
    assert any(february[slug] != status for slug, status in december.items())
    client = create_app({"DATABASE_URL": demo, "NOW": "2013-03-18"}).test_client()
    at = "?as_of=2013-02-01"
    overview = client.get(f"/api/v1/overview{at}").get_json()
    assert {f["slug"]: f["declared_status"] for f in overview["features"]} == december
    status = client.get(f"/api/v1/releases/4.3/status{at}").get_json()
    assert status["update"]["at"].startswith("2012-12-10")
    lines = {f["slug"]: f["declared_status"] for g in status["groups"] for f in g["features"]}
    assert lines == december
    page = client.get(f"/api/v1/releases/4.3{at}").get_json()
    assert {f["slug"]: f["declared_status"] for f in page["features"]} == december
    assert (page["update"]["at"][:10], page["later_updates"]) == ("2012-12-10", 1)
    text = client.get(f"/releases/4.3/status.txt{at}").get_data(as_text=True)
    assert "From the roadmap update of 2012-12-10:" in text
    for slug in ("vtpm", "osstest-opened", "qxl-spice"):
        assert f"[{slug}]" not in text
        assert client.get(f"/features/{slug}{at}").status_code == 404
    # A week before the freeze the seed's update is in force.
    later = client.get("/api/v1/overview").get_json()
    assert {f["slug"]: f["declared_status"] for f in later["features"]} == february


@pytest.mark.slow  # the demo, and a crawl of a few hundred of its pages at three moments
@pytest.mark.parametrize("moment", ["2013-02-01", "2013-03-08T12:00", "2013-03-18"])
def test_every_link_under_an_as_of_answers_and_cites_no_later_flight(demo, moment):
    """From `/` as of a moment, breadth first: each link of a page (the first 500 pages) answers
    200, and names no flight that started after the moment."""
    import re
    from collections import deque
    from urllib.parse import parse_qs, urlsplit

    from sqlalchemy import create_engine, text

    from gate.settings import parse_moment
    from web.app import create_app

    with create_engine(demo).connect() as connection:
        started = {
            n: datetime.fromisoformat(str(at)).replace(tzinfo=UTC)
            for n, at in connection.execute(text("SELECT id, started FROM flight"))
        }
    at = parse_moment(moment)
    later = {n for n, when in started.items() if when > at}
    assert later  # the demo goes on after each of these moments
    client = create_app({"DATABASE_URL": demo, "NOW": "2013-07-31"}).test_client()
    href = re.compile(r'href="(/[^"]*)"')
    seen, queue, crawled = set(), deque([f"/?as_of={moment}"]), 0
    while queue and crawled < 500:
        url = queue.popleft()
        response = client.get(url.replace("&amp;", "&"))
        crawled += 1
        assert response.status_code == 200, url
        if response.mimetype != "text/html":
            continue
        page = response.get_data(as_text=True)
        for link in href.findall(page):
            path = urlsplit(link.replace("&amp;", "&"))
            if path.path.startswith(("/static/", "/vendor/", "/assets/")):
                continue
            assert parse_qs(path.query).get("as_of") == [moment], f"{url} -> {link}"
            cited = re.match(r"/(?:flights|compare)/(\d+)(?:/(\d+))?", path.path)
            if cited:
                numbers = {int(n) for n in cited.groups() if n}
                assert not numbers & later, f"{url} links {link}, after {moment}"
            if link not in seen:
                seen.add(link)
                queue.append(link)
    assert crawled >= 100


@pytest.mark.slow  # the demo, as above
def test_the_last_push_named_under_an_as_of_is_a_pushed_flight_by_then(demo):
    from web.app import create_app

    client = create_app({"DATABASE_URL": demo, "NOW": "2013-07-31"}).test_client()
    for moment in ("2013-02-01", "2013-03-08T12:00", "2013-03-18"):
        gate = client.get(f"/api/v1/overview?as_of={moment}").get_json()["gate"]
        pushed = client.get(f"/api/v1/flights/{gate['last_push']['flight']}?as_of={moment}")
        assert pushed.status_code == 200, moment
        assert pushed.get_json()["pushed"] is True, moment
        assert gate["last_push"]["started"] <= moment.replace("T12:00", "T12:00:00") + "~"
    gate = client.get("/api/v1/overview?as_of=2013-03-18").get_json()["gate"]
    assert (gate["last_push"]["flight"], gate["days_since_push"]) == (16566, 8.9)
    frozen = client.get("/api/v1/releases/4.3/at/2013-03-25?as_of=2013-03-18").get_json()
    assert (frozen["ahead"], frozen["kept"]) == (True, False)
    assert all(f["then"] is None for f in frozen["features"])
    page = client.get("/releases/4.3/at/2013-03-25?as_of=2013-03-18").get_data(as_text=True)
    assert "nothing is known of it yet" in page


MOMENTS = (
    "2012-09-15",  # before the first flight and the first update
    "2012-10-15",
    "2012-12-20",
    "2013-02-01",
    "2013-03-11",
    "2013-03-18",  # a week before the feature freeze
    "2013-03-25",  # the feature freeze
    "2013-04-01",
    "2013-04-15",  # the code freeze
    "2013-06-15",  # the release
)


@pytest.mark.slow  # the demo, and every surface at ten moments
def test_every_surface_gives_every_feature_the_same_readiness_at_every_moment(demo):
    """The overview, the features table and its CSV, the status mail (twin and text), each
    feature's page, the command and the burn-down's day all show one judgement."""
    import csv
    import io

    from web.app import create_app

    client = create_app({"DATABASE_URL": demo, "NOW": "2013-07-31"}).test_client()
    for moment in MOMENTS:
        at = f"as_of={moment}"
        overview = client.get(f"/api/v1/overview?{at}").get_json()
        shown = {f["slug"]: f["readiness"] for f in overview["features"]}
        table = client.get(f"/api/v1/features?{at}").get_json()
        assert {f["slug"]: f["readiness"] for f in table} == shown, moment
        rows = csv.DictReader(io.StringIO(client.get(f"/features.csv?{at}").get_data(as_text=True)))
        assert {r["slug"]: r["readiness"] for r in rows} == shown, moment
        status = client.get(f"/api/v1/releases/4.3/status?{at}").get_json()
        grouped = {f["slug"]: g["readiness"] for g in status["groups"] for f in g["features"]}
        assert grouped == shown, moment
        for group in status["groups"]:
            heading = Readiness(group["readiness"]).heading
            if group["features"]:
                assert f"\n{heading} ({len(group['features'])}):\n" in status["text"], moment
        for slug, state in shown.items():
            page = client.get(f"/api/v1/features/{slug}?{at}").get_json()
            assert page["readiness"] == state, (moment, slug)
        command = CliRunner().invoke(
            main, ["--database", demo, "features", "--now", moment, "--format", "json"]
        )
        assert {f["slug"]: f["readiness"] for f in json.loads(command.stdout)} == shown
        if overview["burn_down"]:
            last = overview["burn_down"][-1]
            counts = {state: n for state, n in last["counts"].items() if n}
            tally: dict[str, int] = {}
            for state in shown.values():
                tally[state] = tally.get(state, 0) + 1
            assert counts == tally, moment
    before = client.get(f"/api/v1/overview?as_of={MOMENTS[0]}").get_json()
    assert before["features"] == []  # nothing was declared yet


@pytest.mark.slow  # the demo, as above
def test_with_a_base_url_every_link_of_the_mail_answers_as_of_its_moment(demo, monkeypatch):
    from web.app import create_app

    monkeypatch.setenv("PUSHGATE_BASE_URL", "https://gate.example.org")
    result = CliRunner().invoke(main, ["--database", demo, *COMMAND])
    assert result.exit_code == 0, result.output
    links = [w for w in result.stdout.split() if w.startswith("https://gate.example.org/")]
    assert "https://gate.example.org/flights/16594?as_of=2013-03-18" in links
    features = [link for link in links if "/features/" in link]
    assert len(features) == 22 and len(links) == 24  # the page, 16594 and every feature
    client = create_app({"DATABASE_URL": demo, "NOW": "2013-07-31"}).test_client()
    for link in links:
        assert client.get(link.removeprefix("https://gate.example.org")).status_code == 200, link
    # Without the address the mail has no link: the example is such a mail.
    monkeypatch.delenv("PUSHGATE_BASE_URL")
    plain = CliRunner().invoke(main, ["--database", demo, *COMMAND])
    assert "https://" not in plain.stdout and plain.stdout == GOLDEN.read_text(encoding="utf-8")


@pytest.mark.slow  # the demo, as above
def test_the_demo_ships_known_issues_and_one_accepted_regression(demo):
    """Its release manager wrote down three known issues on 2013-03-12 and accepted qemu-xen's
    June restore regression for 4.3 until 2013-06-14."""
    from web.app import create_app

    client = create_app({"DATABASE_URL": demo, "NOW": "2013-07-31"}).test_client()
    flight = client.get("/api/v1/flights/16631?as_of=2013-03-18").get_json()
    assert flight["triage"] == {"known": 20, "total": 21}
    known = {f["known"]["rule"] for f in flight["failures"] if f["known"]}
    assert known == {"p2m-locking-on-repeated-migration", "pcipt-card-missing"}
    # As of a moment before the rules were written down, nothing was known.
    earlier = client.get("/api/v1/flights/16594?as_of=2013-03-11T20:00").get_json()
    assert earlier["triage"] is None or earlier["triage"]["known"] == 0
    feature = client.get("/api/v1/features/qemu-upstream-default?as_of=2013-03-18").get_json()
    assert feature["triage"] == {"known": 2, "total": 2}
    assert {o["known"]["rule"] for o in feature["blocking"]} == {
        "p2m-locking-on-repeated-migration"
    }
    branch = client.get("/api/v1/branches/xen-unstable?as_of=2013-03-18").get_json()
    assert branch["triage"]["total"] == len(branch["never_pass"]) > 0
    assert "Known issue" in client.get("/branches/xen-unstable?as_of=2013-03-18").get_data(
        as_text=True
    )
    # The test's page and the clusters' list count what the rules explain.
    test = client.get("/api/v1/tests/test-amd64-i386-xl/guest-localmigrate/x10?as_of=2013-03-18")
    tally = test.get_json()["triage"]
    assert tally["total"] > 0 and tally["known"] == tally["total"]
    listed = client.get("/api/v1/failures?as_of=2013-03-18").get_json()["clusters"]
    x10 = next(c for c in listed if c["signature"].startswith("guest-localmigrate/x10: host"))
    assert x10["triage"] == {"known": x10["occurrences"], "total": x10["occurrences"]}
    html = client.get("/failures/?as_of=2013-03-18").get_data(as_text=True)
    assert f"<td>{x10['occurrences']} of {x10['occurrences']}</td>" in html
    june = client.get("/api/v1/features/qemu-upstream-default?as_of=2013-06-05").get_json()
    assert any("accepted by Stefano until 2013-06-14" in r for r in june["reasons"])
    later = client.get("/api/v1/features/qemu-upstream-default?as_of=2013-06-20").get_json()
    assert not any("accepted by Stefano" in r for r in later["reasons"])
