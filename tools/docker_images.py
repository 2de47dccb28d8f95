"""The Docker images, checked without a Docker engine (used by the noxfile's image sessions).

No Docker engine runs on our machines: the Dockerfiles are linted, and what they build is rebuilt
here the same way (same files from the build context, same uv commands, same environment) into
a virtualenv outside the workspace, whose commands are then run for real against real servers.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nox

ROOT = Path(__file__).resolve().parent.parent
# uv exports its own path to the processes it runs; fall back to PATH.
UV = os.environ.get("UV", "uv")
DOCKER = ROOT / "docker"
IMAGES = {
    "vet-clinic-api": DOCKER / "api.Dockerfile",
    "vet-clinic-background-jobs": DOCKER / "worker.Dockerfile",
}
COMPOSE_SERVICES = {"postgres", "redis", "migrate", "api", "worker", "beat", "relay", "flower"}
# A Redis database of our own on the shared embedded server: development uses 0, tests 1-15.
IMAGES_REDIS_DB = 31


def dockerfile_stages(path: Path) -> dict[str, list[tuple[str, str]]]:
    """Each stage's instructions, ``{stage name: [(INSTRUCTION, arguments)]}``, lines joined."""
    stages: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    logical = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            logical += line[:-1].strip() + " "
            continue
        instruction, _, arguments = (logical + line).partition(" ")
        logical = ""
        if instruction.upper() == "FROM":
            words = arguments.split()
            current = stages.setdefault(words[-1] if len(words) == 3 else words[0], [])
        elif current is not None:
            current.append((instruction.upper(), arguments.strip()))
    return stages


def dockerignore_rules() -> list[tuple[bool, re.Pattern[str]]]:
    """``.dockerignore`` as (sent, pattern) rules; the last rule that matches a path wins."""
    rules = []
    for raw in (ROOT / ".dockerignore").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        sent = line.startswith("!")
        pattern = line.lstrip("!").strip("/")
        regex = re.escape(pattern)
        regex = regex.replace(r"\*\*/", "(?:.*/)?").replace(r"\*\*", ".*").replace(r"\*", "[^/]*")
        regex = regex.replace(r"\?", "[^/]").replace(r"\[", "[").replace(r"\]", "]")
        # A rule on a folder applies to everything inside it.
        rules.append((sent, re.compile(f"{regex}(?:/.*)?$")))
    return rules


def sent_to_builder(path: Path, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Whether ``.dockerignore`` lets ``path`` into the build context."""
    relative = path.relative_to(ROOT).as_posix()
    sent = True
    for include, pattern in rules:
        if pattern.match(relative):
            sent = include
    return sent


def copy_from_context(
    source: Path, target: Path, rules: list[tuple[bool, re.Pattern[str]]]
) -> None:
    """``COPY source target`` as BuildKit does it: a folder's contents, minus what is ignored."""
    files = [source] if source.is_file() else sorted(p for p in source.rglob("*") if p.is_file())
    sent = [path for path in files if sent_to_builder(path, rules)]
    if not sent:
        raise ValueError(f"{source.relative_to(ROOT)} is not in the build context (.dockerignore)")
    for path in sent:
        destination = target if source.is_file() else target / path.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, destination)


def image_python(session: nox.Session) -> str:
    """The images' Python (3.12) when this machine has one that runs, else nox's own."""
    import subprocess

    for candidate in (os.environ.get("IMAGES_PYTHON"), shutil.which("python3.12")):
        if not candidate:
            continue
        probe = subprocess.run([candidate, "-c", ""], check=False, capture_output=True)
        if probe.returncode == 0:  # a pyenv shim exists without the version behind it
            return candidate
    session.warn(f"no working python3.12 (set IMAGES_PYTHON): using {sys.version.split()[0]}")
    return sys.executable


def build_like_dockerfile(session: nox.Session, dockerfile: Path, venv: Path) -> None:
    """Replay the builder stage's COPY and RUN (uv only) with its ENV; the venv goes to ``venv``."""
    import shlex

    workdir = venv.parent / "app"
    rules = dockerignore_rules()
    env = {"UV_PYTHON": image_python(session)}
    for instruction, arguments in dockerfile_stages(dockerfile)["builder"]:
        if instruction == "ENV":
            env.update(pair.split("=", 1) for pair in shlex.split(arguments))
        elif instruction == "COPY" and not arguments.startswith("--from"):
            *sources, target = shlex.split(arguments)
            for source in sources:
                into_folder = target.endswith("/") or len(sources) > 1
                destination = (
                    workdir / target / Path(source).name if into_folder else workdir / target
                )
                copy_from_context(ROOT / source, destination, rules)
        elif instruction == "RUN":
            words = shlex.split(arguments)
            command = [word for word in words if not word.startswith("--mount=")]
            if command[0] != "uv":
                session.error(f"{dockerfile.name}: only uv commands are replayed, not {command}")
            staged = []
            for word in (word for word in words if word.startswith("--mount=")):
                options = dict(o.split("=", 1) for o in word.removeprefix("--mount=").split(","))
                if options["type"] == "bind":
                    target_path = workdir / options["target"]
                    if not target_path.exists():
                        copy_from_context(ROOT / options["source"], target_path, rules)
                        staged.append(target_path)
            session.chdir(workdir)
            session.run(
                UV, *command[1:], env={**env, "UV_PROJECT_ENVIRONMENT": str(venv)}, external=True
            )
            session.chdir(ROOT)
            for path in staged:  # bind mounts leave nothing behind
                path.unlink()
    # The final image holds the virtualenv alone: nothing may point back into the sources.
    shutil.rmtree(workdir)


def runtime_stage(dockerfile: Path) -> dict[str, object]:
    """The final stage's command, health check, environment and user, checked for our rules."""
    import json
    import shlex

    stage = dockerfile_stages(dockerfile)["runtime"]
    copies = [arguments for instruction, arguments in stage if instruction == "COPY"]
    assert copies == ["--from=builder /app/.venv /app/.venv"], f"only the venv is copied: {copies}"
    found = dict(stage)  # the last of each instruction counts, as in Docker
    assert found["USER"].split(":")[0] not in {"root", "0"}, "runs as a non-root user"
    command = json.loads(found["CMD"])
    assert not any("upgrade" in word for word in command), "migrations never run on start"
    env: dict[str, str] = {}
    for instruction, arguments in stage:
        if instruction == "ENV":
            env.update(pair.split("=", 1) for pair in shlex.split(arguments))
    return {
        "command": command,
        "healthcheck": json.loads(found["HEALTHCHECK"].split(" CMD ", 1)[1]),
        "env": {key: value for key, value in env.items() if key != "PATH"},
    }


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def http_status(url: str, auth: tuple[str, str] | None = None) -> int:
    """The HTTP status of a GET of ``url`` (0 when nothing answers)."""
    import base64
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url)  # noqa: S310 - loopback URLs this module builds
    if auth is not None:
        token = base64.b64encode(":".join(auth).encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=3) as response:  # noqa: S310 - as above
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


class Started:
    """A server started from an image's venv, its output in a log file, stopped with SIGTERM."""

    def __init__(self, session: nox.Session, argv: list[str], env: dict[str, str], log: Path):
        import subprocess

        session.log(f"start: {' '.join(argv)}")
        self.session, self.argv, self.log = session, argv, log
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                argv, env=env, cwd=log.parent, stdout=output, stderr=subprocess.STDOUT
            )

    def wait_until(self, ready: Callable[[], bool], what: str, timeout: float = 90) -> None:
        import time

        deadline = time.monotonic() + timeout
        while not ready():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.fail(f"{what}: not within {timeout:.0f} s")
            time.sleep(1)
        self.session.log(f"ok: {what}")

    def alive_after(self, seconds: float) -> None:
        import time

        time.sleep(seconds)
        if self.process.poll() is not None:
            self.fail(f"exited with {self.process.returncode}")
        self.session.log(f"ok: {self.argv[0]} {self.argv[1]} still running after {seconds:.0f} s")

    def stop(self) -> None:
        """SIGTERM, as `docker stop` sends: the process must leave within the grace period."""
        import signal
        import subprocess

        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                self.fail("did not stop within 30 s of SIGTERM")

    def fail(self, reason: str) -> None:
        self.stop()
        tail = self.log.read_text(errors="replace")[-4000:]
        self.session.error(f"{' '.join(self.argv)}: {reason}\n--- log tail ---\n{tail}")


def embedded_servers(session: nox.Session, tmp: Path) -> tuple[str, str, str]:
    """(database URL, Redis URL, server URL): a fresh database and a Redis db of our own."""
    # Whatever the caller's shell says, the session uses the embedded servers.
    for name in ("DATABASE_URL", "REDIS_URL"):
        session.env.pop(name, None)
        os.environ.pop(name, None)
    session.chdir(ROOT)  # the embedded servers live in the workspace's .vet/
    session.run("vet-core", "embedded", "start")
    server = session.run("vet-core", "embedded", "url", "--only", "postgres", silent=True)
    redis = session.run("vet-core", "embedded", "url", "--only", "redis", silent=True)
    assert isinstance(server, str)
    assert isinstance(redis, str)
    # vet_test_<name>_<pid>: the test plugin drops it if this run is killed before dropping it.
    name = f"vet_test_images_{os.getpid()}"
    database = session.run(
        "python",
        "-c",
        "import sys; from vet_core.testing import create_database as c;"
        "print(c(sys.argv[1], sys.argv[2]).render_as_string(hide_password=False))",
        server.strip(),
        name,
        silent=True,
    )
    assert isinstance(database, str)
    redis_url = re.sub(r"db=\d+", f"db={IMAGES_REDIS_DB}", redis.strip())
    (tmp / "database-name").write_text(name)
    return database.strip().splitlines()[-1], redis_url, server.strip()


def throwaway_public_key(python: Path) -> str:
    """A fresh RSA public key PEM: the API needs a Clerk key to start, none will be used."""
    import subprocess

    script = (
        "from cryptography.hazmat.primitives import serialization as s;"
        "from cryptography.hazmat.primitives.asymmetric import rsa;"
        "k = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key();"
        "print(k.public_bytes(s.Encoding.PEM, s.PublicFormat.SubjectPublicKeyInfo).decode())"
    )
    return subprocess.run(
        [str(python), "-c", script], check=True, capture_output=True, text=True
    ).stdout


def compose_file(session: nox.Session) -> dict[str, Any]:
    """docker/compose.yaml, parsed by PyYAML (merge keys resolved) in the session's venv."""
    import json

    dumped = session.run(
        "python",
        "-c",
        "import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)",
        str(DOCKER / "compose.yaml"),
        silent=True,
    )
    assert isinstance(dumped, str)
    return dict(json.loads(dumped))


def check_compose(compose: dict[str, Any], healthchecked_images: set[str]) -> None:
    """What `docker compose config` cannot check here: names, gates, health checks, volumes."""
    services: dict[str, dict[str, Any]] = compose["services"]
    assert set(services) == COMPOSE_SERVICES, sorted(services)
    image_of = {
        name: Path(service["build"]["dockerfile"]).name if "build" in service else service["image"]
        for name, service in services.items()
    }
    assert services["postgres"]["image"].startswith("postgres:18")
    assert services["redis"]["image"].startswith("redis:7")
    assert image_of["migrate"] == image_of["api"] == "api.Dockerfile"
    assert {image_of[name] for name in ("worker", "beat", "relay", "flower")} == {
        "worker.Dockerfile"
    }

    def has_healthcheck(name: str) -> bool:
        check = services[name].get("healthcheck", {})
        if check.get("disable"):
            return False
        return bool(check.get("test")) or image_of[name] in healthchecked_images

    gates = {
        "migrate": {"postgres": "service_healthy"},
        "api": {"migrate": "service_completed_successfully", "redis": "service_healthy"},
        "worker": {"migrate": "service_completed_successfully", "redis": "service_healthy"},
        "beat": {"migrate": "service_completed_successfully", "redis": "service_healthy"},
        "relay": {"migrate": "service_completed_successfully", "redis": "service_healthy"},
        "flower": {"redis": "service_healthy"},
    }
    for name, service in services.items():
        depends = {dep: spec["condition"] for dep, spec in service.get("depends_on", {}).items()}
        for dependency, condition in gates.get(name, {}).items():
            assert depends.get(dependency) == condition, (
                f"{name} waits for {dependency} {condition}"
            )
        for dependency, condition in depends.items():
            if condition == "service_healthy":
                assert has_healthcheck(dependency), f"{name} waits on {dependency}'s health check"
        if name != "migrate":
            assert "upgrade" not in " ".join(service.get("command", [])), f"{name} migrates"
    for name in ("postgres", "redis", "api", "worker", "flower"):
        assert has_healthcheck(name), f"{name} has a health check"
    assert services["migrate"]["command"] == ["vet-core", "db", "upgrade"]
    assert services["migrate"]["restart"] == "no"
    assert services["flower"]["ports"] == ["127.0.0.1:5555:5555"], "Flower on loopback only"
    assert "JOBS_FLOWER_PASSWORD" in services["flower"]["environment"]

    declared = set(compose.get("volumes") or {})
    used = {
        volume.split(":")[0]
        for service in services.values()
        for volume in service.get("volumes", [])
        if not volume.startswith((".", "/", "~"))
    }
    assert used == declared, f"named volumes: used {sorted(used)}, declared {sorted(declared)}"
    assert {"postgres", "redis"} <= {name for name in services if services[name].get("volumes")}, (
        "the servers keep their data in named volumes"
    )


def check_env_example(compose_text: str) -> None:
    """docker/.env.example names every variable compose requires, with placeholders only."""
    example = {}
    for raw in (DOCKER / ".env.example").read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            example[key] = value
    for required in re.findall(r"\$\{(\w+):\?", compose_text):
        assert required in example, f".env.example lacks {required}, which compose requires"
    for key, value in example.items():
        if re.search(r"PASSWORD|SECRET|TOKEN|SIGNING_KEY|API_KEY", key):
            assert not value or "change-me" in value, f".env.example: {key} is not a placeholder"


def image_environment(tmp: Path, venv: Path, stage: dict[str, Any]) -> dict[str, str]:
    """The image's ENV, with its paths moved under ``tmp``, and its venv first on PATH."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("VIRTUAL_ENV", "UV_"))
    }
    for key, value in stage["env"].items():
        env[key] = str(tmp / value.lstrip("/")) if value.startswith("/var/") else value
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def run_in_image(
    session: nox.Session, argv: list[str], env: dict[str, str], *, silent: bool = False
) -> None:
    import shutil as which

    executable = which.which(argv[0], path=env["PATH"])
    assert executable is not None, f"{argv[0]} is on PATH"
    assert "/venv/bin/" in executable, f"{argv[0]} comes from the image's venv"
    session.run(executable, *argv[1:], env=env, external=True, silent=silent)


def check_api(session: nox.Session, tmp: Path, stage: dict[str, Any], env: dict[str, str]) -> None:
    """``CMD`` serves, /health/ready answers 200, the image's HEALTHCHECK passes, SIGTERM stops."""
    import subprocess

    command = list(stage["command"])
    run_in_image(session, [command[0], "--help"], env)
    run_in_image(session, [command[0], command[1], "--help"], env, silent=True)
    port = free_port()
    command[command.index("--host") + 1] = "127.0.0.1"
    command[command.index("--port") + 1] = str(port)
    executable = str(Path(env["PATH"].split(os.pathsep)[0]) / command[0])
    server = Started(session, [executable, *command[1:]], env, tmp / "api.log")
    try:
        server.wait_until(
            lambda: http_status(f"http://127.0.0.1:{port}/health/ready") == 200,
            "GET /health/ready is 200",
        )
        healthcheck = [word.replace(":8000/", f":{port}/") for word in stage["healthcheck"]]
        healthy = subprocess.run(healthcheck, env=env, check=False, timeout=30).returncode == 0
        if not healthy:
            server.fail(f"HEALTHCHECK {healthcheck} failed")
        session.log("ok: the image's HEALTHCHECK passes")
    finally:
        server.stop()


def check_jobs(
    session: nox.Session,
    tmp: Path,
    stage: dict[str, Any],
    env: dict[str, str],
    services: dict[str, dict[str, Any]],
) -> None:
    """The worker answers the image's ping health check; beat, relay and Flower start."""
    import socket
    import subprocess

    command = list(stage["command"])
    bin_dir = Path(env["PATH"].split(os.pathsep)[0])
    run_in_image(session, [command[0], "--help"], env)
    run_in_image(session, [command[0], "worker", "--help"], env, silent=True)
    env = {**env, "HOSTNAME": socket.gethostname()}  # as Docker sets it in a container

    def pinged() -> bool:
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        return subprocess.run(stage["healthcheck"], env=env, check=False, **quiet).returncode == 0

    worker = Started(session, [str(bin_dir / command[0]), *command[1:]], env, tmp / "worker.log")
    try:
        worker.wait_until(
            pinged, "the worker answers the image's HEALTHCHECK (celery inspect ping)"
        )
    finally:
        worker.stop()

    for name in ("beat", "relay"):
        argv = services[name]["command"]
        process = Started(session, [str(bin_dir / argv[0]), *argv[1:]], env, tmp / f"{name}.log")
        try:
            process.alive_after(8)
        finally:
            process.stop()
    schedule = Path(env["VET_EMBEDDED_DIR"]) / "celerybeat-schedule"
    assert any(schedule.parent.glob("celerybeat-schedule*")), f"beat wrote {schedule}"

    argv = services["flower"]["command"]
    refused = subprocess.run([str(bin_dir / argv[0]), *argv[1:]], env=env, cwd=tmp, check=False)
    assert refused.returncode == 2, "Flower refuses to start without a password"
    port = free_port()
    flower_env = {
        **env,
        "JOBS_FLOWER_ADDRESS": "127.0.0.1",
        "JOBS_FLOWER_PORT": str(port),
        "JOBS_FLOWER_USER": "admin",
        "JOBS_FLOWER_PASSWORD": "images-session",
    }
    flower = Started(session, [str(bin_dir / argv[0]), *argv[1:]], flower_env, tmp / "flower.log")
    try:
        base = f"http://127.0.0.1:{port}"
        flower.wait_until(lambda: http_status(f"{base}/healthcheck") == 200, "Flower /healthcheck")
        assert http_status(f"{base}/") == 401, "Flower asks for credentials"
        assert http_status(f"{base}/", ("admin", "images-session")) == 200
        session.log("ok: Flower asks for basic auth; /healthcheck is open")
    finally:
        flower.stop()


def check_images(session: nox.Session) -> None:
    """Each image's commands, run from a virtualenv built as its Dockerfile builds it.

    Runs in a session whose environment holds vet-core[testing] (the embedded servers) and
    PyYAML (compose.yaml).
    """
    stages = {package: runtime_stage(dockerfile) for package, dockerfile in IMAGES.items()}
    compose = compose_file(session)
    check_compose(compose, {dockerfile.name for dockerfile in IMAGES.values()})
    check_env_example((DOCKER / "compose.yaml").read_text())
    session.run("git", "check-ignore", "--quiet", "docker/.env", external=True)
    session.log("ok: compose.yaml, .env.example")

    tmp = Path(tempfile.mkdtemp(prefix="vet-images-"))
    venvs: dict[str, Path] = {}
    for package, dockerfile in IMAGES.items():
        venvs[package] = tmp / package / "venv"
        build_like_dockerfile(session, dockerfile, venvs[package])

    database_url, redis_url, server_url = embedded_servers(session, tmp)
    # Like the images' WORKDIR: no .env or project folder around the processes.
    session.chdir(tmp)
    try:
        services = compose["services"]
        api_env = image_environment(tmp, venvs["vet-clinic-api"], stages["vet-clinic-api"])
        api_env |= {"DATABASE_URL": database_url, "REDIS_URL": redis_url}
        api_env |= {
            "CLERK_ISSUER": "https://clerk.images.invalid",
            "CLERK_JWT_KEY": throwaway_public_key(venvs["vet-clinic-api"] / "bin" / "python"),
        }
        # The compose migrate one-shot, with the api image's venv.
        run_in_image(session, services["migrate"]["command"], api_env)
        check_api(session, tmp, stages["vet-clinic-api"], api_env)

        jobs_env = image_environment(
            tmp, venvs["vet-clinic-background-jobs"], stages["vet-clinic-background-jobs"]
        )
        jobs_env |= {"DATABASE_URL": database_url, "REDIS_URL": redis_url}
        check_jobs(session, tmp, stages["vet-clinic-background-jobs"], jobs_env, services)
    finally:
        session.chdir(ROOT)
        session.run(
            "python",
            "-c",
            "import sys; from vet_core.testing import drop_database as d; d(sys.argv[1], sys.argv[2])",
            server_url,
            (tmp / "database-name").read_text(),
        )
    shutil.rmtree(tmp)
