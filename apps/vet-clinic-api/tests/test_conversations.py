"""Conversations over HTTP, and a posted message pushed to a socket held by another process."""

from __future__ import annotations

import asyncio
import json

import httpx
from httpx_ws import aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport

from conftest import error_of, mint


async def start_thread(api, owner, clinic) -> str:
    response = await api.client.post(
        "/api/v1/conversations",
        headers=api.auth(owner),
        json={
            "conversation_type": "clinic_support",
            "clinic_id": str(clinic.id),
            "subject": "Limping",
        },
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def test_owner_and_clinic_staff_talk_and_strangers_see_nothing(api):
    clinic = await api.clinic()
    owner, receptionist, stranger = (
        await api.user(),
        await api.staff(clinic, "receptionist"),
        await api.user(),
    )
    other_staff = await api.staff(await api.clinic(), "receptionist")
    thread = await start_thread(api, owner, clinic)
    posted = await api.client.post(
        f"/api/v1/conversations/{thread}/messages",
        headers=api.auth(owner),
        json={"body": "Rex is limping"},
    )
    assert posted.status_code == 201, posted.text

    joined = await api.client.post(
        f"/api/v1/conversations/{thread}/join", headers=api.auth(receptionist)
    )
    assert joined.status_code == 200, joined.text
    page = await api.client.get(
        f"/api/v1/conversations/{thread}/messages", headers=api.auth(receptionist)
    )
    assert [m["body"] for m in page.json()["items"]] == ["Rex is limping"]

    inbox = await api.client.get("/api/v1/conversations", headers=api.auth(receptionist))
    assert inbox.json()[0]["unread_count"] == 1
    await api.client.post(
        f"/api/v1/conversations/{thread}/read", headers=api.auth(receptionist), json={}
    )
    inbox = await api.client.get("/api/v1/conversations", headers=api.auth(receptionist))
    assert inbox.json()[0]["unread_count"] == 0

    for outsider in (stranger, other_staff):
        response = await api.client.get(
            f"/api/v1/conversations/{thread}/messages", headers=api.auth(outsider)
        )
        assert response.status_code == 404
        assert error_of(response)["code"] == "CONVERSATION_NOT_FOUND"


async def test_reactions_are_once_per_person_and_emoji(api):
    clinic = await api.clinic()
    owner = await api.user()
    thread = await start_thread(api, owner, clinic)
    message = (
        await api.client.post(
            f"/api/v1/conversations/{thread}/messages", headers=api.auth(owner), json={"body": "hi"}
        )
    ).json()["message"]
    url = f"/api/v1/messages/{message['id']}/reactions"
    first = await api.client.post(url, headers=api.auth(owner), json={"emoji": "👍"})
    again = await api.client.post(url, headers=api.auth(owner), json={"emoji": "👍"})
    assert (first.json(), again.json()) == ({"changed": True}, {"changed": False})


async def test_a_message_posted_on_one_process_reaches_a_socket_on_another(api, app_factory):
    clinic = await api.clinic()
    owner, receptionist = await api.user(), await api.staff(clinic, "receptionist")
    thread = await start_thread(api, owner, clinic)
    await api.client.post(f"/api/v1/conversations/{thread}/join", headers=api.auth(receptionist))

    holder = await app_factory()
    holder.state.resources.sessions = api.app.state.resources.sessions
    async with (
        httpx.AsyncClient(
            transport=ASGIWebSocketTransport(app=holder), base_url="http://b"
        ) as client,
        aconnect_ws(f"/api/v1/ws?token={mint(receptionist.clerk_user_id)}", client) as socket,
    ):
        assert json.loads(await socket.receive_text())["event"] == "ready"
        posted = await api.client.post(
            f"/api/v1/conversations/{thread}/messages",
            headers=api.auth(owner),
            json={"body": "Are you open?"},
        )
        assert posted.status_code == 201
        pushed = json.loads(await asyncio.wait_for(socket.receive_text(), timeout=5))
    assert pushed["event"] == "message.created"
    assert pushed["data"]["body"] == "Are you open?"


async def test_the_clinic_bot_flags_an_emergency(api):
    clinic = await api.clinic(accepts_emergencies=True, is_open_24h=True)
    owner = await api.user()
    started = await api.client.post(
        "/api/v1/conversations",
        headers=api.auth(owner),
        json={"conversation_type": "chatbot", "clinic_id": str(clinic.id)},
    )
    assert started.status_code == 201, started.text
    answer = await api.client.post(
        f"/api/v1/conversations/{started.json()['id']}/messages",
        headers=api.auth(owner),
        json={
            "body": "My dog ate a whole bar of dark chocolate",
            "latitude": 40.7,
            "longitude": -74.0,
        },
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["urgency"] == "emergency"
    assert answer.json()["bot_reply"]["body"]
