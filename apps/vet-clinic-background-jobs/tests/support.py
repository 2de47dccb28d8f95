"""Real processes and servers for the tests: Celery workers, the relay, a loopback SMTP server."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from vet_clinic_jobs.routing import QUEUES

TESTS_DIR = Path(__file__).parent


def wait_for(condition: Callable[[], bool], timeout: float, what: str, every: float = 0.1) -> None:
    """Poll ``condition`` until it holds; fail the test with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


async def eventually(
    condition: Callable[[], Awaitable[bool]], seconds: float, what: str, every: float = 0.1
) -> None:
    """:func:`wait_for` for conditions that query the database on the test's event loop."""
    timeout = seconds
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await condition():
            return
        await asyncio.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@dataclass
class SmtpInbox:
    """What a loopback SMTP server received; ``gate`` cleared holds every sender at RCPT TO."""

    messages: list[Message] = field(default_factory=list)
    gate: threading.Event = field(default_factory=threading.Event)
    waiting: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if not self.gate.is_set():
            self.waiting.set()
            await asyncio.get_running_loop().run_in_executor(None, self.gate.wait)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content
        assert isinstance(content, bytes)
        with self.lock:
            self.messages.append(message_from_bytes(content))
        return "250 Message accepted"

    def count(self) -> int:
        with self.lock:
            return len(self.messages)

    def recipients(self) -> list[str]:
        with self.lock:
            return [str(m["To"]) for m in self.messages]


def start_smtp(inbox: SmtpInbox) -> Controller:
    """Serve ``inbox`` on a free loopback port (recorded in ``inbox.port``)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    inbox.port = port
    return controller


def smtp_environment(inbox: SmtpInbox) -> dict[str, str]:
    """Point the services' e-mail channel at ``inbox``."""
    return {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(inbox.port),
        "SMTP_START_TLS": "false",
        "SMTP_TIMEOUT": "30",
    }


def process_environment(
    database_url: str, redis_url: str, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment of a worker or relay under test: its own database and Redis."""
    environment = dict(os.environ)
    environment.update(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(TESTS_DIR), environment.get("PYTHONPATH", "")) if p
            ),
            # Redeliver a dead worker's message after 5 s rather than an hour.
            "JOBS_VISIBILITY_TIMEOUT": "5",
            "JOBS_RESTORE_INTERVAL": "1",
            "JOBS_MAX_RETRIES": "2",
            "JOBS_RETRY_BACKOFF_MAX": "1",
            "JOBS_RELAY_POLL_INTERVAL": "0.2",
            "JOBS_RELAY_MAX_BACKOFF": "1",
        }
    )
    environment.update(extra or {})
    return environment


class Process:
    """A child process whose output goes to a log file, stopped (or killed) by the test."""

    def __init__(self, argv: list[str], environment: Mapping[str, str], log: Path) -> None:
        self.log = log
        self._handle = log.open("wb")
        self.popen = subprocess.Popen(
            argv, env=dict(environment), stdout=self._handle, stderr=subprocess.STDOUT
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for_output(self, text: str, timeout: float = 30) -> None:
        def seen() -> bool:
            if self.popen.poll() is not None:
                raise AssertionError(f"process exited early:\n{self.output()[-4000:]}")
            return text in self.output()

        wait_for(seen, timeout, f"{text!r} in {self.log.name}")

    def kill_hard(self) -> None:
        """SIGKILL: no cleanup, no acknowledgement, nothing handed back."""
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=10)
        self._handle.close()

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._handle.close()


def start_worker(environment: Mapping[str, str], log_dir: Path, name: str = "w") -> Process:
    """``celery worker`` (solo pool: one task at a time, in the worker process itself)."""
    argv = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "vet_clinic_jobs.celery_app",
        "worker",
        "--pool=solo",
        "--concurrency=1",
        f"--queues={','.join(QUEUES)}",
        "--include=worker_tasks",
        f"--hostname={name}-{uuid.uuid4().hex[:8]}@localhost",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel=INFO",
    ]
    worker = Process(argv, environment, log_dir / f"{name}.log")
    worker.wait_for_output("ready.", timeout=60)
    return worker


def start_relay(environment: Mapping[str, str], log_dir: Path) -> Process:
    relay = Process(
        [sys.executable, "-m", "vet_clinic_jobs.cli", "relay"],
        environment,
        log_dir / "relay.log",
    )
    relay.wait_for_output("outbox relay started", timeout=60)
    return relay


def result_state(app: Any, task_id: str) -> str:
    return str(app.AsyncResult(task_id).state)
