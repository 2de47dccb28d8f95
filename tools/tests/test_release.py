"""The release tool, exercised on throw-away git repositories shaped like the workspace."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import release
from packaging.version import Version

from conftest import commit_change, git

TODAY = dt.datetime.now(tz=dt.UTC).date().isoformat()


def run(repo: Path, *args: str) -> int:
    """Run the command line against ``repo`` in-process."""
    return release.main(["--root", str(repo), *args])


def snapshot(repo: Path) -> dict[str, object]:
    """Everything a dry run must leave alone: HEAD, tags, status and every file's bytes."""
    files = {
        str(path.relative_to(repo)): path.read_bytes()
        for path in sorted(repo.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(repo).parts
    }
    return {
        "head": git(repo, "rev-parse", "HEAD"),
        "tags": git(repo, "tag", "--list"),
        "status": git(repo, "status", "--porcelain"),
        "files": files,
    }


def committed_files(repo: Path, revision: str = "HEAD") -> set[str]:
    """The paths changed by one commit."""
    return set(git(repo, "show", "--name-only", "--format=", revision).split())


# --- versions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "part", "pre", "expected"),
    [
        ("0.1.0", "patch", None, "0.1.1"),
        ("0.1.0", "minor", None, "0.2.0"),
        ("0.1.0", "major", None, "1.0.0"),
        ("1.4.2", "minor", None, "1.5.0"),
        ("1.4.2", "major", None, "2.0.0"),
        ("0.1.0", "minor", "alpha", "0.2.0a1"),
        ("0.1.0", "major", "rc", "1.0.0rc1"),
        ("0.1.0", "alpha", None, "0.1.1a1"),
        ("0.1.0", "beta", None, "0.1.1b1"),
        ("0.1.0", "rc", None, "0.1.1rc1"),
        ("0.2.0a1", "alpha", None, "0.2.0a2"),
        ("0.2.0a2", "beta", None, "0.2.0b1"),
        ("0.2.0b3", "rc", None, "0.2.0rc1"),
        ("0.2.0rc2", "release", None, "0.2.0"),
        ("0.2.0rc2", "minor", None, "0.3.0"),
        ("0.2", "patch", None, "0.2.1"),
        ("0.1.0", "current", None, "0.1.0"),
    ],
)
def test_next_version_follows_the_documented_rules(
    current: str, part: str, pre: str | None, expected: str
) -> None:
    assert release.next_version(Version(current), part, pre) == Version(expected)


@pytest.mark.parametrize(
    ("current", "part", "pre", "message"),
    [
        ("0.1.0", "release", None, "not a pre-release"),
        ("0.2.0rc1", "alpha", None, "cannot go back"),
        ("0.1.0", "alpha", "beta", "--pre goes with major, minor or patch"),
    ],
)
def test_next_version_refuses_impossible_bumps(
    current: str, part: str, pre: str | None, message: str
) -> None:
    with pytest.raises(release.ReleaseError, match=message):
        release.next_version(Version(current), part, pre)


# --- status ---------------------------------------------------------------------------


def test_status_without_tags_lists_every_commit_touching_each_folder(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    change = commit_change(workspace, "packages/vet-core/src/models.py", "x = 1\n", "Add models")

    assert run(workspace, "status") == 0

    out = capsys.readouterr().out
    core, services = out.split("vet-services 0.1.0")[0], out.split("vet-services 0.1.0")[1]
    assert "vet-core 0.1.0 (packages/vet-core, library)" in core
    assert "last tag: none" in core
    assert "2 commit(s) touching packages/vet-core in total (no tag yet)" in core
    assert f"{change} Add models" in core
    assert "Add models" not in services.split("vet-clinic-api")[0]


def test_status_after_a_tag_lists_only_later_commits(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commit_change(workspace, "packages/vet-core/a.py", "a = 1\n", "Before the tag")
    git(workspace, "tag", "-a", "vet-core-v0.1.0", "-m", "vet-core 0.1.0")
    after = commit_change(workspace, "packages/vet-core/b.py", "b = 1\n", "After the tag")

    assert run(workspace, "status") == 0

    core = capsys.readouterr().out.split("vet-services")[0]
    assert "last tag: vet-core-v0.1.0" in core
    assert "1 commit(s) touching packages/vet-core since vet-core-v0.1.0" in core
    assert f"{after} After the tag" in core
    assert "Before the tag" not in core


def test_last_tag_is_the_highest_version_and_ignores_other_distributions(
    workspace: Path,
) -> None:
    for tag in ("vet-core-v0.1.0", "vet-core-v0.10.0", "vet-core-v0.9.0", "vet-core-vnope"):
        git(workspace, "tag", tag)
    git(workspace, "tag", "vet-services-v9.0.0")

    assert release.last_tag(workspace, release.get_distribution("vet-core")) == "vet-core-v0.10.0"


# --- bump -----------------------------------------------------------------------------


def test_bump_patch_writes_version_changelog_commit_and_annotated_tag(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fix = commit_change(workspace, "packages/vet-core/fix.py", "", "Fix rounding of doses")

    assert run(workspace, "bump", "vet-core", "patch") == 0

    pyproject = (workspace / "packages/vet-core/pyproject.toml").read_text()
    assert 'version = "0.1.1"' in pyproject
    assert 'description = "A member of the test workspace"' in pyproject  # formatting kept
    changelog = (workspace / "packages/vet-core/CHANGELOG.md").read_text()
    assert changelog.index("## [Unreleased]") < changelog.index(f"## [0.1.1] - {TODAY}")
    assert changelog.index("## [0.1.1]") < changelog.index("## [0.1.0]")
    assert f"- Fix rounding of doses ({fix})" in changelog
    assert git(workspace, "log", "-1", "--format=%s") == "release: vet-core 0.1.1\n"
    assert committed_files(workspace) == {
        "packages/vet-core/pyproject.toml",
        "packages/vet-core/CHANGELOG.md",
    }
    assert git(workspace, "cat-file", "-t", "vet-core-v0.1.1").strip() == "tag"
    assert git(workspace, "rev-parse", "vet-core-v0.1.1^{commit}") == git(
        workspace, "rev-parse", "HEAD"
    )
    assert git(workspace, "status", "--porcelain") == ""
    assert "git push origin HEAD vet-core-v0.1.1" in capsys.readouterr().out


def test_bump_major_of_an_app_nobody_depends_on(workspace: Path) -> None:
    commit_change(workspace, "apps/vet-clinic-api/api.py", "", "New API")

    assert run(workspace, "bump", "vet-clinic-api", "major") == 0

    assert release.read_version(workspace, release.get_distribution("vet-clinic-api")) == Version(
        "1.0.0"
    )
    assert "vet-clinic-api-v1.0.0" in git(workspace, "tag", "--list")


def test_bump_minor_with_update_dependents_moves_the_siblings_ranges(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commit_change(workspace, "packages/vet-core/feature.py", "", "Add species table")

    assert run(workspace, "bump", "vet-core", "minor", "--update-dependents") == 0

    services = (workspace / "packages/vet-services/pyproject.toml").read_text()
    assert '"vet-core>=0.2,<0.3",' in services
    assert "# Ranged, never exact" in services  # the comment on the requirement survives
    api = (workspace / "apps/vet-clinic-api/pyproject.toml").read_text()
    assert '"vet-core>=0.2,<0.3",' in api
    assert '"vet-services>=0.1,<0.2",' in api  # only the released distribution's range moves
    assert committed_files(workspace) == {
        "packages/vet-core/pyproject.toml",
        "packages/vet-core/CHANGELOG.md",
        "packages/vet-services/pyproject.toml",
        "apps/vet-clinic-api/pyproject.toml",
        "apps/vet-clinic-background-jobs/pyproject.toml",
    }
    assert "vet-core-v0.2.0" in git(workspace, "tag", "--list")
    out = capsys.readouterr().out
    assert "Then release vet-services" in out
    assert "Then release vet-clinic-api" in out


def test_pre_releases_then_the_final_release(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commit_change(workspace, "apps/vet-clinic-background-jobs/a.py", "", "Reminder task")
    assert run(workspace, "bump", "vet-clinic-background-jobs", "minor", "--pre", "alpha") == 0
    commit_change(workspace, "apps/vet-clinic-background-jobs/b.py", "", "Retry reminders")
    assert run(workspace, "bump", "vet-clinic-background-jobs", "rc") == 0
    commit_change(workspace, "apps/vet-clinic-background-jobs/c.py", "", "Fix retry delay")
    assert run(workspace, "bump", "vet-clinic-background-jobs", "release") == 0

    tags = git(workspace, "tag", "--list").split()
    assert {
        "vet-clinic-background-jobs-v0.2.0a1",
        "vet-clinic-background-jobs-v0.2.0rc1",
        "vet-clinic-background-jobs-v0.2.0",
    } <= set(tags)
    changelog = (workspace / "apps/vet-clinic-background-jobs/CHANGELOG.md").read_text()
    final = release.changelog_section(changelog, "0.2.0")
    assert final is not None
    assert "Fix retry delay" in final
    assert "Retry reminders" not in final  # already in 0.2.0rc1
    assert "Reminder task" in (release.changelog_section(changelog, "0.2.0a1") or "")


def test_current_tags_the_declared_version_when_nothing_changes(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(workspace)

    assert run(workspace, "bump", "vet-core", "current") == 0

    after = snapshot(workspace)
    assert after["files"] == before["files"]
    assert after["head"] == before["head"]  # the CHANGELOG already has 0.1.0: no commit
    assert git(workspace, "rev-parse", "vet-core-v0.1.0^{commit}") == before["head"]
    assert "Tagged HEAD as vet-core-v0.1.0" in capsys.readouterr().out
    assert run(workspace, "bump", "vet-core", "current") == 1  # the tag now exists


def test_current_turns_the_unreleased_notes_into_the_first_release(workspace: Path) -> None:
    # The layout of a member that was never released: notes under Unreleased, nothing else.
    path = workspace / "packages/vet-services/CHANGELOG.md"
    text = path.read_text().replace("## [0.1.0]\n\n- First release.\n", "- Login service.\n")
    draft = commit_change(workspace, "packages/vet-services/CHANGELOG.md", text, "Draft notes")

    assert run(workspace, "bump", "vet-services", "current") == 0

    assert committed_files(workspace) == {"packages/vet-services/CHANGELOG.md"}
    changelog = path.read_text()
    assert changelog.endswith(
        f"## [Unreleased]\n\n## [0.1.0] - {TODAY}\n\n- Login service.\n\n"
        f"### Commits\n\n- Draft notes ({draft})\n"
        f"- Workspace skeleton ({git(workspace, 'rev-parse', '--short', 'HEAD~2').strip()})\n"
    )
    assert "vet-services-v0.1.0" in git(workspace, "tag", "--list")


def test_changelog_lists_only_commits_that_touched_the_distribution_folder(
    workspace: Path,
) -> None:
    git(workspace, "tag", "-a", "vet-services-v0.1.0", "-m", "vet-services 0.1.0")
    mine = commit_change(workspace, "packages/vet-services/auth.py", "", "Add login service")
    commit_change(workspace, "packages/vet-core/db.py", "", "Tune the pool")
    commit_change(workspace, "apps/vet-clinic-api/routes.py", "", "Add routes")
    commit_change(workspace, "README.md", "# readme\n", "Document the project")

    assert run(workspace, "bump", "vet-services", "patch") == 0

    changelog = (workspace / "packages/vet-services/CHANGELOG.md").read_text()
    section = release.changelog_section(changelog, "0.1.1")
    assert section == f"### Commits\n\n- Add login service ({mine})"


def test_hand_written_unreleased_notes_move_into_the_release_section(workspace: Path) -> None:
    path = workspace / "packages/vet-core/CHANGELOG.md"
    notes = path.read_text().replace(
        "## [Unreleased]\n", "## [Unreleased]\n\n### Added\n\n- Species table.\n"
    )
    commit_change(workspace, "packages/vet-core/CHANGELOG.md", notes, "Note the species table")

    assert run(workspace, "bump", "vet-core", "patch") == 0

    changelog = path.read_text()
    unreleased = changelog.split("## [Unreleased]")[1].split("## [0.1.1]")[0]
    assert unreleased.strip() == ""
    section = release.changelog_section(changelog, "0.1.1") or ""
    assert section.startswith("### Added\n\n- Species table.\n\n### Commits")
    assert "Note the species table" in section


def test_changelog_command_prints_one_versions_section(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    git(workspace, "tag", "-a", "vet-core-v0.1.0", "-m", "vet-core 0.1.0")
    change = commit_change(workspace, "packages/vet-core/x.py", "", "Add invoices")
    assert run(workspace, "bump", "vet-core", "patch") == 0
    capsys.readouterr()

    assert run(workspace, "changelog", "vet-core") == 0
    assert capsys.readouterr().out == f"### Commits\n\n- Add invoices ({change})\n"
    assert run(workspace, "changelog", "vet-core", "--version", "0.1.0") == 0
    assert capsys.readouterr().out == "- First release.\n"
    assert run(workspace, "changelog", "vet-core", "--version", "9.9.9") == 1
    assert "no section for 9.9.9" in capsys.readouterr().err


# --- refusals -------------------------------------------------------------------------


def test_refuses_a_dirty_tree(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workspace / "packages/vet-core/untracked.py").write_text("")
    before = git(workspace, "rev-parse", "HEAD")

    assert run(workspace, "bump", "vet-core", "patch") == 1

    assert "working tree is dirty" in capsys.readouterr().err
    assert git(workspace, "rev-parse", "HEAD") == before
    assert git(workspace, "tag", "--list") == ""
    assert 'version = "0.1.0"' in (workspace / "packages/vet-core/pyproject.toml").read_text()


def test_refuses_an_existing_tag(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    git(workspace, "tag", "vet-core-v0.1.1", "HEAD")  # e.g. made by hand, version not bumped

    assert run(workspace, "bump", "vet-core", "patch") == 1

    assert "tag vet-core-v0.1.1 already exists" in capsys.readouterr().err
    assert git(workspace, "status", "--porcelain") == ""
    assert git(workspace, "log", "-1", "--format=%s") == "Workspace skeleton\n"


def test_refuses_an_unknown_distribution(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(workspace, "bump", "vet-foo", "patch") == 1

    err = capsys.readouterr().err
    assert "unknown distribution 'vet-foo'" in err
    assert "vet-clinic-background-jobs" in err  # the known list is shown


def test_the_script_runs_from_the_command_line_with_exit_codes(workspace: Path) -> None:
    script = Path(release.__file__)
    ok = subprocess.run(
        [sys.executable, str(script), "status"],
        cwd=workspace / "packages",  # the root is found from any folder of the repository
        capture_output=True,
        text=True,
        check=False,
    )
    unknown = subprocess.run(
        [sys.executable, str(script), "bump", "vet-foo", "patch"],
        cwd=workspace,
        capture_output=True,
        text=True,
        check=False,
    )

    assert ok.returncode == 0, ok.stderr
    assert "vet-clinic-background-jobs 0.1.0" in ok.stdout
    assert unknown.returncode == 1
    assert "unknown distribution 'vet-foo'" in unknown.stderr


# --- dry run --------------------------------------------------------------------------


def test_dry_run_prints_the_plan_and_changes_nothing(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    change = commit_change(workspace, "packages/vet-core/feature.py", "", "Add species table")
    before = snapshot(workspace)

    assert run(workspace, "bump", "vet-core", "minor", "--dry-run", "--update-dependents") == 0

    assert snapshot(workspace) == before
    out = capsys.readouterr().out
    assert "version:  0.1.0 -> 0.2.0" in out
    assert "tag:      vet-core-v0.2.0" in out
    assert f"| ## [0.2.0] - {TODAY}" in out
    assert f"| - Add species table ({change})" in out
    assert "vet-services (dependencies): vet-core>=0.1,<0.2 does NOT admit 0.2.0" in out
    assert "will be rewritten to 'vet-core>=0.2,<0.3'" in out
    assert "Dry run: nothing was changed." in out


def test_dry_run_on_a_dirty_tree_lists_the_blockers_and_changes_nothing(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workspace / "packages/vet-core/pyproject.toml").write_text(
        (workspace / "packages/vet-core/pyproject.toml").read_text() + "\n# edited\n"
    )
    git(workspace, "tag", "vet-core-v0.1.1")
    before = snapshot(workspace)

    assert run(workspace, "bump", "vet-core", "patch", "--dry-run") == 0

    assert snapshot(workspace) == before
    out = capsys.readouterr().out
    assert "Blockers (the real run refuses):" in out
    assert "the working tree is dirty" in out
    assert "tag vet-core-v0.1.1 already exists" in out


# --- dependents -----------------------------------------------------------------------


def test_minor_bump_flags_siblings_whose_range_no_longer_admits_it(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(workspace)

    assert run(workspace, "bump", "vet-core", "minor") == 1

    captured = capsys.readouterr()
    assert "vet-services (dependencies): vet-core>=0.1,<0.2 does NOT admit 0.2.0" in captured.out
    assert "must widen to e.g. 'vet-core>=0.2,<0.3'; release vet-services too" in captured.out
    assert "release vet-clinic-api, vet-clinic-background-jobs, vet-services too" in captured.err
    assert snapshot(workspace) == before  # not committed, not tagged


def test_patch_bump_passes_the_dependents_check(workspace: Path) -> None:
    checks = release.check_dependents(
        workspace, release.get_distribution("vet-core"), Version("0.1.1")
    )

    assert {check.sibling.name for check in checks} == {
        "vet-services",
        "vet-clinic-api",
        "vet-clinic-background-jobs",
    }
    assert all(check.admits for check in checks)


def test_a_pre_release_inside_the_range_is_admitted(workspace: Path) -> None:
    checks = release.check_dependents(
        workspace, release.get_distribution("vet-services"), Version("0.1.1a1")
    )

    assert [check.admits for check in checks] == [True, True]


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("0.2.0", ">=0.2,<0.3"),
        ("0.2.3", ">=0.2,<0.3"),
        ("0.3.0a1", ">=0.3.0a1,<0.4"),
        ("1.0.0", ">=1.0,<2"),
        ("2.3.0", ">=2.3,<3"),
    ],
)
def test_widened_specifier(version: str, expected: str) -> None:
    assert release.widened_specifier(Version(version)) == expected


# --- tag-info -------------------------------------------------------------------------


def test_tag_info_describes_a_pre_release_of_an_app(capsys: pytest.CaptureFixture[str]) -> None:
    assert release.main(["tag-info", "vet-clinic-background-jobs-v1.2.3rc1"]) == 0

    assert capsys.readouterr().out.splitlines() == [
        "distribution=vet-clinic-background-jobs",
        "version=1.2.3rc1",
        "path=apps/vet-clinic-background-jobs",
        "kind=app",
        "module=vet_clinic_jobs",
        "prerelease=true",
    ]


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        ("vet-foo-v1.0.0", "matches no known distribution"),
        ("vet-clinic-v1.0.0", "matches no known distribution"),
        ("vet-core-1.0.0", "matches no known distribution"),
        ("vet-core-vlatest", "not a valid version"),
        ("vet-core-v1.0.0-rc.1", "normalized"),
    ],
)
def test_tag_info_rejects_unknown_or_malformed_tags(
    tag: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert release.main(["tag-info", tag]) == 1

    assert message in capsys.readouterr().err


def test_tag_info_can_require_the_tagged_version_to_be_declared(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(workspace, "tag-info", "vet-core-v0.1.0", "--verify-version") == 0
    assert run(workspace, "tag-info", "vet-core-v0.2.0", "--verify-version") == 1
    assert "pyproject.toml says 0.1.0" in capsys.readouterr().err


# --- uv.lock --------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("uv") is None, reason="uv is not installed")
def test_bump_refreshes_uv_lock_in_the_release_commit(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The fake members depend only on each other: locking needs no index.
    monkeypatch.setenv("UV_OFFLINE", "1")
    monkeypatch.setenv("UV_PYTHON_DOWNLOADS", "never")
    locked = subprocess.run(["uv", "lock"], cwd=workspace, capture_output=True, check=False)
    if locked.returncode != 0:
        pytest.skip(f"uv cannot lock the fake workspace here: {locked.stderr.decode()}")
    git(workspace, "add", "uv.lock")
    git(workspace, "commit", "--quiet", "-m", "Lock")

    assert run(workspace, "bump", "vet-core", "patch") == 0

    assert "uv.lock" in committed_files(workspace)
    assert 'name = "vet-core"\nversion = "0.1.1"' in (workspace / "uv.lock").read_text()
    assert git(workspace, "status", "--porcelain") == ""
