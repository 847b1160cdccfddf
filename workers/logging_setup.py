"""JSON logs, one object per line, each carrying the request id of the command being served.

A request id is minted when a slash command arrives, travels in the job payload, and is bound
again in the worker before the job runs, so one `grep` (or one Loki/CloudWatch query on
`request_id`) follows a command from Slack through the probe job to the posted reply.

    configure_logging()                     # once, at process start
    token = bind_request_id(new_request_id())
    try:
        log.info("probe queued", extra={"queue": "origin502-probe"})
    finally:
        reset_request_id(token)

Only the standard library is used: the formatter is small and the output shape is ours.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

__all__ = [
    "JsonFormatter",
    "bind_request_id",
    "configure_logging",
    "current_request_id",
    "new_request_id",
    "request_id_bound",
    "reset_request_id",
]

_REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "origin502_request_id", default=None
)

# Attributes every LogRecord has; anything else on a record came from `extra=` and is logged.
_STANDARD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("", logging.INFO, "", 0, "", None, None)).keys()
    | {"message", "asctime", "taskName"}
)


def new_request_id() -> str:
    """A fresh, short, random request id (16 hex characters)."""
    return uuid.uuid4().hex[:16]


def bind_request_id(request_id: str | None) -> contextvars.Token[str | None]:
    """Make `request_id` the id of the work this context is doing; returns a token for
    `reset_request_id`. Threads and asyncio tasks started afterwards inherit it only if
    they copy the context (asyncio tasks do; `threading.Thread` does not)."""
    return _REQUEST_ID.set(request_id)


def reset_request_id(token: contextvars.Token[str | None]) -> None:
    """Restore the request id that was bound before `bind_request_id` returned `token`."""
    _REQUEST_ID.reset(token)


def current_request_id() -> str | None:
    """The request id bound in this context, or None outside any request."""
    return _REQUEST_ID.get()


@contextmanager
def request_id_bound(request_id: str | None) -> Iterator[str | None]:
    """Bind `request_id` for the duration of a `with` block."""
    token = bind_request_id(request_id)
    try:
        yield request_id
    finally:
        reset_request_id(token)


def _jsonable(value: Any) -> Any:
    """Values json can't encode (paths, exceptions, datetimes) are logged as their str()."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(item) for item in value]
    return str(value)


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object: time, level, logger, message, request_id, then
    any `extra=` fields, then the exception and stack if present."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": current_request_id(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and key not in entry:
                entry[key] = _jsonable(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


class _JsonStreamHandler(logging.StreamHandler[TextIO]):
    """Marks the handler `configure_logging` installed, so a second call can replace it."""


def configure_logging(level: int | str = logging.INFO, stream: TextIO | None = None) -> None:
    """Send every log record of the process to `stream` (stderr by default) as JSON lines.

    Replaces the handler an earlier call installed, so calling it twice does not duplicate
    lines; handlers others attached (pytest's capture, for one) are left alone.
    """
    handler = _JsonStreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        if isinstance(existing, _JsonStreamHandler):
            root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
