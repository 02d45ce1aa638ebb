"""The tables: SQLAlchemy 2.0 typed records. Portable across SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, overload

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from gate.model import FIELD_LIMITS

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


@overload
def as_utc(moment: datetime) -> datetime: ...
@overload
def as_utc(moment: None) -> None: ...
def as_utc(moment: datetime | None) -> datetime | None:
    """Return a stored moment as UTC: SQLite gives back naive datetimes, and every one is UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        dict[str, Any]: JSON,
        dict[str, str]: JSON,
        list[int]: JSON,
        list[str]: JSON,
        list[dict[str, Any]]: JSON,
    }


class BranchRecord(Base):
    __tablename__ = "branch"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(FIELD_LIMITS["branch"]), unique=True)


class FlightRecord(Base):
    """A flight; its id is the osstest flight number."""

    __tablename__ = "flight"
    __table_args__ = (Index("ix_flight_branch_id_id", "branch_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"))
    blessing: Mapped[str] = mapped_column(String(FIELD_LIMITS["blessing"]))
    revisions: Mapped[dict[str, str]]
    baseline: Mapped[dict[str, str]]
    started: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ingested: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    source: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64), index=True)
    intended: Mapped[str | None] = mapped_column(String(FIELD_LIMITS["intended blessing"]))
    log_url: Mapped[str | None] = mapped_column(Text)
    verdict: Mapped[str] = mapped_column(String(20))
    pushed: Mapped[bool] = mapped_column(Boolean)
    push: Mapped[str] = mapped_column(String(30), server_default="not_pushing")
    blocking: Mapped[int] = mapped_column(
        Integer, server_default="0"
    )  # findings that stop the push, as judged
    subject: Mapped[str] = mapped_column(
        Text, server_default=""
    )  # the report's subject line, as judged
    judged_baseline: Mapped[dict[str, str]]
    judged_tested: Mapped[dict[str, str]] = mapped_column(server_default="{}")
    baseline_flights: Mapped[list[int]]
    retests: Mapped[list[int]] = mapped_column(server_default="[]")
    # Findings without a step row of this flight: `<none executed>` jobs, and the failures of
    # the flights that excused this flight's heisenbugs (`fail in N`).
    other_findings: Mapped[list[dict[str, Any]]] = mapped_column(server_default="[]")
    tests: Mapped[int] = mapped_column(Integer)
    failures: Mapped[int] = mapped_column(Integer)
    errors: Mapped[int] = mapped_column(Integer)
    skipped: Mapped[int] = mapped_column(Integer)


class JobRecord(Base):
    __tablename__ = "job"
    __table_args__ = (UniqueConstraint("flight_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    flight_id: Mapped[int] = mapped_column(ForeignKey("flight.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(FIELD_LIMITS["job"]))
    status: Mapped[str] = mapped_column(String(20))
    host: Mapped[str | None] = mapped_column(String(FIELD_LIMITS["host"]))


class TestRecord(Base):
    """A test's identity, shared by every flight: (job, testid)."""

    __test__ = False
    __tablename__ = "test"
    __table_args__ = (UniqueConstraint("job", "testid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(FIELD_LIMITS["job"]))
    testid: Mapped[str] = mapped_column(String(FIELD_LIMITS["testid"]))


# The steps worth a second look: every one that did not pass, and the passes after retries. A
# page reads them through the partial index below; a query uses the partial index only when it
# says this very condition, so it is kept as one literal (`StepRecord.notable`).
NOTABLE = "status <> 'pass' OR attempts > 1"
NOTABLE_STEP = text(f"({NOTABLE})")


class StepRecord(Base):
    """One step result; `classification` is the gate's finding for a non-pass step."""

    __tablename__ = "step"
    __table_args__ = (
        Index("ix_step_test_id_flight_id", "test_id", "flight_id"),
        Index("ix_step_flight_id_test_id", "flight_id", "test_id"),
        # Deleting a job (a replaced or pruned flight's) looks up its steps by the foreign key.
        Index("ix_step_job_id", "job_id"),
        Index(
            "ix_step_notable",
            "flight_id",
            "test_id",
            sqlite_where=text(NOTABLE),
            postgresql_where=text(NOTABLE),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    flight_id: Mapped[int] = mapped_column(ForeignKey("flight.id", ondelete="CASCADE"))
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"))
    test_id: Mapped[int] = mapped_column(ForeignKey("test.id"))
    position: Mapped[int] = mapped_column(Integer)
    stepno: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    duration: Mapped[float | None] = mapped_column(Float)
    message: Mapped[str | None] = mapped_column(Text)
    output: Mapped[str | None] = mapped_column(Text)
    classification: Mapped[str | None] = mapped_column(String(30))
    ref_flight: Mapped[int | None] = mapped_column(Integer)
    ref_status: Mapped[str | None] = mapped_column(String(20))
    ref_blessing: Mapped[str | None] = mapped_column(String(FIELD_LIMITS["blessing"]))
    # Runs of the step, the final one included: more than 1 when it was rerun (JUnit flaky*/rerun*).
    attempts: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class TestTagRecord(Base):
    """A test linked to a feature by a `roadmap.features` or `requirements` property."""

    __test__ = False
    __tablename__ = "test_tag"

    test_id: Mapped[int] = mapped_column(ForeignKey("test.id"), primary_key=True)
    slug: Mapped[str] = mapped_column(String(FIELD_LIMITS["feature tag"]), primary_key=True)


class ReleaseRecord(Base):
    __tablename__ = "release"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    branch: Mapped[str] = mapped_column(String(200))
    feature_freeze: Mapped[date] = mapped_column(Date)
    code_freeze: Mapped[date] = mapped_column(Date)
    release_date: Mapped[date] = mapped_column(Date)


class FeatureRecord(Base):
    """A feature of one release: its key is the release and the slug. Its status and notes are
    declared by the release's updates (`DeclarationRecord`); its other fields are the newest
    update's."""

    __tablename__ = "feature"
    __table_args__ = (UniqueConstraint("release_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(200))
    release_id: Mapped[int] = mapped_column(ForeignKey("release.id"))
    title: Mapped[str] = mapped_column(Text)
    owners: Mapped[list[str]]
    links: Mapped[list[str]]
    tests: Mapped[list[str]]
    position: Mapped[int] = mapped_column(Integer)
    carried_from: Mapped[str | None] = mapped_column(String(100))


class UpdateRecord(Base):
    """One dated update of a release's roadmap: when it was written, its prose, and when it was
    imported."""

    __tablename__ = "roadmap_update"
    __table_args__ = (UniqueConstraint("release_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("release.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    summary: Mapped[str] = mapped_column(Text)
    imported: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DeclarationRecord(Base):
    """A feature's status and notes as one update declared them."""

    __tablename__ = "declaration"

    update_id: Mapped[int] = mapped_column(
        ForeignKey("roadmap_update.id", ondelete="CASCADE"), primary_key=True
    )
    feature_id: Mapped[int] = mapped_column(
        ForeignKey("feature.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    status: Mapped[str] = mapped_column(String(20))
    notes: Mapped[str] = mapped_column(Text)
    exception: Mapped[str] = mapped_column(Text, default="", server_default="")


class PullSourceRecord(Base):
    """A results server that `pushgate pull` reads, with what its index said last time."""

    __tablename__ = "pull_source"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))


class PulledFlightRecord(Base):
    """A flight of a source that needs no more fetching: the source's cursor."""

    __tablename__ = "pulled_flight"

    source_id: Mapped[int] = mapped_column(
        ForeignKey("pull_source.id", ondelete="CASCADE"), primary_key=True
    )
    flight: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TokenRecord(Base):
    """An API token: only its SHA-256 is kept; the token itself is shown once."""

    __tablename__ = "token"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    digest: Mapped[str] = mapped_column(String(64))
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TestPassRecord(Base):
    """The first flight of each blessing in which a test passed on a branch, kept at ingest.

    Judging asks whether a failing step ever passed on its branch (osstest's `never pass`): this
    answers it without reading the branch's history.
    """

    __test__ = False
    __tablename__ = "test_pass"

    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), primary_key=True)
    test_id: Mapped[int] = mapped_column(ForeignKey("test.id"), primary_key=True)
    blessing: Mapped[str] = mapped_column(String(50), primary_key=True)
    first_flight: Mapped[int] = mapped_column(Integer)


class TestFeatureRecord(Base):
    """A test linked to a feature, by one of the feature's patterns or by the test's tag: the
    roadmap's links worked out once, when a test first runs or the roadmap is imported."""

    __test__ = False
    __tablename__ = "test_feature"

    test_id: Mapped[int] = mapped_column(ForeignKey("test.id"), primary_key=True)
    feature_id: Mapped[int] = mapped_column(
        ForeignKey("feature.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class FlightStatusRecord(Base):
    """How many steps of a flight ended in each status, counted when the flight is stored."""

    __tablename__ = "flight_status"

    flight_id: Mapped[int] = mapped_column(
        ForeignKey("flight.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    steps: Mapped[int] = mapped_column(Integer)


class FeatureStatusRecord(Base):
    """How many of a feature's linked steps ended in each status in a flight."""

    __tablename__ = "feature_status"

    flight_id: Mapped[int] = mapped_column(
        ForeignKey("flight.id", ondelete="CASCADE"), primary_key=True
    )
    feature_id: Mapped[int] = mapped_column(
        ForeignKey("feature.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    steps: Mapped[int] = mapped_column(Integer)


class SnapshotRecord(Base):
    """A feature's readiness as of a milestone of its release (the feature or code freeze),
    kept once when the first flight after it is stored: later ingests and re-judges do not
    change it."""

    __tablename__ = "readiness_snapshot"

    release_id: Mapped[int] = mapped_column(
        ForeignKey("release.id", ondelete="CASCADE"), primary_key=True
    )
    milestone: Mapped[str] = mapped_column(String(20), primary_key=True)
    slug: Mapped[str] = mapped_column(String(200), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # the moment judged
    taken: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # when it was kept
    title: Mapped[str] = mapped_column(Text)
    declared: Mapped[str] = mapped_column(String(20))
    readiness: Mapped[str] = mapped_column(String(20))
    pass_rate: Mapped[float | None] = mapped_column(Float)
    reasons: Mapped[list[str]]


class ReadinessDayRecord(Base):
    """A feature's readiness as of the end of one day of its release's cycle, kept from the
    flights stored so far (`gate.keep.days.keep_days`): a cache, which every stored, replaced
    or pruned flight clears from its day on, and a roadmap import clears whole."""

    __tablename__ = "readiness_day"

    release_id: Mapped[int] = mapped_column(
        ForeignKey("release.id", ondelete="CASCADE"), primary_key=True
    )
    slug: Mapped[str] = mapped_column(String(200), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    readiness: Mapped[str] = mapped_column(String(20))
    pass_rate: Mapped[float | None] = mapped_column(Float)


class ReadinessCountRecord(Base):
    """How many features of a release were in each readiness state on a kept day, by state
    (the sums of `readiness_day`, kept beside it for the burn-down: a row a day)."""

    __tablename__ = "readiness_count"

    release_id: Mapped[int] = mapped_column(
        ForeignKey("release.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    counts: Mapped[dict[str, int]] = mapped_column(JSON)


class ReadinessKeptRecord(Base):
    """Which days of a release `readiness_day` holds, and under which policy they were judged:
    every day from `first` to `through` (the day of the branch's newest stored flight)."""

    __tablename__ = "readiness_kept"

    release_id: Mapped[int] = mapped_column(
        ForeignKey("release.id", ondelete="CASCADE"), primary_key=True
    )
    policy: Mapped[str] = mapped_column(String(64))
    first: Mapped[date | None] = mapped_column(Date)
    through: Mapped[date | None] = mapped_column(Date)


class SignatureRecord(Base):
    """A failure signature (`gate.signature`): the normalised first lines of what failed."""

    __tablename__ = "failure_signature"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(20), unique=True)
    text: Mapped[str] = mapped_column(Text)


class FailureRecord(Base):
    """A failing step (fail or broken) with its signature: the rows a failure cluster counts.
    Kept at ingest, gone with its step."""

    __tablename__ = "failure"
    __table_args__ = (
        Index("ix_failure_signature_id_flight_id", "signature_id", "flight_id"),
        Index("ix_failure_flight_id", "flight_id"),
    )

    step_id: Mapped[int] = mapped_column(
        ForeignKey("step.id", ondelete="CASCADE"), primary_key=True
    )
    flight_id: Mapped[int] = mapped_column(ForeignKey("flight.id", ondelete="CASCADE"))
    test_id: Mapped[int] = mapped_column(ForeignKey("test.id"))
    signature_id: Mapped[int] = mapped_column(ForeignKey("failure_signature.id"))
    host: Mapped[str | None] = mapped_column(String(FIELD_LIMITS["host"]))


class TriageRuleRecord(Base):
    """A known issue: a rule that says what some failures are. Its key is its name; what it
    matches and says is its versions', the one in force at a moment being the newest by then."""

    __tablename__ = "triage_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class TriageRuleVersionRecord(Base):
    """One version of a known issue's rule, kept with who made it and when; `retired` ends it."""

    __tablename__ = "triage_rule_version"
    __table_args__ = (Index("ix_triage_rule_version_rule_id_at", "rule_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("triage_rule.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    by: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # product, infrastructure, test, expected
    bug_url: Mapped[str] = mapped_column(Text, server_default="")
    job: Mapped[str] = mapped_column(Text, server_default="*")  # a glob
    testid: Mapped[str] = mapped_column(Text, server_default="*")  # a glob
    message: Mapped[str] = mapped_column(Text, server_default="")  # a regular expression
    host: Mapped[str] = mapped_column(Text, server_default="*")  # a glob
    note: Mapped[str] = mapped_column(Text, server_default="")
    retired: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))


class AcceptanceRecord(Base):
    """A blocking step accepted for a release: its versions say by whom, why and until when."""

    __tablename__ = "acceptance"
    __table_args__ = (UniqueConstraint("release_id", "job", "testid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("release.id", ondelete="CASCADE"))
    job: Mapped[str] = mapped_column(String(FIELD_LIMITS["job"]))
    testid: Mapped[str] = mapped_column(String(FIELD_LIMITS["testid"]))


class AcceptanceVersionRecord(Base):
    """One version of an acceptance, kept with who made it and when; `withdrawn` ends it."""

    __tablename__ = "acceptance_version"
    __table_args__ = (Index("ix_acceptance_version_acceptance_id_at", "acceptance_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    acceptance_id: Mapped[int] = mapped_column(ForeignKey("acceptance.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    until: Mapped[date] = mapped_column(Date)
    withdrawn: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))


def started_at() -> Any:
    """The moment a flight happened: its start, or its ingest when it gives none."""
    return func.coalesce(FlightRecord.started, FlightRecord.ingested)


def happened_by(now: datetime) -> Any:
    """Select the flights that had started (or, lacking a start, were ingested) by `now`."""
    return started_at() <= now
