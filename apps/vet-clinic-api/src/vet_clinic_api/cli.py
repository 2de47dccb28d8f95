"""``vet-clinic-api``: serve the API, run the development stack, manage accounts.

vet-clinic-api serve [--host H] [--port P] [--workers N]   production server (uvicorn)
vet-clinic-api dev [--port P] [--no-demo]                 embedded servers, migrations,
                                                          demo data, dev tokens, the API
vet-clinic-api users create --clerk-id ID --email E --first-name F --last-name L [--role R]
vet-clinic-api users grant --email E --role R             change a role (audited)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

from sqlalchemy import select

from vet_clinic_api import __version__
from vet_core.database import create_engine, create_session_factory, transaction
from vet_core.exceptions import VetCoreException
from vet_core.models.enums import AuditAction, UserRole
from vet_core.models.identity import User
from vet_services.audit import record_change


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from vet_clinic_api.main import configure_logging

    configure_logging()  # one JSON line per request, as in development
    uvicorn.run(
        "vet_clinic_api.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=True,
        access_log=False,  # our own middleware writes one JSON line per request
    )
    return 0


def _dev(args: argparse.Namespace) -> int:
    """The whole development stack in one process group, on embedded servers unless URLs are set."""
    import uvicorn

    from vet_clinic_api.demo_data import demo_people, load_demo_data
    from vet_clinic_api.devkeys import DEV_ISSUER, load_or_create_key, mint_dev_token, public_pem
    from vet_clinic_api.main import configure_logging, create_app
    from vet_core.embedded import database_url, embedded_root, redis_url
    from vet_core.migrations import alembic_config, upgrade

    os.environ["DATABASE_URL"] = database_url()
    os.environ["REDIS_URL"] = redis_url()
    upgrade(alembic_config(os.environ["DATABASE_URL"]))
    key = load_or_create_key(embedded_root())
    os.environ.update(
        {
            "CLERK_ISSUER": DEV_ISSUER,
            "CLERK_JWT_KEY": public_pem(key),
            "API_ENVIRONMENT": "development",
        }
    )

    async def seed() -> dict[str, str]:
        engine = create_engine(url=os.environ["DATABASE_URL"], pooled=False)
        try:
            async with transaction(create_session_factory(engine)) as session:
                if not args.no_demo and await load_demo_data(session):
                    print("Loaded the demo data.")
                people = await demo_people(session)
                return {
                    role: mint_dev_token(key, user.clerk_user_id, user.email)
                    for role, user in sorted(people.by_role.items())
                }
        finally:
            await engine.dispose()

    tokens = asyncio.run(seed())
    base = f"http://{args.host}:{args.port}"
    print(f"\nAPI: {base}/api/v1   docs: {base}/docs   (Ctrl-C stops)")
    print("Development tokens (valid 12 h, trusted only by this dev server):")
    for role, token in tokens.items():
        print(f"  {role:>15}: {token}")
    if tokens:
        sample = tokens.get("pet_owner") or next(iter(tokens.values()))
        print(f'\nTry: curl -H "Authorization: Bearer {sample[:24]}…" {base}/api/v1/users/me\n')
    configure_logging()
    uvicorn.run(create_app(), host=args.host, port=args.port, access_log=False)
    return 0


async def _users(args: argparse.Namespace) -> int:
    engine = create_engine(pooled=False)
    try:
        async with transaction(create_session_factory(engine)) as session:
            if args.action == "create":
                user = User(
                    clerk_user_id=args.clerk_id,
                    email=args.email,
                    first_name=args.first_name,
                    last_name=args.last_name,
                    role=UserRole(args.role),
                )
                session.add(user)
                await session.flush()
                await record_change(
                    session, None, AuditAction.CREATE, "user", user.id, after={"role": args.role}
                )
                print(f"created {user.email} ({user.role.value}) id={user.id}")
            else:
                found = (
                    await session.scalars(select(User).where(User.email == args.email))
                ).one_or_none()
                if found is None:
                    print(f"no user with e-mail {args.email}", file=sys.stderr)
                    return 1
                before = {"role": found.role.value}
                found.role = UserRole(args.role)
                await record_change(
                    session,
                    None,
                    AuditAction.UPDATE,
                    "user",
                    found.id,
                    before=before,
                    after={"role": args.role},
                )
                print(f"{found.email} is now {args.role}")
    finally:
        await engine.dispose()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vet-clinic-api", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the API server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(handler=_serve)

    dev = commands.add_parser("dev", help="run the development stack")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=8000)
    dev.add_argument("--no-demo", action="store_true", help="do not load the demo data")
    dev.set_defaults(handler=_dev)

    users = commands.add_parser("users", help="create accounts and grant roles")
    actions = users.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create")
    create.add_argument("--clerk-id", required=True)
    create.add_argument("--email", required=True)
    create.add_argument("--first-name", required=True)
    create.add_argument("--last-name", required=True)
    create.add_argument("--role", default="pet_owner", choices=[r.value for r in UserRole])
    grant = actions.add_parser("grant")
    grant.add_argument("--email", required=True)
    grant.add_argument("--role", required=True, choices=[r.value for r in UserRole])
    users.set_defaults(handler=lambda a: asyncio.run(_users(a)))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``vet-clinic-api`` command."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except VetCoreException as exc:
        print(f"error [{exc.code}]: {exc.message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
