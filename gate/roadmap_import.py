"""What importing one dated update of a release's roadmap changes, worked out before anything is
stored: the dry run prints it, the import prints it and stores it.

An update declares, as of its date, the status and notes of each feature it lists. Declarations
are kept per update, so updates may arrive in any order and give the same history: the release's
dates and its features' titles, owners, links and tests are those of its newest update.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from gate.roadmap import Declaration, Declared, Feature, Release, Update

# A new release whose features are mostly another release's is taken for a mistyped name.
TYPO_SHARE = 0.5
ATTRIBUTES = ("title", "owners", "links", "tests", "carried_from")


class ImportRefused(ValueError):
    """An update that cannot be imported as it is; the message names the file and the line."""


class Change(StrEnum):
    """What an import does to one feature of the release."""

    NEW = "new"
    STATUS = "status"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    MISSING = "missing"  # in the store, not in the update: kept as it is
    DROPPED = "dropped"  # in the store, not in the update: declared dropped (--drop-missing)


@dataclass(frozen=True)
class FeatureChange:
    slug: str
    change: Change
    before: Declared | None = None  # in force at the update's date, before the import
    after: Declared | None = None
    fields: tuple[str, ...] = ()  # what else changed: notes, title, owners, links, tests...
    carried_from: str | None = None


@dataclass(frozen=True)
class RoadmapUpdate:
    """What a roadmap file says: a release, and its features as declared by one update of a
    date (`as_of`, None when the file gives none), with earlier updates and declarations that
    the file may carry (`pushgate roadmap export --history`)."""

    source: str
    release: Release  # its `updates`: the earlier updates the file carries
    features: tuple[Feature, ...]  # status and notes: this update's; history: earlier ones
    as_of: datetime | None = None
    summary: str = ""
    lines: Mapping[tuple[str, str], int] = field(default_factory=dict)  # (slug, key) -> line
    # Features whose status and notes in the file were declared by an earlier update, and when
    # (a feature's own `as_of`: `export` writes one for a feature its newest update left out).
    declared_at: Mapping[str, datetime] = field(default_factory=dict)

    def where(self, slug: str, key: str) -> str:
        line = self.lines.get((slug, key))
        return f"{self.source}, line {line}" if line else self.source


@dataclass(frozen=True)
class ImportPlan:
    """What an import of one update will store, and what it changes, feature by feature."""

    release: Release  # the dates the import stores (the newest update's)
    as_of: datetime
    new_release: bool
    newest: bool  # no later update of the release is stored: its attributes win
    dates_changed: tuple[str, ...]
    updates: tuple[Update, ...]  # every update the file holds, this one last
    declarations: tuple[tuple[str, Declaration], ...]  # (slug, declaration) to store
    features: tuple[Feature, ...]  # features whose attributes are stored (all when newest)
    changes: tuple[FeatureChange, ...]
    history_changed: int = 0  # earlier declarations the file adds or changes
    new_update: bool = False  # no update of this date is stored
    summary_changed: bool = False  # the prose of a stored update of this date changes

    @property
    def changed(self) -> bool:
        """Tell whether the import stores anything that is not there already."""
        quiet = (Change.UNCHANGED, Change.MISSING)
        return (
            self.new_release
            or self.new_update
            or self.summary_changed
            or bool(self.dates_changed)
            or self.history_changed > 0
            or any(c.change not in quiet for c in self.changes)
        )

    def of(self, change: Change) -> list[FeatureChange]:
        return [c for c in self.changes if c.change is change]

    def lines(self) -> list[str]:
        """Say what the import does, a line per feature that changes, for people to read."""
        name = self.release.name
        head = f"release {name}" + (" (new)" if self.new_release else "")
        head += f": {'a new' if self.new_update else 'the'} update of {self.as_of:%Y-%m-%d}"
        if not self.newest:
            head += " (a later update is stored: only its statuses and notes are kept)"
        said = [head]
        if self.dates_changed:
            said.append(f"  dates     {', '.join(self.dates_changed)}")
        if self.summary_changed:
            said.append("  summary   the update's prose changed")
        for c in self.changes:
            if c.change is Change.NEW:
                carried = f" (carried from {c.carried_from})" if c.carried_from else ""
                said.append(f"  new       {c.slug}: {c.after}{carried}")
            elif c.change is Change.STATUS:
                more = f" (and {', '.join(c.fields)})" if c.fields else ""
                said.append(f"  status    {c.slug}: {c.before or '(none)'} -> {c.after}{more}")
            elif c.change is Change.UPDATED:
                said.append(f"  updated   {c.slug}: {', '.join(c.fields)}")
            elif c.change is Change.DROPPED:
                said.append(f"  dropped   {c.slug}: {c.before} -> dropped")
            elif c.change is Change.MISSING:
                said.append(
                    f"  missing   {c.slug}: not in the file, kept ({c.before or 'undeclared'})"
                )
        if self.history_changed:
            said.append(
                f"  history   {self.history_changed} earlier declarations or updates added or changed"
            )
        counts = [f"{len(self.of(kind))} {kind.value}" for kind in Change if self.of(kind)]
        said.append(f"  in all: {', '.join(counts) or 'no features'}")
        if not self.changed:
            said.append("  no change")
        return said


def plan_import(
    update: RoadmapUpdate,
    as_of: datetime,
    stored: Mapping[str, tuple[Release, Sequence[Feature]]],
    *,
    new_release: bool = False,
    drop_missing: bool = False,
) -> ImportPlan:
    """Work out what importing an update of `as_of` does to the store's releases (`stored`, by
    name); refuse a mistyped release name or a `carried_from` the store does not have."""
    name = update.release.name
    known = stored.get(name)
    if known is None and not new_release:
        _guard_typo(update, stored)
    for feature in update.features:
        if feature.carried_from is not None:
            _check_carried(update, feature, stored)
    old_release, old_features = known if known is not None else (None, ())
    newest = old_release is None or all(u.at <= as_of for u in old_release.updates)
    by_slug = {f.slug: f for f in old_features}
    declarations: list[tuple[str, Declaration]] = []
    changes: list[FeatureChange] = []
    history_changed = 0
    for feature in update.features:
        found = by_slug.get(feature.slug)
        mine = Declaration(
            update.declared_at.get(feature.slug, as_of),
            feature.status,
            feature.notes,
            feature.exception,
        )
        for earlier in feature.history:
            declarations.append((feature.slug, earlier))
            if found is None or earlier not in found.history:
                history_changed += 1
        declarations.append((feature.slug, mine))
        changes.append(_change_of(feature, found, mine, newest))
    listed = {f.slug for f in update.features}
    for found in old_features:
        if found.slug in listed:
            continue
        then = found.declared_at(as_of)
        before = then.status if then is not None else None
        if drop_missing and before is not Declared.DROPPED:
            note = f"not in the update of {as_of:%Y-%m-%d}"
            declarations.append((found.slug, Declaration(as_of, Declared.DROPPED, note)))
            changes.append(FeatureChange(found.slug, Change.DROPPED, before, Declared.DROPPED))
        else:
            changes.append(FeatureChange(found.slug, Change.MISSING, before, before))
    stored_updates = {u.at: u for u in old_release.updates} if old_release else {}
    # An update that only a feature's own date names, and the store does not have, has no prose.
    named = {u.at for u in update.release.updates} | {as_of}
    dated = {*update.declared_at.values(), *(d.at for f in update.features for d in f.history)}
    unnamed = sorted(at for at in dated if at not in named and at not in stored_updates)
    updates = (
        *(Update(at) for at in unnamed),
        *update.release.updates,
        Update(as_of, update.summary),
    )
    history_changed += sum(1 for u in update.release.updates if stored_updates.get(u.at) != u)
    summary_changed = as_of in stored_updates and stored_updates[as_of] != updates[-1]
    dates = _dates_changed(old_release, update.release) if newest else ()
    release = update.release if newest or old_release is None else old_release
    plan = ImportPlan(
        release=Release(
            release.name,
            release.branch,
            release.feature_freeze,
            release.code_freeze,
            release.release,
        ),
        as_of=as_of,
        new_release=old_release is None,
        newest=newest,
        dates_changed=dates,
        summary_changed=summary_changed,
        updates=updates,
        declarations=tuple(declarations),
        features=tuple(f for f in update.features if newest or f.slug not in by_slug),
        changes=tuple(changes),
        history_changed=history_changed,
        new_update=as_of not in stored_updates,
    )
    return plan


def _change_of(
    feature: Feature, found: Feature | None, mine: Declaration, newest: bool
) -> FeatureChange:
    if found is None:
        return FeatureChange(
            feature.slug, Change.NEW, None, mine.status, carried_from=feature.carried_from
        )
    then = found.declared_at(mine.at)
    before = then.status if then is not None else None
    fields = [] if then is not None and then.notes == mine.notes else ["notes"]
    if (then.exception if then is not None else "") != mine.exception:
        fields.append("freeze exception")
    if newest:
        fields += [k for k in ATTRIBUTES if getattr(found, k) != getattr(feature, k)]
    if before is not mine.status:
        return FeatureChange(feature.slug, Change.STATUS, before, mine.status, tuple(fields))
    kind = Change.UPDATED if fields else Change.UNCHANGED
    return FeatureChange(feature.slug, kind, before, mine.status, tuple(fields))


def _dates_changed(old: Release | None, new: Release) -> tuple[str, ...]:
    if old is None:
        return ()
    return tuple(
        f"{label} {getattr(old, key)} -> {getattr(new, key)}"
        for key, label in (
            ("branch", "branch"),
            ("feature_freeze", "feature freeze"),
            ("code_freeze", "code freeze"),
            ("release", "release"),
        )
        if getattr(old, key) != getattr(new, key)
    )


def _guard_typo(
    update: RoadmapUpdate, stored: Mapping[str, tuple[Release, Sequence[Feature]]]
) -> None:
    """Refuse a new release most of whose features (not carried) are another release's."""
    own = [f.slug for f in update.features if f.carried_from is None]
    if not own:
        return
    for other, (_release, features) in sorted(stored.items()):
        shared = len(set(own) & {f.slug for f in features})
        if shared > TYPO_SHARE * len(update.features):
            raise ImportRefused(
                f"{update.where('', 'name')}: release {update.release.name!r} is new, but "
                f"{shared} of its {len(update.features)} features are features of release "
                f"{other!r}: is the name mistyped? (--new-release imports it as a new release, "
                f"and carried_from = {other!r} marks a feature carried from {other})"
            )


def _check_carried(
    update: RoadmapUpdate,
    feature: Feature,
    stored: Mapping[str, tuple[Release, Sequence[Feature]]],
) -> None:
    source = feature.carried_from
    assert source is not None
    where = update.where(feature.slug, "carried_from")
    if source == update.release.name:
        raise ImportRefused(
            f"{where}: feature {feature.slug!r}: carried_from names its own release {source!r}"
        )
    if source not in stored:
        names = ", ".join(sorted(stored)) or "none yet"
        raise ImportRefused(
            f"{where}: feature {feature.slug!r}: carried_from = {source!r}, but there is no "
            f"release {source!r} (the releases: {names})"
        )
    if feature.slug not in {f.slug for f in stored[source][1]}:
        raise ImportRefused(
            f"{where}: feature {feature.slug!r}: carried_from = {source!r}, but release "
            f"{source!r} has no feature {feature.slug!r}"
        )
