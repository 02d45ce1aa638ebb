"""Compare two flights step by step: what regressed, what was fixed, what came and went.

A step is matched across the flights by its test key (job, testid), as osstest matches them;
a step whose name ends with its step number (`capture-logs(19)`) and that only moved is matched
under its new name (`moved`).
Its outcome in a flight is its status there, or absent when the flight has no such step. Each
status is one of three outcomes: *passed* (pass), *did not run* (blocked, skip: osstest's n/a)
or *did not pass* (every other status: fail, broken, and the steps that had not finished). A
non-pass job with no non-pass step counts as a `<none executed>` step with the job's status,
as in the flight's report (`gate.rules.failures_of`). A testcase repeated in one flight (other
producers repeat them) has the first status of its runs that is not a pass, else pass.

With A the first flight (usually the older: a baseline or a predecessor) and B the second:

- **regression**: passed in A, did not pass in B;
- **new failure**: absent from A or did not run there, did not pass in B;
- **not run**: in both flights, did not run in B, with another status in A (it passed or
  failed in A, or was blocked there and skipped in B);
- **disappeared**: in A, absent from B;
- **appeared**: absent from A, did not run in B;
- **fixed**: did not pass in A, passed in B;
- **new pass**: absent from A or did not run there, passed in B;
- **still failing**: did not pass in either flight, whether or not its status changed.

Every step whose status differs between the flights is one of these, and a step whose status
is the same is none, but for *still failing*: that kind lists what keeps failing beside what
changed, in its own group after the others. The kinds are ordered worst first, as `Change`
lists them, and the changes by kind, then job, then testid.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import NamedTuple

from gate.model import Flight, Status, TestKey
from gate.rules import failures_of

# The statuses of a step that did not run: osstest shows them as n/a in its report.


class Change(StrEnum):
    """How a step's outcome changed from flight A to flight B, worst first (see the module)."""

    REGRESSION = "regression"
    NEW_FAILURE = "new_failure"
    NOT_RUN = "not_run"
    DISAPPEARED = "disappeared"
    APPEARED = "appeared"
    FIXED = "fixed"
    NEW_PASS = "new_pass"
    STILL_FAILING = "still_failing"

    @property
    def rank(self) -> int:
        """Return the place of this kind in the order of a comparison, worst first (0)."""
        return _RANK[self]

    @property
    def heading(self) -> str:
        """Return the heading of this kind's group of steps."""
        return _HEADINGS[self][0]

    @property
    def meaning(self) -> str:
        """Say in a few words what a step of this kind did in flight A and flight B."""
        return _HEADINGS[self][1]


_RANK = {change: rank for rank, change in enumerate(Change)}
_HEADINGS = {
    Change.REGRESSION: ("Regressions", "passed in A, did not pass in B"),
    Change.NEW_FAILURE: ("New failures", "absent from A or not run there, did not pass in B"),
    Change.NOT_RUN: ("Not run", "in both, not run in B (blocked, starved or skipped)"),
    Change.DISAPPEARED: ("Disappeared", "in A, absent from B"),
    Change.APPEARED: ("Appeared", "absent from A, not run in B"),
    Change.FIXED: ("Fixed", "did not pass in A, passed in B"),
    Change.NEW_PASS: ("New passes", "absent from A or not run there, passed in B"),
    Change.STILL_FAILING: ("Still failing", "did not pass in A or in B"),
}


class StepChange(NamedTuple):
    """One step of a comparison: its key, how it changed, and its status in A and in B (None
    where the flight has no such step)."""

    key: TestKey
    change: Change
    a: Status | None
    b: Status | None


def outcomes(flight: Flight) -> dict[TestKey, Status]:
    """Return the status of each test key of a flight, the lines about whole jobs included
    (`<none executed>`, `<job status>`)."""
    jobs = [s for s in failures_of(flight) if s.key.pseudo]
    found: dict[TestKey, Status] = {}
    for step in (*flight.steps(), *jobs):
        if found.get(step.key, Status.PASS) is Status.PASS:
            found[step.key] = step.status
    return found


def change_of(a: Status | None, b: Status | None) -> Change | None:
    """Return how a step changed from status `a` to status `b` (None: absent), or None when it
    is none of the kinds (the same status, or absent from both)."""
    if b is None:
        return Change.DISAPPEARED if a is not None else None
    if b is Status.PASS:
        if a is None or a.not_run:
            return Change.NEW_PASS
        return None if a is Status.PASS else Change.FIXED
    if b.not_run:
        if a is None:
            return Change.APPEARED
        return None if a is b else Change.NOT_RUN
    if a is None or a.not_run:
        return Change.NEW_FAILURE
    return Change.REGRESSION if a is Status.PASS else Change.STILL_FAILING


def moved(a: Mapping[TestKey, Status], b: Mapping[TestKey, Status]) -> dict[TestKey, TestKey]:
    """Pair the steps that only moved: osstest names some steps with their step number
    (`capture-logs(19)`), which changes when a job gains or loses a step before them. A key of
    A that B lacks is the key of B that B alone has, in the same job, whose name is the same
    but for the number at its end, when there is one such key on each side. Return B's key of
    each A key that moved."""
    gone: dict[TestKey, list[TestKey]] = {}
    came: dict[TestKey, list[TestKey]] = {}
    for keys, into, other in ((a, gone, b), (b, came, a)):
        for key in keys:
            bare = TestKey(key.job, _STEP_NUMBER.sub("", key.testid))
            if key not in other and bare != key:
                into.setdefault(bare, []).append(key)
    return {
        old[0]: came[bare][0]
        for bare, old in gone.items()
        if len(old) == 1 and len(came.get(bare, ())) == 1
    }


_STEP_NUMBER = re.compile(r"\(\d+\)$")  # `capture-logs(19)`: the step's number, in its name


def compare(
    a: Mapping[TestKey, Status],
    b: Mapping[TestKey, Status],
    pairs: Mapping[TestKey, TestKey] | None = None,
) -> list[StepChange]:
    """Return the steps of two flights' outcomes that changed (or still fail), in order: by
    kind, worst first, then job, then testid. A step that only moved (`moved`, or the `pairs`
    a caller worked out already) is matched under its name in B: it is news only if its
    status changed."""
    pairs = moved(a, b) if pairs is None else pairs
    a = {pairs.get(key, key): status for key, status in a.items()}
    found = []
    for key in a.keys() | b.keys():
        change = change_of(a.get(key), b.get(key))
        if change is not None:
            found.append(StepChange(key, change, a.get(key), b.get(key)))
    return sorted(found, key=lambda c: (c.change.rank, c.key.job, c.key.testid))
