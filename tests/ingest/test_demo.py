"""The demo story: the Xen 4.3 cycle, generated, ingested through the CLI, judged as the story did."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from gate.allow import AllowList
from gate.model import Classification, Status, Verdict
from gate.roadmap import linked_tests
from ingest.demo import ALLOW_FILE, ROADMAP_FILE, Story, story, write_story
from ingest.roadmap_file import parse_roadmap
from web.cli import main

# Generating the story takes seconds, and ingesting it through the CLI many more.
pytestmark = pytest.mark.slow

FEATURE_FREEZE = datetime(2013, 3, 25, tzinfo=UTC)
SHA = re.compile(r"[0-9a-f]{40}")


@pytest.fixture(scope="module")
def demo() -> Story:
    """The story as `pushgate demo` tells it: judged with osstest's 2013 allow list."""
    allow = AllowList.parse(ALLOW_FILE.read_text(encoding="utf-8"), source=str(ALLOW_FILE))
    return story(allow=allow)


def pushgate(database: str, *args: str) -> str:
    """Run `pushgate --database DATABASE ARGS...` without the caller's PUSHGATE_ settings."""
    unset: dict[str, str | None] = {n: None for n in os.environ if n.startswith("PUSHGATE_")}
    result = CliRunner(env=unset).invoke(main, ["--database", database, *args])
    assert result.exit_code == 0, result.output
    return result.stdout


@dataclass(frozen=True)
class Ingested:
    """The demo as pushgate stored it: one ingest result per file, and the flight list."""

    database: str
    results: list[dict[str, Any]]
    listed: dict[int, dict[str, Any]]

    def report(self, number: int) -> dict[str, Any]:
        return dict(json.loads(pushgate(self.database, "report", str(number), "--format", "json")))


@pytest.fixture(scope="module")
def ingested(demo: Story, template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    """Write the story and ingest it once, with the allow list that `pushgate demo` uses."""
    tmp = tmp_path_factory.mktemp("demo")
    paths = write_story(demo.flights, tmp / "flights")
    assert paths == [tmp / "flights" / f"{f.number}.xml" for f in demo.flights]
    shutil.copy(template_db, tmp / "demo.sqlite")
    database = f"sqlite:///{tmp}/demo.sqlite"
    args = ["ingest", "--format", "json", "--allow-file", str(ALLOW_FILE), *map(str, paths)]
    results = [json.loads(line) for line in pushgate(database, *args).splitlines()]
    listed = json.loads(pushgate(database, "flights", "--format", "json", "--limit", "1000"))[
        "flights"
    ]
    return Ingested(database, results, {row["flight"]: row for row in listed})


def test_the_story_spans_the_43_cycle_in_order(demo: Story) -> None:
    flights = demo.flights
    assert 180 <= len(flights) <= 220
    numbers = [f.number for f in flights if f.number is not None]
    starts = [f.started for f in flights if f.started is not None]
    assert len(numbers) == len(starts) == len(flights)
    assert numbers == sorted(set(numbers)) and starts == sorted(set(starts))
    assert all(s.utcoffset() == timedelta(0) for s in starts)
    assert date(2012, 10, 1) <= starts[0].date() < date(2012, 10, 8)
    assert date(2013, 7, 1) <= starts[-1].date() <= date(2013, 7, 9)
    assert {f.branch for f in flights} == {"xen-unstable"}
    blessings = Counter(f.blessing for f in flights)
    assert set(blessings) == {"real", "play"} and blessings["play"] <= 5
    assert all(SHA.fullmatch(sha) for f in flights for sha in f.revisions.values())
    retests = sum(a.revisions == b.revisions for a, b in zip(flights, flights[1:], strict=False))
    assert retests >= 20


def test_each_baseline_is_the_revision_of_the_last_pushed_flight(demo: Story) -> None:
    pushed: str | None = None
    for flight in demo.flights:
        assert flight.number is not None
        judgement = demo.judgements[flight.number]
        if pushed is not None:
            assert flight.baseline == {"xen": pushed}
        assert judgement.baseline == flight.baseline
        if judgement.pushed:
            pushed = flight.revisions["xen"]
    assert pushed is not None


def test_the_jobs_follow_the_2013_matrix_and_recipes(demo: Story) -> None:
    for flight in demo.flights:
        assert flight.started is not None
        names = {job.name for job in flight.jobs}
        assert 25 <= sum(n.startswith("test-") for n in names) <= 35
        assert ("build-armhf" in names) == (flight.started.date() >= date(2013, 1, 28))
        qemuu_win7 = "test-amd64-amd64-xl-qemuu-win7-amd64" in names
        assert qemuu_win7 == (flight.started.date() >= date(2013, 2, 6))
        status = {job.name: job.status for job in flight.jobs}
        for job in flight.jobs:
            assert [s.stepno for s in job.steps] == list(range(1, len(job.steps) + 1))
            for step in job.steps:
                numbered = re.search(r"\((\d+)\)$", step.key.testid)
                assert numbered is None or int(numbered.group(1)) == step.stepno
                if step.status.failing:
                    assert step.message and step.output.count("\n") >= 1
            if job.status is Status.BLOCKED:
                [step] = job.steps
                assert step.key.testid == "xen-build-check(1)" and step.status is Status.BLOCKED
                unbuilt = re.findall(r"build-[\w-]+", step.message)
                assert unbuilt and all(status[build] is not Status.PASS for build in unbuilt)
            else:
                assert job.host and job.steps[0].status is not Status.BLOCKED


def test_one_host_breaks_host_install_for_a_week_in_february(demo: Story) -> None:
    broken = [
        (flight.started, job.host)
        for flight in demo.flights
        for job in flight.jobs
        for step in job.steps
        if step.status is Status.BROKEN and step.key.testid.startswith("host-install")
    ]
    hosts = Counter(host for _, host in broken)
    [(host, count)] = hosts.most_common(1)
    when = [started for started, h in broken if h == host and started is not None]
    assert count >= 10
    assert min(when).month == 2 and max(when) - min(when) <= timedelta(days=8)


def test_roadmap_features_match_jobs_of_the_story(demo: Story) -> None:
    _, features = parse_roadmap(ROADMAP_FILE.read_text(encoding="utf-8"), str(ROADMAP_FILE))
    by_slug = {feature.slug: feature for feature in features}
    keys = {step.key for flight in demo.flights for step in flight.steps()}
    qemuu = linked_tests(by_slug["qemu-upstream-default"], keys, {})
    arm = linked_tests(by_slug["arm-v7"], keys, {})
    assert len({key.job for key in qemuu}) >= 4
    assert {key.job for key in arm} == {"build-armhf"}


def test_every_flight_is_created_with_the_verdict_the_story_computed(
    demo: Story, ingested: Ingested
) -> None:
    assert [r["status"] for r in ingested.results] == ["created"] * len(demo.flights)
    stored = {r["flight"]: r["verdict"] for r in ingested.results}
    assert stored == {n: j.verdict.value for n, j in demo.judgements.items()}
    assert {n: r["pushed"] for n, r in ingested.listed.items()} == {
        n: j.pushed for n, j in demo.judgements.items()
    }
    assert set(stored.values()) == {v.value for v in Verdict}


def test_pushes_stop_for_days_before_the_feature_freeze(ingested: Ingested) -> None:
    pushes = sorted(
        datetime.fromisoformat(r["started"]) for r in ingested.listed.values() if r["pushed"]
    )
    assert len(pushes) >= 50
    stalls = [
        later - earlier
        for earlier, later in zip(pushes, pushes[1:], strict=False)
        if earlier < FEATURE_FREEZE
    ]
    assert max(stalls) >= timedelta(days=5)


def test_reports_classify_every_kind_of_failure_as_the_story_did(
    demo: Story, ingested: Ingested
) -> None:
    first: dict[Classification, int] = {}
    for number, judgement in demo.judgements.items():
        for finding in judgement.findings:
            first.setdefault(finding.classification, number)
    fields = ("job", "testid", "status", "classification", "ref_flight")
    reported = set()
    for number in sorted(set(first.values())):
        report = ingested.report(number)
        judgement = demo.judgements[number]
        assert report["verdict"] == judgement.verdict
        assert [tuple(f[field] for field in fields) for f in report["failures"]] == [
            (f.step.key.job, f.step.key.testid, f.step.status, f.classification, f.ref_flight)
            for f in judgement.findings
        ]
        reported |= {f["classification"] for f in report["failures"]}
    assert reported >= {"regression", "never_pass", "like", "pass_in", "blocked", "allowable"}


def test_the_story_told_over_the_demos_xen_tree_is_the_same_story(demo: Story, tmp_path: Path):
    """`pushgate demo` takes the xen revisions from a git repository: the flights, verdicts
    and pushes are the same, and every xen revision is a commit of that repository."""
    from ingest.demo_repo import DemoRepo

    allow = AllowList.parse(ALLOW_FILE.read_text(encoding="utf-8"), source=str(ALLOW_FILE))
    repo = DemoRepo.create(tmp_path / "xen.git")
    told = story(allow=allow, revisions=repo)
    repo.finish()
    assert [f.number for f in told.flights] == [f.number for f in demo.flights]
    assert [(j.verdict, j.push) for j in told.judgements.values()] == [
        (j.verdict, j.push) for j in demo.judgements.values()
    ]
    assert [f.revisions["linux"] for f in told.flights] == [
        f.revisions["linux"] for f in demo.flights
    ]
    xen = {f.revisions["xen"] for f in told.flights}
    assert all(SHA.fullmatch(sha) for sha in xen)
    listed = subprocess.run(
        ["git", "-C", str(repo.path), "rev-list", "--all"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert xen <= set(listed)
