"""Real servers on 127.0.0.1 that speak each provider's protocol, for end-to-end channel tests.

* :class:`SmtpSink`: an aiosmtpd SMTP server (its own thread and loop) keeping every message; it
  counts the connections it accepted and can hang up on its clients, or take a message and
  hang up before answering it.
* :class:`ProviderServer`: a stdlib HTTP server that records requests and answers like Twilio
  or FCM; it can be told to fail the next requests with a given status and JSON body.

Nothing here imports our code: the channels are exercised exactly as against the providers.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ReceivedMail:
    sender: str
    recipients: list[str]
    message: EmailMessage

    def part(self, content_type: str) -> str:
        """The decoded body of the ``text/plain`` or ``text/html`` part."""
        for part in self.message.walk():
            if part.get_content_type() == content_type:
                return str(part.get_content())
        raise AssertionError(f"no {content_type} part")


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.sink.delay:
            await asyncio.sleep(self.sink.delay)
        with self.sink.lock:
            if self.sink.failures:
                return self.sink.failures.pop(0)
            content = envelope.content if isinstance(envelope.content, bytes) else b""
            parsed = message_from_bytes(content, policy=policy.default)
            assert isinstance(parsed, EmailMessage)
            self.sink.mails.append(
                ReceivedMail(str(envelope.mail_from), list(envelope.rcpt_tos), parsed)
            )
            hang_up = self.sink.hang_up_after_data
            self.sink.hang_up_after_data = False
        if hang_up and server.transport is not None:
            # The message is kept, but its "250" never reaches the client.
            server.transport.close()
        return "250 Message accepted for delivery"


class _Controller(Controller):
    """Remembers every server session it creates, so the sink can hang up on its clients."""

    def __init__(self, sink: SmtpSink, handler: _Handler, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.sink = sink

    def factory(self) -> SMTP:
        server = super().factory()
        with self.sink.lock:
            self.sink.sessions.append(server)
        return server


class SmtpSink:
    """An SMTP server collecting what it receives; ``fail_next("451 …")`` refuses a message."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.mails: list[ReceivedMail] = []
        self.failures: list[str] = []
        #: Seconds to think before accepting a message (a slow relay, to widen race windows).
        self.delay = 0.0
        #: Keep the next message, then close the connection instead of answering "250".
        self.hang_up_after_data = False
        #: Every SMTP session (client connection) the server accepted.
        self.sessions: list[SMTP] = []
        self.port = free_port()
        self.controller = _Controller(self, _Handler(self), hostname="127.0.0.1", port=self.port)

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    def reset(self) -> None:
        with self.lock:
            self.mails.clear()
            self.failures.clear()
            self.delay = 0.0
            self.hang_up_after_data = False
            self.sessions.clear()

    @property
    def connections(self) -> int:
        """How many client connections the server accepted since the last reset."""
        with self.lock:
            return len(self.sessions)

    def hang_up(self) -> None:
        """Close every open client connection from the server's side (as an idle timeout does)."""
        with self.lock:
            transports = [s.transport for s in self.sessions if s.transport is not None]
        done = threading.Event()

        def close_all() -> None:
            for transport in transports:
                transport.close()
            done.set()

        self.controller.loop.call_soon_threadsafe(close_all)
        assert done.wait(5)

    def fail_next(self, *replies: str) -> None:
        with self.lock:
            self.failures.extend(replies)

    def to(self, address: str) -> list[ReceivedMail]:
        return [mail for mail in self.mails if address in mail.recipients]


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def basic_auth(self) -> tuple[str, str]:
        scheme, _, value = self.headers.get("Authorization", "").partition(" ")
        assert scheme == "Basic"
        user, _, password = base64.b64decode(value).decode().partition(":")
        return user, password


Responder = Callable[[RecordedRequest], tuple[int, dict[str, Any]]]


@dataclass
class ProviderServer:
    """An HTTP server on loopback recording requests and answering through ``respond``."""

    respond: Responder
    requests: list[RecordedRequest] = field(default_factory=list)
    failures: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                request = RecordedRequest(
                    "POST", self.path, dict(self.headers.items()), self.rfile.read(length)
                )
                with server.lock:
                    server.requests.append(request)
                    status, body = (
                        server.failures.pop(0) if server.failures else server.respond(request)
                    )
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.failures.clear()

    def fail_next(self, status: int, body: dict[str, Any], times: int = 1) -> None:
        with self.lock:
            self.failures.extend([(status, body)] * times)


_ids = itertools.count(1)


def twilio_responder(request: RecordedRequest) -> tuple[int, dict[str, Any]]:
    """Twilio's 201 answer to a Messages.json POST."""
    form = request.form
    sid = f"SM{next(_ids):032x}"
    return 201, {
        "sid": sid,
        "status": "queued",
        "to": form.get("To"),
        "from": form.get("From"),
        "body": form.get("Body"),
    }


def fcm_responder(request: RecordedRequest) -> tuple[int, dict[str, Any]]:
    """FCM v1's answer: the message's resource name."""
    project = request.path.split("/")[3]
    return 200, {"name": f"projects/{project}/messages/{next(_ids)}"}


TWILIO_INVALID_NUMBER = {
    "code": 21211,
    "message": "The 'To' number +15550000000 is not a valid phone number.",
    "more_info": "https://www.twilio.com/docs/errors/21211",
    "status": 400,
}
TWILIO_UNAVAILABLE = {
    "code": 20503,
    "message": "Service unavailable",
    "more_info": "https://www.twilio.com/docs/errors/20503",
    "status": 503,
}
FCM_UNREGISTERED = {
    "error": {
        "code": 404,
        "message": "Requested entity was not found.",
        "status": "NOT_FOUND",
        "details": [
            {
                "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                "errorCode": "UNREGISTERED",
            }
        ],
    }
}
