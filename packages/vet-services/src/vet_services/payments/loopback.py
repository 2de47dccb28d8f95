"""A Stripe-compatible server on loopback (PyPI ``localstripe``), for tests and development.

localstripe listens on every interface by default and keeps a snapshot in ``/tmp``; this starts
its app on 127.0.0.1 only, on a port the OS picks, with no snapshot, in a child process.
``localstripe`` must be installed (it is in the test dependency groups, not a runtime need).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

_SERVER = """
import asyncio
from aiohttp import web
from localstripe.resources import store
from localstripe.server import app

store.dump_to_disk = lambda: None

async def main():
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    print(f"listening {host} {port}", flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


@contextmanager
def localstripe_server() -> Iterator[str]:
    """Run localstripe on loopback while the block runs; yields its base address."""
    process = subprocess.Popen(
        [sys.executable, "-c", _SERVER],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("listening"):
            raise RuntimeError(f"localstripe did not start: {line!r}")
        _, host, port = line.split()
        yield f"http://{host}:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
