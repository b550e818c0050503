"""fetch_bodies: the IMAP source's own reading of a FETCH BODY.PEEK[] response (no server needed)."""

from __future__ import annotations

from unittest import mock

from activities.capture.sources.imap import fetch_bodies


def client_answering(data):
    client = mock.Mock()
    client._imap._command_complete.return_value = ("OK", [b"done"])
    client._imap._untagged_response.return_value = ("OK", data)
    return client


def test_each_message_is_found_by_its_uid_wherever_the_server_puts_it():
    client = client_answering(
        [
            (b"1 (UID 10 BODY[] {5}", b"one\r\n"),
            b")",
            (b"2 (BODY[] {5}", b"two\r\n"),
            b" UID 11)",
            (b"3 (UID 12 MODSEQ (7) BODY[] {7}", b"three\r\n"),
            b")",
        ]
    )

    assert fetch_bodies(client, [10, 11, 12]) == {10: b"one\r\n", 11: b"two\r\n", 12: b"three\r\n"}
    client._imap._command.assert_called_once_with("UID", "FETCH", "10,11,12", "(UID BODY.PEEK[])")
    client.fetch.assert_not_called()


def test_unsolicited_responses_and_flag_updates_are_dropped():
    client = client_answering([b"7 (UID 99 FLAGS (\\Seen))", (b"1 (UID 10 BODY[] {3}", b"one"), b")"])

    assert fetch_bodies(client, [10, 11]) == {10: b"one"}


def test_a_response_it_cannot_read_goes_back_to_imapclients_parser():
    client = client_answering([(b"1 (BODY[] {3}", b"one"), b")"])
    client.fetch.return_value = {10: {b"BODY[]": b"one", b"SEQ": 1}}

    assert fetch_bodies(client, [10]) == {10: b"one"}
    client.fetch.assert_called_once_with([10], ["BODY.PEEK[]"])
