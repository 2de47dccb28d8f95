"""The dispatcher: one claim per (notice, channel), preferences obeyed, failures kept and retried."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.builders import NOW, Make
from notifications.loopback import (
    FCM_UNREGISTERED,
    TWILIO_INVALID_NUMBER,
    TWILIO_UNAVAILABLE,
    ProviderServer,
    SmtpSink,
)
from vet_core.models import Notification, NotificationDelivery, User
from vet_core.models.enums import DeliveryStatus, NotificationChannel, PetStatus, UserStatus
from vet_services.notifications.channels import SmsChannel
from vet_services.notifications.dispatcher import Dispatch, Dispatcher, DispatchStatus, Notice
from vet_services.notifications.preferences import (
    SmsReplyOutcome,
    allowed_channels,
    record_sms_reply,
)
from vet_services.notifications.settings import TwilioSettings

ALL_CHANNELS = ["email", "sms", "push", "in_app"]


def notice(pet: str = "Rex") -> Notice:
    return Notice(
        template="reminder",
        context={
            "recipient_name": "Dana",
            "items": [
                {
                    "pet": pet,
                    "title": "Rabies vaccination due",
                    "kind": "vaccination",
                    "when": "Monday 17 March 2031",
                    "clinic": "Riverside Animal Hospital",
                    "notes": None,
                }
            ],
            "pet_names": pet,
            "clinic_names": "Riverside Animal Hospital",
        },
    )


async def deliveries(
    session: AsyncSession, user: User
) -> dict[NotificationChannel, NotificationDelivery]:
    rows = await session.execute(
        select(NotificationDelivery).where(NotificationDelivery.user_id == user.id)
    )
    return {row.channel: row for row in rows.scalars()}


async def test_one_notice_goes_out_on_every_chosen_channel_and_is_logged(
    db_session: AsyncSession,
    make: Make,
    dispatcher: Dispatcher,
    smtp: SmtpSink,
    twilio: ProviderServer,
    fcm: ProviderServer,
) -> None:
    owner = await make.owner(channels=ALL_CHANNELS, phone="+15551230001", push_tokens=["tok-1"])

    outcome = await dispatcher.dispatch(
        db_session, recipient=owner, notice=notice(), dedup_key="test:1", due_at=NOW, now=NOW
    )

    assert outcome.status is DispatchStatus.ATTEMPTED
    assert [c.status for c in outcome.channels] == [DeliveryStatus.SENT] * 4
    assert len(smtp.to(owner.email)) == 1
    assert len(twilio.requests) == 1
    assert len(fcm.requests) == 1
    log = await deliveries(db_session, owner)
    assert set(log) == set(NotificationChannel)
    email = log[NotificationChannel.EMAIL]
    assert email.dedup_key == "test:1:email"
    assert (email.attempts, email.provider, email.sent_at) == (1, "smtp", NOW)
    assert email.provider_message_id == smtp.mails[0].message["Message-ID"]
    assert log[NotificationChannel.SMS].destination == "+15551230001"
    in_app = log[NotificationChannel.IN_APP]
    assert in_app.notification_id is not None
    notification = await db_session.get_one(Notification, in_app.notification_id)
    assert notification.title == "Reminder for Rex: Rabies vaccination due"


async def test_the_same_dedup_key_never_sends_twice(
    db_session: AsyncSession, make: Make, dispatcher: Dispatcher, smtp: SmtpSink
) -> None:
    owner = await make.owner()

    first = await dispatcher.dispatch(
        db_session, recipient=owner, notice=notice(), dedup_key="test:2", due_at=NOW, now=NOW
    )
    again = await dispatcher.dispatch(
        db_session, recipient=owner, notice=notice(), dedup_key="test:2", due_at=NOW, now=NOW
    )

    assert first.sent
    assert [c.duplicate for c in again.channels] == [True]
    assert len(smtp.mails) == 1


async def test_nothing_is_sent_to_an_inactive_user_or_about_a_deceased_pet(
    db_session: AsyncSession, make: Make, dispatcher: Dispatcher, smtp: SmtpSink
) -> None:
    suspended = await make.owner(status=UserStatus.SUSPENDED)
    owner = await make.owner()
    late = await make.pet(owner, "Biscuit", status=PetStatus.DECEASED)

    to_suspended = await dispatcher.dispatch(
        db_session, recipient=suspended, notice=notice(), dedup_key="t:3", due_at=NOW, now=NOW
    )
    about_deceased = await dispatcher.dispatch(
        db_session,
        recipient=owner,
        notice=notice("Biscuit"),
        dedup_key="t:4",
        due_at=NOW,
        now=NOW,
        pets=[late],
    )

    assert (to_suspended.status, to_suspended.reason) == (
        DispatchStatus.SKIPPED,
        "recipient_inactive",
    )
    assert (about_deceased.status, about_deceased.reason) == (
        DispatchStatus.SKIPPED,
        "pet_deceased",
    )
    assert smtp.mails == []
    assert await deliveries(db_session, owner) == {}


async def test_quiet_hours_defer_until_morning_in_the_users_own_zone(
    db_session: AsyncSession, make: Make, dispatcher: Dispatcher, smtp: SmtpSink
) -> None:
    # 08:00 UTC is 03:00 in New York (EST).
    owner = await make.owner(quiet_hours=("22:00", "07:00"))
    three_am = NOW.replace(hour=8)

    outcome = await dispatcher.dispatch(
        db_session, recipient=owner, notice=notice(), dedup_key="t:5", due_at=three_am, now=three_am
    )

    assert outcome.status is DispatchStatus.DEFERRED
    assert outcome.not_before == NOW.replace(hour=12)  # 07:00 EST
    assert smtp.mails == []


async def test_sms_stop_reply_opts_out_and_start_opts_back_in(
    db_session: AsyncSession, make: Make, dispatcher: Dispatcher, twilio: ProviderServer
) -> None:
    owner = await make.owner(channels=["sms"], phone="+15551230002")

    assert (
        await record_sms_reply(db_session, "+15551230002", "  Stop ") is SmsReplyOutcome.OPTED_OUT
    )
    silenced = await dispatcher.dispatch(
        db_session, recipient=owner, notice=notice(), dedup_key="t:6", due_at=NOW, now=NOW
    )
    assert (silenced.status, silenced.reason) == (DispatchStatus.SKIPPED, "no_channel")
    assert twilio.requests == []
    assert owner.preferences["sms_opt_out"]["keyword"] == "STOP"

    assert await record_sms_reply(db_session, "+15551230002", "START") is SmsReplyOutcome.OPTED_IN
    assert await record_sms_reply(db_session, "+15551230002", "thanks!") is SmsReplyOutcome.IGNORED
    assert allowed_channels(owner) == [NotificationChannel.SMS]
    back = await dispatcher.dispatch(
        db_session, recipient=owner, notice=notice(), dedup_key="t:7", due_at=NOW, now=NOW
    )
    assert back.sent
    assert len(twilio.requests) == 1
    assert twilio.requests[0].form["Body"].endswith("Reply STOP to opt out.")


async def test_a_transient_provider_failure_is_recorded_and_retried_later(
    db_session: AsyncSession, make: Make, dispatcher: Dispatcher, twilio: ProviderServer
) -> None:
    owner = await make.owner(channels=["sms"], phone="+15551230003")
    twilio.fail_next(503, TWILIO_UNAVAILABLE)

    await dispatcher.dispatch(
        db_session, recipient=owner, notice=notice(), dedup_key="t:8", due_at=NOW, now=NOW
    )

    sms = (await deliveries(db_session, owner))[NotificationChannel.SMS]
    assert sms.status is DeliveryStatus.PENDING
    assert sms.error == "HTTP 503: Twilio error 20503: Service unavailable"
    assert (sms.attempts, sms.scheduled_for) == (1, NOW + timedelta(minutes=5))

    assert await dispatcher.retry_due(db_session, NOW + timedelta(minutes=1)) == []
    [retried] = await dispatcher.retry_due(db_session, NOW + timedelta(minutes=6))

    assert retried.status is DeliveryStatus.SENT
    after = await db_session.get_one(NotificationDelivery, sms.id, populate_existing=True)
    assert (after.status, after.attempts, after.error) == (DeliveryStatus.SENT, 2, None)
    assert after.provider_message_id is not None
    assert len(twilio.requests) == 2
    # The retry sent exactly what the first attempt tried to send.
    assert twilio.requests[0].form == twilio.requests[1].form


async def test_a_permanent_failure_is_final_and_keeps_twilios_error(
    db_session: AsyncSession, make: Make, dispatcher: Dispatcher, twilio: ProviderServer
) -> None:
    owner = await make.owner(channels=["sms"], phone="+15550000000")
    twilio.fail_next(400, TWILIO_INVALID_NUMBER)

    await dispatcher.dispatch(
        db_session, recipient=owner, notice=notice(), dedup_key="t:9", due_at=NOW, now=NOW
    )

    sms = (await deliveries(db_session, owner))[NotificationChannel.SMS]
    assert sms.status is DeliveryStatus.FAILED
    assert sms.error is not None
    assert "Twilio error 21211" in sms.error
    assert await dispatcher.retry_due(db_session, NOW + timedelta(days=1)) == []


async def test_retries_stop_after_the_last_attempt(
    db_session: AsyncSession, make: Make, twilio: ProviderServer
) -> None:
    owner = await make.owner(channels=["sms"], phone="+15551230004")
    settings = TwilioSettings(
        base_url=twilio.base_url, account_sid="AC1", from_number="+15005550006"
    )
    dispatcher = Dispatcher([SmsChannel(settings)], max_attempts=2)
    twilio.fail_next(503, TWILIO_UNAVAILABLE, times=2)

    await dispatcher.dispatch(
        db_session, recipient=owner, notice=notice(), dedup_key="t:10", due_at=NOW, now=NOW
    )
    [last] = await dispatcher.retry_due(db_session, NOW + timedelta(hours=1))

    assert last.status is DeliveryStatus.FAILED
    assert len(twilio.requests) == 2


async def test_unregistered_push_tokens_are_forgotten(
    db_session: AsyncSession, make: Make, dispatcher: Dispatcher, fcm: ProviderServer
) -> None:
    owner = await make.owner(channels=["push"], push_tokens=["tok-old", "tok-new"])
    fcm.fail_next(404, FCM_UNREGISTERED)

    outcome = await dispatcher.dispatch(
        db_session, recipient=owner, notice=notice(), dedup_key="t:11", due_at=NOW, now=NOW
    )

    assert outcome.sent
    assert owner.preferences["push_tokens"] == ["tok-new"]


async def test_html_is_escaped_and_the_users_language_is_used(
    db_session: AsyncSession, make: Make, dispatcher: Dispatcher, smtp: SmtpSink
) -> None:
    owner = await make.owner(language="es-MX")

    await dispatcher.dispatch(
        db_session,
        recipient=owner,
        notice=notice("<script>Rex</script>"),
        dedup_key="t:12",
        due_at=NOW,
        now=NOW,
    )

    [mail] = smtp.mails
    assert mail.message["Subject"].startswith("Recordatorio para <script>Rex</script>")
    assert "&lt;script&gt;Rex&lt;/script&gt;" in mail.part("text/html")
    assert "<script>" not in mail.part("text/html")
    assert mail.part("text/plain").startswith("Hola Dana:")


async def test_dispatch_many_claims_each_key_once_and_answers_in_order(
    db_session: AsyncSession, make: Make, dispatcher: Dispatcher, smtp: SmtpSink
) -> None:
    dana = await make.owner(first_name="Dana")
    erin = await make.owner(first_name="Erin")
    sleeper = await make.owner(first_name="Sam", quiet_hours=("22:00", "07:00"))
    gone = await make.owner(first_name="Gus", status=UserStatus.SUSPENDED)
    # Dana's key was already claimed by an earlier run: it must not go again.
    await dispatcher.dispatch(
        db_session, recipient=dana, notice=notice(), dedup_key="bulk:dana", due_at=NOW, now=NOW
    )
    smtp.reset()
    three_am = NOW.replace(hour=8)

    outcomes = await dispatcher.dispatch_many(
        db_session,
        [
            Dispatch(erin, notice(), "bulk:erin", three_am),
            Dispatch(dana, notice(), "bulk:dana", three_am),
            Dispatch(sleeper, notice(), "bulk:sam", three_am),
            Dispatch(gone, notice(), "bulk:gus", three_am),
            Dispatch(erin, notice(), "bulk:erin", three_am),  # the same key twice in one call
        ],
        now=three_am,
    )

    assert [o.status for o in outcomes] == [
        DispatchStatus.ATTEMPTED,
        DispatchStatus.ATTEMPTED,
        DispatchStatus.DEFERRED,
        DispatchStatus.SKIPPED,
        DispatchStatus.ATTEMPTED,
    ]
    assert outcomes[0].sent
    assert [c.duplicate for c in outcomes[1].channels] == [True]
    assert [c.duplicate for c in outcomes[4].channels] == [True]
    assert [mail.recipients for mail in smtp.mails] == [[erin.email]]
    rows = await deliveries(db_session, erin)
    assert rows[NotificationChannel.EMAIL].status is DeliveryStatus.SENT
    assert rows[NotificationChannel.EMAIL].dedup_key == "bulk:erin:email"
    assert await deliveries(db_session, sleeper) == {}
