"""Capture settings services: sources per kind, encrypted secrets, pause/resume, removal with or
without the captured data, the capture policy, BCC addresses, exclusions; and the health and
"why wasn't this captured?" selectors."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from activities.capture import selectors, services
from activities.models import (
    CaptureAccount,
    CaptureCursor,
    CapturePolicy,
    CaptureSighting,
    CaptureStatus,
    Exclusion,
    Interaction,
    InteractionKind,
    InteractionSource,
    LoggingAddress,
    SkippedMessage,
    SkipReason,
    Visibility,
)
from relintel import crypto
from relintel.accounts.models import Membership
from tests.factories import ContactFactory, InteractionFactory

pytestmark = pytest.mark.django_db

PASSWORD = "s3cret-Passw0rd!"


# --- helpers shared with test_views and test_api ---------------------------------------------


def imap_source(membership: Membership, **fields) -> CaptureAccount:
    values = {
        "kind": "imap",
        "name": "Work mailbox",
        "host": "imap.example.com",
        "username": membership.user.email,
        "secret": PASSWORD,
    }
    values.update(fields)
    return services.capture_account_create(membership=membership, **values)


def ics_source(membership: Membership, **fields) -> CaptureAccount:
    values = {"kind": "ics", "name": "Team calendar", "url": "https://cal.example.com/feed.ics"}
    values.update(fields)
    return services.capture_account_create(membership=membership, **values)


def captured(account: CaptureAccount, *, message_id: str, subject: str = "Hello", **fields) -> Interaction:
    """An email as the pipeline would leave it: the interaction and this source's sighting."""
    membership = Membership.objects.get(user=account.user, organization=account.organization)
    interaction = InteractionFactory(
        organization=account.organization,
        owner=account.user,
        kind=InteractionKind.EMAIL,
        source=account.kind,
        external_id=message_id,
        subject=subject,
        team=membership.team,
        contacts=[ContactFactory(organization=account.organization)],
        **fields,
    )
    sight(interaction, account)
    return interaction


def sight(interaction: Interaction, account: CaptureAccount | None, *, user=None, source: str = "") -> None:
    CaptureSighting.objects.create(
        interaction=interaction,
        user=user or account.user,
        account=account,
        source=source or (account.kind if account else InteractionSource.BCC),
    )


def skipped(account: CaptureAccount, *, message_id: str, subject: str = "", reason: str = SkipReason.BULK, **fields):
    return SkippedMessage.objects.create(
        organization=account.organization,
        user=account.user,
        account=account,
        source=account.kind,
        external_id=message_id,
        subject=subject,
        reason=reason,
        detail=fields.pop("detail", "List-Id: <news.example.com>"),
        occurred_at=fields.pop("occurred_at", timezone.now() - datetime.timedelta(days=1)),
        **fields,
    )


# --- creating sources ------------------------------------------------------------------------


def test_an_imap_source_stores_its_password_encrypted_and_is_due_at_once(world):
    before = timezone.now()
    account = imap_source(world.rep)
    account.refresh_from_db()
    assert account.secret != PASSWORD
    assert PASSWORD not in account.secret
    assert crypto.decrypt(account.secret) == PASSWORD
    assert account.port == 993
    assert account.status == CaptureStatus.ACTIVE
    assert account.next_poll_at is not None and account.next_poll_at >= before
    assert account.organization == world.org and account.user == world.rep.user
    # An empty folder list means "inbox and sent", found by the source on the server.
    assert account.folders == []


def test_a_source_takes_the_organizations_default_privacy_level(world):
    CapturePolicy.objects.create(organization=world.org, default_privacy_level="metadata")
    assert imap_source(world.rep).privacy_level == "metadata"
    assert imap_source(world.rep, privacy_level="full").privacy_level == "full"


def test_starttls_defaults_to_port_143_and_folders_are_cleaned(world):
    account = imap_source(world.rep, security="starttls", folders=[" INBOX ", "", "Archive", "INBOX"])
    assert account.port == 143
    assert account.folders == ["INBOX", "Archive"]


@pytest.mark.parametrize(
    ("kind", "fields", "missing"),
    [
        ("imap", {}, {"host", "username", "secret"}),
        ("imap", {"host": "https://imap.example.com", "username": "u", "secret": "p"}, {"host"}),
        ("imap", {"host": "imap.example.com", "username": "u", "secret": "p", "port": 70000}, {"port"}),
        ("caldav", {}, {"url", "username", "secret"}),
        ("caldav", {"url": "dav.example.com/cal", "username": "u", "secret": "p"}, {"url"}),
        ("ics", {}, {"url"}),
        ("ics", {"url": "ftp://example.com/x.ics"}, {"url"}),
        ("ics", {"url": "https://example.com/x.ics", "backfill_days": -1}, {"backfill_days"}),
        ("ics", {"url": "https://example.com/x.ics", "privacy_level": "everything"}, {"privacy_level"}),
        ("pop3", {}, {"kind"}),
    ],
)
def test_each_kind_names_the_fields_it_is_missing(world, kind, fields, missing):
    with pytest.raises(ValidationError) as error:
        services.capture_account_create(membership=world.rep, kind=kind, name="Source", **fields)
    assert set(error.value.message_dict) == missing
    assert not CaptureAccount.objects.exists()


def test_a_source_needs_a_name(world):
    with pytest.raises(ValidationError) as error:
        ics_source(world.rep, name="  ")
    assert set(error.value.message_dict) == {"name"}


def test_a_webcal_feed_is_read_over_https_without_credentials(world):
    account = ics_source(world.rep, url="webcal://cal.example.com/team.ics", username="x", secret="y")
    assert account.url == "https://cal.example.com/team.ics"
    assert account.secret == "" and account.username == ""


def test_a_caldav_source_keeps_its_url_and_encrypted_password(world):
    account = services.capture_account_create(
        membership=world.rep,
        kind="caldav",
        name="Calendar",
        url="https://dav.example.com/cal/rita/",
        username="rita",
        secret=PASSWORD,
        host="ignored.example.com",
    )
    assert account.host == "" and account.port is None
    assert crypto.decrypt(account.secret) == PASSWORD


# --- updating, pausing, resuming --------------------------------------------------------------


def test_updating_without_a_secret_keeps_the_stored_one(world):
    account = imap_source(world.rep)
    stored = account.secret
    services.capture_account_update(account=account, name="Renamed", secret="")
    account.refresh_from_db()
    assert account.name == "Renamed"
    assert account.secret == stored


def test_updating_with_a_new_secret_replaces_it_encrypted(world):
    account = imap_source(world.rep)
    services.capture_account_update(account=account, secret="new-one")
    account.refresh_from_db()
    assert crypto.decrypt(account.secret) == "new-one"


def test_pointing_a_source_at_another_server_starts_it_over(world):
    account = imap_source(world.rep)
    CaptureCursor.objects.create(account=account, folder="INBOX", uidvalidity=1, last_uid=40)
    CaptureAccount.objects.filter(pk=account.pk).update(backfill_total=100, backfill_done=40, next_poll_at=None)
    account.refresh_from_db()
    services.capture_account_update(account=account, host="imap.other.example.com")
    account.refresh_from_db()
    assert not account.cursors.exists()
    assert account.backfill_total == 0
    assert account.next_poll_at is not None


def test_an_invalid_update_changes_nothing(world):
    account = imap_source(world.rep)
    with pytest.raises(ValidationError) as error:
        services.capture_account_update(account=account, host="", name="New name")
    assert set(error.value.message_dict) == {"host"}
    account.refresh_from_db()
    assert account.host == "imap.example.com" and account.name == "Work mailbox"


def test_pause_and_resume(world):
    account = imap_source(world.rep)
    services.capture_account_pause(account=account)
    account.refresh_from_db()
    assert account.status == CaptureStatus.PAUSED
    CaptureAccount.objects.filter(pk=account.pk).update(consecutive_failures=4, next_poll_at=None)
    account.refresh_from_db()
    services.capture_account_resume(account=account)
    account.refresh_from_db()
    assert account.status == CaptureStatus.ACTIVE
    assert account.consecutive_failures == 0
    assert account.next_poll_at is not None and account.next_poll_at <= timezone.now()


# --- removing -----------------------------------------------------------------------------------


def test_removing_a_source_without_its_data_keeps_what_it_captured(world):
    account = imap_source(world.rep)
    interaction = captured(account, message_id="<a@x>")
    skipped(account, message_id="<b@x>")
    assert services.capture_account_remove(account=account, delete_data=False) == 0
    assert not CaptureAccount.objects.filter(pk=account.pk).exists()
    assert Interaction.objects.filter(pk=interaction.pk).exists()
    assert CaptureSighting.objects.filter(interaction=interaction).exists()


def test_removing_a_source_with_its_data_keeps_what_another_source_also_captured(world):
    account = imap_source(world.rep)
    teammate_account = imap_source(world.teammate)
    only_mine = captured(account, message_id="<only@x>")
    shared = captured(account, message_id="<shared@x>")
    sight(shared, teammate_account)
    bcc_too = captured(account, message_id="<bcc@x>")
    sight(bcc_too, None, user=world.rep.user, source=InteractionSource.BCC)
    manual = InteractionFactory(organization=world.org, owner=world.rep.user)
    skipped(account, message_id="<skip@x>")
    other_skip = skipped(teammate_account, message_id="<skip2@x>")

    assert services.capture_account_remove(account=account, delete_data=True) == 1

    assert not Interaction.objects.filter(pk=only_mine.pk).exists()
    assert Interaction.objects.filter(pk__in=[shared.pk, bcc_too.pk, manual.pk]).count() == 3
    assert not CaptureSighting.objects.filter(interaction=shared, user=world.rep.user).exists()
    assert CaptureSighting.objects.filter(interaction=shared, account=teammate_account).exists()
    assert list(SkippedMessage.objects.all()) == [other_skip]


# --- policy -------------------------------------------------------------------------------------


def test_an_admin_updates_the_capture_policy(world):
    policy = services.capture_policy_update(
        membership=world.admin, max_recipients=8, contact_creation="never", default_privacy_level="full"
    )
    assert (policy.max_recipients, policy.contact_creation, policy.default_privacy_level) == (8, "never", "full")
    assert selectors.capture_policy_for(membership=world.rep).max_recipients == 8
    assert selectors.capture_policy_for(membership=world.outsider).max_recipients == 20


def test_a_rep_cannot_update_the_capture_policy(world):
    with pytest.raises(PermissionDenied):
        services.capture_policy_update(
            membership=world.rep, max_recipients=8, contact_creation="never", default_privacy_level="full"
        )
    assert not CapturePolicy.objects.exists()


def test_an_invalid_policy_names_its_fields(world):
    with pytest.raises(ValidationError) as error:
        services.capture_policy_update(
            membership=world.admin, max_recipients=0, contact_creation="sometimes", default_privacy_level="all"
        )
    assert set(error.value.message_dict) == {"max_recipients", "contact_creation", "default_privacy_level"}


# --- BCC address -------------------------------------------------------------------------------


def test_the_bcc_address_is_made_once_and_reset_on_demand(world, settings):
    settings.RELINTEL_BCC_DOMAIN = "log.acme.example"
    address = services.logging_address_for(membership=world.rep)
    assert address.startswith("log+") and address.endswith("@log.acme.example")
    assert services.logging_address_for(membership=world.rep) == address
    assert services.logging_address_for(membership=world.teammate) != address
    new = services.logging_address_reset(membership=world.rep)
    assert new != address
    token = new.split("+", 1)[1].split("@", 1)[0]
    assert LoggingAddress.objects.get(user=world.rep.user).token == token


# --- exclusions (the retroactive part is the ingest engineer's) -----------------------------------


def test_exclusions_are_normalized_and_scoped(world):
    mine = services.capture_exclusion_add(membership=world.rep, kind="domain", value="https://www.Rival.example/")
    assert (mine.value, mine.user_id) == ("rival.example", world.rep.user_id)
    everyone = services.capture_exclusion_add(
        membership=world.admin, kind="email", value=" CEO@Rival.example ", organization_wide=True
    )
    assert (everyone.value, everyone.user_id) == ("ceo@rival.example", None)
    assert set(selectors.exclusions_for(membership=world.rep)) == {mine, everyone}
    assert set(selectors.exclusions_for(membership=world.teammate)) == {everyone}
    assert not selectors.exclusions_for(membership=world.outsider).exists()


def test_exclusion_errors_name_the_field(world):
    with pytest.raises(ValidationError) as error:
        services.capture_exclusion_add(membership=world.rep, kind="email", value="not-an-address")
    assert set(error.value.message_dict) == {"value"}
    services.capture_exclusion_add(membership=world.rep, kind="domain", value="rival.example")
    with pytest.raises(ValidationError) as error:
        services.capture_exclusion_add(membership=world.rep, kind="domain", value="RIVAL.example")
    assert "already excluded" in error.value.message_dict["value"][0]


def test_only_admins_exclude_or_unexclude_for_the_organization(world):
    with pytest.raises(PermissionDenied):
        services.capture_exclusion_add(membership=world.rep, kind="domain", value="x.example", organization_wide=True)
    everyone = services.capture_exclusion_add(
        membership=world.admin, kind="domain", value="x.example", organization_wide=True
    )
    with pytest.raises(PermissionDenied):
        services.capture_exclusion_remove(membership=world.rep, exclusion=everyone)
    services.capture_exclusion_remove(membership=world.admin, exclusion=everyone)
    assert not Exclusion.objects.exists()


# --- health -------------------------------------------------------------------------------------


def test_health_says_state_progress_skips_and_the_last_error_in_words(world):
    account = imap_source(world.rep)
    CaptureAccount.objects.filter(pk=account.pk).update(
        status=CaptureStatus.FAILING,
        last_error="The server refused the login: AUTHENTICATIONFAILED",
        last_error_kind="login",
        last_error_at=timezone.now(),
        backfill_total=200,
        backfill_done=50,
        captured_count=42,
        skipped_counts={"bulk": 3, "internal": 5},
        last_success_at=timezone.now() - datetime.timedelta(hours=1),
    )
    account.refresh_from_db()
    health = selectors.source_health(account)
    assert health.state == "failing"
    assert health.progress_percent == 25
    assert health.captured_count == 42
    assert [(s.label, s.count) for s in health.skipped] == [
        (SkipReason.INTERNAL.label, 5),
        (SkipReason.BULK.label, 3),
    ]
    assert health.skipped_total == 8
    assert health.last_error.startswith("Sign-in refused: The server refused the login")


def test_a_new_source_is_waiting_and_a_finished_backfill_is_active(world):
    account = ics_source(world.rep)
    assert selectors.source_health(account).state == "waiting"
    CaptureAccount.objects.filter(pk=account.pk).update(
        backfill_completed_at=timezone.now(), last_success_at=timezone.now()
    )
    account.refresh_from_db()
    health = selectors.source_health(account)
    assert (health.state, health.progress_percent) == ("active", 100)


def test_admins_see_every_source_and_reps_their_own(world):
    mine = ics_source(world.rep)
    theirs = ics_source(world.other_rep)
    ics_source(world.outsider)
    assert [h.account for h in selectors.capture_health_of(membership=world.rep)] == [mine]
    assert {h.account for h in selectors.capture_health_organization(membership=world.admin)} == {mine, theirs}
    assert selectors.capture_health_organization(membership=world.rep) == []


# --- why wasn't this captured? ---------------------------------------------------------------------


def test_a_skipped_message_is_found_by_message_id_with_or_without_brackets(world):
    account = imap_source(world.rep)
    row = skipped(account, message_id="<news-1@list.example>", subject="Weekly digest")
    for typed in ("<news-1@list.example>", "news-1@list.example", "  <news-1@list.example> "):
        assert list(selectors.skipped_messages_lookup(membership=world.rep, message_id=typed)) == [row]
    assert not selectors.skipped_messages_lookup(membership=world.rep, message_id="news-1@list").exists()


def test_a_skipped_message_is_found_by_subject_words(world):
    account = imap_source(world.rep)
    row = skipped(account, message_id="<n@x>", subject="Weekly DIGEST of news")
    assert list(selectors.skipped_messages_lookup(membership=world.rep, q="digest")) == [row]


def test_a_rep_sees_only_their_own_skips_and_an_admin_sees_all(world):
    mine = skipped(imap_source(world.rep), message_id="<m@x>", subject="Promo")
    theirs = skipped(imap_source(world.teammate), message_id="<t@x>", subject="Promo")
    assert list(selectors.skipped_messages_lookup(membership=world.rep, q="promo")) == [mine]
    assert set(selectors.skipped_messages_lookup(membership=world.admin, q="promo")) == {mine, theirs}
    assert not selectors.skipped_messages_lookup(membership=world.outsider, q="promo").exists()
    assert not selectors.skipped_messages_lookup(membership=world.rep, message_id="<t@x>").exists()


def test_why_not_captured_says_when_it_was_captured(world):
    account = imap_source(world.rep)
    interaction = captured(account, message_id="<deal@x>", subject="The deal", visibility=Visibility.PRIVATE)
    answer = selectors.why_not_captured(membership=world.rep, message_id="deal@x")
    assert answer.captured == [interaction] and not answer.never_seen
    # Someone who may not see it learns only that it was captured.
    other = selectors.why_not_captured(membership=world.teammate, message_id="<deal@x>")
    assert other.captured == [] and other.captured_elsewhere
    assert selectors.why_not_captured(membership=world.teammate, subject="The deal").captured == []
    assert selectors.why_not_captured(membership=world.outsider, message_id="<deal@x>").never_seen


def test_why_not_captured_for_an_unknown_message_says_never_seen(world):
    assert selectors.why_not_captured(membership=world.rep, message_id="<nothing@x>").never_seen
