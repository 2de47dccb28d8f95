"""A chatbot provider over any OpenAI-compatible chat-completions API (OpenAI, vLLM, Ollama…).

Three rules make a language model safe enough to talk to pet owners:

* **Triage first.** Every message goes through the offline triage; when it finds an emergency,
  its answer (with the nearest open emergency clinics) is returned and the model is not asked:
  a model must never talk an owner out of going to the emergency clinic, nor delay them.
* **Only the pet's own record.** The model receives the record of the one pet the conversation
  is about (name, species, age, weight, vaccinations, active prescriptions, allergies), and a
  system prompt that forbids inventing medical facts. Nothing about other pets is ever sent.
* **Fail safe.** A timeout, an HTTP error or a malformed answer falls back to the triage reply;
  the owner always gets an answer.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from vet_services.messaging.chatbot.base import (
    ActionKind,
    BotReply,
    ChatContext,
    Speaker,
    SuggestedAction,
    Urgency,
)
from vet_services.messaging.chatbot.triage import TriageProvider

logger = logging.getLogger(__name__)

PROVIDER_NAME = "openai_compatible"
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}

SAFETY_PROMPT = """\
You are the assistant of a veterinary clinic, answering pet owners in a chat.
Rules you must always follow:
- Use only the pet record given below for anything about this pet. Never invent or guess \
diagnoses, test results, vaccinations, medications, doses, weights or dates. If the record \
does not contain something, say that you do not know and suggest asking the clinic.
- Never prescribe or change medication or doses; the veterinarian decides.
- If the owner describes anything that could be an emergency (trouble breathing, poisoning, \
seizures, a swollen abdomen, heavy bleeding, trauma, collapse, a cat unable to urinate, \
heatstroke, a difficult birth), tell them to go to an emergency clinic now.
- Be brief, kind and practical; offer to book an appointment when a visit would help.
- You talk about this one pet only. You know nothing about any other animal or client."""


class ChatbotLLMSettings(BaseSettings):
    """Where the OpenAI-compatible API lives (``CHATBOT_LLM_*``)."""

    model_config = SettingsConfigDict(env_prefix="CHATBOT_LLM_", env_file=".env", extra="ignore")

    base_url: str = Field(
        default="https://api.openai.com/v1", description="the API root, without /chat/completions"
    )
    api_key: SecretStr | None = Field(default=None, description="sent as a Bearer token")
    model: str = Field(default="gpt-4o-mini", min_length=1)
    timeout_seconds: float = Field(default=15.0, gt=0)
    max_tokens: int = Field(default=400, ge=16, le=4096)
    temperature: float = Field(default=0.2, ge=0, le=2)
    history_turns: int = Field(default=10, ge=0, le=50)

    @field_validator("base_url")
    @classmethod
    def _https_unless_loopback(cls, value: str) -> str:
        """An API key must not travel in clear text, except to a server on this machine."""
        parts = urlsplit(value)
        if parts.scheme == "https" or (
            parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS
        ):
            return value.rstrip("/")
        raise ValueError("base_url must use https (plain http only on loopback)")


class LLMProviderError(Exception):
    """The model could not give a usable answer (the caller falls back to triage)."""


def build_messages(
    context: ChatContext, *, system_prompt: str | None, history_turns: int
) -> list[dict[str, str]]:
    """The chat-completions ``messages``: safety rules, the clinic's own instructions, the pet's
    record, the recent thread and the owner's message."""
    system = SAFETY_PROMPT
    if system_prompt:
        system += (
            "\n\nInstructions from the clinic (the rules above take precedence):\n" + system_prompt
        )
    if context.clinic is not None:
        system += f"\n\nClinic: {context.clinic.name}"
        if context.clinic.phone:
            system += f", phone {context.clinic.phone}"
        system += ", open now." if context.clinic.is_open_now else ", closed now."
    pet = (
        json.dumps(context.pet.as_dict(), ensure_ascii=False)
        if context.pet is not None
        else "null (the owner has not said which pet this is about)"
    )
    messages = [
        {"role": "system", "content": system},
        {"role": "system", "content": f"Pet record: {pet}"},
    ]
    turns = context.history[-history_turns:] if history_turns else ()
    for turn in turns:
        role = "user" if turn.speaker is Speaker.OWNER else "assistant"
        messages.append({"role": role, "content": turn.text})
    messages.append({"role": "user", "content": context.message})
    return messages


def _answer_text(payload: Any) -> str:
    try:
        content = payload["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise LLMProviderError("the response has no choices[0].message.content") from None
    if not isinstance(content, str) or not content.strip():
        raise LLMProviderError("the model returned an empty answer")
    return content.strip()


@dataclass
class OpenAICompatibleProvider:
    """Answers with a language model, behind the triage and with triage as the fallback."""

    settings: ChatbotLLMSettings
    fallback: TriageProvider
    system_prompt: str | None = None
    model: str | None = None
    client: httpx.AsyncClient | None = None
    name: str = field(default=PROVIDER_NAME)

    async def reply(self, context: ChatContext) -> BotReply:
        triaged = await self.fallback.reply(context)
        if triaged.urgency is Urgency.EMERGENCY:
            return triaged
        try:
            text = await self._complete(context)
        except (httpx.HTTPError, LLMProviderError, ValueError) as error:
            logger.warning("chatbot LLM unavailable, answering with triage: %s", error)
            return BotReply(
                urgency=triaged.urgency,
                text=triaged.text,
                actions=triaged.actions,
                findings=triaged.findings,
                emergency_clinics=triaged.emergency_clinics,
                provider=triaged.provider,
                metadata={"fallback_reason": type(error).__name__},
            )
        actions = triaged.actions
        if not any(action.kind is ActionKind.BOOK for action in actions):
            actions = (*actions, SuggestedAction(ActionKind.BOOK, "Book an appointment"))
        # The urgency stays the triage's: a model's wording is not a clinical classification.
        return BotReply(
            urgency=triaged.urgency,
            text=text,
            actions=actions,
            findings=triaged.findings,
            provider=self.name,
            metadata={"model": self.model or self.settings.model},
        )

    async def _complete(self, context: ChatContext) -> str:
        body = {
            "model": self.model or self.settings.model,
            "messages": build_messages(
                context,
                system_prompt=self.system_prompt,
                history_turns=self.settings.history_turns,
            ),
            "temperature": self.settings.temperature,
            "max_tokens": self.settings.max_tokens,
        }
        headers = {"Content-Type": "application/json"}
        if self.settings.api_key is not None:
            headers["Authorization"] = f"Bearer {self.settings.api_key.get_secret_value()}"
        url = f"{self.settings.base_url}/chat/completions"
        timeout = httpx.Timeout(self.settings.timeout_seconds)
        if self.client is not None:
            response = await self.client.post(url, json=body, headers=headers, timeout=timeout)
        else:
            async with httpx.AsyncClient(timeout=timeout) as client:
                response = await client.post(url, json=body, headers=headers)
        response.raise_for_status()
        return _answer_text(response.json())


__all__ = [
    "PROVIDER_NAME",
    "SAFETY_PROMPT",
    "ChatbotLLMSettings",
    "LLMProviderError",
    "OpenAICompatibleProvider",
    "build_messages",
]
