"""Small builders of flights and JUnit files for the tests."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from gate.model import Flight, Job, Status, Step, TestKey
from ingest.junit import job_status
from ingest.osstest_junit import write_flight


def flight(
    number: int | None,
    steps: dict[str, Status],
    *,
    xen: str = "c0ffee",
    baseline: str | None = None,
    blessing: str = "real",
    branch: str = "xen-unstable",
    tags: dict[str, frozenset[str]] | None = None,
    started: datetime | None = None,
) -> Flight:
    """Build a flight from `{"JOB TESTID": status}`, its jobs in first-seen order.

    `tags` gives some steps the feature slugs of a `roadmap.features` property.
    """
    jobs: dict[str, list[Step]] = {}
    for name, status in steps.items():
        job, testid = name.split(" ", 1)
        found = jobs.setdefault(job, [])
        features = (tags or {}).get(name, frozenset())
        found.append(Step(TestKey(job, testid), len(found) + 1, status, 1.0, features=features))
    return Flight(
        number=number,
        branch=branch,
        blessing=blessing,
        revisions={"xen": xen},
        baseline={"xen": baseline} if baseline else {},
        started=started,
        jobs=tuple(Job(job, job_status(None, found), tuple(found)) for job, found in jobs.items()),
    )


def write(flight: Flight, path: Path) -> Path:
    """Write a flight as an osstest-convention JUnit file."""
    with path.open("wb") as out:
        write_flight(flight, out)
    return path
