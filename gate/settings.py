"""Every setting, listed once: its environment variable, default and help.

The README's configuration table is tested against this list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

from gate.alerts import Event, events_of
from gate.policy import Policy

MIB = 1024 * 1024


@dataclass(frozen=True)
class Setting:
    env: str
    default: Any
    help: str


class SettingsError(ValueError):
    """A setting whose value cannot be used."""


def parse_moment(text: str) -> datetime:
    """Read a date or an ISO 8601 moment such as 2013-03-18 or 2013-03-18T12:00; UTC without a zone."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise SettingsError(f"expected a date such as 2013-03-18, got {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# Where links point when no public address is set: the development server's.
LOCAL_ADDRESS = "http://127.0.0.1:5000"


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///pushgate.sqlite"
    allow_file: str = ""
    allow_dir: str = ""
    max_xml_bytes: int = 256 * MIB
    output_excerpt: int = 4096
    history_flights: int = 1000
    evidence_blessings: str = "real"
    branch_trees: str = ""
    log_url: str = ""
    default_branch: str = "default"
    window_flights: int = 10
    at_risk_below: float = 0.9
    now: str = ""
    max_upload_bytes: int = 64 * MIB
    base_url: str = ""
    webhooks: str = ""
    webhook_timeout: float = 5.0
    webhook_events: str = "alerts"
    pull_timeout: float = 30.0
    pull_token: str = ""
    pull_user: str = ""
    pull_password: str = ""
    write_attempts: int = 4
    tree_repos: str = ""
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_starttls: int = 0
    smtp_user: str = ""
    smtp_password: str = ""
    mail_from: str = "pushgate@localhost"
    secret_key: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str], **overrides: Any) -> Settings:
        """Read the settings from PUSHGATE_* variables; keyword overrides win."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            setting = SETTINGS[f.name]
            raw = environ.get(setting.env)
            if raw is None or raw == "":
                continue
            if isinstance(setting.default, int):
                try:
                    values[f.name] = int(raw)
                except ValueError:
                    raise SettingsError(f"{setting.env}={raw!r}: expected a whole number") from None
            elif isinstance(setting.default, float):
                try:
                    values[f.name] = float(raw)
                except ValueError:
                    raise SettingsError(f"{setting.env}={raw!r}: expected a number") from None
            else:
                values[f.name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        found = cls(**values)
        found.webhook_event_set()  # a word it does not know stops the command or the app at once
        return found

    @property
    def webhook_base_url(self) -> str:
        """The address that webhooks' links start with: `base_url`, else the local server's."""
        return self.base_url or LOCAL_ADDRESS

    def webhook_event_set(self) -> frozenset[Event]:
        """Return the events the webhooks are told of (`gate.alerts.events_of`)."""
        try:
            return events_of(self.webhook_events)
        except ValueError as exc:
            raise SettingsError(f"PUSHGATE_WEBHOOK_EVENTS: {exc}") from None

    def policy(self) -> Policy:
        """Return the gate policy these settings describe."""
        blessings = per_branch("evidence_blessings", self.evidence_blessings)
        default = blessings.pop("", "real")
        trees = per_branch("branch_trees", self.branch_trees)
        if "" in trees:
            raise SettingsError(
                f"{SETTINGS['branch_trees'].env}={self.branch_trees!r}: expected BRANCH=TREE[,TREE]"
            )
        return Policy(
            history_flights=self.history_flights,
            evidence_blessings=_listed(default),
            branch_blessings={b: _listed(v) for b, v in blessings.items()},
            branch_trees={b: _listed(v) for b, v in trees.items()},
            log_urls=per_branch("log_url", self.log_url),
            window_flights=self.window_flights,
            at_risk_below=self.at_risk_below,
        )

    def repos(self) -> dict[str, str]:
        """Return the local clone of each tree that PUSHGATE_TREE_REPOS names (TREE=PATH,...)."""
        found: dict[str, str] = {}
        for entry in _listed(self.tree_repos):
            tree, sep, path = entry.strip().partition("=")
            if not sep or not tree or not path.strip() or tree in found:
                raise SettingsError(
                    f"{SETTINGS['tree_repos'].env}={self.tree_repos!r}: {entry!r} is not "
                    "TREE=PATH once each"
                )
            found[tree] = path.strip()
        return found


def _listed(value: str) -> tuple[str, ...]:
    return tuple(v for v in value.split(",") if v)


def per_branch(name: str, value: str) -> dict[str, str]:
    """Read a per-branch setting: `DEFAULT BRANCH=VALUE ...`, space-separated; "" keys the default."""
    found: dict[str, str] = {}
    for word in value.split():
        branch, sep, rest = word.partition("=")
        if not sep:
            branch, rest = "", word
        if not rest or (sep and not branch) or branch in found:
            raise SettingsError(
                f"{SETTINGS[name].env}={value!r}: {word!r} is not VALUE or BRANCH=VALUE once each"
            )
        found[branch] = rest
    return found


SETTINGS: dict[str, Setting] = {
    "database_url": Setting(
        "PUSHGATE_DATABASE_URL",
        Settings.database_url,
        "SQLAlchemy URL of the store (the global --database option overrides it).",
    ),
    "allow_file": Setting(
        "PUSHGATE_ALLOW_FILE",
        Settings.allow_file,
        "File of allowable regressions in osstest's syntax (JOB-PATTERN [TESTID-PATTERN]).",
    ),
    "allow_dir": Setting(
        "PUSHGATE_ALLOW_DIR",
        Settings.allow_dir,
        "Directory of osstest allow files: a flight of BRANCH is judged with allow.all, then "
        "allow.BRANCH (a missing one is none), then the allow file.",
    ),
    "max_xml_bytes": Setting(
        "PUSHGATE_MAX_XML_BYTES",
        Settings.max_xml_bytes,
        "Largest results document accepted, in bytes after gzip decompression.",
    ),
    "output_excerpt": Setting(
        "PUSHGATE_OUTPUT_EXCERPT",
        Settings.output_excerpt,
        "Characters of a step's failure text and output kept (head and tail).",
    ),
    "history_flights": Setting(
        "PUSHGATE_HISTORY_FLIGHTS",
        Settings.history_flights,
        "Newest flights of a branch that ran a job examined as evidence for it (osstest: 1000).",
    ),
    "evidence_blessings": Setting(
        "PUSHGATE_EVIDENCE_BLESSINGS",
        Settings.evidence_blessings,
        "Blessings of evidence flights, comma-separated (osstest's --blessings); BRANCH=LIST for "
        "one branch. Their retests (`real-retest`) count too.",
    ),
    "branch_trees": Setting(
        "PUSHGATE_BRANCH_TREES",
        Settings.branch_trees,
        "BRANCH=TREE[,TREE] entries: the trees a branch tests and pushes, instead of osstest's "
        "branch naming (xen-* -> xen, linux-* -> linux, qemu-upstream-* -> qemuu...).",
    ),
    "log_url": Setting(
        "PUSHGATE_LOG_URL",
        Settings.log_url,
        "URL of a flight's logs for the report, {flight} and {branch} filled in; BRANCH=URL for one "
        "branch. A document's osstest.log_url property wins.",
    ),
    "default_branch": Setting(
        "PUSHGATE_DEFAULT_BRANCH",
        Settings.default_branch,
        "Branch of a document that names none and is ingested without --branch.",
    ),
    "window_flights": Setting(
        "PUSHGATE_WINDOW_FLIGHTS",
        Settings.window_flights,
        "Newest flights of the release branch that feature readiness looks at.",
    ),
    "at_risk_below": Setting(
        "PUSHGATE_AT_RISK_BELOW",
        Settings.at_risk_below,
        "A feature whose pass rate in the window is below this is at risk.",
    ),
    "now": Setting(
        "PUSHGATE_NOW",
        Settings.now,
        "Date the dashboard shows everything as of, and counts days from, e.g. 2013-03-18 (empty: today).",
    ),
    "max_upload_bytes": Setting(
        "PUSHGATE_MAX_UPLOAD_BYTES",
        Settings.max_upload_bytes,
        "Largest request body POST /api/v1/flights accepts (413 above it).",
    ),
    "base_url": Setting(
        "PUSHGATE_BASE_URL",
        Settings.base_url,
        "The dashboard's public address, e.g. https://gate.example.org: links in webhooks "
        f"(without it, {LOCAL_ADDRESS}) and, only when set, in the status mail.",
    ),
    "webhooks": Setting(
        "PUSHGATE_WEBHOOKS",
        Settings.webhooks,
        "Space-separated URLs that get a JSON POST for each alert (PUSHGATE_WEBHOOK_EVENTS).",
    ),
    "webhook_timeout": Setting(
        "PUSHGATE_WEBHOOK_TIMEOUT",
        Settings.webhook_timeout,
        "Seconds a webhook may take to answer before it is tried again.",
    ),
    "webhook_events": Setting(
        "PUSHGATE_WEBHOOK_EVENTS",
        Settings.webhook_events,
        "What the webhooks are told of: `alerts` (once when a regression episode opens or "
        "closes, or a feature's readiness changes), `flights` (every judged flight), or both.",
    ),
    "pull_timeout": Setting(
        "PUSHGATE_PULL_TIMEOUT",
        Settings.pull_timeout,
        "Seconds `pushgate pull` waits to connect to, then to hear from, a results server.",
    ),
    "pull_token": Setting(
        "PUSHGATE_PULL_TOKEN",
        Settings.pull_token,
        "Bearer token `pushgate pull` sends to the results server.",
    ),
    "pull_user": Setting(
        "PUSHGATE_PULL_USER",
        Settings.pull_user,
        "User name for basic authentication to the results server.",
    ),
    "pull_password": Setting(
        "PUSHGATE_PULL_PASSWORD",
        Settings.pull_password,
        "Password for basic authentication to the results server.",
    ),
    "write_attempts": Setting(
        "PUSHGATE_WRITE_ATTEMPTS",
        Settings.write_attempts,
        "Times `ingest`, `pull` and each batch of `prune` try a write that another writer kept "
        "SQLite locked against past the busy timeout, or that PostgreSQL rolled back in a "
        "deadlock, with jittered pauses of 0.25 s doubling up to 2 s.",
    ),
    "tree_repos": Setting(
        "PUSHGATE_TREE_REPOS",
        Settings.tree_repos,
        "TREE=PATH entries, comma-separated: a local clone of each tree, whose commits between "
        "the baseline and the tested revision the flight page and the report name (never fetched).",
    ),
    "smtp_host": Setting(
        "PUSHGATE_SMTP_HOST",
        Settings.smtp_host,
        "Mail server that `roadmap status --send` and `report --send` send through (empty: none).",
    ),
    "smtp_port": Setting(
        "PUSHGATE_SMTP_PORT",
        Settings.smtp_port,
        "Port of the mail server.",
    ),
    "smtp_starttls": Setting(
        "PUSHGATE_SMTP_STARTTLS",
        Settings.smtp_starttls,
        "1 to start TLS (STARTTLS) before logging in and sending, 0 not to.",
    ),
    "smtp_user": Setting(
        "PUSHGATE_SMTP_USER",
        Settings.smtp_user,
        "User name to log in to the mail server with (empty: no login).",
    ),
    "smtp_password": Setting(
        "PUSHGATE_SMTP_PASSWORD",
        Settings.smtp_password,
        "Password to log in to the mail server with.",
    ),
    "mail_from": Setting(
        "PUSHGATE_MAIL_FROM",
        Settings.mail_from,
        "The From address of the mails pushgate sends.",
    ),
    "secret_key": Setting(
        "PUSHGATE_SECRET_KEY",
        Settings.secret_key,
        "Key that signs the web session of who signed in with an API token to add known issues "
        "from a cluster's page; the same for every worker, kept secret (empty: the form is off).",
    ),
}
