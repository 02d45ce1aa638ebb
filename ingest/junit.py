"""Parse a JUnit XML document, streaming, into one gate Flight.

The osstest convention: `<testsuites>` is a flight, `<testsuite name=JOB>` a job, `<testcase>` a step.
Each finished `<testcase>` element is handed to junitparser's classes, then dropped, as is every
element that no testcase reads, so that memory stays flat however large the document and whatever
it holds; each step's texts (message and output) can go to a `StepTexts` as the step is read,
so that a big flight's steps hold only what judging reads. Elements are matched by local name,
in any namespace or none. Flight and step numbers must fit the store's 32-bit integers. The
lxml parser is hardened: no DTD, no entities, no network, and any DOCTYPE is refused.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
import sys
from array import array
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from junitparser import Error, Failure, Skipped
from lxml import etree

from gate.model import MAX_NUMBER, Flight, Job, Status, Step, TestKey
from gate.roadmap import split_tags
from ingest.source import CappedReader, IngestError
from ingest.texts import StepTexts

PARSER_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}
ROOTS = ("testsuites", "testsuite")
# Surefire's and Playwright's earlier runs of a testcase: failed runs before a pass (flaky*) or
# after the final failure (rerun*). Each one is an attempt; the outcome stays the testcase's own.
RETRIES = frozenset(("flakyFailure", "flakyError", "rerunFailure", "rerunError"))
# The children of a <testcase> that it reads; every other element is dropped as soon as it ends.
CASE_CHILDREN = frozenset(
    ("failure", "error", "skipped", "properties", "system-out", "system-err", *RETRIES)
)
JUNIT_NAMES = CASE_CHILDREN | {"testcase", "testsuite", "testsuites", "property"}
SKIP_STATUSES = ("disabled", "notrun", "skipped")
# A testcase property naming the step's osstest status outright (`starved`, `aborted`...): it
# wins over what the result element says.
STATUS_PROPERTY = "osstest.status"
# An <error> of these types is a step that had not finished (osstest's step statuses).
UNFINISHED_TYPES = {
    "unfinished": Status.RUNNING,
    "running": Status.RUNNING,
    "queued": Status.QUEUED,
    "preparing": Status.PREPARING,
}
RESULTS = {"failure": Failure, "error": Error, "skipped": Skipped}
OUTPUTS = ("system-out", "system-err")
UNNAMED_JOB = "unnamed"
UNNUMBERED = 0  # osstest numbers steps from 1; a step without a number gets its position
FEATURE_PROPERTIES = ("roadmap.features", "requirements")
NO_FEATURES: frozenset[str] = frozenset()
JOB_PROPERTIES = ("osstest.job.", "osstest.runvar.", "osstest.host", "osstest.stepno")
# The store's Integer columns (flight and step numbers) are 32-bit on PostgreSQL.
_LEADING_STEPNO = re.compile(r"([0-9]+) (.+)\Z", re.DOTALL)
_DIGITS = re.compile(r"[0-9]+\Z")
_DECIMAL = re.compile(r"\+?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\Z")
_THOUSANDS = re.compile(r"[1-9][0-9]{0,2}(,[0-9]{3})+(\.[0-9]*)?\Z")


@dataclass(frozen=True)
class Overrides:
    """What the command line or request says about a flight, winning over the document."""

    branch: str | None = None
    flight: int | None = None
    blessing: str | None = None
    revisions: Mapping[str, str] = field(default_factory=dict)
    baseline: Mapping[str, str] = field(default_factory=dict)


@dataclass
class _Suite:
    name: str
    hostname: str | None
    timestamp: str | None
    parent: _Suite | None
    properties: list[tuple[str, str]] = field(default_factory=list)
    cases: list[Step] = field(default_factory=list)
    places: list[int] = field(default_factory=list)  # where each case's texts are (StepTexts)
    job: str = ""

    def __post_init__(self) -> None:
        # The job is the nearest named suite, this one or an ancestor.
        suite: _Suite | None = self
        while suite is not None and not suite.name:
            suite = suite.parent
        self.job = suite.name if suite is not None else UNNAMED_JOB


def parse_duration(text: str | None) -> float | None:
    """Read a `time` attribute: decimal seconds, thousands commas, exponents; None when unusable.

    Units (`1.2s`, `PT1S`), a comma that is not a thousands separator (`0,5`, `0,123`), negative,
    infinite or otherwise unreadable values are an unknown duration.
    """
    text = (text or "").strip()
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    elif not _DECIMAL.match(text):
        return None
    value = float(text)
    return None if math.isinf(value) else value


def parse_number(text: str) -> int | None:
    """Read a flight or step number: ASCII digits up to MAX_NUMBER; None for anything else."""
    text = text.strip()
    # Checking the length first keeps int() away from huge strings (and their ValueError).
    if not _DIGITS.match(text) or len(text) > len(str(MAX_NUMBER)):
        return None
    number = int(text)
    return number if number <= MAX_NUMBER else None


def _shown(value: str) -> str:
    """Quote a document's value for an error message, cut short if it is long."""
    return repr(value if len(value) <= 40 else value[:40] + "...")


def parse_timestamp(text: str | None) -> datetime | None:
    """Read a timestamp leniently (ISO 8601, a ` UTC` suffix, or unix seconds); None when unusable."""
    if not text:
        return None
    text = text.strip().removesuffix(" UTC").replace("Z", "+00:00")
    try:
        moment = datetime.fromtimestamp(float(text), UTC) if text.isdigit() else None
        moment = moment or datetime.fromisoformat(text)
    except (ValueError, OverflowError, OSError):
        return None
    if moment.year < 1980:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def excerpt(text: str, limit: int) -> str:
    """Keep the head and the tail of a long text, where failures usually say what happened."""
    if len(text) <= limit:
        return text
    marker = f"\n[... {len(text) - limit} characters cut ...]\n"
    keep = max(0, limit - len(marker))
    head = keep // 4
    return f"{text[:head]}{marker}{text[len(text) - (keep - head) :]}"


def _properties_of(group: Any) -> list[tuple[str, str]]:
    """Read a <properties> element: (name, value) pairs, the value from `value=` or the text."""
    found = []
    for prop in group:
        name = prop.get("name")
        if prop.tag != "property" or not name:
            continue
        value = prop.get("value")
        found.append((name, (prop.text or "").strip() if value is None else value))
    return found


def _features(properties: list[tuple[str, str]]) -> frozenset[str]:
    """Return the feature slugs that `roadmap.features` and Xray's `requirements` name."""
    found: frozenset[str] = NO_FEATURES
    for name, value in properties:
        if name in FEATURE_PROPERTIES:
            found = found | split_tags(value)
    return found


def _status(results: list[Any], elem: Any) -> tuple[Status, str]:
    if not results:
        if (elem.get("status") or "").lower() in SKIP_STATUSES:
            return Status.SKIP, elem.get("status")
        return Status.PASS, ""
    for kind, status in ((Error, Status.BROKEN), (Failure, Status.FAIL)):
        hits = [r for r in results if isinstance(r, kind)]
        if hits:
            if kind is Error:
                status = UNFINISHED_TYPES.get((hits[0]._elem.get("type") or "").lower(), status)
            return status, hits[0].message or (hits[0].text or "").strip().split("\n", 1)[0]
    skips = [r for r in results if isinstance(r, Skipped)]
    if skips:
        said = " ".join(f"{r.message or ''} {r._elem.get('type') or ''}" for r in skips)
        said = said.lower()
        status = (
            Status.STARVED
            if "starved" in said
            else Status.BLOCKED
            if "blocked" in said
            else Status.SKIP
        )
        return status, skips[0].message or (skips[0].text or "").strip()
    if (elem.get("status") or "").lower() in SKIP_STATUSES:
        return Status.SKIP, elem.get("status")
    return Status.PASS, ""


def _read_case(elem: Any, job: str, excerpt_limit: int, texts: StepTexts) -> tuple[Step, int]:
    """Read one finished <testcase>: its direct children give results, properties and output.

    Return the step without its message and output, and where `texts` keeps them.
    """
    results: list[Any] = []
    pairs: list[tuple[str, str]] = []
    outputs: list[str] = []
    attempts = 1
    for child in elem:
        tag = child.tag
        if tag in RETRIES:
            attempts += 1
        elif tag in RESULTS:
            # junitparser's result classes read message, type and text the way other tools do.
            result = RESULTS[tag].fromelem(child)  # type: ignore[no-untyped-call]
            results.append(result)
            if result.text and result.text.strip():
                outputs.append(result.text.strip())
        elif tag == "properties":
            pairs += _properties_of(child)
        elif tag in OUTPUTS and child.text and child.text.strip():
            outputs.append(child.text.strip())
    name = elem.get("name") or ""
    stepno: int | None = None
    for key, value in pairs:
        if key == "osstest.stepno" and _DIGITS.match(value.strip()):
            stepno = parse_number(value)
            if stepno is None:
                raise IngestError(
                    f"property osstest.stepno must be at most {MAX_NUMBER}, got {_shown(value)}"
                )
            break
    match = _LEADING_STEPNO.match(name) if stepno is None else None
    # A leading number too large to be a step number is part of the name.
    if match and (number := parse_number(match.group(1))) is not None:
        stepno, name = number, match.group(2)
    status, message = _status(results, elem)
    for key, value in pairs:
        if key == STATUS_PROPERTY:
            status = _osstest_status(value)
    place = texts.add(
        excerpt(message.strip(), 500),
        excerpt("\n".join(outputs), excerpt_limit) if outputs else "",
    )
    step = Step(
        # Most testids recur in every job (osstest's `xen-boot`...): one string for each serves all.
        key=TestKey(job, sys.intern(derive_testid(elem.get("classname") or "", name, job))),
        stepno=stepno or UNNUMBERED,
        status=status,
        duration=parse_duration(elem.get("time")),
        features=_features(pairs),
        attempts=attempts,
    )
    return step, place


def _osstest_status(value: str) -> Status:
    """Read the `osstest.status` property of a testcase: one of the statuses osstest gives."""
    try:
        return Status(value.strip().lower())
    except ValueError:
        known = ", ".join(s.value for s in Status)
        raise IngestError(
            f"property {STATUS_PROPERTY} must be one of {known}, got {_shown(value)}"
        ) from None


def derive_testid(classname: str, name: str, job: str) -> str:
    """Name a step: the testcase name, prefixed with its classname unless that says nothing new.

    The classname is dropped when it is empty, equals the job (suite) name, ends with `.JOB`
    (osstest's `BRANCH.JOB`), or already begins the name; otherwise the testid is `CLASSNAME.NAME`.
    """
    if not classname or classname == job or classname.endswith("." + job):
        return name
    if name.startswith(classname):
        return name
    return f"{classname}.{name}"


_START = re.compile(rb"<(!--.*?-->|!DOCTYPE|\?.*?\?>|[A-Za-z_][^\s/>]*)", re.DOTALL)


def sniff(head: bytes) -> None:
    """Refuse a DOCTYPE or a root other than <testsuites>/<testsuite> before parsing begins."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", errors="ignore").encode()
    for match in _START.finditer(head):
        token = match.group(1)
        if token == b"!DOCTYPE":
            raise IngestError("document has a DOCTYPE, which results documents never need")
        if token.startswith((b"!--", b"?")):
            continue
        _check_root(token.decode(errors="replace").rpartition(":")[2])
        return


def _check_root(name: str) -> None:
    if name not in ROOTS:
        raise IngestError(f"not a JUnit XML document (root element <{name}>)")


def _local(tag: Any) -> str:
    """Return an element's name without its namespace: documents are read by local names."""
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _nearest_suite(elem: Any) -> Any:
    while elem is not None and _local(elem.tag) != "testsuite":
        elem = elem.getparent()
    return elem


class _Suites:
    """The suites seen so far, found from an element through its nearest <testsuite> ancestor."""

    def __init__(self) -> None:
        self.top = _Suite(name="", hostname=None, timestamp=None, parent=None)
        self._open: dict[Any, _Suite] = {}  # lxml keeps one proxy per element while it is held

    def of(self, elem: Any) -> _Suite:
        """Return the suite of a <testsuite> element, or the top one for None."""
        if elem is None:
            return self.top
        found = self._open.get(elem)
        if found is None:
            found = _Suite(
                name=elem.get("name") or "",
                hostname=elem.get("hostname"),
                timestamp=elem.get("timestamp"),
                parent=self.of(_nearest_suite(elem.getparent())),
            )
            self._open[elem] = found
        return found

    def close(self, elem: Any) -> _Suite:
        found = self.of(elem)
        del self._open[elem]
        return found


def _check_document(tree: Any) -> None:
    if tree.docinfo.doctype:
        raise IngestError("document has a DOCTYPE, which results documents never need")
    _check_root(_local(tree.getroot().tag))


def _read_events(
    events: Iterator[Any], suites: _Suites, excerpt_limit: int, texts: StepTexts
) -> Iterator[_Suite]:
    nested: dict[Any, int] = {}  # an open testcase -> where the first testcase inside it went
    for _event, elem in events:
        tag = elem.tag
        if tag[0] == "{":
            tag = tag.rpartition("}")[2]
        parent = elem.getparent()
        if tag not in JUNIT_NAMES:
            parent.remove(elem)  # never the root, whose name _check_document checked
            continue
        above = _local(parent.tag) if parent is not None else ""
        if tag == "testcase":
            suite = suites.of(_nearest_suite(parent))
            at = nested.pop(elem, len(suite.cases))
            step, place = _read_case(elem, suite.job, excerpt_limit, texts)
            suite.cases.insert(at, step)
            suite.places.insert(at, place)
            if above == "testcase":
                nested.setdefault(parent, at)
        elif tag == "testsuite":
            yield suites.close(elem)
        elif tag == "properties" and above in ROOTS:
            owner = parent if above == "testsuite" else None
            suites.of(owner).properties += _properties_of(elem)
        elif (above == "testcase" and tag in CASE_CHILDREN) or (
            above == "properties" and tag == "property"
        ):
            elem.tag = tag  # kept, by its local name, for the element that holds it
            continue
        if parent is not None:
            parent.remove(elem)


def _walk(reader: CappedReader, excerpt_limit: int, texts: StepTexts) -> Iterator[_Suite]:
    """Yield every suite, innermost first, as each one ends.

    Every element raises an end event. A testcase is read when it ends, a suite's <properties>
    too, and then each is dropped from the tree, as is any element that no testcase reads
    (including every one that is not JUnit's): memory holds only the open elements and the
    children of the testcase being read. Names are matched without their namespace.
    A testcase nested in another is a step of its own, placed before the ones it holds; the
    outer one keeps its own results.
    """
    sniff(reader.peek())
    suites = _Suites()
    events = etree.iterparse(reader, events=("end",), **PARSER_OPTIONS)
    try:
        for event in events:
            _check_document(event[1].getroottree())
            chained = itertools.chain([event], events)
            yield from _read_events(chained, suites, excerpt_limit, texts)
    except etree.XMLSyntaxError as exc:
        # libxml2 has no text for some errors, e.g. a file cut off inside a CDATA section.
        message = exc.msg.replace("Unregistered error message", "unexpected end or bad markup")
        raise IngestError(f"not well-formed XML: {message}") from None
    if suites.top.cases or suites.top.properties:
        yield suites.top


def _int(name: str, value: str) -> int:
    if not _DIGITS.match(value.strip()):
        raise IngestError(f"property {name} must be a whole number, got {_shown(value)}")
    number = parse_number(value)
    if number is None:
        raise IngestError(f"property {name} must be at most {MAX_NUMBER}, got {_shown(value)}")
    if number <= 0:
        raise IngestError(f"property {name} must be positive, got {_shown(value)}")
    return number


class _FlightProperties:
    """The flight-level properties, which osstest repeats in every suite; they must agree."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def add(self, name: str, value: str) -> None:
        if not name.startswith("osstest.") or name.startswith(JOB_PROPERTIES):
            return
        if self.values.setdefault(name, value) != value:
            raise IngestError(f"suites disagree on {name}: {self.values[name]!r} and {value!r}")

    def trees(self, prefix: str) -> dict[str, str]:
        return {k.removeprefix(prefix): v for k, v in self.values.items() if k.startswith(prefix)}


def job_status(declared: str | None, steps: list[Step]) -> Status:
    """Return a job's status: the one its document declares, else its worst step's."""
    if declared:
        try:
            return Status(declared.strip().lower())
        except ValueError:
            return Status.BROKEN  # a status osstest does not have: the job did not end well
    statuses = {step.status for step in steps}
    for status in (Status.BROKEN, Status.FAIL, Status.BLOCKED, Status.STARVED):
        if status in statuses:
            return status
    return Status.PASS


def parse_flight(
    reader: CappedReader,
    overrides: Overrides | None = None,
    *,
    default_branch: str = "default",
    excerpt_limit: int = 4096,
    texts: StepTexts | None = None,
) -> Flight:
    """Read one JUnit document as one flight; raise IngestError with the reason if it is not one.

    With `texts`, each step's message and output go there, in `flight.steps()` order, and the
    steps carry none: memory then holds only what judging reads, however big the document.
    """
    overrides = overrides or Overrides()
    if texts is not None:
        return _parse(reader, overrides, default_branch, excerpt_limit, texts)
    kept = StepTexts()
    try:
        return _with_texts(_parse(reader, overrides, default_branch, excerpt_limit, kept), kept)
    finally:
        kept.close()


def _with_texts(flight: Flight, texts: StepTexts) -> Flight:
    """Return the flight with each step carrying its texts."""
    said = iter(texts)
    jobs = []
    for job in flight.jobs:
        own = itertools.islice(said, len(job.steps))
        steps = tuple(
            step._replace(message=message, output=output)
            for step, (message, output) in zip(job.steps, own, strict=True)
        )
        jobs.append(dataclasses.replace(job, steps=steps))
    return dataclasses.replace(flight, jobs=tuple(jobs))


def _parse(
    reader: CappedReader,
    overrides: Overrides,
    default_branch: str,
    excerpt_limit: int,
    texts: StepTexts,
) -> Flight:
    flight_props = _FlightProperties()
    jobs: dict[str, list[Step]] = {}
    places: dict[str, array[int]] = {}
    hosts: dict[str, str | None] = {}
    declared: dict[str, str | None] = {}
    started: list[datetime] = []
    for suite in _walk(reader, excerpt_limit, texts):
        props = dict(suite.properties)
        for name, value in suite.properties:
            flight_props.add(name, value)
        if moment := parse_timestamp(suite.timestamp):
            started.append(moment)
        if not suite.cases and "osstest.job.status" not in props:
            continue  # a suite that only groups other suites is not a job
        job = suite.job
        suite_features = _features(suite.properties)
        steps = jobs.setdefault(job, [])
        places.setdefault(job, array("q")).extend(suite.places)
        hosts.setdefault(job, props.get("osstest.host") or suite.hostname)
        declared.setdefault(job, props.get("osstest.job.status"))
        for step in suite.cases:
            if step.stepno == UNNUMBERED:
                step = step._replace(stepno=len(steps) + 1)
            if suite_features:
                step = step._replace(features=step.features | suite_features)
            steps.append(step)
    values = flight_props.values
    number = overrides.flight
    if number is None and "osstest.flight" in values:
        number = _int("osstest.flight", values["osstest.flight"])
    if "osstest.flight.started" in values:
        moment = parse_timestamp(values["osstest.flight.started"])
        started = [moment] if moment else []
    texts.arrange(itertools.chain.from_iterable(places[name] for name in jobs))
    return Flight(
        number=number,
        branch=overrides.branch or values.get("osstest.branch") or default_branch,
        blessing=overrides.blessing or values.get("osstest.blessing") or "real",
        revisions={**flight_props.trees("osstest.revision."), **overrides.revisions},
        baseline={**flight_props.trees("osstest.baseline."), **overrides.baseline},
        started=min(started) if started else None,
        intended=values.get("osstest.intended") or None,
        log_url=values.get("osstest.log_url") or None,
        jobs=tuple(
            Job(name, job_status(declared[name], steps), tuple(steps), hosts[name])
            for name, steps in jobs.items()
        ),
    )
