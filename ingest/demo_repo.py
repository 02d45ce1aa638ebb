"""The demo's xen tree: a small git repository whose commits are the story's xen revisions.

Git chooses a commit's id, so the story takes its xen revisions from here: each new revision is
one to three commits on top of the previous one, by the owners of the 4.3 roadmap's features,
dated just before the flight that first tests it, and the last commit's id is the revision.
A commit that lands one of the story's bugs names it, and so does the one that fixes it. Every
input of a commit (tree, parents, names, e-mails, dates, message) is fixed, and git runs with
no user or system configuration, so the same story makes the same ids on every run.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from ingest.demo import ROADMAP_FILE, Bug
from ingest.roadmap_file import parse_roadmap

REPO_NAME = "pushgate-demo-xen.git"  # beside pushgate-demo.sqlite
ENVIRONMENT = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",
    "LC_ALL": "C",
}
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # git's empty tree (SHA-1)
# What landed each bug of the story, in the words of a commit's subject line.
CHANGES = {
    "guest-localmigrate": "libxc: pin the page tables of a restored guest in batches",
    "xen-build": "libxc: set up PAE page tables in one pass",
    "guest-saverestore": "hvmloader: move the ACPI tables above the option ROMs",
    "redhat-install": "x86/svm: intercept the new SVM exit codes",
    "guest-localmigrate/x10": "x86/mm: drop the p2m lock across paging populate",
    "guest-start": "libxl: assign PCI devices before the domain is built",
    "guest-stop": "hvmloader: advertise the power button in the DSDT",
}
ARM_BUILD = "xen/arm: translate device tree interrupts in one place"
QEMUU_RESTORE = "libxl: hotplug vcpus through QMP for qemu-xen"
WORK = (  # the ordinary commits between the story's events
    "x86: use the tsc_deadline timer when the CPU has it",
    "libxl: fix a memory leak in libxl_list_vm",
    "xl: accept 'all' in vcpu-pin",
    "xen/arm: map the GIC's virtual CPU interface at boot",
    "tools/hotplug: quote the vif's bridge name",
    "x86/hvm: emulate the MSR_IA32_TSC_ADJUST register",
    "docs: describe the xl.cfg vncdisplay option",
    "libxc: check the return value of xc_domain_getinfo",
    "xen/sched: credit2 runqueue per socket",
    "tools/ocaml: bind libxl_domain_pause",
    "x86/mm: tidy up the shadow paging audit",
    "xenstore: cap the number of watches per connection",
    "libxl: make the device model's stubdom optional",
    "xen/numa: prefer the node of the domain's memory",
    "blkback: persistent grants for indirect requests",
    "libxl: log the qemu-xen command line",
)


@dataclass(frozen=True)
class Person:
    name: str
    email: str


def roadmap_owners(path: Path = ROADMAP_FILE) -> tuple[Person, ...]:
    """Return the owners of the roadmap's features, each once, with a made-up address."""
    _release, features = parse_roadmap(path.read_text(encoding="utf-8"), str(path))
    names = dict.fromkeys(owner.split(" (")[0] for f in features for owner in f.owners)
    return tuple(Person(n, f"{n.lower().replace(' ', '.')}@xen.example") for n in names)


def _git(path: Path, *args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(  # noqa: S603 - a fixed command on a repository of our own
        ["git", "-C", str(path), *args],  # noqa: S607 - git from PATH, as a user runs it
        capture_output=True,
        text=True,
        env={**os.environ, **ENVIRONMENT, **(env or {})},
        stdin=subprocess.DEVNULL,
        check=True,
    )
    return done.stdout.strip()


def _subject(bug: Bug) -> str:
    if bug.jobs == "build-armhf":
        return ARM_BUILD
    if "qemuu" in bug.jobs:
        return QEMUU_RESTORE
    return CHANGES.get(bug.testid, f"tools: rework {bug.testid}")


class DemoRepo:
    """A bare repository that makes the story's xen revisions as commits (`story(revisions=...)`)."""

    def __init__(self, path: Path, people: Sequence[Person]) -> None:
        self.path = path
        self.people = tuple(people)
        self.branches: dict[str, str] = {}
        self.authors: dict[Bug, Person] = {}

    @classmethod
    def create(cls, path: Path, people: Sequence[Person] | None = None) -> DemoRepo:
        """Make an empty bare repository at `path`, replacing what is there."""
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
        _git(path, "init", "--quiet", "--bare", "--object-format=sha1", "--initial-branch=master")
        _git(path, "hash-object", "-t", "tree", "-w", "/dev/null")
        return cls(path, roadmap_owners() if people is None else people)

    def __call__(
        self,
        drawn: str,
        /,
        *,
        parent: str | None,
        at: datetime,
        lands: Sequence[Bug] = (),
        fixes: Sequence[Bug] = (),
        branch: str = "master",
    ) -> str:
        """Commit a new revision on `parent`; `drawn` (a random id of the story) picks how many
        commits it takes and who made them. Return the id of its last commit."""
        picks = [int(hashlib.sha256(f"{drawn} {i}".encode()).hexdigest(), 16) for i in range(4)]
        subjects = [f'Revert "{_subject(b)}"' for b in fixes]
        subjects += [_subject(b) for b in lands]
        work = 1 + picks[0] % 3
        subjects += [WORK[(picks[0] // 3 + i * 5) % len(WORK)] for i in range(work)]
        subjects = subjects if parent is not None else ["Xen 4.3 development opens"]
        for index, subject in enumerate(subjects):
            person = self.people[picks[index % 4] // 7 % len(self.people)]
            for bug in lands:
                if subject == _subject(bug):
                    self.authors[bug] = person
            for bug in fixes:
                if subject == f'Revert "{_subject(bug)}"':
                    person = self.authors.get(bug, person)
            moment = at - timedelta(hours=2 * (len(subjects) - index))
            parent = self._commit(parent, person, moment, subject)
        assert parent is not None
        self.branches[branch] = parent
        return parent

    def _commit(self, parent: str | None, person: Person, at: datetime, subject: str) -> str:
        when = f"{int(at.timestamp())} +0000"
        env = {
            "GIT_AUTHOR_NAME": person.name,
            "GIT_AUTHOR_EMAIL": person.email,
            "GIT_AUTHOR_DATE": when,
            "GIT_COMMITTER_NAME": person.name,
            "GIT_COMMITTER_EMAIL": person.email,
            "GIT_COMMITTER_DATE": when,
        }
        parents = ["-p", parent] if parent else []
        args = ["commit-tree", "--no-gpg-sign", EMPTY_TREE, *parents, "-m", subject]
        return _git(self.path, *args, env=env)

    def finish(self) -> None:
        """Point a branch at the last revision made on it: master, and one per play flight."""
        updates = "".join(f"update refs/heads/{b} {sha}\n" for b, sha in self.branches.items())
        subprocess.run(  # noqa: S603 - as _git
            ["git", "-C", str(self.path), "update-ref", "--stdin"],  # noqa: S607
            input=updates,
            text=True,
            env={**os.environ, **ENVIRONMENT},
            check=True,
            capture_output=True,
        )
