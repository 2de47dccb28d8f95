"""``vet-core``: database migrations and the embedded development servers.

    vet-core db upgrade [REV]         apply migrations (default: head)
    vet-core db downgrade REV         revert to REV (``-1``, a revision id, or ``base``)
    vet-core db current               show the database's revision
    vet-core db history               list the revisions
    vet-core db revision -m MSG       write a new revision (``--autogenerate`` to diff the models)
    vet-core embedded start|stop|status|url [--only postgres|redis]

``db`` commands use ``DATABASE_URL``; when it is unset they use the embedded PostgreSQL,
starting it if needed.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from alembic import command

from vet_core import __version__
from vet_core.exceptions import VetCoreException


def _database_url() -> str:
    from vet_core.embedded import database_url

    if not os.environ.get("DATABASE_URL"):
        print("DATABASE_URL is not set: using the embedded PostgreSQL", file=sys.stderr)
    return database_url()


def _db(args: argparse.Namespace) -> int:
    from vet_core.migrations import alembic_config

    # Alembic reports each step it runs through logging.
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
    config = alembic_config(_database_url())
    match args.action:
        case "upgrade":
            command.upgrade(config, args.revision)
        case "downgrade":
            command.downgrade(config, args.revision)
        case "current":
            command.current(config, verbose=args.verbose)
        case "history":
            command.history(config, verbose=args.verbose)
        case "revision":
            command.revision(config, message=args.message, autogenerate=args.autogenerate)
    return 0


def _embedded(args: argparse.Namespace) -> int:
    from vet_core.embedded import EmbeddedPostgres, EmbeddedRedis

    servers: dict[str, EmbeddedPostgres | EmbeddedRedis] = {
        "postgres": EmbeddedPostgres(),
        "redis": EmbeddedRedis(),
    }
    for name, server in servers.items():
        if args.only and name != args.only:
            continue
        match args.action:
            case "start":
                print(f"{name}: {server.start()}")
            case "stop":
                print(f"{name}: {'stopped' if server.stop() else 'was not running'}")
            case "status":
                status = server.status()
                state = (
                    f"running (pid {status.pid}) at {status.url}" if status.running else "stopped"
                )
                print(f"{name}: {state}; data in {status.data_dir}")
            case "url":
                print(server.status().url or "")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The command line parser (exposed for tests and documentation)."""
    parser = argparse.ArgumentParser(prog="vet-core", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    groups = parser.add_subparsers(dest="group", required=True)

    db = groups.add_parser("db", help="database migrations")
    db_actions = db.add_subparsers(dest="action", required=True)
    upgrade = db_actions.add_parser("upgrade", help="apply migrations")
    upgrade.add_argument("revision", nargs="?", default="head")
    downgrade = db_actions.add_parser("downgrade", help="revert migrations")
    downgrade.add_argument("revision", help="-1, a revision id, or base")
    for name in ("current", "history"):
        sub = db_actions.add_parser(name, help=f"show the {name} revision(s)")
        sub.add_argument("-v", "--verbose", action="store_true")
    revision = db_actions.add_parser("revision", help="write a new revision file")
    revision.add_argument("-m", "--message", required=True)
    revision.add_argument("--autogenerate", action="store_true")
    db.set_defaults(handler=_db)

    embedded = groups.add_parser("embedded", help="the embedded PostgreSQL and Redis servers")
    embedded.add_argument("action", choices=["start", "stop", "status", "url"])
    embedded.add_argument("--only", choices=["postgres", "redis"])
    embedded.set_defaults(handler=_embedded)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``vet-core`` command."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except VetCoreException as exc:
        print(f"error [{exc.code}]: {exc.message}", file=sys.stderr)
        for key, value in exc.details.items():
            print(f"  {key}: {value}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
