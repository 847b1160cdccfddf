"""Bring Slack in line with a run record: post or update the status message, post the result
or the failure in the thread, fall back to response_url when the bot is not in the channel.

Each job renders from the whole record under a per-run lock, so jobs may run in any order
and any number of times; what was already posted is remembered in the record, and every post
goes through `post_once` (bot/delivery/once.py), so an answer Slack accepted but whose reply
was lost (500, timeout, a killed worker) is found again rather than posted twice. The lock is
a short lease renewed while the job runs: a killed worker holds others up for seconds.
"""

from __future__ import annotations

import hashlib
import json
import logging
from functools import cache
from types import TracebackType
from typing import Any

from redis import Redis
from rq import get_current_job
from rq.job import Job
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.delivery.once import post_once
from bot.render import replies
from bot.render.distribution import AnyReport, load_report, run_evidence, run_results, run_status
from bot.render.message import Message
from bot.render.status import failure_reply
from bot.settings import Settings
from bot.slack import response_url_client, web_client
from bot.store import RunDelivery, SlackStore
from workers import metrics
from workers.jobs import queues
from workers.jobs.run_record import Run, RunStore
from workers.logging_setup import request_id_bound
from workers.models.distribution_live import LIVE_KIND, DistributionLive
from workers.models.provisional import Provisional

log = logging.getLogger(__name__)

# The bot cannot post there: answer through the command's response_url instead.
NOT_A_MEMBER = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action"}
# response_url accepts five messages in 30 minutes; one is the not-in-channel notice.
RESPONSE_URL_BUDGET = 4


class DeliveryError(Exception):
    """Slack did not take a message; the job fails and RQ retries it."""


@cache
def slack() -> WebClient:
    """The Web API client of this delivery worker (built on first use, from the environment)."""
    settings = Settings.from_env()
    settings.require("SLACK_BOT_TOKEN")
    return web_client(settings.bot_token, settings.api_url)


@cache
def bot_user_id() -> str | None:
    try:
        return str(slack().auth_test().get("user_id") or "") or None
    except SlackApiError:
        return None


def _connection() -> Redis:
    job = get_current_job()
    if job is None:
        raise RuntimeError("delivery jobs run inside an RQ worker")
    connection: Redis = job.connection
    return connection


def _call(method: str, **kwargs: Any) -> dict[str, Any]:
    """One Web API call, counting Slack's errors by method and error string."""
    try:
        response = slack().api_call(method, json={k: v for k, v in kwargs.items() if v is not None})
    except SlackApiError as exc:
        error = str(exc.response.get("error") or "unknown")
        metrics.SLACK_API_ERRORS.labels(method=method, error=error).inc()
        raise
    data: dict[str, Any] = dict(response.data) if isinstance(response.data, dict) else {}
    log.info("slack call", extra={"method": method, "channel": kwargs.get("channel"),
                                  "ts": data.get("ts") or kwargs.get("ts")})
    return data


def _digest(message: Message) -> str:
    blob = json.dumps(message.payload(), sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def _report(store: RunStore, run_id: str | None) -> AnyReport | None:
    """The stored report: an origin's, or a distribution's (see bot/render/distribution)."""
    if run_id is None:
        return None
    return load_report(store.report(run_id))


def _provisional(store: RunStore, run: Run) -> Provisional | DistributionLive | None:
    """The run's first verdict while it still runs (issue 8), or for a distribution each
    origin's state; the final report replaces it."""
    if run.status != "running":
        return None
    data = store.provisional(run.run_id)
    if data is None:
        return None
    if data.get("kind") == LIVE_KIND:
        return DistributionLive.from_dict(data)
    return Provisional.from_dict(data)


def _send_response_url(url: str | None, message: Message, *, in_channel: bool) -> None:
    if not url:
        raise DeliveryError("no response_url to answer through")
    response = response_url_client(url).send(
        response_type="in_channel" if in_channel else "ephemeral",
        replace_original=False,
        **message.payload(),
    )
    if response.status_code != 200:
        metrics.SLACK_API_ERRORS.labels(
            method="response_url", error=str(response.status_code)
        ).inc()
        raise DeliveryError(f"response_url answered {response.status_code}: {response.body}")


def sync_run(run_id: str) -> str:
    """Make Slack show what the run record says; returns what was done, for the job result."""
    connection = _connection()
    store = RunStore(connection)
    with request_id_bound(store.request_id(run_id)):
        return _sync_run(store, SlackStore(connection), run_id)


def _sync_run(store: RunStore, slack_store: SlackStore, run_id: str) -> str:
    with (
        metrics.track_job(queues.DELIVERY_QUEUE),
        slack_store.locked(run_id, wait=queues.DELIVERY_TIMEOUT - 30),
    ):
        run = store.get(run_id)
        if run is None:
            return "gone"
        shown = slack_store.delivery(run_id)
        report = _report(store, run_id) if run.status == "done" else None
        if shown.fallback:
            return _sync_fallback(store, slack_store, run, shown, report)
        status = run_status(run, report, provisional=_provisional(store, run))
        if shown.message_ts is None:
            try:
                posted = post_once(
                    slack_store, _call, f"{run_id}:status",
                    channel=run.channel,
                    thread_ts=shown.thread_ts,
                    unfurl_links=False,
                    **status.payload(),
                )
            except SlackApiError as exc:
                if exc.response.get("error") in NOT_A_MEMBER:
                    return _start_fallback(store, slack_store, run, shown, report)
                raise
            message_ts = posted.ts
            thread_ts = shown.thread_ts or message_ts
            # A message found again shows what an earlier attempt sent: update it below.
            shown.rendered = _digest(status) if posted.fresh else None
            slack_store.update(run_id, message_ts=message_ts, thread_ts=thread_ts,
                               rendered=shown.rendered)
            slack_store.link_thread(run.channel, thread_ts, run_id)
            shown.message_ts, shown.thread_ts = message_ts, thread_ts
        if _digest(status) != shown.rendered:
            _call("chat.update", channel=run.channel, ts=shown.message_ts, **status.payload())
            slack_store.update(run_id, rendered=_digest(status))
        if run.status == "done" and report is not None and not shown.result_posted:
            previous = _report(store, run.previous_run)
            messages = run_results(run, report, previous)
            for number, message in enumerate(messages):
                if number < shown.result_parts:
                    continue
                post_once(
                    slack_store, _call, f"{run_id}:result:{number}",
                    channel=run.channel,
                    thread_ts=shown.thread_ts,
                    unfurl_links=False,
                    **message.payload(),
                )
                slack_store.update(run_id, result_parts=number + 1)
            slack_store.update(run_id, result_posted=True)
            return "result"
        if run.status == "failed" and not shown.failure_posted:
            post_once(
                slack_store, _call, f"{run_id}:failure:{run.attempt}",
                channel=run.channel,
                thread_ts=shown.thread_ts,
                **failure_reply(run).payload(),
            )
            slack_store.update(run_id, failure_posted=True)
            return "failure"
        return "status"


def _start_fallback(store: RunStore, slack_store: SlackStore, run: Run, shown: RunDelivery,
                    report: AnyReport | None) -> str:
    """The bot is not in the channel: say how to invite it, then answer via response_url."""
    slack_store.update(run.run_id, fallback=True)
    shown.fallback = True
    if shown.response_url:
        _send_response_url(
            shown.response_url, replies.not_in_channel(bot_user_id()), in_channel=False
        )
    else:
        log.warning("not in channel and no response_url", extra={"run_id": run.run_id})
    return _sync_fallback(store, slack_store, run, shown, report)


def _sync_fallback(store: RunStore, slack_store: SlackStore, run: Run, shown: RunDelivery,
                   report: AnyReport | None) -> str:
    """Without a thread, only the end is sent: the verdict and the findings, in the channel."""
    if not shown.response_url:
        # Nothing to answer through (a run started by a mention or a button without one):
        # retrying cannot help, so say so in the log once and stop.
        if run.status in ("done", "failed") and not (shown.result_posted or shown.failure_posted):
            log.warning("result undeliverable: not in channel", extra={"run_id": run.run_id})
            slack_store.update(run.run_id, result_posted=True, failure_posted=True)
        return "undeliverable"
    if run.status == "done" and report is not None and not shown.result_posted:
        messages = [
            run_status(run, report, in_thread=False),
            *run_results(run, report, _report(store, run.previous_run)),
        ]
        for number, message in enumerate(messages[:RESPONSE_URL_BUDGET]):
            if number < shown.result_parts:
                continue
            _send_response_url(shown.response_url, message, in_channel=True)
            slack_store.update(run.run_id, result_parts=number + 1)
        slack_store.update(run.run_id, result_posted=True)
        return "result via response_url"
    if run.status == "failed" and not shown.failure_posted:
        _send_response_url(shown.response_url, failure_reply(run), in_channel=True)
        slack_store.update(run.run_id, failure_posted=True)
        return "failure via response_url"
    return "waiting (fallback)"


def post_evidence(run_id: str, user: str, response_url: str | None = None) -> str:
    """Post the evidence of a finished run in its thread (or to whoever asked, without one)."""
    connection = _connection()
    store = RunStore(connection)
    with request_id_bound(store.request_id(run_id)), metrics.track_job(queues.DELIVERY_QUEUE):
        run = store.get(run_id)
        report = _report(store, run_id)
        if run is None or report is None:
            if response_url:
                _send_response_url(response_url, replies.expired_run(), in_channel=False)
            return "gone"
        messages = run_evidence(report, requested_by=user)
        slack_store = SlackStore(connection)
        shown = slack_store.delivery(run_id)
        if shown.fallback or shown.thread_ts is None:
            for message in messages[:RESPONSE_URL_BUDGET]:
                _send_response_url(response_url, message, in_channel=False)
            return "evidence via response_url"
        job = get_current_job()
        for number, message in enumerate(messages):
            post_once(
                slack_store, _call, f"{job.id if job else run_id}:{number}",
                channel=run.channel,
                thread_ts=shown.thread_ts,
                unfurl_links=False,
                **message.payload(),
            )
        return "evidence"


def on_delivery_failure(
    job: Job,
    connection: Redis,
    exc_type: type[BaseException] | None,
    exc_value: BaseException | None,
    traceback: TracebackType | None,
) -> None:
    """RQ failure callback for delivery jobs: keep the reason in the log (RQ retries)."""
    log.warning(
        "delivery failed",
        extra={"job_id": job.id, "retries_left": job.retries_left, "error": repr(exc_value)},
        exc_info=(exc_type, exc_value, traceback) if exc_type and exc_value else None,
    )
