# /// script
# requires-python = ">=3.11"
# dependencies = ["packaging>=24", "tomlkit>=0.13"]
# ///
"""Release one distribution of the workspace: version bump, changelog, tag.

The four distributions are versioned and released independently. Each one is tagged
``<distribution>-v<version>`` (``vet-core-v0.2.0``); a tag is matched against the known
list below, never split on hyphens, because the names themselves contain hyphens.

Commands::

    uv run tools/release.py status
    uv run tools/release.py bump vet-core minor --dry-run
    uv run tools/release.py bump vet-core minor [--pre alpha|beta|rc] [--update-dependents]
    uv run tools/release.py changelog vet-core [--version 0.2.0]
    uv run tools/release.py tag-info vet-core-v0.2.0 [--verify-version]

How ``bump`` computes the next version (``packaging.version``):

* ``major`` / ``minor`` / ``patch`` advance that part of the release and zero the parts
  after it; any pre-release suffix is dropped (0.2.0rc1 --minor--> 0.3.0; use
  ``release`` to finish a pre-release). With ``--pre alpha|beta|rc`` the result is the
  first pre-release of that version instead (0.1.0 --minor --pre alpha--> 0.2.0a1).
* ``alpha`` / ``beta`` / ``rc`` on a final version start the first pre-release of the
  next patch (0.1.0 --alpha--> 0.1.1a1); on a pre-release of the same phase they bump its
  number (0.2.0a1 --alpha--> 0.2.0a2); on an earlier phase they move forward
  (0.2.0a2 --rc--> 0.2.0rc1). Going back (rc -> alpha) is refused.
* ``release`` drops the pre-release suffix (0.2.0rc2 --> 0.2.0); refused on a final version.
* ``current`` releases the version pyproject.toml already declares, for a distribution's
  first release (0.1.0): nothing is bumped, a CHANGELOG section that already exists for it
  is kept as written, and when no file changes the tag goes on HEAD without a commit.

Siblings pin each other with ranges (``vet-core>=0.1,<0.2``). When the new version falls
outside a sibling's range, ``bump`` names that sibling and refuses to release, unless
``--update-dependents`` is given: it then moves the sibling's range to the new line
(``>=0.2,<0.3`` for 0.x, ``>=2.0,<3`` from 1.0 on; a pre-release is its own lower bound)
in the same release commit, and the sibling must then be released too.

The release commit (``release: <distribution> <version>``) holds exactly the member's
pyproject.toml and CHANGELOG.md, the siblings' rewritten pyproject.toml files, and uv.lock
refreshed by ``uv lock`` (it records every member's version). The tag is annotated.

``--dry-run`` prints the whole plan and changes nothing; what would make the real run
refuse (dirty tree, existing tag, a sibling's range) is listed under "Blockers".
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import tomlkit
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

Kind = Literal["library", "app"]


@dataclass(frozen=True)
class Distribution:
    """One releasable member of the workspace."""

    name: str
    path: str  # the member's folder, relative to the repository root
    kind: Kind
    module: str  # the import name, checked after installing the built wheel

    @property
    def tag_prefix(self) -> str:
        """What every tag of this distribution starts with."""
        return f"{self.name}-v"

    def tag(self, version: Version) -> str:
        """The git tag of one version of this distribution."""
        return f"{self.tag_prefix}{version}"


DISTRIBUTIONS: tuple[Distribution, ...] = (
    Distribution("vet-core", "packages/vet-core", "library", "vet_core"),
    Distribution("vet-services", "packages/vet-services", "library", "vet_services"),
    Distribution("vet-clinic-api", "apps/vet-clinic-api", "app", "vet_clinic_api"),
    Distribution(
        "vet-clinic-background-jobs", "apps/vet-clinic-background-jobs", "app", "vet_clinic_jobs"
    ),
)

BUMP_PARTS = ("major", "minor", "patch", "alpha", "beta", "rc", "release", "current")
PRE_PHASES = {"alpha": "a", "beta": "b", "rc": "rc"}
_PHASE_ORDER = {"a": 0, "b": 1, "rc": 2}
UNRELEASED_HEADING = re.compile(r"^## \[Unreleased\]", re.IGNORECASE)
SECTION_HEADING = re.compile(r"^## ")


class ReleaseError(Exception):
    """A refusal or failure to report to the user as ``error: <message>``, exit code 1."""


# --- distributions and tags ---------------------------------------------------------


def get_distribution(name: str) -> Distribution:
    """Return the known distribution called ``name``, or refuse an unknown name."""
    for dist in DISTRIBUTIONS:
        if dist.name == name:
            return dist
    known = ", ".join(d.name for d in DISTRIBUTIONS)
    raise ReleaseError(f"unknown distribution {name!r}; known distributions: {known}")


def parse_tag(tag: str) -> tuple[Distribution, Version]:
    """Split ``<distribution>-v<version>`` by matching the known names, longest first.

    The version must be valid and written in its normalized form, so that the tag, the
    built wheel and the published version all read the same.
    """
    for dist in sorted(DISTRIBUTIONS, key=lambda d: len(d.name), reverse=True):
        if not tag.startswith(dist.tag_prefix):
            continue
        raw = tag.removeprefix(dist.tag_prefix)
        try:
            version = Version(raw)
        except InvalidVersion:
            raise ReleaseError(f"tag {tag!r}: {raw!r} is not a valid version") from None
        if str(version) != raw:
            raise ReleaseError(f"tag {tag!r}: write the version as {version} (normalized)")
        return dist, version
    known = ", ".join(f"{d.tag_prefix}*" for d in DISTRIBUTIONS)
    raise ReleaseError(f"tag {tag!r} matches no known distribution ({known})")


# --- git ------------------------------------------------------------------------------


def git(root: Path, *args: str) -> str:
    """Run git in ``root`` and return its standard output; a failure is a ReleaseError."""
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ReleaseError(f"git {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def repository_root() -> Path:
    """The top of the git work tree holding the current directory."""
    return Path(git(Path.cwd(), "rev-parse", "--show-toplevel").strip())


def is_dirty(root: Path) -> bool:
    """Whether the work tree has changes, staged or not, or untracked files."""
    return bool(git(root, "status", "--porcelain").strip())


def tag_exists(root: Path, tag: str) -> bool:
    """Whether the tag exists in the local repository."""
    result = subprocess.run(
        ["git", "rev-parse", "--quiet", "--verify", f"refs/tags/{tag}"],
        cwd=root,
        capture_output=True,
        check=False,
    )
    return result.returncode == 0


def last_tag(root: Path, dist: Distribution) -> str | None:
    """The tag of the highest version of ``dist`` reachable from HEAD, if any."""
    tags = git(root, "tag", "--list", "--merged", "HEAD", f"{dist.tag_prefix}*").split()
    versions: list[tuple[Version, str]] = []
    for tag in tags:
        try:
            tagged, version = parse_tag(tag)
        except ReleaseError:
            continue  # a stray tag is not ours to judge here
        if tagged == dist:
            versions.append((version, tag))
    return max(versions)[1] if versions else None


@dataclass(frozen=True)
class Commit:
    """One commit as it appears in a changelog: short hash and subject."""

    short_hash: str
    subject: str


def commits_since(root: Path, dist: Distribution, tag: str | None) -> list[Commit]:
    """Commits touching the distribution's folder since ``tag`` (all of them without one)."""
    revisions = f"{tag}..HEAD" if tag else "HEAD"
    out = git(root, "log", "--no-merges", "--format=%h%x09%s", revisions, "--", dist.path)
    commits = []
    for line in out.splitlines():
        short_hash, _, subject = line.partition("\t")
        commits.append(Commit(short_hash, subject))
    return commits


# --- versions -------------------------------------------------------------------------


def _format(release: tuple[int, int, int], pre: tuple[str, int] | None = None) -> Version:
    text = ".".join(str(part) for part in release)
    if pre:
        text += f"{pre[0]}{pre[1]}"
    return Version(text)


def next_version(current: Version, part: str, pre: str | None = None) -> Version:
    """The version after ``current`` for a bump of ``part`` (see the module docstring)."""
    if part not in BUMP_PARTS:
        raise ReleaseError(f"unknown bump {part!r}; choose one of {', '.join(BUMP_PARTS)}")
    if pre is not None and part not in ("major", "minor", "patch"):
        raise ReleaseError("--pre goes with major, minor or patch only")
    if pre is not None and pre not in PRE_PHASES:
        raise ReleaseError(f"unknown pre-release phase {pre!r}; choose alpha, beta or rc")
    major, minor, micro = (*current.release, 0, 0)[:3]
    first_pre = (PRE_PHASES[pre], 1) if pre else None
    if part == "major":
        return _format((major + 1, 0, 0), first_pre)
    if part == "minor":
        return _format((major, minor + 1, 0), first_pre)
    if part == "patch":
        return _format((major, minor, micro + 1), first_pre)
    if part == "current":
        return current
    if part == "release":
        if current.pre is None:
            raise ReleaseError(f"{current} is not a pre-release: nothing to release")
        return _format((major, minor, micro))
    return _next_pre_release(current, part)


def _next_pre_release(current: Version, part: str) -> Version:
    """The next ``alpha``, ``beta`` or ``rc`` after ``current``."""
    major, minor, micro = (*current.release, 0, 0)[:3]
    phase = PRE_PHASES[part]
    if current.pre is None:
        return _format((major, minor, micro + 1), (phase, 1))
    current_phase, number = current.pre
    if current_phase == phase:
        return _format((major, minor, micro), (phase, number + 1))
    if _PHASE_ORDER[phase] < _PHASE_ORDER[current_phase]:
        raise ReleaseError(f"{current} is already past {part}: cannot go back to {part}")
    return _format((major, minor, micro), (phase, 1))


# --- files ----------------------------------------------------------------------------


def pyproject_path(root: Path, dist: Distribution) -> Path:
    """The member's pyproject.toml."""
    return root / dist.path / "pyproject.toml"


def changelog_path(root: Path, dist: Distribution) -> Path:
    """The member's CHANGELOG.md."""
    return root / dist.path / "CHANGELOG.md"


def read_version(root: Path, dist: Distribution) -> Version:
    """The static ``[project].version`` of the member."""
    document = tomlkit.parse(pyproject_path(root, dist).read_text(encoding="utf-8"))
    raw = document.get("project", {}).get("version")
    if raw is None:
        raise ReleaseError(f"{dist.path}/pyproject.toml has no static [project].version")
    return Version(str(raw))


def with_version(pyproject_text: str, version: Version) -> str:
    """The pyproject text with ``[project].version`` replaced, formatting kept."""
    document = tomlkit.parse(pyproject_text)
    document["project"]["version"] = str(version)
    return tomlkit.dumps(document)


def _split_sections(text: str) -> tuple[list[str], int | None]:
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if UNRELEASED_HEADING.match(line):
            return lines, index
    return lines, None


def _next_heading(lines: list[str], start: int) -> int:
    for index in range(start, len(lines)):
        if SECTION_HEADING.match(lines[index]):
            return index
    return len(lines)


def _strip_blank_edges(lines: list[str]) -> list[str]:
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


def unreleased_notes(changelog_text: str) -> list[str]:
    """The hand-written lines under ``## [Unreleased]``, without blank edges."""
    lines, unreleased = _split_sections(changelog_text)
    if unreleased is None:
        return []
    end = _next_heading(lines, unreleased + 1)
    return _strip_blank_edges(lines[unreleased + 1 : end])


def render_section(
    version: Version, date: dt.date, notes: Sequence[str], commits: Sequence[Commit]
) -> str:
    """The CHANGELOG section of a release: hand-written notes, then the commit list."""
    lines = [f"## [{version}] - {date.isoformat()}", ""]
    if notes:
        lines += [*notes, ""]
    lines += ["### Commits", ""]
    if commits:
        lines += [f"- {commit.subject} ({commit.short_hash})" for commit in commits]
    else:
        lines.append("- No commit touched this distribution since its last release.")
    return "\n".join(lines)


def with_section(changelog_text: str, section: str) -> str:
    """The changelog with ``section`` right under an emptied ``## [Unreleased]``.

    The hand-written Unreleased notes are expected to be inside ``section`` already.
    Without an Unreleased heading, one is added before the first section.
    """
    lines, unreleased = _split_sections(changelog_text)
    if unreleased is None:
        start = _next_heading(lines, 0)
        head, tail = _strip_blank_edges(lines[:start]), lines[start:]
    else:
        end = _next_heading(lines, unreleased + 1)
        head, tail = lines[:unreleased], lines[end:]
        head = _strip_blank_edges(head)
    new_lines = [*head, "", "## [Unreleased]", "", *section.splitlines(), ""]
    if tail:
        new_lines += tail
    return "\n".join(new_lines).rstrip("\n") + "\n"


def changelog_section(changelog_text: str, version: str) -> str | None:
    """The body of the ``## [version]`` section (without its heading), if there is one."""
    lines = changelog_text.splitlines()
    heading = re.compile(rf"^## \[{re.escape(version)}\](\s|$)")
    for index, line in enumerate(lines):
        if heading.match(line):
            end = _next_heading(lines, index + 1)
            return "\n".join(_strip_blank_edges(lines[index + 1 : end]))
    return None


# --- dependents -----------------------------------------------------------------------


@dataclass(frozen=True)
class DependentCheck:
    """Whether one sibling's requirement on the released distribution admits its new version."""

    sibling: Distribution
    where: str  # "dependencies" or "optional-dependencies.<extra>"
    requirement: str
    admits: bool
    widened: str  # the requirement rewritten for the new version (used when it does not admit)


def widened_specifier(version: Version) -> str:
    """The range a sibling should declare to admit ``version`` and its compatible line."""
    if version.major == 0:
        lower, upper = f"0.{version.minor}", f"0.{version.minor + 1}"
    else:
        lower, upper = f"{version.major}.{version.minor}", f"{version.major + 1}"
    if version.is_prerelease:
        lower = str(version)  # `>=0.2` would not admit 0.2.0a1
    return f">={lower},<{upper}"


def _rewrite(requirement: Requirement, specifier: str) -> str:
    extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
    marker = f"; {requirement.marker}" if requirement.marker else ""
    return f"{requirement.name}{extras}{specifier}{marker}"


def _requirement_arrays(document: tomlkit.TOMLDocument) -> Iterator[tuple[str, list[object]]]:
    project = document.get("project", {})
    yield "dependencies", project.get("dependencies", [])
    for extra, requirements in project.get("optional-dependencies", {}).items():
        yield f"optional-dependencies.{extra}", requirements


def check_dependents(root: Path, dist: Distribution, version: Version) -> list[DependentCheck]:
    """Check every sibling's published requirement on ``dist`` against ``version``.

    Only ``[project]`` dependencies and extras count: they end up in published metadata.
    Dependency groups are for development inside the workspace and are never published.
    """
    checks = []
    for sibling in DISTRIBUTIONS:
        if sibling == dist:
            continue
        document = tomlkit.parse(pyproject_path(root, sibling).read_text(encoding="utf-8"))
        for where, requirements in _requirement_arrays(document):
            for raw in requirements:
                try:
                    requirement = Requirement(str(raw))
                except InvalidRequirement:
                    continue
                if canonicalize_name(requirement.name) != dist.name:
                    continue
                admits = requirement.specifier.contains(version, prereleases=True)
                widened = _rewrite(requirement, widened_specifier(version))
                checks.append(DependentCheck(sibling, where, str(raw), admits, widened))
    return checks


def with_widened_requirements(pyproject_text: str, checks: Sequence[DependentCheck]) -> str:
    """The sibling's pyproject text with each failing requirement replaced, comments kept."""
    document = tomlkit.parse(pyproject_text)
    replacements = {c.requirement: c.widened for c in checks if not c.admits}
    for _, requirements in _requirement_arrays(document):
        for index, raw in enumerate(list(requirements)):
            if str(raw) in replacements:
                requirements[index] = replacements[str(raw)]
    return tomlkit.dumps(document)


# --- the plan -------------------------------------------------------------------------


@dataclass
class ReleasePlan:
    """Everything ``bump`` is about to do, computed without changing anything."""

    dist: Distribution
    old: Version
    new: Version
    previous_tag: str | None
    commits: list[Commit]
    section: str
    dependents: list[DependentCheck]
    update_dependents: bool
    lock_exists: bool
    section_exists: bool  # the CHANGELOG already has a section for the new version: kept
    blockers: list[str] = field(default_factory=list)

    @property
    def tag(self) -> str:
        """The tag this release creates."""
        return self.dist.tag(self.new)

    @property
    def message(self) -> str:
        """The release commit's message."""
        return f"release: {self.dist.name} {self.new}"

    @property
    def broken(self) -> list[DependentCheck]:
        """The siblings' requirements that do not admit the new version."""
        return [check for check in self.dependents if not check.admits]

    @property
    def rewrites_dependents(self) -> bool:
        """Whether siblings' ranges are rewritten in the release commit."""
        return self.update_dependents and bool(self.broken)

    @property
    def relock(self) -> bool:
        """Whether uv.lock must be refreshed: it records the members' versions and ranges."""
        return self.lock_exists and (self.new != self.old or self.rewrites_dependents)

    def files(self) -> list[str]:
        """The files the release commit holds, relative to the repository root."""
        files = []
        if self.new != self.old:
            files.append(f"{self.dist.path}/pyproject.toml")
        if not self.section_exists:
            files.append(f"{self.dist.path}/CHANGELOG.md")
        if self.rewrites_dependents:
            files += sorted({f"{c.sibling.path}/pyproject.toml" for c in self.broken})
        if self.relock:
            files.append("uv.lock")
        return files


def make_plan(
    root: Path,
    name: str,
    part: str,
    *,
    pre: str | None = None,
    update_dependents: bool = False,
    today: dt.date | None = None,
) -> ReleasePlan:
    """Compute the release of ``name`` without touching the repository."""
    dist = get_distribution(name)
    old = read_version(root, dist)
    new = next_version(old, part, pre)
    previous = last_tag(root, dist)
    commits = commits_since(root, dist, previous)
    changelog = changelog_path(root, dist).read_text(encoding="utf-8")
    existing = changelog_section(changelog, str(new))
    date = today or dt.datetime.now(tz=dt.UTC).date()
    if existing is None:
        section = render_section(new, date, unreleased_notes(changelog), commits)
    else:
        section = f"## [{new}] (already in the CHANGELOG, kept as written)\n\n{existing}"
    plan = ReleasePlan(
        dist=dist,
        old=old,
        new=new,
        previous_tag=previous,
        commits=commits,
        section=section,
        dependents=check_dependents(root, dist, new),
        update_dependents=update_dependents,
        lock_exists=(root / "uv.lock").exists(),
        section_exists=existing is not None,
    )
    if is_dirty(root):
        plan.blockers.append("the working tree is dirty (git status --porcelain is not empty)")
    if tag_exists(root, plan.tag):
        plan.blockers.append(f"tag {plan.tag} already exists")
    if plan.broken and not update_dependents:
        siblings = ", ".join(sorted({c.sibling.name for c in plan.broken}))
        plan.blockers.append(
            f"{new} falls outside the range of {siblings}: widen it and release "
            f"{siblings} too (or pass --update-dependents)"
        )
    return plan


def describe(plan: ReleasePlan) -> str:
    """The plan as the user reads it."""
    dist = plan.dist
    since = plan.previous_tag or "none (every commit that touched the folder)"
    lines = [
        f"Release of {dist.name} ({dist.path}, {dist.kind})",
        f"  version:  {plan.old} -> {plan.new}",
        f"  last tag: {since}",
        f"  commits:  {len(plan.commits)} touching {dist.path}",
        f"  commit:   {plan.message if plan.files() else 'none: no file changes, HEAD is tagged'}",
        f"  files:    {', '.join(plan.files()) or 'none'}",
        f"  tag:      {plan.tag} (annotated)",
        "",
        f"CHANGELOG section ({dist.path}/CHANGELOG.md, under ## [Unreleased]):",
        *(f"  | {line}".rstrip() for line in plan.section.splitlines()),
        "",
        "Dependents:",
    ]
    if not plan.dependents:
        lines.append(f"  no sibling depends on {dist.name}")
    for check in plan.dependents:
        status = "admits" if check.admits else "does NOT admit"
        lines.append(
            f"  {check.sibling.name} ({check.where}): {check.requirement} {status} {plan.new}"
        )
        if not check.admits:
            action = "will be rewritten to" if plan.update_dependents else "must widen to e.g."
            lines.append(f"    -> {action} {check.widened!r}; release {check.sibling.name} too")
    if plan.relock:
        lines += ["", "uv.lock: `uv lock` refreshes the workspace versions; it joins the commit"]
    if plan.blockers:
        lines += ["", "Blockers (the real run refuses):", *(f"  - {b}" for b in plan.blockers)]
    return "\n".join(lines)


# --- applying the plan ----------------------------------------------------------------


def apply(root: Path, plan: ReleasePlan) -> None:
    """Write the files, commit exactly them and create the annotated tag.

    Files are restored if anything fails before the commit.
    """
    files = plan.files()
    originals = {name: (root / name).read_bytes() for name in files}
    try:
        _write_files(root, plan)
        if plan.relock:
            _relock(root)
        if files:
            git(root, "commit", "--quiet", "--message", plan.message, "--", *files)
    except Exception:
        for name, content in originals.items():
            (root / name).write_bytes(content)
        raise
    git(root, "tag", "--annotate", plan.tag, "--message", f"{plan.dist.name} {plan.new}")


def _write_files(root: Path, plan: ReleasePlan) -> None:
    if plan.new != plan.old:
        pyproject = pyproject_path(root, plan.dist)
        text = pyproject.read_text(encoding="utf-8")
        pyproject.write_text(with_version(text, plan.new), "utf-8")
    if not plan.section_exists:
        changelog = changelog_path(root, plan.dist)
        text = changelog.read_text(encoding="utf-8")
        changelog.write_text(with_section(text, plan.section), "utf-8")
    if plan.rewrites_dependents:
        for sibling in {check.sibling for check in plan.broken}:
            path = pyproject_path(root, sibling)
            checks = [c for c in plan.broken if c.sibling == sibling]
            text = with_widened_requirements(path.read_text(encoding="utf-8"), checks)
            path.write_text(text, "utf-8")


def _relock(root: Path) -> None:
    uv = shutil.which("uv")
    if uv is None:
        raise ReleaseError("uv.lock needs refreshing but uv is not on PATH")
    result = subprocess.run([uv, "lock"], cwd=root, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ReleaseError(f"uv lock failed: {result.stderr.strip()}")


# --- commands -------------------------------------------------------------------------


def cmd_status(root: Path) -> int:
    """Print each distribution, its version, its last tag and the commits since."""
    for dist in DISTRIBUTIONS:
        tag = last_tag(root, dist)
        commits = commits_since(root, dist, tag)
        print(f"{dist.name} {read_version(root, dist)} ({dist.path}, {dist.kind})")
        print(f"  last tag: {tag or 'none'}")
        since = f"since {tag}" if tag else "in total (no tag yet)"
        print(f"  {len(commits)} commit(s) touching {dist.path} {since}")
        for commit in commits:
            print(f"    {commit.short_hash} {commit.subject}")
    return 0


def cmd_bump(root: Path, args: argparse.Namespace) -> int:
    """Plan a release and, unless it is a dry run, carry it out."""
    get_distribution(args.distribution)
    if not args.dry_run and is_dirty(root):
        # Checked first so nothing else is read from a tree in the middle of work.
        raise ReleaseError("the working tree is dirty: commit or stash first")
    plan = make_plan(
        root, args.distribution, args.part, pre=args.pre, update_dependents=args.update_dependents
    )
    print(describe(plan))
    if args.dry_run:
        print("\nDry run: nothing was changed.")
        return 0
    if plan.blockers:
        raise ReleaseError("refusing to release: " + "; ".join(plan.blockers))
    apply(root, plan)
    done = f"Committed {plan.message!r} and tagged" if plan.files() else "Tagged HEAD as"
    print(f"\n{done} {plan.tag}.")
    print(f"Publish with: git push origin HEAD {plan.tag}")
    for sibling in sorted({c.sibling.name for c in plan.broken}):
        print(f"Then release {sibling}: its range on {plan.dist.name} changed.")
    return 0


def cmd_changelog(root: Path, args: argparse.Namespace) -> int:
    """Print the CHANGELOG section of one version (the current one by default)."""
    dist = get_distribution(args.distribution)
    version = args.version or str(read_version(root, dist))
    section = changelog_section(changelog_path(root, dist).read_text(encoding="utf-8"), version)
    if section is None:
        raise ReleaseError(f"{dist.path}/CHANGELOG.md has no section for {version}")
    print(section)
    return 0


def cmd_tag_info(root: Path | None, args: argparse.Namespace) -> int:
    """Print ``key=value`` lines describing a tag, for ``$GITHUB_OUTPUT``."""
    dist, version = parse_tag(args.tag)
    if args.verify_version:
        declared = read_version(root or repository_root(), dist)
        if declared != version:
            raise ReleaseError(f"tag {args.tag} but {dist.path}/pyproject.toml says {declared}")
    print(f"distribution={dist.name}")
    print(f"version={version}")
    print(f"path={dist.path}")
    print(f"kind={dist.kind}")
    print(f"module={dist.module}")
    print(f"prerelease={'true' if version.is_prerelease else 'false'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="release.py", description="Release one distribution of the workspace."
    )
    parser.add_argument("--root", type=Path, help="repository root (default: from git)")
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("status", help="versions, last tags and commits since")

    bump = commands.add_parser("bump", help="bump, write the changelog, commit and tag")
    bump.add_argument("distribution")
    bump.add_argument("part", choices=BUMP_PARTS)
    bump.add_argument("--pre", choices=tuple(PRE_PHASES), help="start a pre-release of it")
    bump.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    bump.add_argument(
        "--update-dependents",
        action="store_true",
        help="rewrite siblings' ranges that do not admit the new version",
    )

    changelog = commands.add_parser("changelog", help="print one version's changelog section")
    changelog.add_argument("distribution")
    changelog.add_argument("--version", help="default: the version in pyproject.toml")

    tag_info = commands.add_parser("tag-info", help="describe a release tag")
    tag_info.add_argument("tag")
    tag_info.add_argument(
        "--verify-version",
        action="store_true",
        help="also require the member's pyproject.toml to declare the tagged version",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "tag-info":
            return cmd_tag_info(args.root, args)
        root = args.root or repository_root()
        if args.command == "status":
            return cmd_status(root)
        if args.command == "bump":
            return cmd_bump(root, args)
        return cmd_changelog(root, args)
    except ReleaseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
