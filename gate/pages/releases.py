"""Every release, past ones too, and one release's page."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from gate.read.releases import ReleaseList, ReleasePage, release_list_of, release_page_of
from gate.store.roadmap import carried_to, load_roadmap, roadmaps, states_kept_at


def release_list(session: Session, now: datetime) -> ReleaseList:
    """List every release that had an update by `now`, the latest release date first."""
    return release_list_of(roadmaps(session), states_kept_at(session, "feature_freeze", now), now)


def release_page(session: Session, now: datetime, name: str) -> ReleasePage:
    """Show a release as of `now`: the update in force, the earlier ones, and every feature as
    declared then (`UnknownRelease` when there is none of that name)."""
    rel, features = load_roadmap(session, name)
    return release_page_of(rel, features, carried_to(session, rel.name), now)
