"""The LLM provider against a real OpenAI-compatible HTTP server on loopback, through the bot
service: what the model is sent (the safety prompt and the one pet's record, nothing else), and
the fallback to triage when the server fails or is too slow."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pydantic import ValidationError

from vet_core.models.enums import MessageType, PetSex, Species
from vet_core.schemas.messaging import MessageCreate
from vet_services.messaging.chatbot.base import Urgency
from vet_services.messaging.chatbot.llm import SAFETY_PROMPT, ChatbotLLMSettings
from vet_services.messaging.chatbot.service import ask_bot, configured_provider
from vet_services.messaging.conversations import list_messages, start_bot_conversation

ANSWER = "According to Rex's record he takes Carprofen, 1 tablet twice daily."


@dataclass
class ChatCompletionsServer:
    """What the loopback server received, and how it should behave: ``ok``, ``error`` (HTTP 500),
    ``empty`` (200 without choices) or ``slow`` (answers after 1.5 s)."""

    url: str = ""
    mode: str = "ok"
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)


@pytest.fixture
def llm_server() -> Iterator[ChatCompletionsServer]:
    state = ChatCompletionsServer()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.paths.append(self.path)
            state.headers.append(dict(self.headers))
            state.requests.append(json.loads(body))
            if state.mode == "slow":
                time.sleep(1.5)
            if state.mode == "error":
                payload, status = {"error": {"message": "overloaded"}}, 500
            elif state.mode == "empty":
                payload, status = {"id": "chatcmpl-2", "choices": []}, 200
            else:
                payload = {
                    "id": "chatcmpl-1",
                    "object": "chat.completion",
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": ANSWER},
                            "finish_reason": "stop",
                        }
                    ],
                }
                status = 200
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (the timeout test)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
async def rex_household(world, db_session):
    """Rex (the conversation's pet), his housemate Bella and a stranger's pet Shadow, each with
    records that must never leak into Rex's conversation."""
    clinic = await world.clinic()
    bot = await world.chatbot(
        clinic,
        settings={"provider": "openai_compatible"},
        model="vet-small-2",
        system_prompt="Sign every answer as 'Rio Assistant'.",
    )
    owner = await world.owner()
    vet = await world.staff(clinic)
    prescriber = await world.veterinarian(clinic)
    rex = await world.pet(owner, "Rex", allergies="chicken")
    await world.weight(rex, "31.5")
    await world.vaccination(rex, "Rabies", date(2030, 6, 1), date(2031, 6, 1))
    await world.prescription(rex, prescriber, "Carprofen")

    bella = await world.pet(owner, "Bella", species=Species.CAT, sex=PetSex.FEMALE)
    await world.vaccination(bella, "Leptospirosis", date(2030, 7, 1), date(2031, 7, 1))
    await world.prescription(bella, prescriber, "Apoquel")
    stranger = await world.owner()
    shadow = await world.pet(stranger, "Shadow", allergies="penicillin")
    await world.prescription(shadow, prescriber, "Metacam")

    conversation = await start_bot_conversation(
        db_session, owner.actor, clinic_id=clinic.id, pet_id=rex.id
    )
    return {"clinic": clinic, "bot": bot, "owner": owner, "vet": vet, "conversation": conversation}


def settings_for(server: ChatCompletionsServer, timeout: float = 5.0) -> ChatbotLLMSettings:
    return ChatbotLLMSettings(
        base_url=server.url, api_key="sk-loopback", timeout_seconds=timeout, model="unused"
    )


NOW = datetime(2031, 3, 3, 12, 0, tzinfo=UTC)


async def test_the_model_is_given_the_safety_prompt_and_only_this_pets_record(
    rex_household, llm_server, db_session
):
    owner, conversation = rex_household["owner"], rex_household["conversation"]
    factory = configured_provider(settings_for(llm_server))

    exchange = await ask_bot(
        db_session,
        owner.actor,
        conversation.id,
        MessageCreate(body="What does Rex take for his joints?"),
        provider_factory=factory,
        now=NOW,
    )

    assert exchange.reply is not None
    assert exchange.reply.provider == "openai_compatible"
    assert exchange.answer is not None
    assert exchange.answer.message_type is MessageType.BOT
    assert exchange.answer.sender_id is None
    assert exchange.answer.body == ANSWER

    [request] = llm_server.requests
    assert llm_server.paths == ["/v1/chat/completions"]
    assert llm_server.headers[0]["Authorization"] == "Bearer sk-loopback"
    assert request["model"] == "vet-small-2"  # the clinic's configured model
    system, record, question = request["messages"]
    assert system["role"] == "system"
    assert system["content"].startswith(SAFETY_PROMPT)
    assert "Never invent or guess" in system["content"]
    assert "Sign every answer as 'Rio Assistant'." in system["content"]
    assert record["role"] == "system"
    pet = json.loads(record["content"].removeprefix("Pet record: "))
    assert pet["name"] == "Rex"
    assert pet["species"] == "dog"
    assert pet["age"] == "8y 11m"
    assert pet["weight_kg"] == "31.500"
    assert pet["allergies"] == "chicken"
    assert [v["vaccine"] for v in pet["vaccinations"]] == ["Rabies"]
    assert [p["medication"] for p in pet["active_prescriptions"]] == ["Carprofen"]
    assert question == {"role": "user", "content": "What does Rex take for his joints?"}

    sent = json.dumps(request)
    for other_pets_data in ("Bella", "Leptospirosis", "Apoquel", "Shadow", "penicillin", "Metacam"):
        assert other_pets_data not in sent


async def test_the_thread_so_far_is_sent_as_turns(rex_household, llm_server, db_session):
    owner, conversation = rex_household["owner"], rex_household["conversation"]
    factory = configured_provider(settings_for(llm_server))

    await ask_bot(
        db_session,
        owner.actor,
        conversation.id,
        MessageCreate(body="Hello"),
        provider_factory=factory,
        now=NOW,
    )
    await ask_bot(
        db_session,
        owner.actor,
        conversation.id,
        MessageCreate(body="And how often?"),
        provider_factory=factory,
        now=NOW,
    )

    turns = llm_server.requests[1]["messages"][2:]
    assert turns == [
        {"role": "user", "content": "Hello"},
        {"role": "assistant", "content": ANSWER},
        {"role": "user", "content": "And how often?"},
    ]


async def test_a_server_error_falls_back_to_triage(rex_household, llm_server, db_session):
    owner, conversation = rex_household["owner"], rex_household["conversation"]
    llm_server.mode = "error"

    exchange = await ask_bot(
        db_session,
        owner.actor,
        conversation.id,
        MessageCreate(body="What are your opening hours?"),
        provider_factory=configured_provider(settings_for(llm_server)),
        now=NOW,
    )

    assert len(llm_server.requests) == 1
    assert exchange.reply is not None
    assert exchange.reply.provider == "triage"
    assert exchange.reply.metadata == {"fallback_reason": "HTTPStatusError"}
    assert exchange.answer is not None
    assert "Clínica Veterinária do Rio is open now" in exchange.answer.body


async def test_a_slow_server_falls_back_to_triage_after_the_timeout(
    rex_household, llm_server, db_session
):
    owner, conversation = rex_household["owner"], rex_household["conversation"]
    llm_server.mode = "slow"

    started = time.monotonic()
    exchange = await ask_bot(
        db_session,
        owner.actor,
        conversation.id,
        MessageCreate(body="He has been limping since yesterday"),
        provider_factory=configured_provider(settings_for(llm_server, timeout=0.3)),
        now=NOW,
    )

    assert time.monotonic() - started < 1.4
    assert exchange.reply is not None
    assert exchange.reply.provider == "triage"
    assert exchange.reply.metadata == {"fallback_reason": "ReadTimeout"}
    assert exchange.reply.urgency is Urgency.ROUTINE


async def test_an_emergency_is_answered_by_triage_without_asking_the_model(
    rex_household, llm_server, db_session
):
    owner, conversation = rex_household["owner"], rex_household["conversation"]

    exchange = await ask_bot(
        db_session,
        owner.actor,
        conversation.id,
        MessageCreate(body="Rex just ate a bag of raisins!"),
        provider_factory=configured_provider(settings_for(llm_server)),
        now=NOW,
    )

    assert llm_server.requests == []
    assert exchange.reply is not None
    assert exchange.reply.urgency is Urgency.EMERGENCY
    assert exchange.answer is not None
    assert exchange.answer.body.startswith("This sounds like an emergency (grapes or raisins)")


async def test_staff_taking_over_and_a_disabled_bot_get_no_bot_answer(
    rex_household, llm_server, db_session
):
    owner, vet = rex_household["owner"], rex_household["vet"]
    conversation = rex_household["conversation"]
    factory = configured_provider(settings_for(llm_server))

    by_staff = await ask_bot(
        db_session,
        vet.actor,
        conversation.id,
        MessageCreate(body="Hi, Dr. Dana here: I'll take it from here."),
        provider_factory=factory,
    )
    assert by_staff.answer is None

    rex_household["bot"].is_enabled = False
    await db_session.flush()
    silent = await ask_bot(
        db_session,
        owner.actor,
        conversation.id,
        MessageCreate(body="Thank you!"),
        provider_factory=factory,
    )
    assert silent.answer is None
    assert llm_server.requests == []
    page = await list_messages(db_session, owner.actor, conversation.id)
    assert [m.body for m in page.items] == [
        "Thank you!",
        "Hi, Dr. Dana here: I'll take it from here.",
    ]


async def test_an_answer_without_choices_falls_back_to_triage(
    rex_household, llm_server, db_session
):
    owner, conversation = rex_household["owner"], rex_household["conversation"]
    llm_server.mode = "empty"

    exchange = await ask_bot(
        db_session,
        owner.actor,
        conversation.id,
        MessageCreate(body="I'd like to book a check-up"),
        provider_factory=configured_provider(settings_for(llm_server)),
        now=NOW,
    )

    assert exchange.reply is not None
    assert exchange.reply.provider == "triage"
    assert exchange.reply.metadata == {"fallback_reason": "LLMProviderError"}


def test_the_api_key_never_travels_over_plain_http_beyond_loopback():
    with pytest.raises(ValidationError):
        ChatbotLLMSettings(base_url="http://llm.example.com/v1")
    assert ChatbotLLMSettings(base_url="https://llm.example.com/v1/").base_url == (
        "https://llm.example.com/v1"
    )
