"""What a prune may take: the rule alone, over flight headers, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gate.retention import (
    DELETE_FACTOR,
    FlightHeader,
    Protection,
    Retention,
    RetentionError,
    plan,
    protected,
)

NOW = datetime(2013, 7, 1, tzinfo=UTC)
KEEP = Retention(outputs_days=30, flights_days=90)


def header(
    number: int,
    days_ago: float,
    *,
    branch: str = "xen-unstable",
    pushed: bool = False,
    baselines: tuple[int, ...] = (),
    retests: tuple[int, ...] = (),
) -> FlightHeader:
    return FlightHeader(number, branch, NOW - timedelta(days=days_ago), pushed, baselines, retests)


def test_old_flights_go_and_the_newest_of_the_branch_stays():
    decided = plan([header(1, 200), header(2, 150), header(3, 100)], KEEP, NOW)
    assert decided.delete == (1, 2)
    assert decided.protected == {3: Protection.NEWEST}
    assert decided.clear == (3,)


def test_the_last_push_of_each_branch_stays_and_an_earlier_push_goes():
    flights = [
        header(1, 300, pushed=True),
        header(2, 200, pushed=True),
        header(3, 150),
        header(4, 140, branch="linux", pushed=True),
        header(5, 10),
    ]
    decided = plan(flights, KEEP, NOW)
    assert decided.protected == {2: Protection.LAST_PUSH, 4: Protection.LAST_PUSH}
    assert decided.delete == (1, 3)


def test_a_flight_newer_than_the_threshold_stays_with_its_output():
    decided = plan([header(1, 95), header(2, 90), header(3, 30), header(4, 29.9)], KEEP, NOW)
    assert decided.delete == (1,)  # exactly 90 days old is not older than 90 days
    assert decided.clear == (2,)  # nor is 3, exactly 30 days old, older than 30 days


def test_the_baselines_and_retests_of_a_kept_flight_stay():
    flights = [
        header(1, 300),
        header(2, 200, baselines=(1,)),
        header(3, 190),
        header(4, 180),
        header(5, 5, baselines=(2, 99), retests=(4,)),
    ]
    decided = plan(flights, KEEP, NOW)
    assert decided.protected == {2: Protection.BASELINE, 4: Protection.BASELINE}
    # 1 is only a baseline of a flight that is itself kept as a baseline: it goes, or every
    # flight would be a baseline of a baseline of a kept one. 99 is no longer stored.
    assert decided.delete == (1, 3)
    assert decided.clear == (2, 4)


def test_the_baselines_of_a_last_push_and_of_a_newest_flight_stay():
    flights = [
        header(1, 300),
        header(2, 290),
        header(3, 280, pushed=True, baselines=(1,)),
        header(4, 270, baselines=(2,)),
    ]
    decided = plan(flights, KEEP, NOW)
    assert decided.protected == {
        1: Protection.BASELINE,
        2: Protection.BASELINE,
        3: Protection.LAST_PUSH,
        4: Protection.NEWEST,
    }
    assert decided.delete == ()


def test_old_flights_lose_their_outputs_first_and_whole_flights_later():
    flights = [header(1, 100), header(2, 60), header(3, 31), header(4, 30), header(5, 1)]
    decided = plan(flights, KEEP, NOW)
    assert decided.delete == (1,)
    assert decided.clear == (2, 3)  # older than 30 days and kept; 1 goes whole instead


def test_without_a_delete_age_no_flight_goes():
    decided = plan([header(1, 1000), header(2, 500)], Retention(30, None), NOW)
    assert (decided.delete, decided.protected, decided.cutoff) == ((), {}, None)
    assert decided.clear == (1, 2)


def test_the_newest_flights_alone_protect_what_all_of_them_would():
    flights = [
        header(1, 300, pushed=True),
        header(2, 250, baselines=(1,)),
        header(3, 200, pushed=True),
        header(4, 150, branch="linux"),
        header(5, 20, baselines=(3,)),
        header(6, 10, retests=(2,)),
    ]
    cutoff = NOW - timedelta(days=90)
    everything = protected(flights, cutoff)
    assert everything == {
        3: Protection.LAST_PUSH,
        4: Protection.NEWEST,
        6: Protection.NEWEST,
        2: Protection.BASELINE,
    }
    # A batch reads again only the flights from the oldest young one on: 5 and 6 still name
    # the older flights they keep, and the newest of their branch.
    assert protected(flights[4:], cutoff) == {
        6: Protection.NEWEST,
        3: Protection.BASELINE,
        2: Protection.BASELINE,
    }


def test_the_default_deletes_flights_after_four_times_the_output_age():
    assert DELETE_FACTOR == 4
    assert Retention.default(30) == Retention(30, 120)


@pytest.mark.parametrize(
    ("outputs", "flights", "said"),
    [
        (0, None, "outputs go after at least 1 day, not 0"),
        (30, 10, "flights cannot be deleted after 10 days but lose their outputs after 30"),
    ],
)
def test_ages_that_make_no_prune_are_refused_in_one_sentence(outputs, flights, said):
    with pytest.raises(RetentionError, match=said):
        Retention(outputs, flights)
