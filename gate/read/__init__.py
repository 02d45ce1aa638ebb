"""The read side: one function per page builds what the page, its JSON twin and the CLI show.

The store (`gate.store`) holds the records and the queries that save and load them; these
modules turn them into what each page shows. No function here commits.
"""

from gate.read.branch import branch_detail, gate_status
from gate.read.features import feature_detail, features, overview, release_dates, select_features
from gate.read.flights import FlightReport, flight_detail, flight_report, flights_page
from gate.read.status import StatusReport, status

__all__ = [
    "FlightReport",
    "StatusReport",
    "branch_detail",
    "feature_detail",
    "features",
    "flight_detail",
    "flight_report",
    "flights_page",
    "gate_status",
    "overview",
    "release_dates",
    "select_features",
    "status",
]
