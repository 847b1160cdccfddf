"""A recording stand-in for Slack on loopback: the Web API (what SLACK_API_URL points at),
response_url endpoints, and request signing exactly as Slack does it.

Failures are injected per method: ``rate_limit("chat.postMessage", retry_after=1)`` answers
the next call with 429 and Retry-After, ``fail("chat.postMessage", "not_in_channel")`` with
Slack's error, and ``not_member(channel)`` makes every post to a channel fail as Slack does
for a channel the bot was not invited to.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.bot.mrkdwn import CONTROL as SLACK_MARKUP
from tests.bot.mrkdwn import Rendered, render, texts_in

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-test-token"
BOT_USER = "UBOT502"


@dataclass
class Failure:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    when: Callable[[dict[str, Any]], bool] | None = None
    # Do what Slack does for the call (post the message), then answer with this failure
    # anyway, after `delay` seconds: the answer of an accepted call is lost.
    after_accepting: bool = False
    delay: float = 0.0


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    at: float
    status: int = 200


@dataclass
class Posted:
    """One message as a channel member would see it now (updates applied)."""

    channel: str
    ts: str
    thread_ts: str | None
    text: str
    blocks: list[dict[str, Any]]
    updates: int = 0
    history: list[str] = field(default_factory=list)  # fallback text of every version
    metadata: dict[str, Any] | None = None

    def all_text(self) -> str:
        return json.dumps(self.blocks) + "\n" + self.text

    def button_values(self) -> dict[str, str]:
        values = {}
        for block in self.blocks:
            if block.get("type") == "actions":
                for element in block.get("elements", []):
                    values[element["action_id"]] = element["value"]
        return values


class FakeSlack:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.responses: list[dict[str, Any]] = []  # what was POSTed to response_urls
        self.messages: dict[str, Posted] = {}
        self._failures: dict[str, list[Failure]] = {}
        self._non_member: set[str] = set()
        self.socket_mode_url: str | None = None  # what apps.connections.open hands out
        self.delayed = 0.0  # set by _answer: hold the answer back this long
        self._ts = itertools.count(1)
        self._response_ids = itertools.count(1)
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- lifecycle --------------------------------------------------------------------------
    def __enter__(self) -> FakeSlack:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    def new_response_url(self) -> str:
        return f"{self.base}/response/{next(self._response_ids)}"

    # -- failure injection ------------------------------------------------------------------
    def rate_limit(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        with self._lock:
            for _ in range(times):
                self._failures.setdefault(method, []).append(
                    Failure(
                        429,
                        {"ok": False, "error": "ratelimited"},
                        {"Retry-After": str(retry_after)},
                    )
                )

    def fail(
        self,
        method: str,
        error: str,
        times: int = 1,
        when: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        """Answer the next `times` calls (those for which `when(args)` holds) with `error`."""
        with self._lock:
            for _ in range(times):
                self._failures.setdefault(method, []).append(
                    Failure(200, {"ok": False, "error": error}, {}, when)
                )

    def accept_then_fail(self, method: str, status: int = 500, times: int = 1,
                         when: Callable[[dict[str, Any]], bool] | None = None) -> None:
        """Take the next `times` calls (posting the message), then answer `status`."""
        with self._lock:
            for _ in range(times):
                self._failures.setdefault(method, []).append(Failure(
                    status, {"ok": False, "error": "internal_error"}, {}, when,
                    after_accepting=True))

    def accept_then_hang(self, method: str, seconds: float, times: int = 1,
                         when: Callable[[dict[str, Any]], bool] | None = None) -> None:
        """Take the next `times` calls, then keep the answer back for `seconds` (longer than
        the client waits: it sees a timeout although the message was posted)."""
        with self._lock:
            for _ in range(times):
                self._failures.setdefault(method, []).append(Failure(
                    200, {}, {}, when, after_accepting=True, delay=seconds))

    def not_member(self, channel: str) -> None:
        with self._lock:
            self._non_member.add(channel)

    # -- queries ----------------------------------------------------------------------------
    def calls_of(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def channel_messages(self, channel: str) -> list[Posted]:
        """Top-level messages of a channel, oldest first."""
        with self._lock:
            return [
                m for m in self.messages.values() if m.channel == channel and m.thread_ts is None
            ]

    def thread(self, channel: str, thread_ts: str) -> list[Posted]:
        """Replies in a thread, oldest first."""
        with self._lock:
            return [
                m
                for m in self.messages.values()
                if m.channel == channel and m.thread_ts == thread_ts
            ]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 20.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out waiting; calls so far: {self.summary()}")
            with self._changed:
                self._changed.wait(min(remaining, 0.2))

    def mrkdwn_texts(self) -> list[str]:
        """Every text Slack reads as mrkdwn in what the app sent (see `mrkdwn.texts_in`):
        messages, response_url posts, ephemeral messages and views."""
        with self._lock:
            return texts_in([call.args for call in self.calls] + list(self.responses))

    def rendered_markup(self) -> list[str]:
        """Every Slack control sequence (`<!channel>`, `<@U…>`, `<#C…>`, `<url|text>`) Slack
        would act on in what the app sent (see `mrkdwn_texts`)."""
        return [found for text in self.mrkdwn_texts() for found in SLACK_MARKUP.findall(text)]

    def rendered(self) -> list[Rendered]:
        """What a reader sees of every mrkdwn text the app sent, with the styles applied."""
        return [render(text) for text in self.mrkdwn_texts()]

    def summary(self) -> list[str]:
        with self._lock:
            return [f"{c.method}:{c.status}:{str(c.args.get('text', ''))[:80]}" for c in self.calls]

    # -- the server -------------------------------------------------------------------------
    def _answer(
        self, method: str, args: dict[str, Any]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        for failure in self._failures.get(method, []):
            if failure.when is None or failure.when(args):
                self._failures[method].remove(failure)
                if failure.after_accepting:
                    status, body, headers = self._succeed(method, args)
                    self.delayed = failure.delay
                    if failure.delay:
                        return status, body, headers
                return failure.status, failure.body, failure.headers
        return self._succeed(method, args)

    def _succeed(
        self, method: str, args: dict[str, Any]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        channel = str(args.get("channel", ""))
        if method in ("chat.postMessage", "chat.update") and channel in self._non_member:
            return 200, {"ok": False, "error": "not_in_channel"}, {}
        if method == "auth.test":
            return (
                200,
                {
                    "ok": True,
                    "user_id": BOT_USER,
                    "bot_id": "B502",
                    "team_id": "T1",
                    "user": "origin502",
                    "team": "test",
                    "url": "https://test.slack.com/",
                },
                {},
            )
        if method == "chat.postMessage":
            ts = f"{1700000000 + next(self._ts)}.000100"
            blocks = args.get("blocks") or []
            if isinstance(blocks, str):
                blocks = json.loads(blocks)
            metadata = args.get("metadata")
            if isinstance(metadata, str):
                metadata = json.loads(metadata)
            self.messages[ts] = Posted(
                channel,
                ts,
                args.get("thread_ts"),
                str(args.get("text", "")),
                blocks,
                history=[str(args.get("text", ""))],
                metadata=metadata,
            )
            return 200, {"ok": True, "channel": channel, "ts": ts}, {}
        if method in ("conversations.history", "conversations.replies"):
            # Newest first for history, as Slack answers; a thread with its parent first.
            if method == "conversations.history":
                found = sorted((m for m in self.messages.values()
                                if m.channel == channel and m.thread_ts is None),
                               key=lambda m: m.ts, reverse=True)
            else:
                parent = str(args.get("ts"))
                found = sorted((m for m in self.messages.values() if m.channel == channel
                                and parent in (m.ts, m.thread_ts)),
                               key=lambda m: m.ts)
            with_metadata = str(args.get("include_all_metadata")).lower() in ("true", "1")
            return 200, {"ok": True, "messages": [
                {"ts": m.ts, "text": m.text, "thread_ts": m.thread_ts,
                 **({"metadata": m.metadata} if with_metadata and m.metadata else {})}
                for m in found]}, {}
        if method == "chat.update":
            ts = str(args.get("ts"))
            message = self.messages.get(ts)
            if message is None:
                return 200, {"ok": False, "error": "message_not_found"}, {}
            blocks = args.get("blocks") or []
            if isinstance(blocks, str):
                blocks = json.loads(blocks)
            message.text, message.blocks = str(args.get("text", "")), blocks
            message.updates += 1
            message.history.append(message.text)
            return 200, {"ok": True, "channel": channel, "ts": ts}, {}
        if method == "apps.connections.open":
            if self.socket_mode_url is None:
                return 200, {"ok": False, "error": "invalid_auth"}, {}
            return 200, {"ok": True, "url": self.socket_mode_url}, {}
        if method == "chat.postEphemeral":
            return 200, {"ok": True, "message_ts": f"{1700000000 + next(self._ts)}.000200"}, {}
        if method == "chat.getPermalink":
            ts = str(args.get("message_ts", "")).replace(".", "")
            return (
                200,
                {"ok": True, "permalink": f"https://test.slack.com/archives/{channel}/p{ts}"},
                {},
            )
        return 200, {"ok": True}, {}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                if "json" in (self.headers.get("Content-Type") or ""):
                    args = json.loads(raw or "{}")
                else:
                    args = {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}
                path = self.path.split("?", 1)[0]
                delay = 0.0
                with fake._changed:
                    if path.startswith("/response/"):
                        fake.responses.append({"url": path, **args})
                        status, body, headers = 200, {"ok": True}, {}
                        queued = fake._failures.get("response_url")
                        if queued:
                            failure = queued.pop(0)
                            status, body, headers = failure.status, failure.body, failure.headers
                        fake.calls.append(Call("response_url", args, time.time(), status))
                    else:
                        method = path.removeprefix("/api/")
                        fake.delayed = 0.0
                        status, body, headers = fake._answer(method, args)
                        delay = fake.delayed
                        fake.calls.append(Call(method, args, time.time(), status))
                    fake._changed.notify_all()
                if delay:
                    time.sleep(delay)  # the message is posted; its answer comes too late
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


# -- requests as Slack sends them -----------------------------------------------------------
def sign(body: str, timestamp: int | None = None, secret: str = SIGNING_SECRET) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


@dataclass
class Reply:
    status: int
    body: str
    elapsed_ms: float

    def json(self) -> dict[str, Any]:
        return json.loads(self.body) if self.body else {}


def post(
    url: str, body: str, content_type: str, headers: dict[str, str], timeout: float = 10
) -> Reply:
    request = urllib.request.Request(
        url, data=body.encode(), method="POST", headers={"Content-Type": content_type, **headers}
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            text = response.read().decode()
            status = response.status
    except urllib.error.HTTPError as exc:
        text, status = exc.read().decode(), exc.code
    return Reply(status, text, (time.perf_counter() - started) * 1000)


def command_body(
    text: str,
    *,
    channel: str = "C0INCIDENT",
    user: str = "UALICE",
    response_url: str = "",
    command: str = "/origin502",
) -> str:
    return urllib.parse.urlencode(
        {
            "token": "legacy-verification-token",
            "team_id": "T1",
            "team_domain": "test",
            "channel_id": channel,
            "channel_name": "incident",
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A502",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": f"trigger.{time.time_ns()}",
        }
    )


def action_body(
    action_id: str,
    value: str,
    *,
    channel: str = "C0INCIDENT",
    user: str = "UBOB",
    message_ts: str = "",
    response_url: str = "",
) -> str:
    payload = {
        "type": "block_actions",
        "team": {"id": "T1", "domain": "test"},
        "user": {"id": user, "username": user.lower(), "team_id": "T1"},
        "api_app_id": "A502",
        "token": "legacy-verification-token",
        "trigger_id": "t.1",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "channel": {"id": channel, "name": "incident"},
        "message": {"type": "message", "ts": message_ts, "text": ""},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": f"run-{value}",
                "value": value,
                "type": "button",
                "text": {"type": "plain_text", "text": "x"},
                "action_ts": str(time.time()),
            }
        ],
    }
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


def mention_body(
    text: str, *, channel: str = "C0INCIDENT", user: str = "UCAROL", thread_ts: str | None = None
) -> str:
    event: dict[str, Any] = {
        "type": "app_mention",
        "user": user,
        "text": f"<@{BOT_USER}> {text}",
        "ts": f"{time.time():.6f}",
        "channel": channel,
        "event_ts": "1",
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return json.dumps(
        {
            "token": "legacy-verification-token",
            "team_id": "T1",
            "api_app_id": "A502",
            "event": event,
            "type": "event_callback",
            "event_id": f"Ev{time.time_ns()}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": "T1", "user_id": BOT_USER, "is_bot": True}],
        }
    )


class SlackSender:
    """Sends what Slack would send to the app at `url` (…/slack/events), signed."""

    def __init__(self, url: str, fake: FakeSlack) -> None:
        self.url = url
        self.fake = fake

    def command(self, text: str, **kwargs: Any) -> tuple[Reply, str]:
        response_url = kwargs.pop("response_url", None) or self.fake.new_response_url()
        body = command_body(text, response_url=response_url, **kwargs)
        return post(self.url, body, "application/x-www-form-urlencoded", sign(body)), response_url

    def click(self, action_id: str, value: str, **kwargs: Any) -> tuple[Reply, str]:
        response_url = kwargs.pop("response_url", None) or self.fake.new_response_url()
        body = action_body(action_id, value, response_url=response_url, **kwargs)
        return post(self.url, body, "application/x-www-form-urlencoded", sign(body)), response_url

    def mention(self, text: str, **kwargs: Any) -> Reply:
        body = mention_body(text, **kwargs)
        return post(self.url, body, "application/json", sign(body))

    def responses_to(self, response_url: str) -> list[dict[str, Any]]:
        path = urllib.parse.urlsplit(response_url).path
        return [r for r in self.fake.responses if r["url"] == path]
