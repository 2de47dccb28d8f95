"""WebSocket push through Redis: an event published by one API process reaches another's socket."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from httpx_ws import WebSocketDisconnect, aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport

from vet_clinic_api.realtime import publish_to_users

from conftest import mint


async def test_an_event_published_on_one_process_reaches_a_socket_held_by_another(api, app_factory):
    user = await api.user()
    holder = await app_factory()  # the process holding the socket
    # Both processes share the test's transaction, as two real processes share the database.
    holder.state.resources.sessions = api.app.state.resources.sessions
    publisher = api.app
    async with (
        httpx.AsyncClient(
            transport=ASGIWebSocketTransport(app=holder), base_url="http://holder"
        ) as client,
        aconnect_ws(f"/api/v1/ws?token={mint(user.clerk_user_id)}", client) as socket,
    ):
        ready = json.loads(await socket.receive_text())
        assert ready == {"event": "ready", "data": {"user_id": str(user.id)}}
        await publish_to_users(
            publisher.state.resources.redis, [user.id], "message.created", {"body": "hi"}
        )
        pushed = json.loads(await asyncio.wait_for(socket.receive_text(), timeout=5))
    assert pushed == {"event": "message.created", "data": {"body": "hi"}}


async def test_a_socket_without_a_valid_token_is_closed(api):
    async with httpx.AsyncClient(
        transport=ASGIWebSocketTransport(app=api.app), base_url="http://t"
    ) as client:
        with pytest.raises(WebSocketDisconnect) as caught:
            async with aconnect_ws("/api/v1/ws?token=garbage", client) as socket:
                await socket.receive_text()
    assert caught.value.code == 4401
