#!/usr/bin/env python3
"""The two commands of the README, for a machine that has nothing but Python 3.11+.

    python3 tools/dev.py up      start the development stack: embedded servers (unless URLs are
                                 set), migrations, demo data, dev tokens, the API, the worker,
                                 beat, the outbox relay and a loopback SMTP server filing mail
                                 in .vet/mail (unless SMTP_HOST is set); Ctrl-C stops them all
    python3 tools/dev.py test    run every check CI runs (all nox default sessions)
    python3 tools/dev.py down    stop the embedded servers

It finds ``uv`` on PATH, or installs it once into ``.tools/`` (a private virtualenv, so the
system Python is never modified), then hands over to uv. Only the standard library is used here.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / ".tools"
UV_REQUIREMENT = "uv>=0.9,<1"

if sys.version_info < (3, 11):  # noqa: UP036 - this file must explain itself on an old Python
    sys.exit(f"Python 3.11 or newer is required (this is {sys.version.split()[0]})")


def find_uv() -> str:
    """uv from PATH, or from the private tools virtualenv (installed there on first use)."""
    on_path = shutil.which("uv")
    if on_path:
        return on_path
    bindir = TOOLS / ("Scripts" if os.name == "nt" else "bin")
    uv = bindir / ("uv.exe" if os.name == "nt" else "uv")
    if not uv.exists():
        print(f"uv not found: installing {UV_REQUIREMENT} into {TOOLS}", file=sys.stderr)
        venv.create(TOOLS, with_pip=True, clear=True)
        subprocess.run(
            [str(bindir / "python"), "-m", "pip", "install", "--quiet", UV_REQUIREMENT],
            check=True,
        )
    return str(uv)


def run(*command: str) -> None:
    """Run a command in the repository root; stop with its exit code if it fails."""
    result = subprocess.run(command, cwd=ROOT, check=False)
    if result.returncode != 0:
        sys.exit(result.returncode)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def mail_catcher(python: Path) -> subprocess.Popen[bytes] | None:
    """Without ``SMTP_HOST``, e-mail goes to an SMTP server on loopback that files each message.

    The messages (booking confirmations, reminders, digests, export links) land in a Maildir
    beside the embedded servers' data, one file per message in ``new/``.
    """
    if os.environ.get("SMTP_HOST"):
        print("smtp: using SMTP_HOST")
        return None
    maildir = Path(os.environ.get("VET_EMBEDDED_DIR") or ROOT / ".vet") / "mail"
    port = free_port()
    handler = ["-c", "aiosmtpd.handlers.Mailbox", str(maildir)]
    catcher = subprocess.Popen(
        [str(python), "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", *handler], cwd=ROOT
    )
    os.environ.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(port), SMTP_START_TLS="false")
    print(f"smtp: e-mail is caught in {maildir}/new (one file per message)")
    return catcher


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["up", "test", "down"])
    parser.add_argument("args", nargs=argparse.REMAINDER, help="passed on (to nox for `test`)")
    options = parser.parse_args()

    uv = find_uv()
    # Never download an interpreter: use the Python this script runs on.
    os.environ["UV_PYTHON_DOWNLOADS"] = "never"
    os.environ["UV_PYTHON"] = sys.executable
    os.environ["PATH"] = os.pathsep.join([str(Path(uv).parent), os.environ.get("PATH", "")])

    if options.command == "test":
        run(uv, "run", "--frozen", "--only-group", "nox", "nox", *options.args)
        return

    # --inexact: keep whatever else the environment holds (test and lint tools).
    run(uv, "sync", "--frozen", "--all-packages", "--inexact")
    vet_core = str(ROOT / ".venv" / ("Scripts" if os.name == "nt" else "bin") / "vet-core")
    if options.command == "down":
        run(vet_core, "embedded", "stop")
        return
    for server, variable in (("postgres", "DATABASE_URL"), ("redis", "REDIS_URL")):
        if os.environ.get(variable):
            print(f"{server}: using {variable}")
        else:
            run(vet_core, "embedded", "start", "--only", server)
    run(vet_core, "db", "upgrade")
    bindir = Path(vet_core).parent
    # The worker, beat and the outbox relay run beside the API, in this process group:
    # Ctrl-C reaches all of them, and leaving the API stops them too.
    catcher = mail_catcher(bindir / "python")
    jobs = subprocess.Popen([str(bindir / "vet-clinic-jobs"), "stack"], cwd=ROOT)
    try:
        run(str(bindir / "vet-clinic-api"), "dev", *options.args)
    except KeyboardInterrupt:
        print("\nStopped. The embedded servers keep running: python3 tools/dev.py down stops them.")
    finally:
        for child in (jobs, catcher):
            if child is None:
                continue
            child.terminate()
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()


if __name__ == "__main__":
    main()
