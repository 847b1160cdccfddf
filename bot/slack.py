"""Slack Web API clients configured the same way everywhere: SLACK_API_URL as the base, and
retries that honour Retry-After on 429 and ride over dropped connections."""

from __future__ import annotations

from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.webhook import WebhookClient

# Slack's Retry-After is usually a few seconds; five waits cover a burst of incidents.
RATE_LIMIT_RETRIES = 5


def retry_handlers() -> list[RetryHandler]:
    return [
        # A 429 means Slack did not take the call: sending it again is safe.
        RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        # Only failures before the request got through (URLError: connect, send). Not
        # RemoteDisconnected or a reset while waiting for the answer, which slack_sdk also
        # retries by default: Slack may have posted the message already, and the delivery
        # job's retry looks for it before posting again (bot/delivery/once.py).
        ConnectionErrorRetryHandler(max_retry_count=2, error_types=[URLError]),
    ]


def web_client(token: str | None, api_url: str, timeout: int = 15) -> WebClient:
    return WebClient(
        token=token, base_url=api_url, timeout=timeout, retry_handlers=retry_handlers()
    )


def response_url_client(url: str) -> WebhookClient:
    return WebhookClient(url=url, timeout=15, retry_handlers=retry_handlers())
