"""Sending mail over SMTP, to a real server on 127.0.0.1 (aiosmtpd): what arrives, what a server
that refuses says, and a server that does not answer."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

import pytest

from gate.settings import Settings
from ingest.mail import Mail, MailError, addresses, send

aiosmtpd = pytest.importorskip("aiosmtpd.controller", reason="aiosmtpd is not installed")

REFUSED = "nobody@example.org"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Inbox:
    """What the server received: each mail's envelope recipients and its message."""

    port: int
    received: list[tuple[list[str], Message]] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:  # noqa: E501, N802
        if address == REFUSED:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.received.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    found = Inbox(free_port())
    controller = aiosmtpd.Controller(found, hostname="127.0.0.1", port=found.port)
    controller.start()
    try:
        yield found
    finally:
        controller.stop()


def settings(port: int) -> Settings:
    return Settings(smtp_host="127.0.0.1", smtp_port=port, mail_from="gate@xen.example.org")


def test_a_mail_arrives_with_its_subject_headers_and_text(inbox: Inbox):
    body = "Release 4.3 status update, 2013-03-18\n\nThe gate has not pushed for 8.9 days.\n"
    where = send(
        settings(inbox.port),
        Mail(("xen-devel@example.org", "rm@example.org"), "Release 4.3 status", body,
             {"X-Osstest-Failures": "test-amd64-i386-xl:guest-start:fail:regression"}),
    )  # fmt: skip
    assert where == f"xen-devel@example.org, rm@example.org via 127.0.0.1:{inbox.port}"
    [(recipients, message)] = inbox.received
    assert recipients == ["xen-devel@example.org", "rm@example.org"]
    assert message["Subject"] == "Release 4.3 status"
    assert message["From"] == "gate@xen.example.org"
    assert message["X-Osstest-Failures"] == "test-amd64-i386-xl:guest-start:fail:regression"
    assert message.get_payload(decode=True).decode().replace("\r\n", "\n") == body


def test_a_refused_recipient_is_one_sentence_naming_the_server(inbox: Inbox):
    with pytest.raises(MailError) as refused:
        send(settings(inbox.port), Mail((REFUSED,), "s", "b"))
    assert str(refused.value) == (
        f"127.0.0.1:{inbox.port} refused every recipient: {REFUSED} (550 5.1.1 no such mailbox "
        "here)"
    )
    assert inbox.received == []


def test_a_server_that_does_not_answer_is_one_sentence():
    with pytest.raises(MailError, match=r"^cannot reach the mail server 127\.0\.0\.1:\d+: "):
        send(settings(free_port()), Mail(("a@example.org",), "s", "b"))


def test_without_a_server_or_a_recipient_it_says_what_to_set():
    with pytest.raises(MailError, match="set PUSHGATE_SMTP_HOST"):
        send(Settings(), Mail(("a@example.org",), "s", "b"))
    with pytest.raises(MailError, match="give --to ADDRESS"):
        send(settings(25), Mail((), "s", "b"))


def test_to_takes_several_addresses_in_one_value():
    assert addresses(["a@x.org, b@x.org", "c@x.org"]) == ("a@x.org", "b@x.org", "c@x.org")


def test_the_status_update_and_a_flight_report_are_sent_by_the_commands(
    inbox: Inbox, pushgate, monkeypatch, tmp_path
):
    from pathlib import Path

    from tests.web.test_cli_roadmap import ROADMAP

    examples = Path(__file__).resolve().parents[2] / "examples"
    assert pushgate("ingest", "--allow-file", str(examples / "allow.xen-unstable"),
                    str(examples / "flights")).exit_code == 0  # fmt: skip
    roadmap = tmp_path / "roadmap.toml"
    roadmap.write_text(ROADMAP)
    assert pushgate("roadmap", "import", str(roadmap)).exit_code == 0
    monkeypatch.setenv("PUSHGATE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PUSHGATE_SMTP_PORT", str(inbox.port))
    status = pushgate("roadmap", "status", "--now", "2013-03-18", "--send", "--to", "rm@x.org")
    assert status.exit_code == 0, status.stderr
    assert status.stderr == f"sent to rm@x.org via 127.0.0.1:{inbox.port}\n"
    text = pushgate("roadmap", "status", "--now", "2013-03-18").stdout
    [(to, mail)] = inbox.received
    assert (to, mail["Subject"]) == (["rm@x.org"], "Release 4.3 status update, 2013-03-18")
    assert mail.get_payload(decode=True).decode().replace("\r\n", "\n") == text
    flight = 17003  # one of the example flights, a regression
    sent = pushgate("report", str(flight), "--send", "--to", "xen-devel@x.org")
    assert sent.exit_code == 0, sent.stderr
    subject, _blank, body = pushgate("report", str(flight)).stdout.partition("\n\n")
    (_to, report) = inbox.received[1]
    assert report["Subject"] == subject.removeprefix("Subject: ")
    assert report.get_payload(decode=True).decode().replace("\r\n", "\n") == body
    # The report's X-Osstest headers come along, unfolded.
    assert report["X-Osstest-Failures"].startswith(
        "xen-unstable:test-amd64-amd64-pair:guest-migrate/src_host/dst_host:fail:regression "
    )
    monkeypatch.setenv("PUSHGATE_SMTP_PORT", str(free_port()))
    down = pushgate("roadmap", "status", "--send", "--to", "rm@x.org")
    assert down.exit_code == 1
    assert down.stderr.startswith("Error: cannot reach the mail server 127.0.0.1:")
