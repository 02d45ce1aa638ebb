"""Releases and their dated updates in the store: two releases sharing slugs, updates imported in
any order, readiness as declared then, and an export that carries its history to another store."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gate.model import Status
from gate.pages.features import feature_detail
from gate.pages.readiness import readiness
from gate.policy import Policy
from gate.readiness import Readiness, missed_freeze
from gate.roadmap import Declaration, Declared, Feature, Release, TestPattern
from gate.roadmap_import import RoadmapUpdate
from gate.store.db import make_engine, upgrade
from gate.store.flights import save_flight
from gate.store.roadmap import load_roadmap, plan_update, save_plan
from ingest.roadmap_file import read_update, render_roadmap
from tests.builders import flight

P, F = Status.PASS, Status.FAIL
START = datetime(2013, 3, 1, tzinfo=UTC)
DAY = timedelta(days=1)
R43 = Release("4.3", "xen-unstable", date(2013, 3, 25), date(2013, 4, 15), date(2013, 6, 15))
R44 = Release("4.4", "xen-unstable", date(2013, 12, 13), date(2014, 1, 10), date(2014, 3, 7))


def _store(path: Path) -> Engine:
    """A new SQLite store of its own."""
    found = make_engine(f"sqlite:///{path}")
    upgrade(found)
    return found


def _import(session: Session, update: RoadmapUpdate, **options: bool) -> None:
    assert update.as_of is not None
    save_plan(session, plan_update(session, update, update.as_of, **options), update.as_of)


def _flights(session: Session) -> None:
    """Ten daily flights: the xl job passes, the pair fails from the 8th on."""
    for n in range(10):
        steps = {
            "test-amd64-amd64-xl guest-start": P,
            "test-amd64-amd64-pair guest-migrate": F if n >= 7 else P,
        }
        made = flight(100 + n, steps, xen=f"r{n}", baseline="r0" if n == 0 else None)
        made = replace(made, started=START + n * DAY)
        save_flight(session, made, digest=f"d{n}", source="test", now=START + n * DAY)


def test_the_same_slug_in_two_releases_is_two_features(engine: Engine):
    on_xl = Feature("pvh", "PVH", Declared.GOOD, "4.3", tests=(TestPattern("test-*-xl"),))
    on_pair = Feature(
        "pvh", "PVH dom0", Declared.OK, "4.4", tests=(TestPattern("test-*-pair"),),
        carried_from="4.3",
    )  # fmt: skip
    with Session(engine) as session:
        _flights(session)
        _import(session, RoadmapUpdate("43.toml", R43, (on_xl,), START))
        _import(session, RoadmapUpdate("44.toml", R44, (on_pair,), START + DAY))
        session.commit()
        now = START + 20 * DAY
        _rel, in_43 = readiness(session, Policy(), now, "4.3")
        _rel, in_44 = readiness(session, Policy(), now, "4.4")
        assert [(j.feature.title, [str(k) for k in j.tests], j.readiness) for j in in_43] == [
            ("PVH", ["test-amd64-amd64-xl guest-start"], Readiness.ON_TRACK)
        ]
        assert [(j.feature.title, [str(k) for k in j.tests], j.readiness) for j in in_44] == [
            ("PVH dom0", ["test-amd64-amd64-pair guest-migrate"], Readiness.BLOCKED)
        ]
        _rel, features = load_roadmap(session, "4.3")
        assert [(f.release, f.status, f.history) for f in features] == [
            ("4.3", Declared.GOOD, (Declaration(START, Declared.GOOD, ""),))
        ]
        page_43 = feature_detail(session, "pvh", Policy(), now, "4.3")
        page_44 = feature_detail(session, "pvh", Policy(), now)  # the latest release that has it
        assert page_43 is not None and page_44 is not None
        assert (page_43.title, page_43.carried_to, page_43.carried_from) == ("PVH", ("4.4",), None)
        assert (page_44.title, page_44.carried_to, page_44.carried_from) == ("PVH dom0", (), "4.3")


UPDATES = [
    (START, {"pvh": (Declared.OK, "patches posted"), "arm": (Declared.FAIR, "no hardware")}),
    (
        START + 4 * DAY,
        {
            "pvh": (Declared.GOOD, "reviewed"),
            "arm": (Declared.FAIR, "no hardware"),
            "xsm": (Declared.GOOD, "picked up"),
        },
    ),  # fmt: skip
    (START + 8 * DAY, {"pvh": (Declared.DONE, "merged"), "xsm": (Declared.POOR, "stalled")}),
]


def _update(n: int) -> RoadmapUpdate:
    at, said = UPDATES[n]
    features = tuple(
        Feature(slug, slug.upper(), status, "4.3", notes=notes, tests=(TestPattern("test-*-xl"),))
        for slug, (status, notes) in said.items()
    )
    return RoadmapUpdate(f"update-{n}.toml", R43, features, at, f"the update of day {n}")


def _history(engine: Engine) -> tuple[object, ...]:
    with Session(engine) as session:
        release, features = load_roadmap(session, "4.3")
    return (
        release.updates,
        {f.slug: (f.title, f.status, f.notes, f.history) for f in features},
    )


def _exported_into(engine: Engine, path: Path) -> str:
    """Export 4.3 with its history, import the file into a new store at `path`, check that
    it holds the same history, and return the file."""
    with Session(engine) as session:
        release, features = load_roadmap(session, "4.3")
    newest = release.updates[-1]
    text = render_roadmap(release, features, as_of=newest.at, summary=newest.summary, history=True)
    other = _store(path)
    with Session(other) as session:
        _import(session, read_update(text, "exported.toml"))
        session.commit()
    assert _history(other) == _history(engine)
    return text


def test_updates_imported_in_any_order_give_the_same_history(tmp_path: Path, engine: Engine):
    orders = list(itertools.permutations(range(len(UPDATES))))
    histories = []
    for n, order in enumerate(orders):
        other = _store(tmp_path / f"order-{n}.sqlite") if n else engine
        with Session(other) as session:
            for index in order:
                _import(session, _update(index))
            session.commit()
        histories.append(_history(other))
    assert all(history == histories[0] for history in histories), orders
    updates, features = histories[0]
    assert [u.summary for u in updates] == [f"the update of day {n}" for n in range(3)]
    # arm is missing from the newest update: kept, as declared on day 4.
    assert features["arm"][1:3] == (Declared.FAIR, "no hardware")
    assert [d.status for d in features["xsm"][3]] == [Declared.GOOD, Declared.POOR]


def test_readiness_as_of_a_moment_reads_the_declaration_in_force_then(engine: Engine):
    with Session(engine) as session:
        _flights(session)
        for index in (2, 0, 1):
            _import(session, _update(index))
        session.commit()

        def declared(moment: datetime) -> dict[str, tuple[Declared, str]]:
            _rel, judged = readiness(session, Policy(), moment, "4.3")
            return {j.feature.slug: (j.feature.status, j.feature.notes) for j in judged}

        assert declared(START - DAY) == {}  # nothing was declared yet
        assert declared(START + 2 * DAY) == {
            "pvh": (Declared.OK, "patches posted"),
            "arm": (Declared.FAIR, "no hardware"),
        }
        assert declared(START + 5 * DAY)["xsm"] == (Declared.GOOD, "picked up")
        assert declared(START + 9 * DAY)["pvh"] == (Declared.DONE, "merged")


def test_an_export_with_its_history_gives_another_store_the_same_history(
    tmp_path: Path, engine: Engine
):
    with Session(engine) as session:
        for index in (1, 0, 2):
            _import(session, _update(index))
        session.commit()
    text = _exported_into(engine, tmp_path / "other.sqlite")
    with Session(engine) as session:  # and into the store it came from: no change
        again = read_update(text, "exported.toml")
        assert again.as_of is not None
        assert not plan_update(session, again, again.as_of).changed


def test_a_freeze_exception_is_kept_with_the_declaration_that_grants_it(
    tmp_path: Path, engine: Engine
):
    def update(at: datetime, exception: str) -> RoadmapUpdate:
        pvh = Feature(
            "pvh", "PVH", Declared.OK, "4.3", tests=(TestPattern("test-*-xl"),), exception=exception
        )
        return RoadmapUpdate("u.toml", R43, (pvh,), at, "")

    frozen = datetime(2013, 3, 25, tzinfo=UTC)
    with Session(engine) as session:
        _flights(session)
        _import(session, update(datetime(2013, 3, 18, tzinfo=UTC), ""))
        _import(session, update(frozen + DAY, "the last patches are in review"))
        session.commit()

        def state(moment: datetime) -> tuple[Readiness, str]:
            _rel, (judged,) = readiness(session, Policy(), moment, "4.3")
            return judged.readiness, judged.reasons[0]

        assert state(frozen - DAY)[0] is Readiness.ON_TRACK
        assert state(frozen) == (Readiness.MISSED_FREEZE, missed_freeze(R43))
        assert state(frozen + 2 * DAY) == (
            Readiness.ON_TRACK,
            "granted a freeze exception: the last patches are in review",
        )
        _release, features = load_roadmap(session, "4.3")
    assert [d.exception for d in features[0].history] == ["", "the last patches are in review"]
    _exported_into(engine, tmp_path / "other.sqlite")
