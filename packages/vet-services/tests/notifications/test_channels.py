"""Each channel end to end against a real server on loopback that speaks its provider's protocol."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from notifications.builders import Make
from notifications.conftest import FCM_PROJECT, FCM_TOKEN, TWILIO_SID, TWILIO_TOKEN
from notifications.loopback import (
    FCM_UNREGISTERED,
    TWILIO_INVALID_NUMBER,
    TWILIO_UNAVAILABLE,
    ProviderServer,
    SmtpSink,
    free_port,
)
from vet_core.models import Notification
from vet_core.models.enums import NotificationCategory
from vet_services.notifications.channels import (
    EmailChannel,
    InAppChannel,
    OutgoingMessage,
    PushChannel,
    SmsChannel,
)
from vet_services.notifications.settings import FcmSettings, SmtpSettings, TwilioSettings


def message(*to: str, html: str | None = "<p>Rex is due for <b>Rabies</b></p>") -> OutgoingMessage:
    return OutgoingMessage(
        user_id=uuid.uuid4(),
        to=to,
        subject="Reminder for Rex",
        text="Rex is due for Rabies.",
        html=html,
        data={"reminder_ids": "r1"},
        dedup_key="reminders:test:email",
    )


async def test_email_arrives_as_multipart_text_and_html(
    smtp: SmtpSink, smtp_settings: SmtpSettings
) -> None:
    result = await EmailChannel(smtp_settings).send(message("dana@example.com"))

    assert result.ok, result.error
    [mail] = smtp.mails
    assert mail.recipients == ["dana@example.com"]
    assert mail.sender == "reminders@clinic.example"
    assert mail.message["Subject"] == "Reminder for Rex"
    assert mail.message["From"] == "Riverside Reminders <reminders@clinic.example>"
    assert mail.message.get_content_type() == "multipart/alternative"
    assert mail.part("text/plain").strip() == "Rex is due for Rabies."
    assert "<b>Rabies</b>" in mail.part("text/html")
    # The recorded provider id is the Message-ID the server received.
    assert result.provider_message_id == mail.message["Message-ID"]
    assert mail.message["X-Vet-Delivery"] == "reminders:test:email"


async def test_email_temporary_refusal_is_retryable_and_permanent_is_not(
    smtp: SmtpSink, smtp_settings: SmtpSettings
) -> None:
    channel = EmailChannel(smtp_settings)
    smtp.fail_next("451 4.3.0 Mailbox busy, try later", "550 5.1.1 No such user")

    busy = await channel.send(message("dana@example.com"))
    unknown = await channel.send(message("nobody@example.com"))

    assert not busy.ok
    assert busy.retryable
    assert busy.error is not None
    assert "451" in busy.error
    assert "Mailbox busy" in busy.error
    assert not unknown.ok
    assert not unknown.retryable
    assert unknown.error is not None
    assert "550" in unknown.error
    assert smtp.mails == []


async def test_email_relay_down_is_a_retryable_failure() -> None:
    settings = SmtpSettings(host="127.0.0.1", port=free_port(), start_tls=False, timeout=2)

    result = await EmailChannel(settings).send(message("dana@example.com"))

    assert not result.ok
    assert result.retryable


async def test_sms_posts_form_to_twilio_messages_with_basic_auth(
    twilio: ProviderServer, twilio_settings: TwilioSettings
) -> None:
    result = await SmsChannel(twilio_settings).send(message("+15551230001"))

    assert result.ok, result.error
    [request] = twilio.requests
    assert request.path == f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.basic_auth == (TWILIO_SID, TWILIO_TOKEN)
    assert request.form == {
        "To": "+15551230001",
        "From": "+15005550006",
        "Body": "Rex is due for Rabies.",
    }
    assert result.provider == "twilio"
    assert result.provider_message_id is not None
    assert result.provider_message_id.startswith("SM")


async def test_sms_errors_keep_twilio_code_and_message(
    twilio: ProviderServer, twilio_settings: TwilioSettings
) -> None:
    channel = SmsChannel(twilio_settings)
    twilio.fail_next(400, TWILIO_INVALID_NUMBER)
    twilio.fail_next(503, TWILIO_UNAVAILABLE)

    invalid = await channel.send(message("+15550000000"))
    unavailable = await channel.send(message("+15551230001"))

    assert not invalid.ok
    assert not invalid.retryable
    assert invalid.error == (
        "HTTP 400: Twilio error 21211: The 'To' number +15550000000 is not a valid phone number."
    )
    assert invalid.details["twilio_code"] == 21211
    assert not unavailable.ok
    assert unavailable.retryable
    assert unavailable.error is not None
    assert "20503" in unavailable.error


async def test_push_sends_one_fcm_v1_request_per_device_with_bearer_token(
    fcm: ProviderServer, fcm_settings: FcmSettings
) -> None:
    result = await PushChannel(fcm_settings).send(message("token-phone", "token-tablet"))

    assert result.ok, result.error
    assert [r.path for r in fcm.requests] == [f"/v1/projects/{FCM_PROJECT}/messages:send"] * 2
    assert {r.headers["Authorization"] for r in fcm.requests} == {f"Bearer {FCM_TOKEN}"}
    first = fcm.requests[0].json["message"]
    assert first["token"] == "token-phone"
    assert first["notification"] == {"title": "Reminder for Rex", "body": "Rex is due for Rabies."}
    assert first["data"] == {"reminder_ids": "r1"}
    assert result.provider_message_id is not None
    assert result.provider_message_id.startswith(f"projects/{FCM_PROJECT}/messages/")


async def test_push_reports_unregistered_tokens_and_succeeds_on_the_other_device(
    fcm: ProviderServer, fcm_settings: FcmSettings
) -> None:
    fcm.fail_next(404, FCM_UNREGISTERED)

    result = await PushChannel(fcm_settings).send(message("token-old", "token-new"))

    assert result.ok
    assert result.details["unregistered_tokens"] == ["token-old"]


async def test_push_with_only_dead_tokens_fails_permanently(
    fcm: ProviderServer, fcm_settings: FcmSettings
) -> None:
    fcm.fail_next(404, FCM_UNREGISTERED)

    result = await PushChannel(fcm_settings).send(message("token-old"))

    assert not result.ok
    assert not result.retryable
    assert result.error == "HTTP 404: UNREGISTERED: Requested entity was not found."


async def test_in_app_writes_a_notification_row(db_session: AsyncSession, make: Make) -> None:
    owner = await make.owner()
    outgoing = OutgoingMessage(
        user_id=owner.id,
        to=(str(owner.id),),
        subject="Reminder for Rex",
        text="Rex is due for Rabies.",
        action_url="https://app.example/pets",
        data={"reminder_ids": "r1"},
    )

    result = await InAppChannel(db_session).send(outgoing)

    assert result.ok
    assert result.provider_message_id is not None
    notification = await db_session.get_one(Notification, uuid.UUID(result.provider_message_id))
    assert notification.user_id == owner.id
    assert notification.category is NotificationCategory.REMINDER
    assert (notification.title, notification.body) == ("Reminder for Rex", "Rex is due for Rabies.")
    assert notification.data == {"reminder_ids": "r1"}
    assert notification.read_at is None


async def test_email_messages_share_one_connection(
    smtp: SmtpSink, smtp_settings: SmtpSettings
) -> None:
    channel = EmailChannel(smtp_settings)

    results = [await channel.send(message(f"owner{n}@example.com")) for n in range(3)]

    assert all(result.ok for result in results)
    assert [mail.recipients for mail in smtp.mails] == [[f"owner{n}@example.com"] for n in range(3)]
    assert smtp.connections == 1
    # Each message is its own transaction on that connection: distinct ids, one To each.
    assert len({mail.message["Message-ID"] for mail in smtp.mails}) == 3
    await channel.aclose()


async def test_a_refusal_keeps_the_connection_for_the_next_message(
    smtp: SmtpSink, smtp_settings: SmtpSettings
) -> None:
    channel = EmailChannel(smtp_settings)
    smtp.fail_next("550 5.1.1 No such user")

    refused = await channel.send(message("nobody@example.com"))
    accepted = await channel.send(message("dana@example.com"))

    assert not refused.ok
    assert accepted.ok, accepted.error
    assert [mail.recipients for mail in smtp.mails] == [["dana@example.com"]]
    assert smtp.connections == 1
    await channel.aclose()


async def test_email_reconnects_once_after_the_server_closed_the_connection(
    smtp: SmtpSink, smtp_settings: SmtpSettings
) -> None:
    channel = EmailChannel(smtp_settings)
    assert (await channel.send(message("first@example.com"))).ok
    smtp.hang_up()  # e.g. the relay's idle timeout, unnoticed by the client until it writes

    result = await channel.send(message("second@example.com"))

    assert result.ok, result.error
    # The message was refused by no one: it went once, on a fresh connection.
    assert [mail.recipients for mail in smtp.mails] == [
        ["first@example.com"],
        ["second@example.com"],
    ]
    assert smtp.connections == 2
    assert (await channel.send(message("third@example.com"))).ok
    assert smtp.connections == 2
    await channel.aclose()


async def test_a_connection_idle_too_long_is_replaced_before_use(
    smtp: SmtpSink, smtp_settings: SmtpSettings
) -> None:
    channel = EmailChannel(smtp_settings, max_idle=0.05)
    assert (await channel.send(message("first@example.com"))).ok
    await asyncio.sleep(0.1)

    assert (await channel.send(message("second@example.com"))).ok

    assert smtp.connections == 2
    assert len(smtp.mails) == 2
    await channel.aclose()


async def test_a_lost_answer_after_data_is_never_resent_in_place(
    smtp: SmtpSink, smtp_settings: SmtpSettings
) -> None:
    channel = EmailChannel(smtp_settings)
    smtp.hang_up_after_data = True

    result = await channel.send(message("dana@example.com"))

    # The relay may have the message (here it does): no second copy, a retryable failure for
    # the dispatcher to record, and the next message goes on a new connection.
    assert not result.ok
    assert result.retryable
    assert len(smtp.to("dana@example.com")) == 1
    assert (await channel.send(message("erin@example.com"))).ok
    assert len(smtp.mails) == 2
    assert smtp.connections == 2
    await channel.aclose()


async def test_aclose_says_quit_and_the_next_message_reconnects(
    smtp: SmtpSink, smtp_settings: SmtpSettings
) -> None:
    channel = EmailChannel(smtp_settings)
    assert (await channel.send(message("first@example.com"))).ok

    await channel.aclose()
    await channel.aclose()  # closing twice is harmless
    assert (await channel.send(message("second@example.com"))).ok

    assert smtp.connections == 2
    await channel.aclose()


async def test_concurrent_sends_on_one_loop_take_turns_on_the_connection(
    smtp: SmtpSink, smtp_settings: SmtpSettings
) -> None:
    channel = EmailChannel(smtp_settings)

    results = await asyncio.gather(
        *(channel.send(message(f"owner{n}@example.com")) for n in range(5))
    )

    assert all(result.ok for result in results)
    assert sorted(r for mail in smtp.mails for r in mail.recipients) == [
        f"owner{n}@example.com" for n in range(5)
    ]
    assert smtp.connections == 1
    await channel.aclose()


async def test_a_non_ascii_subject_and_body_arrive_intact(
    smtp: SmtpSink, smtp_settings: SmtpSettings
) -> None:
    subject = "Recordatorio para Ñandú: vacuna antirrábica anual, " + "larga " * 12
    outgoing = OutgoingMessage(
        user_id=uuid.uuid4(),
        to=("duena@example.com",),
        subject=subject,
        text="Hola, Ñandú necesita su vacuna.\n" + "x" * 1200,
        html="<p>Ñandú</p>",
    )

    result = await EmailChannel(smtp_settings).send(outgoing)

    assert result.ok, result.error
    [mail] = smtp.mails
    assert mail.message["Subject"] == subject
    # (SMTP carries lines as CRLF; quoted-printable keeps the 1,200-character line intact.)
    assert mail.part("text/plain").replace("\r\n", "\n") == outgoing.text
    assert mail.part("text/html") == "<p>Ñandú</p>"
