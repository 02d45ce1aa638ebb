"""The release coordinator's status mail: where each feature stands for the release, what the
tests show about it, what changed since the last update, and what needs an owner.

A feature's section is its readiness (`gate.readiness.judge_feature`): the one judgement that
every page, twin and command shows, which weighs what its owner declares against what the push
gate shows. Everything here is a pure function of its arguments, with no
clock but the moments passed in, so the same facts render byte for byte the same mail and two
weeks' mails can be diffed.
"""

from __future__ import annotations

import textwrap
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import quote, urlencode

from gate.acceptance import Acceptance
from gate.model import TestKey
from gate.numbers import percent
from gate.policy import Policy
from gate.readiness import (
    FeatureReadiness,
    FreezeView,
    Observation,
    Readiness,
    Strength,
    sentences,
    trouble_sentences,
)
from gate.roadmap import Declared, Update

LAST_UPDATE = timedelta(days=7)  # how far back "what changed" looks, unless told otherwise
WIDTH = 76  # a mail's lines: a reply's quoting still fits in 79 columns
UNTESTED = "no test checks this"


@dataclass(frozen=True)
class FeatureLine:
    """One feature as the mail lists it: who, what is declared, what the tests show, and why.

    `evidence` is what the tests show in one line: the pass rate over the window, what blocks
    the push and since when, or that no test checks the feature.
    """

    slug: str
    title: str
    owners: tuple[str, ...]
    unowned: bool  # nobody is named for it (`gate.roadmap.Feature.unowned`)
    declared_status: Declared
    readiness: Readiness
    pass_rate: float | None
    evidence: str
    notes: str = ""  # what its owner said in the update in force


@dataclass(frozen=True)
class ReadinessGroup:
    """A section of the mail: the features of one readiness state, in roadmap order."""

    readiness: Readiness
    heading: str
    features: tuple[FeatureLine, ...]


@dataclass(frozen=True)
class DeclaredChange:
    """A feature's declared status changed; `from_` is the JSON key `from`."""

    slug: str
    title: str
    at: datetime
    from_: Declared | None
    to: Declared
    note: str


@dataclass(frozen=True)
class ReadinessChange:
    """What the tests show of a feature changed; `from_` is None for a feature new since."""

    slug: str
    title: str
    from_: Readiness | None
    to: Readiness


@dataclass(frozen=True)
class NewBlocker:
    """A blocking step that did not block at the last update, and the features it holds up."""

    sentence: str
    features: tuple[str, ...]


@dataclass(frozen=True)
class Changes:
    """What changed between the last update and this one."""

    status_changes: tuple[DeclaredChange, ...]
    readiness_changes: tuple[ReadinessChange, ...]
    new_blockers: tuple[NewBlocker, ...]


@dataclass(frozen=True)
class BlockedStep:
    """A step that blocks the newest flight, its jobs together: what the gate found, and the
    flight where it came in (the first of its current failing streak) with the revisions that
    flight tested. `came_in` is None for a failure of another flight that the newest counts."""

    testid: str
    what: str  # `regressed`, `failed`
    summary: str  # the gate's words: `REGR. vs. 16566`
    jobs: tuple[str, ...]
    came_in: int | None
    flights: int  # the flights of the streak, up to the newest
    revisions: Mapping[str, str]  # what `came_in` tested, tree by tree
    infrastructure: bool  # the test infrastructure failed here (`Observation.trouble`)

    def sentence(self) -> str:
        """`guest-start regressed (REGR. vs. 16566), came in in 16594 (4 flights; xen
        5f3c2a1b9e0d)`, said before its jobs are named."""
        said = f"{self.testid} {self.what}" + (f" ({self.summary})" if self.summary else "")
        if self.infrastructure:
            said = f"infrastructure: {said}"
        if self.came_in is None:
            return said
        what = [f"{self.flights} flights"] if self.flights > 1 else []
        if self.revisions:
            what.append(
                ", ".join(f"{tree} {sha[:12]}" for tree, sha in sorted(self.revisions.items()))
            )
        return f"{said}, came in in {self.came_in}" + (f" ({'; '.join(what)})" if what else "")


def blocked_steps(
    blocking: Sequence[Observation], revisions: Mapping[int, Mapping[str, str]]
) -> tuple[BlockedStep, ...]:
    """Gather the newest flight's blocking steps, each step with its jobs, in the order they
    came; `revisions` holds what each flight where a step came in tested."""
    steps: dict[tuple[object, ...], BlockedStep] = {}
    for o in blocking:
        came_in = None if o.in_flight is not None else (o.since or o.flight)
        key = (o.key.testid, o.what, o.summary(), came_in, o.trouble)
        found = steps.get(key)
        if found is not None:
            steps[key] = replace(found, jobs=(*found.jobs, o.key.job))
            continue
        steps[key] = BlockedStep(
            testid=o.key.testid,
            what=o.what,
            summary=o.summary(),
            jobs=(o.key.job,),
            came_in=came_in,
            flights=o.attempts if came_in is not None and came_in != o.flight else 1,
            revisions=dict(revisions.get(came_in, {})) if came_in is not None else {},
            infrastructure=o.trouble,
        )
    return tuple(steps.values())


@dataclass(frozen=True)
class PushGate:
    """The release branch's push gate as of the mail: the last push, the flights since, and the
    newest flight's blocking steps, each with the flight where it came in (`since`)."""

    branch: str
    last_push: int | None
    last_push_at: datetime | None
    days_since_push: float | None
    flights_since: int
    newest: int | None
    blocking: tuple[Observation, ...] = ()
    # The revisions tested by the flight where each blocking step came in.
    revisions: Mapping[int, Mapping[str, str]] = field(default_factory=dict)
    # The blocking steps, each with its jobs and where it came in: worked out from the above.
    steps: tuple[BlockedStep, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", blocked_steps(self.blocking, self.revisions))

    @property
    def jobs(self) -> tuple[tuple[str, tuple[Observation, ...]], ...]:
        """The blocking steps by job, in the order they came."""
        by_job: dict[str, list[Observation]] = {}
        for o in self.blocking:
            by_job.setdefault(o.key.job, []).append(o)
        return tuple((job, tuple(found)) for job, found in by_job.items())


@dataclass(frozen=True)
class StatusMail:
    """The status update of a release as of one moment, and what changed since an earlier one."""

    freeze: FreezeView
    update: Update | None  # the roadmap's update in force: its date and prose
    as_of: datetime
    since: datetime
    window_flights: int  # the newest flights of the release branch that readiness looks at
    groups: tuple[ReadinessGroup, ...]  # every state, worst first, empty ones too
    changes: Changes
    unowned: tuple[FeatureLine, ...]  # neither done nor dropped, and nobody is named for them
    gate: PushGate | None = None
    # The blocking steps accepted for the release at the mail's moment, by whom and until when.
    accepted: tuple[Acceptance, ...] = ()
    # The dashboard's public address (`PUSHGATE_BASE_URL`): with it, the mail links each
    # feature and flight to its page as of the mail's moment; without it, no link.
    base_url: str = ""

    @property
    def title(self) -> str:
        """The mail's subject and its text's first line: `Release 4.3 status update, 2013-03-18`."""
        return f"Release {self.freeze.release.name} status update, {_moment(self.as_of)}"

    def features(self) -> Iterator[FeatureLine]:
        """Return every feature of the mail, section by section."""
        return (line for group in self.groups for line in group.features)

    def link(self, path: str, **query: str) -> str:
        """Return the address of a page of the dashboard as of the mail's moment, so that what
        it shows is what the mail says ("" without a `base_url`)."""
        if not self.base_url:
            return ""
        query["as_of"] = as_of_parameter(self.as_of)
        return f"{self.base_url.rstrip('/')}{path}?{urlencode(query)}"

    def feature_link(self, slug: str) -> str:
        return self.link(f"/features/{quote(slug)}", release=self.freeze.release.name)

    def flight_link(self, number: int) -> str:
        return self.link(f"/flights/{number}")

    @property
    def page_link(self) -> str:
        """The status page this mail is the text of."""
        return self.link(f"/releases/{quote(self.freeze.release.name, safe='')}/status")


def as_of_parameter(moment: datetime) -> str:
    """Write a moment as a page's `as_of` reads it: the day alone at midnight UTC."""
    moment = moment.astimezone(UTC)
    if moment.time() == time(0):
        return moment.date().isoformat()
    return moment.replace(tzinfo=None).isoformat(timespec="seconds")


def evidence(judged: FeatureReadiness, policy: Policy, branch: str) -> str:
    """Say in one line what the tests show about a feature: what they found, how closely they
    touch it, and what the test infrastructure kept from them."""
    said = _found(judged, policy, branch)
    if judged.readiness.good and judged.strength in (Strength.INDIRECT, Strength.BUILD_ONLY):
        said += f" ({judged.strength.short})"  # a claim that all is well, on weak evidence
    if judged.trouble and judged.readiness is not Readiness.DROPPED:
        said += "; evidence missing: " + "; ".join(trouble_sentences(judged.trouble))
    return said


def _found(judged: FeatureReadiness, policy: Policy, branch: str) -> str:
    state = judged.readiness
    window = len(judged.series)
    if state is Readiness.DROPPED:
        last = judged.feature.changes[-1] if judged.feature.changes else None
        if last is not None and last.after is Declared.DROPPED:
            return f"dropped on {last.at:%Y-%m-%d}" + (f": {last.note}" if last.note else "")
        return "not for this release"
    if state is Readiness.UNTESTED:
        if judged.feature.tests:
            return f"{UNTESTED} (nothing its patterns match has run on {branch})"
        return UNTESTED
    if state is Readiness.STALE:
        return judged.reasons[0]
    if state is Readiness.BLOCKED:
        return "; also ".join(sentences(judged.blocking))
    rate = _rate(judged.pass_rate, window)
    if state is Readiness.AT_RISK and judged.on_owners_word:
        return judged.reasons[0]  # no test says otherwise: the reason is the owner's word
    if state is Readiness.AT_RISK:
        low = judged.pass_rate is not None and judged.pass_rate < policy.at_risk_below
        said = [rate + (f", below {percent(policy.at_risk_below)}" if low else "")]
        said += [f"failing: {s}" for s in sentences(judged.failures)]
        return "; ".join(said)
    return rate


def _rate(rate: float | None, window: int) -> str:
    flights = "the last flight" if window == 1 else f"the last {window} flights"
    if rate is None:
        return f"no linked step was counted over {flights}"
    return f"pass rate {percent(rate)} over {flights}"


def compose(
    freeze: FreezeView,
    judged: Sequence[FeatureReadiness],
    before: Sequence[FeatureReadiness],
    *,
    as_of: datetime,
    since: datetime,
    policy: Policy,
    gate: PushGate | None = None,
    base_url: str = "",
    accepted: Sequence[Acceptance] = (),
) -> StatusMail:
    """Write the update from the features judged as of `as_of` (in roadmap order) and as of
    `since`, the last update."""
    branch = freeze.release.branch
    lines = [
        FeatureLine(
            slug=j.feature.slug,
            title=j.feature.title,
            owners=tuple(j.feature.owners),
            unowned=j.feature.unowned,
            declared_status=j.feature.status,
            readiness=j.readiness,
            pass_rate=j.pass_rate,
            evidence=evidence(j, policy, branch),
            notes=j.feature.notes,
        )
        for j in judged
    ]
    groups = tuple(
        ReadinessGroup(
            state, state.heading, tuple(line for line in lines if line.readiness is state)
        )
        for state in Readiness.in_phase(freeze.phase)
    )
    unowned = tuple(
        line
        for group in groups
        if group.readiness.wants_owner
        for line in group.features
        if line.unowned
    )
    return StatusMail(
        freeze=freeze,
        update=freeze.release.update_at(as_of),
        as_of=as_of,
        since=since,
        window_flights=max((len(j.series) for j in judged), default=0),
        groups=groups,
        changes=changes(judged, before, as_of=as_of, since=since),
        unowned=unowned,
        gate=gate,
        accepted=tuple(sorted(accepted, key=lambda a: (a.job, a.testid))),
        base_url=base_url,
    )


def changes(
    judged: Sequence[FeatureReadiness],
    before: Sequence[FeatureReadiness],
    *,
    as_of: datetime,
    since: datetime,
) -> Changes:
    """Find what changed from `since` to `as_of`: declared statuses (from each feature's
    history), readiness, and blocking steps that did not block then (by job and testid)."""
    position = {j.feature.slug: n for n, j in enumerate(judged)}
    declared = sorted(
        (
            DeclaredChange(j.feature.slug, j.feature.title, c.at, c.before, c.after, c.note)
            for j in judged
            for c in j.feature.changes
            if since < c.at <= as_of
        ),
        key=lambda c: (c.at, position[c.slug]),
    )
    then = {j.feature.slug: j.readiness for j in before}
    moved = sorted(
        (
            ReadinessChange(j.feature.slug, j.feature.title, then.get(j.feature.slug), j.readiness)
            for j in judged
            if then.get(j.feature.slug) is not j.readiness
        ),
        key=lambda c: (c.to.severity, position[c.slug]),
    )
    return Changes(tuple(declared), tuple(moved), new_blockers(judged, before))


def new_blockers(
    judged: Sequence[FeatureReadiness], before: Sequence[FeatureReadiness]
) -> tuple[NewBlocker, ...]:
    """Return the blocking steps now that blocked no feature then, with the features they hold up."""
    blocked_then = {o.key for j in before for o in j.blocking}
    found: dict[TestKey, Observation] = {}
    holds: dict[TestKey, list[str]] = defaultdict(list)
    for j in judged:
        for o in j.blocking:
            if o.key not in blocked_then:
                found.setdefault(o.key, o)
                holds[o.key].append(j.feature.slug)
    by_features: dict[tuple[str, ...], list[Observation]] = defaultdict(list)
    for key in sorted(found, key=str):
        by_features[tuple(holds[key])].append(found[key])
    return tuple(
        NewBlocker(sentence, slugs)
        for slugs, observations in by_features.items()
        for sentence in sentences(observations)
    )


# The renderers: plain text for a mail, markdown for a wiki page or an issue.


def render_text(mail: StatusMail) -> str:
    """Write the update as a plain-text mail, wrapped at `WIDTH` columns."""
    out = [mail.title, "=" * len(mail.title), ""]
    for paragraph in _prose(mail):
        out += [*_wrap(paragraph), ""]
    for paragraph in _introduction(mail):
        out += [*_wrap(paragraph), ""]
    if mail.page_link:
        out += [f"On the dashboard: {mail.page_link}", ""]
    if mail.gate is not None:
        said, items = _gate(mail.gate)
        out += [f"Push gate ({mail.gate.branch}):", "", *_wrap(said, bullet="  "), ""]
        for step, item in zip(mail.gate.steps, items, strict=True):
            out += _wrap(item, bullet="  * ")
            if step.came_in is not None and mail.base_url:
                out.append(f"    {mail.flight_link(step.came_in)}")  # a link is never wrapped
        out += [""] if items else []
    for group in mail.groups:
        if not group.features:
            out += [f"{group.heading}: none.", ""]
            continue
        out += [f"{group.heading} ({len(group.features)}):", ""]
        for line in group.features:
            out += _wrap(_feature(line), bullet="  * ")
            if line.notes:
                out += _wrap(f"Notes: {line.notes}", bullet="    ")
            if mail.base_url:
                out.append(f"    {mail.feature_link(line.slug)}")
        out.append("")
    out += [f"Changes since {_moment(mail.since)}:", ""]
    for heading, items in _changes(mail.changes):
        if not items:
            out += [f"  {heading}: none.", ""]
            continue
        out += [f"  {heading}:", ""]
        for item in items:
            out += _wrap(item, bullet="    * ")
        out.append("")
    if mail.unowned:
        out += [f"Features that need an owner ({len(mail.unowned)}):", ""]
        for line in mail.unowned:
            out += _wrap(_needs_owner(line), bullet="  * ")
    else:
        out.append("Features that need an owner: none.")
    if mail.accepted:
        out += ["", f"Accepted regressions ({len(mail.accepted)}):", ""]
        for accepted in mail.accepted:
            out += _wrap(_accepted(accepted), bullet="  * ")
    return "\n".join(out) + "\n"


def _accepted(accepted: Acceptance) -> str:
    """Say what was accepted: `test-amd64-amd64-xl guest-start, accepted by Ian until ...`."""
    return f"{accepted.job} {accepted.testid}, {accepted.words}"


def render_markdown(mail: StatusMail) -> str:
    """Write the update as markdown: the same sentences as the mail, with headings and lists."""
    out = [f"# {mail.title}", ""]
    for paragraph in _prose(mail):
        out += [*_wrap(_md(paragraph), width=79), ""]
    for paragraph in _introduction(mail):
        out += [*_wrap(_md(paragraph), width=79), ""]
    if mail.page_link:
        out += [f"On the dashboard: <{mail.page_link}>", ""]
    if mail.gate is not None:
        said, items = _gate(mail.gate)
        out += [f"## Push gate ({_md(mail.gate.branch)})", "", *_wrap(_md(said), width=79), ""]
        for step, item in zip(mail.gate.steps, items, strict=True):
            out += _wrap(_md(item), bullet="- ", width=79)
            if step.came_in is not None and mail.base_url:
                out.append(f"  <{mail.flight_link(step.came_in)}>")
        out += [""] if items else []
    for group in mail.groups:
        out += [f"## {group.heading} ({len(group.features)})", ""]
        for line in group.features:
            out += _wrap(_feature(line, markdown=True), bullet="- ", width=79)
            if line.notes:
                out += _wrap(f"Notes: {_md(line.notes)}", bullet="  ", width=79)
            if mail.base_url:
                out.append(f"  <{mail.feature_link(line.slug)}>")
        if not group.features:
            out.append("None.")
        out.append("")
    out += [f"## Changes since {_moment(mail.since)}", ""]
    for heading, items in _changes(mail.changes, markdown=True):
        out += [f"### {heading}", ""]
        for item in items:
            out += _wrap(item, bullet="- ", width=79)
        if not items:
            out.append("None.")
        out.append("")
    out += [f"## Features that need an owner ({len(mail.unowned)})", ""]
    for line in mail.unowned:
        out += _wrap(_needs_owner(line, markdown=True), bullet="- ", width=79)
    if not mail.unowned:
        out.append("None.")
    if mail.accepted:
        out += ["", f"## Accepted regressions ({len(mail.accepted)})", ""]
        for accepted in mail.accepted:
            out += _wrap(_md(_accepted(accepted)), bullet="- ", width=79)
    return "\n".join(out) + "\n"


def _prose(mail: StatusMail) -> list[str]:
    """The prose of the roadmap's update in force, introduced by its date."""
    if mail.update is None or not mail.update.paragraphs:
        return []
    first, *rest = mail.update.paragraphs
    return [f"From the roadmap update of {_moment(mail.update.at)}: {first}", *rest]


def _introduction(mail: StatusMail) -> list[str]:
    freeze = mail.freeze
    release = freeze.release
    milestones = [
        ("feature freeze", freeze.days_to_feature_freeze, release.feature_freeze),
        ("code freeze", freeze.days_to_code_freeze, release.code_freeze),
        ("release", freeze.days_to_release, release.release),
    ]
    said = [f"the {name} {_when(days, on)}" for name, days, on in milestones]
    countdown = f"{release.name} is {freeze.phase.words}: {', '.join(said[:-1])} and {said[-1]}."
    features = list(mail.features())
    counts = [
        f"{len(g.features)} " + (g.readiness.words if n else g.readiness.said_of(len(g.features)))
        for n, g in enumerate(g for g in mail.groups if g.features)
    ]
    if not counts:
        tally = "The roadmap has no feature yet."
    elif len(counts) == 1:
        tally = f"Of the {len(features)} features, {counts[0]}."
    else:
        tally = f"Of the {len(features)} features, {', '.join(counts[:-1])} and {counts[-1]}."
    flights = (
        "the newest flight"
        if mail.window_flights == 1
        else f"the last {mail.window_flights} flights"
    )
    source = (
        f"What the tests show is read from {flights} of {release.branch} "
        f"up to {_moment(mail.as_of)}."
    )
    return [countdown, f"{tally} {source}"]


def _gate(gate: PushGate) -> tuple[str, list[str]]:
    """Say how long the gate has not pushed and what blocks it, a line per blocking job."""
    if gate.last_push is None or gate.last_push_at is None:
        said = f"{gate.branch} has not pushed yet."
    else:
        flights = (
            "no flight has"
            if not gate.flights_since
            else (
                "1 flight has" if gate.flights_since == 1 else f"{gate.flights_since} flights have"
            )
        )
        said = (
            f"The gate has not pushed for {gate.days_since_push} days: the last push was flight "
            f"{gate.last_push} on {_moment(gate.last_push_at)}, and {flights} run since."
        )
    jobs = gate.jobs
    if gate.newest is not None and jobs:
        steps = len(gate.blocking)
        said += (
            f" The newest, {gate.newest}, has {steps} blocking step{'s' if steps != 1 else ''} "
            f"in {len(jobs)} job{'s' if len(jobs) != 1 else ''}:"
        )
    elif gate.newest is not None:
        said += f" Nothing blocks the newest flight, {gate.newest}."
    # One line per step and where it came in, its jobs together.
    items = [
        f"{step.sentence()} in {len(step.jobs)} jobs: {', '.join(step.jobs)}"
        if len(step.jobs) > 1
        else f"{step.jobs[0]} {step.sentence()}"
        for step in gate.steps
    ]
    return said, items


def _count(n: int) -> str:
    return "none" if n == 0 else str(n)


def _when(days: int, on: date) -> str:
    if days > 1:
        return f"is in {days} days ({on})"
    if days == 1:
        return f"is tomorrow ({on})"
    if days == 0:
        return f"is today ({on})"
    if days == -1:
        return f"was yesterday ({on})"
    return f"was {-days} days ago ({on})"


def _owners(line: FeatureLine) -> str:
    return "no owner" if line.unowned else ", ".join(line.owners)


def _feature(line: FeatureLine, *, markdown: bool = False) -> str:
    """`Title [slug] - owners: declared good; on track: pass rate 98% over the last 10 flights`."""
    said = f"declared {line.declared_status.value}; {line.readiness.words}: {line.evidence}"
    if markdown:
        return f"**{_md(line.title)}** (`{line.slug}`), {_md(_owners(line))}: {_md(said)}"
    return f"{line.title} [{line.slug}] - {_owners(line)}: {said}"


def _needs_owner(line: FeatureLine, *, markdown: bool = False) -> str:
    said = f"declared {line.declared_status.value}"
    if markdown:
        return f"**{_md(line.title)}** (`{line.slug}`), {said}"
    return f"{line.title} [{line.slug}], {said}"


def _changes(found: Changes, *, markdown: bool = False) -> list[tuple[str, list[str]]]:
    text = _md if markdown else _plain

    def name(title: str, slug: str) -> str:
        return f"**{_md(title)}** (`{slug}`)" if markdown else f"{title} [{slug}]"

    declared = [
        f"{name(c.title, c.slug)}: declared {c.from_.value if c.from_ else '(new)'} -> "
        f"{c.to.value} on {_moment(c.at)}" + (f" ({text(c.note)})" if c.note else "")
        for c in found.status_changes
    ]
    readiness = [f"{name(c.title, c.slug)} {_moved(c)}" for c in found.readiness_changes]
    blockers = [
        f"{text(b.sentence)}; holds up {', '.join(_code(s, markdown) for s in b.features)}"
        for b in found.new_blockers
    ]
    return [
        ("Declared status", declared),
        ("What the tests show", readiness),
        ("New blockers", blockers),
    ]


def _moved(change: ReadinessChange) -> str:
    was = f"was {change.from_.words}" if change.from_ else "new"
    if change.to is Readiness.BLOCKED:
        return f"became blocked ({was})"
    if change.to is Readiness.READY:
        return f"became ready ({was})"
    if change.from_ is Readiness.BLOCKED:
        return f"is no longer blocked: {change.to.words} now"
    return f"is now {change.to.words} ({was})"


def _moment(value: datetime) -> str:
    """Show a moment as its date when it is midnight UTC, else to the minute in UTC."""
    utc = value.astimezone(UTC)
    return f"{utc:%Y-%m-%d}" if utc.time() == time(0) else f"{utc:%Y-%m-%d %H:%M} UTC"


def _wrap(text: str, *, bullet: str = "", width: int = WIDTH) -> list[str]:
    # Job and test names hold hyphens and slashes: a line breaks only at spaces.
    return textwrap.wrap(
        text,
        width=width,
        initial_indent=bullet,
        subsequent_indent=" " * len(bullet),
        break_long_words=False,
        break_on_hyphens=False,
    )


MARKDOWN_SPECIAL = "\\`*_[]<>#|"


def _md(text: str) -> str:
    """Escape what markdown would read as markup in a sentence of the gate's."""
    return "".join(f"\\{c}" if c in MARKDOWN_SPECIAL else c for c in text)


def _plain(text: str) -> str:
    return text


def _code(slug: str, markdown: bool) -> str:
    return f"`{slug}`" if markdown else slug
