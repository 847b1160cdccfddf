"""What the listeners share: settings, the Redis connection, the after-ack pool."""

from __future__ import annotations

from dataclasses import dataclass

from redis import Redis

from bot.background import Background
from bot.settings import Settings


@dataclass
class Deps:
    settings: Settings
    redis: Redis
    background: Background
