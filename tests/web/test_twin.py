"""The JSON twin of a page model: field names are the keys, enums their values, moments ISO."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from gate.model import Status
from gate.read.features import FeatureRow
from gate.read.flights import flight_page
from gate.report import ReportContext, subject
from tests.gate.test_readiness import PAIR, REGR, F, P, feature, history, judge
from tests.gate.test_report import BASE, CONTEXT, FLIGHT, JUDGEMENT, LOGS, TIP
from web.twin import to_json


def test_the_json_shape_of_a_feature():
    judged = judge(feature(), history({PAIR: [P] * 9 + [(F, REGR, 17079)]}))
    data = to_json(FeatureRow.of(judged))
    assert list(data)[:11] == [
        "slug",
        "title",
        "owners",
        "declared_status",
        "readiness",
        "pass_rate",
        "tests",
        "patterns",
        "blocking",
        "failures",
        "reasons",
    ]
    assert data["readiness"] == "blocked"
    assert data["pass_rate"] == 0.9
    assert data["tests"] == ["test-amd64-amd64-pair guest-start"]
    assert data["blocking"] == [
        {
            "job": "test-amd64-amd64-pair",
            "testid": "guest-start",
            "flight": 17080,
            "status": "fail",
            "classification": "regression",
            "ref_flight": 17079,
            "host": None,
            "known": None,  # no known issue says what it is (only a feature page asks)
        }
    ]
    assert data["mismatch"] is True
    assert set(data["projection"]) == {"date", "text"}
    assert data["strength"] == "indirect"  # `test-*-pair` links the whole job
    assert data["trouble"] == []


@dataclass(frozen=True)
class _Change:
    from_: Status | None
    at: datetime
    on: date
    seen: tuple[Status, ...]


def test_a_model_becomes_plain_json_values():
    moment = datetime(2013, 3, 18, 1, 49, tzinfo=UTC)
    change = _Change(Status.FAIL, moment, date(2013, 3, 25), (Status.PASS,))
    assert to_json(change) == {
        "from": "fail",
        "at": "2013-03-18T01:49:00+00:00",
        "on": "2013-03-25",
        "seen": ["pass"],
    }


def test_the_flight_twin_carries_the_reports_facts():
    report = to_json(flight_page(FLIGHT, JUDGEMENT, CONTEXT))
    assert report["flight"] == 17085
    assert report["subject"] == subject(FLIGHT, JUDGEMENT)
    assert (report["verdict"], report["push"], report["pushed"]) == (
        "regressions",
        "not_pushing",
        False,
    )
    assert (report["blessing"], report["intended"], report["log_url"]) == (
        "real",
        "real",
        f"{LOGS}/17085/",
    )
    assert report["revision"] == report["tested"] == {"xen": TIP}
    assert report["baseline"] == {"xen": BASE}
    assert report["baseline_flights"] == [17002]
    assert report["retests"] == [17086]
    assert report["retest_flights"] == [
        {
            "flight": 17086,
            "blessing": "real-retest",
            "intended": "real",
            "log_url": f"{LOGS}/17086/",
        }
    ]
    assert report["push_age"]["basis"] == {
        "flight": 17002,
        "started": "2013-02-10T04:05:06+00:00",
        "days": 12,
    }
    assert report["push_age"]["failing_attempts"] == 3
    assert report["failures"][0] == {
        "job": "build-i386-oldkern",
        "testid": "host-build-prep",
        "stepno": 3,
        "status": "fail",
        "classification": "regression",
        "blocking": True,
        "blocker": "regression",
        "ref_flight": 17002,
        "in_flight": None,
        "summary": "REGR. vs. 17002",
        "section": "regression",
        "known": None,  # no known issue's rule says what it is
        "cluster": None,  # a flight built here, never stored: no signature
    }
    assert [f["section"] for f in report["failures"]] == [
        "regression",
        "regression",
        "heisenbug",
        "nonblocking",
        "nonblocking",
        "nonblocking",
        "nonblocking",
        "nonblocking",
        "heisenbug",
    ]
    assert report["failures"][1]["blocker"] == "broken"
    assert report["failures"][-1]["in_flight"] == 17086
    assert to_json(flight_page(FLIGHT, JUDGEMENT, ReportContext()))["push_age"] is None
    uncompared = to_json(flight_page(FLIGHT, replace(JUDGEMENT, baseline={}), ReportContext()))
    assert {f["section"] for f in uncompared["failures"]} == {"fail"}
