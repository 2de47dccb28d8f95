"""``vet-clinic-jobs worker|beat|flower|relay|stack``.

Every command works on a bare machine: without ``DATABASE_URL`` / ``REDIS_URL`` the embedded
PostgreSQL and Redis are started (and left running for the next command). ``stack`` runs the
worker, beat and the relay as child processes of one process group: Ctrl-C in the terminal
reaches all of them, and the stack stops everything when any one of them exits.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from vet_clinic_jobs.routing import QUEUES

STACK_SERVICES = ("worker", "beat", "relay")


def _celery(argv: Sequence[str]) -> int:
    from vet_clinic_jobs.celery_app import app

    app.start(list(argv))
    return 0


def worker(extra: Sequence[str]) -> int:
    """A worker on every queue (``-Q`` in ``extra`` narrows it), one task per process at a time."""
    argv = ["worker", "--loglevel=INFO"]
    if not any(arg == "-Q" or arg.startswith(("-Q", "--queues")) for arg in extra):
        argv.append(f"--queues={','.join(QUEUES)}")
    return _celery([*argv, *extra])


def beat_state_file() -> Path:
    """Where beat keeps its last-run times: beside the embedded servers' data."""
    from vet_core.embedded import embedded_root

    root = embedded_root()
    root.mkdir(parents=True, exist_ok=True)
    return root / "celerybeat-schedule"


def beat(extra: Sequence[str]) -> int:
    return _celery(["beat", "--loglevel=INFO", f"--schedule={beat_state_file()}", *extra])


def flower(extra: Sequence[str]) -> int:
    """Flower with basic auth, on loopback unless ``JOBS_FLOWER_ADDRESS`` says otherwise."""
    from vet_clinic_jobs.settings import get_settings

    settings = get_settings()
    if settings.flower_password is None or not settings.flower_password.get_secret_value():
        print(
            "vet-clinic-jobs flower: set JOBS_FLOWER_PASSWORD (and JOBS_FLOWER_USER, default"
            " 'admin'); Flower never starts without authentication",
            file=sys.stderr,
        )
        return 2
    credentials = f"{settings.flower_user}:{settings.flower_password.get_secret_value()}"
    return _celery(
        [
            "flower",
            f"--address={settings.flower_address}",
            f"--port={settings.flower_port}",
            f"--basic-auth={credentials}",
            *extra,
        ]
    )


def relay(extra: Sequence[str]) -> int:
    from vet_clinic_jobs.relay import main as relay_main

    relay_main()
    return 0


def _resolved_environment() -> dict[str, str]:
    """The environment for the children, with the server URLs resolved once, here."""
    from vet_clinic_jobs.db import platform_database_url
    from vet_clinic_jobs.settings import platform_redis_url

    return {
        **os.environ,
        "DATABASE_URL": platform_database_url(),
        "REDIS_URL": platform_redis_url(),
    }


def stack(extra: Sequence[str]) -> int:
    """Worker, beat and relay together; returns when any stops or on Ctrl-C / SIGTERM."""
    environment = _resolved_environment()
    children = {
        name: subprocess.Popen([sys.executable, "-m", "vet_clinic_jobs.cli", name], env=environment)
        for name in STACK_SERVICES
    }
    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping and all(child.poll() is None for child in children.values()):
            time.sleep(0.2)
    finally:
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 30
        for child in children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
    failed = [name for name, child in children.items() if child.returncode not in (0, -15)]
    return 1 if failed and not stopping else 0


def apply_clock_offset() -> None:
    """Run this process's clock ``JOBS_CLOCK_OFFSET_SECONDS`` ahead (tests and demos only)."""
    from vet_clinic_jobs.settings import get_settings
    from vet_core.utils.time import set_clock_offset

    offset = get_settings().clock_offset_seconds
    if offset:
        set_clock_offset(timedelta(seconds=offset))
        logging.getLogger(__name__).warning(
            "the jobs' clock runs %s ahead of real time (JOBS_CLOCK_OFFSET_SECONDS)",
            timedelta(seconds=offset),
        )


COMMANDS = {"worker": worker, "beat": beat, "flower": flower, "relay": relay, "stack": stack}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="vet-clinic-jobs", description="Background jobs of the vet clinic platform"
    )
    parser.add_argument("command", choices=sorted(COMMANDS))
    parser.add_argument("extra", nargs=argparse.REMAINDER, help="passed on to Celery")
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    apply_clock_offset()
    return COMMANDS[arguments.command](arguments.extra)


if __name__ == "__main__":
    sys.exit(main())
