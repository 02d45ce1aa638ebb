"""The failure clusters and one cluster's page, fetched and shaped."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from gate.pages.triage import cluster_list_triage, cluster_triage
from gate.read.failures import (
    CLUSTERS,
    OCCURRENCES,
    TREND_FLIGHTS,
    ClusterList,
    ClusterPage,
    ordered,
    with_context,
)
from gate.store.failures import (
    cluster_features,
    cluster_trend,
    clusters,
    newest_flights,
    occurrences,
    signature_numbered,
)


def failure_clusters(session: Session, now: datetime, *, limit: int = CLUSTERS) -> ClusterList:
    """List the failure clusters of the flights that happened by `now`, newest and biggest
    first, each with the features its tests serve and its failures in the newest flights."""
    found = clusters(session, now)
    id_of = {cluster.digest: sig for sig, cluster in found}
    shown = ordered([cluster for _sig, cluster in found])[:limit]
    ids = [id_of[c.digest] for c in shown]
    window = newest_flights(session, now, TREND_FLIGHTS)
    features = cluster_features(session, ids)
    trend = cluster_trend(session, ids, window)
    listed = ClusterList(
        tuple(with_context(c, features, trend, window, id_of[c.digest]) for c in shown),
        len(found),
        limit,
    )
    return cluster_list_triage(session, listed, {c.digest: id_of[c.digest] for c in shown}, now)


def failure_cluster(session: Session, digest: str, now: datetime) -> ClusterPage | None:
    """One failure cluster as of `now`: its counts and its newest occurrences; None when no
    failure of that signature had happened by then."""
    sig = signature_numbered(session, digest)
    if sig is None:
        return None
    found = clusters(session, now, signature_id=sig)
    if not found:
        return None
    window = newest_flights(session, now, TREND_FLIGHTS)
    cluster = with_context(
        found[0][1],
        cluster_features(session, [sig]),
        cluster_trend(session, [sig], window),
        window,
        sig,
    )
    listed = occurrences(session, sig, now, OCCURRENCES)
    return cluster_triage(session, ClusterPage(cluster, tuple(listed), len(listed)), sig, now)
