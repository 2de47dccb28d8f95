"""The dependencies routes declare: the session, the caller, Redis, pagination."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from vet_clinic_api.middleware.rate_limit import hit
from vet_clinic_api.resources import Resources
from vet_core.database import translate_connection_errors
from vet_core.exceptions import AuthenticationException, VetCoreException
from vet_core.models.identity import User
from vet_services.auth.api_keys import authenticate_api_key
from vet_services.auth.identity import actor_for_claims, ensure_may_sign_in
from vet_services.auth.permissions import Actor


class RateLimited(VetCoreException):
    code = "RATE_LIMITED"
    http_status = 429
    default_message = "Too many requests; slow down"


def resources(request: Request) -> Resources:
    state_resources: Resources = request.app.state.resources
    return state_resources


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request: committed when the route succeeds, rolled back otherwise."""
    with translate_connection_errors():
        async with resources(request).sessions() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise


async def _read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A read-only session on the replica (or the primary when there is none)."""
    with translate_connection_errors():
        async with resources(request).read_sessions() as session:
            yield session


# scope="function": the commit happens before the response is sent, so a failed commit is an
# error response and never a success that did not happen.
SessionDep = Annotated[AsyncSession, Depends(_session, scope="function")]
ReadSessionDep = Annotated[AsyncSession, Depends(_read_session, scope="function")]


def redis_client(request: Request) -> Redis:
    return resources(request).redis


RedisDep = Annotated[Redis, Depends(redis_client)]


class Caller:
    """The authenticated caller: their actor, and their user row when a person is signed in.

    ``user`` is None for an API key, and also for a person whose actor came from the actor
    cache: :data:`CurrentUser` loads the row then.
    """

    def __init__(self, actor: Actor, user: User | None) -> None:
        self.actor = actor
        self.user = user


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationException(
            "Send a Clerk session token or an API key as `Authorization: Bearer <token>`"
        )
    return token.strip()


async def _caller(request: Request, session: SessionDep) -> Caller:
    token = _bearer(request)
    res = resources(request)
    if token.startswith("vk_"):
        actor = await authenticate_api_key(session, token)
        caller = Caller(actor, None)
        subject = f"key:{actor.api_key_id}"
    else:
        if res.verifier is None:
            raise AuthenticationException(
                "Session tokens are not accepted: CLERK_ISSUER is not configured",
                code="AUTHENTICATION_UNAVAILABLE",
            )
        claims = await res.verifier.verify(token)
        cached = res.actors.get(claims.user_id)
        if cached is not None:
            caller = Caller(cached, None)  # the user row is loaded only by routes that need it
        else:
            user, actor = await actor_for_claims(session, claims, res.directory)
            res.actors.put(claims.user_id, actor)
            caller = Caller(actor, user)
        subject = f"user:{caller.actor.user_id}"
    actor = caller.actor
    request.scope.setdefault("state", {})["user_id"] = str(actor.user_id or actor.api_key_id)
    retry_after = await hit(res.redis, subject, res.settings.http.rate_limit_per_minute_user)
    if retry_after is not None:
        raise RateLimited(details={"scope": "user", "retry_after_seconds": retry_after})
    return caller


CallerDep = Annotated[Caller, Depends(_caller)]


async def _actor(caller: CallerDep) -> Actor:
    return caller.actor


ActorDep = Annotated[Actor, Depends(_actor)]


async def _user(caller: CallerDep, session: SessionDep) -> User:
    if caller.actor.user_id is None:
        raise AuthenticationException(
            "This route is for signed-in people, not API keys", code="USER_REQUIRED"
        )
    if caller.user is None:  # the actor came from the cache: load the row in this session
        user = await session.get(User, caller.actor.user_id)
        if user is None:
            raise AuthenticationException("The account no longer exists", code="UNKNOWN_USER")
        ensure_may_sign_in(user)
        caller.user = user
    return caller.user


CurrentUser = Annotated[User, Depends(_user)]
