"""E-mail over SMTP: one multipart message with a plain-text and an HTML alternative.

aiosmtplib keeps the event loop free while the relay answers. The Message-ID is generated here
and recorded as the provider id, so a bounce or a complaint can be traced back to the delivery.

A channel keeps **one open SMTP connection per event loop** and sends every message of that loop
through it (one ``MAIL``/``RCPT``/``DATA`` transaction after another, never interleaved), instead
of connecting, greeting, authenticating and quitting for each message. A connection that has
been idle for ``max_idle`` seconds is replaced before use (relays drop idle clients), and one the
relay has closed is noticed on the next message:

* a failure *before* the message body was handed over (the relay hung up or timed out while we
  gave the sender or the recipients, or answered ``421`` "closing channel") means the message was
  certainly not accepted: when it happened on a reused connection, the message is sent once more
  on a fresh one;
* a failure *after* the body was handed over is ambiguous (the relay may have queued the message
  and lost only its answer): it is never repeated here, but reported as a retryable failure for
  the dispatcher to record, exactly as before.

Either way the broken connection is dropped and the next message opens a new one.
:meth:`EmailChannel.aclose` closes the current loop's connection with ``QUIT``; a worker calls it
before its event loop closes.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import time
import weakref
from dataclasses import dataclass, field
from email.charset import QP, Charset
from email.generator import BytesGenerator
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.mime.text import MIMEText
from email.policy import Compat32
from email.utils import formataddr, make_msgid
from typing import Any

import aiosmtplib

from vet_core.models.enums import NotificationChannel
from vet_services.notifications.channels.base import DeliveryResult, OutgoingMessage
from vet_services.notifications.settings import SmtpSettings

PROVIDER = "smtp"
_LINE_ENDING = re.compile(rb"\r\n|\r|\n")
#: Seconds after which an unused connection is not trusted any more (relays drop idle clients).
DEFAULT_MAX_IDLE = 30.0
#: "Service not available, closing transmission channel".
_CLOSING = 421


#: Bodies that are not plain short-lined ASCII go as UTF-8, quoted-printable (readable, and
#: never a line over SMTP's limit).
_UTF8 = Charset("utf-8")
_UTF8.body_encoding = QP
#: Longest line a body may keep as 7-bit ASCII (SMTP allows 998 octets per line).
_MAX_PLAIN_LINE = 900


def _part(body: str, subtype: str) -> Message:
    if body.isascii() and all(len(line) <= _MAX_PLAIN_LINE for line in body.splitlines()):
        return MIMEText(body, subtype, "us-ascii")
    part = MIMENonMultipart("text", subtype)
    part.set_payload(body, _UTF8)
    return part


def _header(name: str, value: str) -> str:
    """``value``, as RFC 2047 encoded words (folded after ``name: ``) when it is not ASCII."""
    return value if value.isascii() else Header(value, "utf-8", header_name=name).encode()


def build_email(message: OutgoingMessage, settings: SmtpSettings) -> Message:
    """The MIME message: text/plain first, text/html as the preferred alternative.

    Built with the classic ``email.mime`` classes (the ``compat32`` policy), which produce the
    same structure as ``EmailMessage`` several times faster: a reminder pass builds thousands.
    """
    email: Message = _part(message.text, "plain")
    if message.html is not None:
        alternative = MIMEMultipart("alternative")
        alternative.attach(email)
        alternative.attach(_part(message.html, "html"))
        email = alternative
    email["From"] = formataddr((settings.from_name, settings.from_address), charset="utf-8")
    email["To"] = _header("To", message.to[0])
    email["Subject"] = _header("Subject", message.subject)
    domain = settings.from_address.rpartition("@")[2] or None
    email["Message-ID"] = make_msgid(domain=domain)
    if message.dedup_key:
        # Lets support staff find the delivery row from a forwarded e-mail.
        email["X-Vet-Delivery"] = message.dedup_key
    return email


class _Policy(Compat32):
    """``compat32``, writing a short single-line ASCII header as it is instead of through
    :class:`~email.header.Header` (which would return it unchanged, only much more slowly)."""

    def _fold(self, name: str, value: Any, sanitize: bool) -> str:
        if (
            isinstance(value, str)
            and value.isascii()
            and value.isprintable()
            and len(name) + len(value) + 2 <= (self.max_line_length or 78)
        ):
            return f"{name}: {value}{self.linesep}"
        return str(super()._fold(name, value, sanitize))  # type: ignore[misc]


_POLICY = _Policy()


def _crlf(data: bytes) -> bytes:
    """``data`` with CRLF line endings, as it goes on the wire (what ``SIZE=`` must count)."""
    return _LINE_ENDING.sub(b"\r\n", data)


def _flatten(email: Message) -> bytes:
    with io.BytesIO() as out:
        BytesGenerator(out, policy=_POLICY).flatten(email)
        return out.getvalue()


class _NotAccepted(Exception):
    """The transaction failed before the message body was handed over: safe to send again."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


@dataclass(frozen=True, slots=True)
class _Envelope:
    sender: str
    recipients: list[str]
    options: list[str]
    encoding: str
    data: bytes


@dataclass
class _Connection:
    """The connection of one event loop, and the lock that keeps its transactions in turn."""

    pid: int
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    client: aiosmtplib.SMTP | None = None
    last_used: float = 0.0


class EmailChannel:
    """Sends through the SMTP relay of :class:`SmtpSettings`, over one connection per loop."""

    def __init__(self, settings: SmtpSettings, *, max_idle: float = DEFAULT_MAX_IDLE) -> None:
        self.settings = settings
        self.max_idle = max_idle
        self._connections: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Connection] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def channel(self) -> NotificationChannel:
        return NotificationChannel.EMAIL

    @property
    def provider(self) -> str:
        return PROVIDER

    def _state(self) -> _Connection:
        """This loop's connection state (a fresh one in a forked child: never share a socket)."""
        loop = asyncio.get_running_loop()
        state = self._connections.get(loop)
        if state is None or state.pid != os.getpid():
            state = self._connections[loop] = _Connection(os.getpid())
        return state

    async def _open(self) -> aiosmtplib.SMTP:
        password = self.settings.password.get_secret_value() if self.settings.password else None
        client = aiosmtplib.SMTP(
            hostname=self.settings.host,
            port=self.settings.port,
            username=self.settings.username,
            password=password,
            use_tls=self.settings.use_tls,
            start_tls=self.settings.start_tls,
            timeout=self.settings.timeout,
        )
        await client.connect()
        await client.ehlo()
        return client

    @staticmethod
    def _discard(state: _Connection) -> None:
        if state.client is not None:
            state.client.close()
            state.client = None

    async def send(self, message: OutgoingMessage) -> DeliveryResult:
        if not message.to:
            return DeliveryResult.failed(PROVIDER, "no e-mail address", retryable=False)
        email = build_email(message, self.settings)
        state = self._state()
        try:
            async with state.lock:
                await self._send_locked(state, self.settings.from_address, [message.to[0]], email)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refusals = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
            return DeliveryResult.failed(
                PROVIDER, f"recipient refused: {refusals}", retryable=False
            )
        except aiosmtplib.SMTPResponseException as exc:
            # 4xx is "try again later" in SMTP; 5xx is final.
            return DeliveryResult.failed(
                PROVIDER, f"{exc.code} {exc.message}", retryable=exc.code < 500, code=exc.code
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            # Connection refused, timeout, disconnect: the relay may be back soon.
            return DeliveryResult.failed(PROVIDER, f"{type(exc).__name__}: {exc}", retryable=True)
        return DeliveryResult.sent(PROVIDER, str(email["Message-ID"]))

    async def _send_locked(
        self, state: _Connection, sender: str, recipients: list[str], email: Message
    ) -> None:
        """One transaction; once more on a fresh connection if a reused one failed before DATA."""
        client = state.client
        if client is not None and (
            not client.is_connected or time.monotonic() - state.last_used > self.max_idle
        ):
            self._discard(state)
            client = None
        try:
            try:
                if client is None:
                    client = state.client = await self._open()
                    reused = False
                else:
                    reused = True
                await self._transaction(client, sender, recipients, email)
            except _NotAccepted as failure:
                self._discard(state)
                if not reused:
                    raise failure.cause from None
                # The relay dropped the connection we kept: the message never reached it.
                client = state.client = await self._open()
                try:
                    await self._transaction(client, sender, recipients, email)
                except _NotAccepted as again:
                    raise again.cause from None
        except (aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPResponseException) as exc:
            # A refusal leaves a usable connection (the envelope was reset), unless the relay
            # said it is closing it.
            code = getattr(exc, "code", None)
            if code == _CLOSING or state.client is None or not state.client.is_connected:
                self._discard(state)
            raise
        except BaseException:
            self._discard(state)
            raise
        finally:
            state.last_used = time.monotonic()

    @staticmethod
    def _envelope(
        client: aiosmtplib.SMTP, sender: str, recipients: list[str], email: Message
    ) -> _Envelope:
        """Options and bytes of ``email`` for this relay, as ``send_message`` would make them."""
        utf8 = not (sender + "".join(recipients)).isascii()
        options: list[str] = []
        if utf8:
            if not client.supports_extension("smtputf8"):
                raise aiosmtplib.SMTPNotSupported("SMTPUTF8 is not supported by this server")
            options.append("SMTPUTF8")
        if client.supports_extension("8BITMIME"):
            options.append("BODY=8BITMIME")
        data = _flatten(email)
        if client.supports_extension("size"):
            options.insert(0, f"SIZE={len(_crlf(data))}")
        return _Envelope(sender, recipients, options, "utf-8" if utf8 else "ascii", data)

    async def _transaction(
        self, client: aiosmtplib.SMTP, sender: str, recipients: list[str], email: Message
    ) -> None:
        """``MAIL``, ``RCPT``, ``DATA``; raises :class:`_NotAccepted` when DATA was not reached.

        A refusal by the relay (``SMTPResponseException`` other than 421) resets the envelope
        and keeps the connection; a broken connection raises for the caller to drop it.
        """
        envelope = self._envelope(client, sender, recipients, email)
        options, encoding, data = envelope.options, envelope.encoding, envelope.data
        try:
            await client.mail(sender, options=options, encoding=encoding)
            refused: list[aiosmtplib.SMTPRecipientRefused] = []
            for recipient in recipients:
                try:
                    await client.rcpt(recipient, encoding=encoding)
                except aiosmtplib.SMTPRecipientRefused as exc:
                    refused.append(exc)
            if len(refused) == len(recipients):
                raise aiosmtplib.SMTPRecipientsRefused(refused)
        except aiosmtplib.SMTPResponseException as exc:
            if exc.code == _CLOSING:
                raise _NotAccepted(exc) from exc
            await self._reset(client)
            raise
        except aiosmtplib.SMTPRecipientsRefused:
            await self._reset(client)
            raise
        except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, OSError) as exc:
            raise _NotAccepted(exc) from exc
        # From here on the relay may have the message: nothing is repeated.
        try:
            await client.data(data)
        except aiosmtplib.SMTPResponseException as exc:
            if exc.code == _CLOSING:
                raise
            await self._reset(client)
            raise

    @staticmethod
    async def _reset(client: aiosmtplib.SMTP) -> None:
        """Clear the envelope after a refusal so the connection can carry the next message."""
        try:
            await client.rset()
        except (aiosmtplib.SMTPException, OSError):
            client.close()

    async def aclose(self) -> None:
        """Say ``QUIT`` on the current event loop's connection, if one is open."""
        state = self._connections.pop(asyncio.get_running_loop(), None)
        if state is None or state.client is None or state.pid != os.getpid():
            return
        async with state.lock:
            client, state.client = state.client, None
            if client is None:
                return
            try:
                if client.is_connected:
                    await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                pass
            finally:
                client.close()


__all__ = ["EmailChannel", "build_email"]
