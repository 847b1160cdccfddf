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

`configure_logging(background=True)` (the bot's `serve`) formats and writes on one thread of
its own: the thread that logs only stamps the record with its request id and queues it. Under
a burst of slash commands, each line formatted and written on the request's thread held up its
acknowledgement, and every write handed the interpreter lock to another thread (issue 8); the
writer takes what has queued and writes it in one go. `flush_logs()` waits until every line
queued so far is written; the writer also flushes at exit.
"""

from __future__ import annotations

import atexit
import contextvars
import datetime as dt
import json
import logging
import queue
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from workers.random_ids import random_hex

__all__ = [
    "JsonFormatter",
    "bind_request_id",
    "configure_logging",
    "current_request_id",
    "flush_logs",
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
    """A fresh, short, random request id (16 hex characters; without a system call, see
    workers/random_ids.py)."""
    return random_hex(8)


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
            # Stamped when the record was queued (background logging), else this context's.
            "request_id": record.__dict__.get(_STAMPED, current_request_id()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and key not in entry and key != _STAMPED:
                entry[key] = _jsonable(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


# Seconds the writer lets lines gather while they come in fast (see _Writer._run).
_GATHER = 0.05
# The record attribute that carries the request id from the logging thread to the writer.
_STAMPED = "_origin502_request_id"


class _JsonStreamHandler(logging.StreamHandler[TextIO]):
    """Marks the handler `configure_logging` installed, so a second call can replace it."""


class _Writer:
    """The one thread that formats queued records and writes them (module docstring)."""

    def __init__(self, stream: TextIO, formatter: logging.Formatter) -> None:
        self._stream = stream
        self._formatter = formatter
        self._queue: queue.SimpleQueue[logging.LogRecord | threading.Event | None] = (
            queue.SimpleQueue())
        self._thread = threading.Thread(target=self._run, name="log-writer", daemon=True)
        self._thread.start()
        atexit.register(self.stop)

    def put(self, item: logging.LogRecord | threading.Event | None) -> None:
        self._queue.put(item)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every record queued before this call is written; False on timeout."""
        if not self._thread.is_alive():
            return True
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout)

    def stop(self) -> None:
        """Write what is queued, then end the thread (at exit, or when replaced)."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout=10)

    def _run(self) -> None:
        # Waits for a line, writes it with all that queued meanwhile in one write, and while
        # lines come in fast pauses between writes: under a burst a few writes a second, not
        # one per line.
        while True:
            items = [self._queue.get()]
            # Whatever else queued meanwhile goes out in the same write.
            while len(items) < 1000:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            lines: list[str] = []
            for item in items:
                if isinstance(item, logging.LogRecord):
                    try:
                        lines.append(self._formatter.format(item) + "\n")
                    except Exception:  # noqa: BLE001 - as logging.Handler does: never raise
                        lines.append(json.dumps({"level": "error", "logger": __name__,
                                                 "message": "could not format a log record",
                                                 "record": str(item.msg)[:200]}) + "\n")
            if lines:
                try:
                    self._stream.write("".join(lines))
                    self._stream.flush()
                except (OSError, ValueError):
                    pass  # stderr closed: nothing to tell it with
            for item in items:
                if isinstance(item, threading.Event):
                    item.set()
            if None in items:
                return
            if len(items) > 1:
                # Lines are coming in fast (a burst of commands): let them gather rather than
                # wake for each one, every wake-up taking the interpreter lock from a request.
                time.sleep(_GATHER)


class _QueuedJsonHandler(logging.Handler):
    """Stamps a record with the request id of its context and hands it to the writer."""

    def __init__(self, writer: _Writer) -> None:
        super().__init__()
        self.writer = writer

    def handle(self, record: logging.LogRecord) -> bool:
        # No handler lock: the queue is thread-safe, and a lock here would be taken by
        # every request thread in turn.
        rv = self.filter(record)
        if rv:
            self.emit(record)
        return bool(rv)

    def emit(self, record: logging.LogRecord) -> None:
        # The record keeps its arguments and traceback (not copied, as in one process a
        # queue needs no pickling): the message is formatted by the writer.
        record.__dict__[_STAMPED] = current_request_id()
        self.writer.put(record)

    def flush(self) -> None:
        self.writer.flush(timeout=10)

    def close(self) -> None:
        self.writer.stop()
        super().close()


_BACKGROUND: list[_Writer] = []  # the writer of the handler installed last, if queued


def flush_logs(timeout: float | None = 10) -> bool:
    """Wait until the log lines of background logging queued so far are written (True), or
    until `timeout` (False). Returns at once with synchronous logging."""
    return all(writer.flush(timeout) for writer in list(_BACKGROUND))


def configure_logging(
    level: int | str = logging.INFO, stream: TextIO | None = None, *, background: bool = False
) -> None:
    """Send every log record of the process to `stream` (stderr by default) as JSON lines;
    with `background`, formatted and written on a thread of their own (module docstring).

    Replaces the handler an earlier call installed, so calling it twice does not duplicate
    lines; handlers others attached (pytest's capture, for one) are left alone.
    """
    target = stream if stream is not None else sys.stderr
    handler: logging.Handler
    if background:
        writer = _Writer(target, JsonFormatter())
        handler = _QueuedJsonHandler(writer)
    else:
        handler = _JsonStreamHandler(target)
        handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        if isinstance(existing, _JsonStreamHandler | _QueuedJsonHandler):
            root.removeHandler(existing)
            if isinstance(existing, _QueuedJsonHandler):
                existing.close()  # what it queued is written first
    _BACKGROUND[:] = [handler.writer] if isinstance(handler, _QueuedJsonHandler) else []
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
