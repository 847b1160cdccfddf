"""What the listeners share: settings, the Redis connections, the after-ack pool."""

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
    # For the round trip before an ack only: a short bound and no retry (bot/intake.py), so
    # a hung Redis cannot hold an acknowledgement past Slack's 3 s.
    ack_redis: Redis
