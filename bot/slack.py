"""Slack Web API clients configured the same way everywhere: SLACK_API_URL as the base, and
retries that honour Retry-After on 429 and ride over dropped connections."""

from __future__ import annotations

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
        RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        ConnectionErrorRetryHandler(max_retry_count=2),
    ]


def web_client(token: str | None, api_url: str, timeout: int = 15) -> WebClient:
    return WebClient(
        token=token, base_url=api_url, timeout=timeout, retry_handlers=retry_handlers()
    )


def response_url_client(url: str) -> WebhookClient:
    return WebhookClient(url=url, timeout=15, retry_handlers=retry_handlers())
