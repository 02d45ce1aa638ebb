"""Parse a JUnit XML document, streaming, into one gate Flight.

The osstest convention: `<testsuites>` is a flight, `<testsuite name=JOB>` a job, `<testcase>` a step.
Each finished `<testcase>` element is handed to junitparser's classes, then cleared, so that memory
stays flat however large the document. The lxml parser is hardened: no DTD, no entities, no network,
and any DOCTYPE is refused.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from junitparser import Error, Failure, Skipped
from lxml import etree

from gate.model import Flight, Job, Status, Step, TestKey
from gate.roadmap import split_tags
from ingest.source import CappedReader, IngestError

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
# Only these elements raise parser events; `{*}` matches them in any namespace or none.
WATCHED = ("{*}testsuite", "{*}testcase")
SKIP_STATUSES = ("disabled", "notrun", "skipped")
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
_LEADING_STEPNO = re.compile(r"(\d+) (.+)\Z", re.DOTALL)
_THOUSANDS = re.compile(r"\d{1,3}(,\d{3})+(\.\d*)?\Z")


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
    job: str = ""

    def __post_init__(self) -> None:
        # The job is the nearest named suite, this one or an ancestor.
        suite: _Suite | None = self
        while suite is not None and not suite.name:
            suite = suite.parent
        self.job = suite.name if suite is not None else UNNAMED_JOB


def parse_duration(text: str | None) -> float | None:
    """Read a `time` attribute leniently: thousands commas, exponents; None when unusable."""
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        text = text.strip()
        if not _THOUSANDS.match(text):
            return None
        value = float(text.replace(",", ""))
    if math.isnan(value) or math.isinf(value) or value < 0:
        return None
    return value


def parse_timestamp(text: str | None) -> datetime | None:
    """Read a timestamp leniently (ISO 8601, a ` UTC` suffix, or unix seconds); None when unusable."""
    if not text:
        return None
    text = text.strip().removesuffix(" UTC").replace("Z", "+00:00")
    try:
        moment = datetime.fromtimestamp(float(text), UTC) if text.isdigit() else None
        moment = moment or datetime.fromisoformat(text)
    except (ValueError, OverflowError):
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
        status = Status.BLOCKED if "blocked" in said.lower() else Status.SKIP
        return status, skips[0].message or (skips[0].text or "").strip()
    if (elem.get("status") or "").lower() in SKIP_STATUSES:
        return Status.SKIP, elem.get("status")
    return Status.PASS, ""


def _read_case(elem: Any, job: str, excerpt_limit: int) -> Step:
    """Read one finished <testcase>: its direct children give results, properties and output."""
    results: list[Any] = []
    pairs: list[tuple[str, str]] = []
    texts: list[str] = []
    for child in elem:
        tag = child.tag
        if tag in RESULTS:
            # junitparser's result classes read message, type and text the way other tools do.
            result = RESULTS[tag].fromelem(child)  # type: ignore[no-untyped-call]
            results.append(result)
            if result.text and result.text.strip():
                texts.append(result.text.strip())
        elif tag == "properties":
            pairs += _properties_of(child)
        elif tag in OUTPUTS and child.text and child.text.strip():
            texts.append(child.text.strip())
    name = elem.get("name") or ""
    stepno: int | None = None
    for key, value in pairs:
        if key == "osstest.stepno" and value.strip().isdigit():
            stepno = int(value)
            break
    if stepno is None and (match := _LEADING_STEPNO.match(name)):
        stepno, name = int(match.group(1)), match.group(2)
    status, message = _status(results, elem)
    return Step(
        key=TestKey(job, derive_testid(elem.get("classname") or "", name, job)),
        stepno=stepno or UNNUMBERED,
        status=status,
        duration=parse_duration(elem.get("time")),
        message=excerpt(message.strip(), 500),
        output=excerpt("\n".join(texts), excerpt_limit) if texts else "",
        features=_features(pairs),
    )


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


def _release(elem: Any) -> None:
    elem.clear(keep_tail=False)
    parent = elem.getparent()
    if parent is not None:
        while elem.getprevious() is not None:
            del parent[0]


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


def _localize(elem: Any) -> None:
    for inner in elem.iter():
        if isinstance(inner.tag, str) and inner.tag.startswith("{"):
            inner.tag = inner.tag.rpartition("}")[2]


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


class _Suites:
    """The suites seen so far, found from a testcase through its parent element."""

    def __init__(self) -> None:
        self.top = _Suite(name="", hostname=None, timestamp=None, parent=None)
        self._open: dict[Any, _Suite] = {}  # lxml keeps one proxy per element while it is held

    def of(self, elem: Any) -> _Suite:
        if elem is None or _local(elem.tag) != "testsuite":
            return self.top
        found = self._open.get(elem)
        if found is None:
            found = _Suite(
                name=elem.get("name") or "",
                hostname=elem.get("hostname"),
                timestamp=elem.get("timestamp"),
                parent=self.of(elem.getparent()),
            )
            self._open[elem] = found
        return found

    def close(self, elem: Any) -> _Suite:
        found = self.of(elem)
        del self._open[elem]
        return found


def _preceding_properties(elem: Any) -> list[tuple[str, str]]:
    # Earlier siblings were released at the previous testcase, so this looks at few elements;
    # mostly there is just that testcase, emptied, and nothing before it.
    previous = elem.getprevious()
    if previous is None or (previous.tag == "testcase" and previous.getprevious() is None):
        return []
    found: list[tuple[str, str]] = []
    for sibling in elem.itersiblings(preceding=True):
        if _local(sibling.tag) == "properties":
            found = _properties_of(sibling) + found
    return found


def _walk(reader: CappedReader, excerpt_limit: int) -> Iterator[_Suite]:
    """Yield every suite, innermost first, as each one ends."""
    sniff(reader.peek())
    suites = _Suites()
    last_parent: Any = None
    suite = suites.top
    namespaced = None
    events = etree.iterparse(reader, events=("end",), tag=WATCHED, **PARSER_OPTIONS)
    try:
        for _event, elem in events:
            if namespaced is None:
                root = elem.getroottree().getroot()
                if elem.getroottree().docinfo.doctype:
                    raise IngestError("document has a DOCTYPE, which results documents never need")
                _check_root(etree.QName(root).localname)
                namespaced = root.tag.startswith("{")
            if namespaced:
                _localize(elem)
            parent = elem.getparent()
            if parent is not last_parent:
                last_parent, suite = parent, suites.of(parent)
            suite.properties += _preceding_properties(elem)
            if elem.tag == "testcase":
                suite.cases.append(_read_case(elem, suite.job, excerpt_limit))
                _release(elem)
            else:
                closed = suites.close(elem)
                closed.properties += [
                    pair
                    for child in elem
                    if child.tag == "properties"
                    for pair in _properties_of(child)
                ]
                yield closed
                _release(elem)
        if namespaced is None:
            _check_root(etree.QName(events.root).localname)
    except etree.XMLSyntaxError as exc:
        # libxml2 has no text for some errors, e.g. a file cut off inside a CDATA section.
        message = exc.msg.replace("Unregistered error message", "unexpected end or bad markup")
        raise IngestError(f"not well-formed XML: {message}") from None
    if suites.top.cases:
        yield suites.top


def _int(name: str, value: str) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        raise IngestError(f"property {name} must be a whole number, got {value!r}") from None
    if number <= 0:
        raise IngestError(f"property {name} must be positive, got {value!r}")
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
    for status in (Status.BROKEN, Status.FAIL, Status.BLOCKED):
        if status in statuses:
            return status
    return Status.PASS


def parse_flight(
    reader: CappedReader,
    overrides: Overrides | None = None,
    *,
    default_branch: str = "default",
    excerpt_limit: int = 4096,
) -> Flight:
    """Read one JUnit document as one flight; raise IngestError with the reason if it is not one."""
    overrides = overrides or Overrides()
    flight_props = _FlightProperties()
    jobs: dict[str, list[Step]] = {}
    hosts: dict[str, str | None] = {}
    declared: dict[str, str | None] = {}
    started: list[datetime] = []
    for suite in _walk(reader, excerpt_limit):
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
