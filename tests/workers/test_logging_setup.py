"""Every log line is one JSON object carrying the request id bound in its context."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import threading
from collections.abc import Iterator
from contextvars import copy_context
from pathlib import Path

import pytest

from workers.logging_setup import (
    JsonFormatter,
    bind_request_id,
    configure_logging,
    current_request_id,
    flush_logs,
    new_request_id,
    request_id_bound,
    reset_request_id,
)


class _Buffer(io.StringIO):
    background = False  # how the fixture configured logging


@pytest.fixture(params=[False, True], ids=["inline", "background"])
def stream(request: pytest.FixtureRequest) -> Iterator[io.StringIO]:
    """Every test of this fixture runs twice: lines written on the logging thread, and on
    the writer thread of `background=True` (what `serve` uses)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    buffer = _Buffer()
    buffer.background = request.param
    configure_logging("DEBUG", stream=buffer, background=request.param)
    yield buffer
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


def _lines(buffer: io.StringIO) -> list[dict[str, object]]:
    assert flush_logs()  # background: every line queued so far is written
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_each_line_is_json_with_the_bound_request_id(stream: io.StringIO) -> None:
    log = logging.getLogger("bot.commands.diagnose")
    token = bind_request_id("3f2a9c0d11b24e57")
    try:
        log.info("probe queued for %s", "origin.example.com")
    finally:
        reset_request_id(token)
    log.warning("outside any request")

    first, second = _lines(stream)
    assert first["message"] == "probe queued for origin.example.com"
    assert first["request_id"] == "3f2a9c0d11b24e57"
    assert first["level"] == "info"
    assert first["logger"] == "bot.commands.diagnose"
    assert str(first["time"]).endswith("+00:00")
    assert second["request_id"] is None
    assert second["level"] == "warning"


def test_extra_fields_are_logged_and_unencodable_values_become_strings(
    stream: io.StringIO,
) -> None:
    with request_id_bound("r-1"):
        logging.getLogger("workers.jobs").info(
            "job finished",
            extra={"queue": "origin502-probe", "duration_ms": 812.5, "ca_file": Path("/ca.pem")},
        )

    (line,) = _lines(stream)
    assert line["queue"] == "origin502-probe"
    assert line["duration_ms"] == 812.5
    assert line["ca_file"] == "/ca.pem"
    assert line["request_id"] == "r-1"
    assert "args" not in line
    assert "msg" not in line


def test_exceptions_are_logged_inside_the_json_object(stream: io.StringIO) -> None:
    try:
        raise ConnectionResetError("origin reset the connection")
    except ConnectionResetError:
        logging.getLogger("workers.probes.tls").exception("handshake failed")

    (line,) = _lines(stream)
    assert line["message"] == "handshake failed"
    assert "ConnectionResetError: origin reset the connection" in str(line["exception"])


def test_configuring_twice_does_not_duplicate_lines(stream: _Buffer) -> None:
    configure_logging("INFO", stream=stream, background=stream.background)
    logging.getLogger("x").info("once")
    assert len(_lines(stream)) == 1


def test_level_filters_lower_records(stream: _Buffer) -> None:
    configure_logging("WARNING", stream=stream, background=stream.background)
    logging.getLogger("x").info("hidden")
    logging.getLogger("x").error("shown")
    assert [line["message"] for line in _lines(stream)] == ["shown"]


def test_background_lines_carry_the_request_id_of_the_thread_that_logged(
    stream: _Buffer,
) -> None:
    """The writer formats on its own thread: the id is the one bound where the line was
    logged, not the writer's (none), even when that thread has moved on to another id."""
    def request(number: int) -> None:
        with request_id_bound(f"r-{number}"):
            logging.getLogger("bot").info("command received", extra={"n": number})

    threads = [threading.Thread(target=request, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with request_id_bound("r-later"):
        logging.getLogger("bot").info("later")
    lines = _lines(stream)
    assert sorted((line["n"], line["request_id"]) for line in lines if "n" in line) == [
        (n, f"r-{n}") for n in range(20)]
    assert [line["request_id"] for line in lines if line["message"] == "later"] == ["r-later"]
    assert all("_origin502_request_id" not in line for line in lines)


def test_background_lines_queued_at_exit_are_written(tmp_path: Path) -> None:
    """A serve process that ends (SIGTERM, Ctrl-C) writes the lines it had queued."""
    import subprocess
    import sys

    script = (
        "import logging, sys\n"
        "from workers.logging_setup import configure_logging\n"
        "configure_logging(background=True)\n"
        "for n in range(500):\n"
        "    logging.getLogger('bot').info('line %d', n)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, cwd=Path(__file__).resolve().parents[2], check=True)
    messages = [json.loads(line)["message"] for line in done.stderr.splitlines()]
    assert messages == [f"line {n}" for n in range(500)]


def test_request_id_is_isolated_per_thread_and_follows_a_copied_context() -> None:
    seen: dict[str, str | None] = {}
    with request_id_bound("main-request"):
        plain = threading.Thread(target=lambda: seen.update(plain=current_request_id()))
        context = copy_context()
        copied = threading.Thread(
            target=lambda: context.run(lambda: seen.update(copied=current_request_id()))
        )
        for thread in (plain, copied):
            thread.start()
            thread.join()
    assert seen == {"plain": None, "copied": "main-request"}
    assert current_request_id() is None


def test_asyncio_tasks_inherit_the_request_id() -> None:
    async def handler() -> str | None:
        await asyncio.sleep(0)
        return current_request_id()

    async def main() -> str | None:
        with request_id_bound("from-slash-command"):
            return await asyncio.create_task(handler())

    assert asyncio.run(main()) == "from-slash-command"


def test_new_request_ids_are_short_and_unique() -> None:
    ids = {new_request_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(len(rid) == 16 and int(rid, 16) >= 0 for rid in ids)


def test_formatter_works_on_a_bare_record() -> None:
    record = logging.LogRecord("n", logging.ERROR, __file__, 1, "boom %d", (1,), None)
    assert json.loads(JsonFormatter().format(record))["message"] == "boom 1"
