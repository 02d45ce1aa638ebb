"""The flight page's commits under test, their authors and each regression's bisect hint, read
from the store on both engines with a history given as a plain function."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gate.changes import Commit, Commits, people_of
from gate.model import Classification, Status
from gate.pages.flights import flight_detail
from gate.policy import Policy
from gate.read.flights import TreeRange
from gate.store.flights import save_flight
from tests.builders import flight

P, F = Status.PASS, Status.FAIL
START = datetime(2013, 3, 1, tzinfo=UTC)
NOW = START + timedelta(days=30)
# xen's history: a, then b, c and d, each one commit by its author
AUTHORS = {"b": "Ian Jackson", "c": "Jan Beulich", "d": "Wei Liu"}
ORDER = "abcd"


def xen_history(tree: str, base: str, tip: str) -> Commits | None:
    """The commits of base..tip of a four-commit xen tree; no other tree has a clone."""
    if tree != "xen":
        return None
    if base not in ORDER or tip not in ORDER:
        return Commits(tree, base, tip, reason=f"the clone of xen has no {base}..{tip}")
    shas = ORDER[ORDER.index(base) + 1 : ORDER.index(tip) + 1][::-1]
    commits = tuple(
        Commit(s, AUTHORS[s], f"{AUTHORS[s].split()[0].lower()}@xen.example", START, f"change {s}")
        for s in shas
    )
    return Commits(tree, base, tip, commits, people=people_of(commits))


def _store(engine: Engine) -> None:
    """100 tests master a; 101 (b) passes and is pushed; 102 (c) and 103 (d) fail guest-start."""
    steps = {"build-amd64 xen-build": P, "test-xl guest-start": P}
    failing = {**steps, "test-xl guest-start": F}
    with Session(engine) as session:
        for number, xen, base, ran in (
            (100, "a", "a", steps),
            (101, "b", "a", steps),
            (102, "c", "b", failing),
            (103, "d", "b", failing),
        ):
            made = flight(
                number, ran, xen=xen, baseline=base, started=START + timedelta(days=number - 100)
            )
            save_flight(session, made, digest=f"d{number}", source="test", now=NOW)
        session.commit()


def test_the_page_names_the_commits_under_test_and_their_authors(engine: Engine):
    _store(engine)
    with Session(engine) as session:
        page = flight_detail(session, 103, Policy(), NOW, history=xen_history)
    assert page is not None
    assert (page.tested, page.baseline) == ({"xen": "d"}, {"xen": "b"})
    [changed] = page.changes
    assert (changed.tree, changed.base, changed.tip) == ("xen", "b", "d")
    assert changed.log is not None
    assert [c.sha for c in changed.log.commits] == ["d", "c"]
    assert page.people == ("Jan Beulich <jan@xen.example>", "Wei Liu <wei@xen.example>")
    assert (
        "People who touched revisions under test:\n"
        "  Jan Beulich <jan@xen.example>\n"
        "  Wei Liu <wei@xen.example>\n\njobs:\n"
    ) in page.text


def test_a_regression_is_bisected_between_its_last_pass_and_its_first_failure(engine: Engine):
    _store(engine)
    with Session(engine) as session:
        page = flight_detail(session, 103, Policy(), NOW, history=xen_history)
    assert page is not None
    [regression] = [f for f in page.failures if f.classification is Classification.REGRESSION]
    assert (regression.job, regression.testid, regression.ref_flight) == (
        "test-xl",
        "guest-start",
        101,
    )
    [hint] = page.bisect
    assert (hint.job, hint.testid) == ("test-xl", "guest-start")
    assert (hint.passed_flight, hint.failed_flight, hint.failing_flights) == (101, 102, 2)
    [between] = hint.ranges
    assert (between.tree, between.base, between.tip) == ("xen", "b", "c")
    assert between.log is not None
    assert [(c.sha, c.author) for c in between.log.commits] == [("c", "Jan Beulich")]


def test_the_page_reads_the_same_without_a_history_but_names_no_commits(engine: Engine):
    _store(engine)
    with Session(engine) as session:
        page = flight_detail(session, 103, Policy(), NOW)
    assert page is not None
    assert page.changes == (TreeRange("xen", "b", "d", None),)
    assert page.people is None
    assert "People who touched" not in page.text
    [hint] = page.bisect
    assert hint.ranges == (TreeRange("xen", "b", "c", None),)


def test_a_revision_the_clone_has_not_is_said_on_the_page(engine: Engine):
    _store(engine)

    def unknown(tree: str, base: str, tip: str) -> Commits:
        return Commits(tree, base, tip, reason=f"the clone of {tree} has no {base}..{tip}")

    with Session(engine) as session:
        page = flight_detail(session, 103, Policy(), NOW, history=unknown)
    assert page is not None
    [changed] = page.changes
    assert changed.log is not None and changed.log.reason == "the clone of xen has no b..d"
    assert page.people is None  # no tree's commits were read: the report names nobody
    assert "People who touched" not in page.text


def test_a_flight_that_tests_its_baseline_has_no_changes_and_no_hints(engine: Engine):
    _store(engine)
    with Session(engine) as session:
        page = flight_detail(session, 100, Policy(), NOW, history=xen_history)
    assert page is not None
    assert (page.changes, page.people, page.bisect) == ((), None, ())
