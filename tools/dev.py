#!/usr/bin/env python3
"""The two commands of the README, for a machine that has nothing but Python 3.11+.

    python3 tools/dev.py up      start the development stack: embedded servers (unless URLs are
                                 set), migrations, demo data, dev tokens, the API, the worker,
                                 beat and the outbox relay (Ctrl-C stops them all)
    python3 tools/dev.py test    run every check CI runs (all nox default sessions)
    python3 tools/dev.py down    stop the embedded servers

It finds ``uv`` on PATH, or installs it once into ``.tools/`` (a private virtualenv, so the
system Python is never modified), then hands over to uv. Only the standard library is used here.
"""

from __future__ import annotations

import argparse
import os
import shutil
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
    jobs = subprocess.Popen([str(bindir / "vet-clinic-jobs"), "stack"], cwd=ROOT)
    try:
        run(str(bindir / "vet-clinic-api"), "dev", *options.args)
    except KeyboardInterrupt:
        print("\nStopped. The embedded servers keep running: python3 tools/dev.py down stops them.")
    finally:
        jobs.terminate()
        try:
            jobs.wait(timeout=30)
        except subprocess.TimeoutExpired:
            jobs.kill()


if __name__ == "__main__":
    main()
