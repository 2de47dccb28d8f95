"""What the task tests check in a worker's log and in the loopback inbox."""

from __future__ import annotations

from typing import Any

from support import SmtpInbox, wait_for


def runs(worker: Any, name: str, task_id: str) -> int:
    """How many times the worker finished ``name[task_id]`` (its log line per success)."""
    return int(worker.output().count(f"Task {name}[{task_id}] succeeded"))


def send_twice(client_app: Any, worker: Any, name: str, task_id: str, **kwargs: Any) -> None:
    """Publish the same message twice (as a redelivery does) and wait for both runs."""
    for _ in range(2):
        client_app.send_task(name, kwargs=kwargs, task_id=task_id)
    wait_for(lambda: runs(worker, name, task_id) == 2, 60, f"{name} to run twice")


def mails_to(inbox: SmtpInbox, address: str) -> list[Any]:
    with inbox.lock:
        return [m for m in inbox.messages if str(m["To"]) == address]


def body_of(message: Any) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return str(part.get_payload(decode=True).decode())
    return ""
