"""BCC to log: a real aiosmtpd server on a free port, driven by smtplib."""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest
from django.db import OperationalError

from activities.capture import bcc
from activities.capture.smtp import LoggingHandler, logging_controller
from activities.models import (
    CaptureAccount,
    CaptureKind,
    CapturePolicy,
    Interaction,
    InteractionSource,
    LoggingAddress,
    PrivacyLevel,
)

pytestmark = pytest.mark.django_db(transaction=True)

DOMAIN = "log.relintel.localhost"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, handler: LoggingHandler | None = None, max_bytes: int = 200_000) -> None:
        self.port = _free_port()
        self.controller = logging_controller(
            host="127.0.0.1", port=self.port, max_message_bytes=max_bytes, handler=handler
        )

    def client(self) -> smtplib.SMTP:
        return smtplib.SMTP("127.0.0.1", self.port, timeout=10)


@pytest.fixture
def server(settings) -> Iterator[Server]:
    settings.RELINTEL_BCC_DOMAIN = DOMAIN
    running = Server()
    running.controller.start()
    yield running
    running.controller.stop()


@pytest.fixture
def address(world) -> str:
    LoggingAddress.objects.create(organization=world.org, user=world.rep.user, token="abc123")
    return f"log+abc123@{DOMAIN}"


def _mail(
    *,
    sender: str = "Rita Rep <rita@acme.example>",
    to: str = "Carla Customer <carla@bigco.example>",
    subject: str = "Proposal",
    message_id: str = "<proposal-1@acme.example>",
    body: str = "Here is our proposal.",
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = "Wed, 10 Jan 2024 09:00:00 +0100"
    message["Message-ID"] = message_id
    message.set_content(body)
    return message


# --- addresses and senders -------------------------------------------------------------


def test_a_logging_address_is_recognised_in_any_case(settings):
    settings.RELINTEL_BCC_DOMAIN = DOMAIN
    assert bcc.logging_token_of("LOG+AbC123@Log.Relintel.Localhost") == "abc123"
    assert bcc.logging_token_of("<log+abc123@log.relintel.localhost>") == "abc123"
    assert bcc.logging_token_of("log+abc123@elsewhere.example") is None
    assert bcc.logging_token_of("rita@log.relintel.localhost") is None
    assert bcc.logging_token_of("log+@log.relintel.localhost") is None


def test_an_unknown_logging_address_gets_550(server, world, address):
    with server.client() as client:
        client.ehlo()
        client.mail("rita@acme.example")
        code, text = client.rcpt(f"log+nosuchtoken@{DOMAIN}")
    assert code == 550
    assert b"5.1.1 No such logging address" in text


def test_an_address_outside_the_logging_domain_gets_550(server, world, address):
    with server.client() as client:
        client.ehlo()
        client.mail("rita@acme.example")
        code, _ = client.rcpt("carla@bigco.example")
    assert code == 550


def test_a_sender_who_does_not_own_the_address_gets_550_5_7_1(server, world, address):
    with server.client() as client, pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        client.send_message(_mail(sender="tom@acme.example"), from_addr="tom@acme.example", to_addrs=[address])
    code, text = refused.value.recipients[address]
    assert code == 550
    assert b"5.7.1" in text
    assert b"tom@acme.example" in text
    assert not Interaction.objects.exists()


def test_a_rep_of_another_organization_cannot_log_to_our_rep(server, world, address):
    with server.client() as client, pytest.raises(smtplib.SMTPRecipientsRefused):
        client.sendmail(
            "otto@globex.example", [address], _mail(sender="otto@globex.example").as_bytes(policy=policy.SMTP)
        )


def test_a_deactivated_member_address_is_unknown(server, world, address):
    world.rep.is_active = False
    world.rep.save()
    with server.client() as client:
        client.ehlo()
        client.mail("rita@acme.example")
        code, _ = client.rcpt(address)
    assert code == 550


def test_the_owner_may_send_from_a_connected_mailbox_address(world, address, settings):
    settings.RELINTEL_BCC_DOMAIN = DOMAIN
    CaptureAccount.objects.create(
        organization=world.org,
        user=world.rep.user,
        kind=CaptureKind.IMAP,
        name="Work",
        username="Rita.Rep@Mail.example",
    )
    logging_address = bcc.logging_address_lookup(address=address.upper())
    assert logging_address is not None
    assert bcc.sender_may_log(logging_address=logging_address, sender="rita.rep@mail.example")
    assert bcc.sender_may_log(logging_address=logging_address, sender="RITA@acme.example")
    assert not bcc.sender_may_log(logging_address=logging_address, sender="someone@mail.example")


# --- size ---------------------------------------------------------------------------------


def test_an_oversize_message_declared_with_size_gets_552(server, world, address):
    big = _mail(body=("x" * 70 + "\n") * 4000)
    with server.client() as client, pytest.raises(smtplib.SMTPSenderRefused) as refused:
        client.send_message(big, from_addr="rita@acme.example", to_addrs=[address])
    assert refused.value.smtp_code == 552
    assert b"5.3.4 Message too big" in refused.value.smtp_error


def test_an_oversize_message_sent_without_size_gets_552_after_data(server, world, address):
    with server.client() as client:
        client.ehlo()
        client.mail("rita@acme.example")
        client.rcpt(address)
        code, text = client.data(_mail(body=("x" * 70 + "\n") * 4000).as_bytes(policy=policy.SMTP))
    assert code == 552, text
    assert b"5.3.4 Message too big" in text
    assert not Interaction.objects.exists()


# --- failures are temporary ---------------------------------------------------------------


def test_a_database_error_during_capture_gets_451_so_the_sender_retries(world, address, settings):
    settings.RELINTEL_BCC_DOMAIN = DOMAIN

    def broken(**kwargs: Any) -> None:
        raise OperationalError("the database is down")

    running = Server(handler=LoggingHandler(capture=broken))
    running.controller.start()
    try:
        with running.client() as client, pytest.raises(smtplib.SMTPDataError) as refused:
            client.sendmail("rita@acme.example", [address], _mail().as_bytes(policy=policy.SMTP))
    finally:
        running.controller.stop()
    assert refused.value.smtp_code == 451
    assert b"4.3.0" in refused.value.smtp_error


def test_the_message_is_answered_250_only_after_the_capture_returned(world, address, settings):
    settings.RELINTEL_BCC_DOMAIN = DOMAIN
    seen: list[tuple[int, bytes]] = []

    def record(*, logging_address: LoggingAddress, raw: bytes) -> None:
        seen.append((logging_address.user_id, raw))

    running = Server(handler=LoggingHandler(capture=record))
    running.controller.start()
    try:
        with running.client() as client:
            refused = client.sendmail("rita@acme.example", [address], _mail().as_bytes(policy=policy.SMTP))
    finally:
        running.controller.stop()
    assert refused == {}
    assert [user_id for user_id, _ in seen] == [world.rep.user_id]
    assert b"Message-ID: <proposal-1@acme.example>" in seen[0][1]


# --- what is captured ---------------------------------------------------------------------


def test_a_message_the_rep_bccd_becomes_a_bcc_interaction_of_the_rep(server, world, address):
    with server.client() as client:
        client.send_message(_mail(), from_addr="rita@acme.example", to_addrs=["carla@bigco.example", address])

    interaction = Interaction.objects.get()
    assert interaction.source == InteractionSource.BCC
    assert interaction.organization == world.org
    assert interaction.owner == world.rep.user
    assert interaction.external_id == "<proposal-1@acme.example>"
    assert interaction.subject == "Proposal"
    assert interaction.visibility == "team"
    assert interaction.participants.filter(address="carla@bigco.example").exists()


def test_sending_the_same_message_twice_stores_it_once(server, world, address):
    for _ in range(2):
        with server.client() as client:
            client.send_message(_mail(), from_addr="rita@acme.example", to_addrs=[address])
    assert Interaction.objects.count() == 1


def test_the_body_is_kept_only_when_the_organization_captures_everything(server, world, address):
    CapturePolicy.objects.update_or_create(
        organization=world.org, defaults={"default_privacy_level": PrivacyLevel.FULL}
    )
    with server.client() as client:
        client.send_message(_mail(), from_addr="rita@acme.example", to_addrs=[address])
    assert "Here is our proposal." in Interaction.objects.get().body


def test_without_a_full_privacy_level_no_body_is_stored(server, world, address):
    with server.client() as client:
        client.send_message(_mail(), from_addr="rita@acme.example", to_addrs=[address])
    assert Interaction.objects.get().body == ""


def _forward_to_log(address: str, body: str) -> EmailMessage:
    return _mail(to=address, subject="Fwd: Pricing", message_id="<fwd-9@acme.example>", body=body)


GMAIL = (
    "FYI\n\n---------- Forwarded message ---------\n"
    "From: Carla Customer <carla@bigco.example>\nDate: Tue, Jan 9, 2024 at 2:02 PM\n"
    "Subject: Pricing for the Q3 rollout\nTo: Rita Rep <rita@acme.example>\n\n\nCould you send pricing?\n"
)
OUTLOOK = (
    "\n-----Original Message-----\nFrom: Carla Customer [mailto:carla@bigco.example]\n"
    "Sent: Tuesday, January 9, 2024 2:02 PM\nTo: Rita Rep <rita@acme.example>\n"
    "Subject: Pricing for the Q3 rollout\n\nCould you send pricing?\n"
)
APPLE = (
    "\nBegin forwarded message:\n\nFrom: Carla Customer <carla@bigco.example>\n"
    "Subject: Pricing for the Q3 rollout\nDate: 9 January 2024 at 14:02:11 GMT+1\n"
    "To: Rita Rep <rita@acme.example>\n\nCould you send pricing?\n"
)


@pytest.mark.parametrize("body", [GMAIL, OUTLOOK, APPLE], ids=["gmail", "outlook", "apple-mail"])
def test_an_inline_forward_captures_the_original_attributed_to_the_forwarding_rep(server, world, address, body):
    with server.client() as client:
        client.send_message(_forward_to_log(address, body), from_addr="rita@acme.example", to_addrs=[address])

    interaction = Interaction.objects.get()
    assert interaction.subject == "Pricing for the Q3 rollout"
    assert interaction.owner == world.rep.user
    assert interaction.source == InteractionSource.BCC
    assert interaction.direction == "inbound"
    assert interaction.participants.filter(address="carla@bigco.example", role="from").exists()
    assert interaction.external_id != "<fwd-9@acme.example>"


def test_a_forward_as_attachment_captures_the_original_message_id(server, world, address):
    original = _mail(
        sender="Carla Customer <carla@bigco.example>",
        to="rita@acme.example",
        subject="Pricing for the Q3 rollout",
        message_id="<CA+orig-123@mail.bigco.example>",
    )
    outer = _forward_to_log(address, "See attached")
    outer.add_attachment(original)
    with server.client() as client:
        client.send_message(outer, from_addr="rita@acme.example", to_addrs=[address])

    interaction = Interaction.objects.get()
    assert interaction.external_id == "<CA+orig-123@mail.bigco.example>"
    assert interaction.subject == "Pricing for the Q3 rollout"
    assert interaction.participants.filter(address="carla@bigco.example", role="from").exists()


def test_a_bccd_mail_that_quotes_a_forward_is_captured_as_the_reps_own_mail(server, world, address):
    message = _mail(body=GMAIL)  # To: Carla, the log address only in the envelope
    with server.client() as client:
        client.send_message(message, from_addr="rita@acme.example", to_addrs=["carla@bigco.example", address])
    assert Interaction.objects.get().external_id == "<proposal-1@acme.example>"
