"""``/ws``: a WebSocket that pushes new messages and notifications to the signed-in user.

Browsers cannot set headers on a WebSocket, so the token may also come as the ``token`` query
parameter. It is verified exactly like a bearer token; a failed check closes with 4401.
"""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from vet_clinic_api.realtime import user_channel
from vet_clinic_api.resources import Resources
from vet_core.exceptions import VetCoreException
from vet_services.auth.identity import actor_for_claims

router = APIRouter(tags=["realtime"])

UNAUTHORIZED = 4401


async def _user_id(websocket: WebSocket, res: Resources) -> str | None:
    header = websocket.headers.get("authorization", "")
    token = header.partition(" ")[2].strip() or websocket.query_params.get("token", "")
    if not token or res.verifier is None:
        return None
    try:
        claims = await res.verifier.verify(token)
        async with res.sessions() as session:
            user, _ = await actor_for_claims(session, claims, res.directory)
            await session.commit()
    except VetCoreException:
        return None
    return str(user.id)


@router.websocket("/ws")
async def push(websocket: WebSocket) -> None:
    """Accept, authenticate, then relay the user's Redis channel until either side closes."""
    res: Resources = websocket.app.state.resources
    user_id = await _user_id(websocket, res)
    if user_id is None:
        await websocket.close(code=UNAUTHORIZED, reason="authentication required")
        return
    await websocket.accept()
    pubsub = res.redis.pubsub()
    await pubsub.subscribe(user_channel(user_id))
    await websocket.send_json({"event": "ready", "data": {"user_id": user_id}})

    async def relay() -> None:
        async for message in pubsub.listen():
            if message.get("type") == "message":
                await websocket.send_text(str(message["data"]))

    async def watch_client() -> None:
        # We only push; reading notices the client going away (and keeps pings flowing).
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                await websocket.receive_text()

    tasks = [asyncio.create_task(relay()), asyncio.create_task(watch_client())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await pubsub.unsubscribe()
        await pubsub.aclose()
