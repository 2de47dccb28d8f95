"""A throw-away git repository shaped like the workspace, for the release tool's tests.

Nothing here touches the real checkout: every test gets its own repository in tmp_path,
with git's global and system configuration switched off so that signing, hooks or a
default branch name set on the machine change nothing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOOLS))

import release  # noqa: E402  (the tool is a script, not an installed package)

MEMBER_PYPROJECT = """\
[project]
name = "{name}"
version = "0.1.0"
description = "A member of the test workspace"
requires-python = ">=3.11"
dependencies = [
{dependencies}]
{sources}
[build-system]
requires = ["hatchling>=1.26"]
build-backend = "hatchling.build"
"""

CHANGELOG = """\
# Changelog of {name}

All notable changes to this distribution. Tags are `{name}-v<version>`.

## [Unreleased]

## [0.1.0]

- First release.
"""

# The same sibling ranges as the real workspace; a comment line proves formatting survives.
SIBLING_DEPENDENCIES = {
    "vet-core": [],
    "vet-services": ["vet-core>=0.1,<0.2"],
    "vet-clinic-api": ["vet-core>=0.1,<0.2", "vet-services>=0.1,<0.2"],
    "vet-clinic-background-jobs": ["vet-core>=0.1,<0.2", "vet-services>=0.1,<0.2"],
}


def git(repo: Path, *args: str) -> str:
    """Run git in the test repository and return its output."""
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


def commit_change(repo: Path, relative: str, content: str, message: str) -> str:
    """Write one file, commit it and return the short hash."""
    path = repo / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    git(repo, "add", relative)
    git(repo, "commit", "--quiet", "-m", message)
    return git(repo, "rev-parse", "--short", "HEAD").strip()


def pyproject_text(name: str) -> str:
    """The pyproject.toml of one fake member."""
    lines = "".join(
        "    # Ranged, never exact: the libraries are released independently.\n"
        f'    "{requirement}",\n'
        for requirement in SIBLING_DEPENDENCIES[name]
    )
    sources = "".join(
        f"{requirement.split('>')[0]} = {{ workspace = true }}\n"
        for requirement in SIBLING_DEPENDENCIES[name]
    )
    if sources:
        sources = f"\n[tool.uv.sources]\n{sources}"
    return MEMBER_PYPROJECT.format(name=name, dependencies=lines, sources=sources)


@pytest.fixture(autouse=True)
def isolated_git(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the machine's git configuration out of the tests (and of the tool they run)."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for variable in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture
def workspace(tmp_path: Path, isolated_git: None) -> Path:
    """A fresh repository holding the four members, committed once."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "--quiet", "--initial-branch=main")
    git(repo, "config", "user.name", "Release Tests")
    git(repo, "config", "user.email", "release-tests@example.invalid")
    git(repo, "config", "commit.gpgsign", "false")
    git(repo, "config", "tag.gpgsign", "false")
    (repo / "pyproject.toml").write_text(
        '[tool.uv.workspace]\nmembers = ["packages/*", "apps/*"]\n', encoding="utf-8"
    )
    for dist in release.DISTRIBUTIONS:
        member = repo / dist.path
        member.mkdir(parents=True)
        (member / "pyproject.toml").write_text(pyproject_text(dist.name), encoding="utf-8")
        (member / "CHANGELOG.md").write_text(CHANGELOG.format(name=dist.name), encoding="utf-8")
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "Workspace skeleton")
    return repo
