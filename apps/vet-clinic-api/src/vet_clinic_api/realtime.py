"""Push to signed-in people over WebSockets, through Redis pub/sub.

Every API process subscribes, for each WebSocket it holds, to that user's channel; publishing
goes to Redis, never to a local list of sockets. So any number of API processes behind a load
balancer behave as one: an event published by one reaches a socket held by another.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from redis.asyncio import Redis


def user_channel(user_id: uuid.UUID | str) -> str:
    return f"ws:user:{user_id}"


async def publish_to_users(
    redis: Redis, user_ids: list[uuid.UUID], event: str, data: dict[str, Any]
) -> None:
    """Send ``{"event", "data"}`` to every socket of each user, on whichever process holds it."""
    message = json.dumps({"event": event, "data": data}, default=str)
    async with redis.pipeline(transaction=False) as pipe:
        for user_id in set(user_ids):
            pipe.publish(user_channel(user_id), message)
        await pipe.execute()
