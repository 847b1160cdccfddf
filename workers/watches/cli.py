"""`origin502 scheduler`: the process that enqueues due watch probes and digests.

Only click is imported at module level: this command is registered on the `origin502`
group, whose `diagnose` must start fast.
"""

from __future__ import annotations

import os
import signal
import threading
from types import FrameType

import click

DEFAULT_REDIS_URL = "redis://localhost:6379/0"


@click.command()
@click.option("--metrics-port", type=click.IntRange(0, 65535), default=9101, show_default=True,
              help="Port for /metrics and /healthz (0 picks a free one).")
@click.option("--tick", type=click.FloatRange(0.05, 60), default=1.0, show_default=True,
              help="Seconds between passes over the due watches and digests.")
@click.option("--batch-size", type=click.IntRange(1, 500), default=None,
              help="Watched origins per probe job [default: 25, or ORIGIN502_WATCH_BATCH_SIZE].")
@click.option("--once", is_flag=True, help="Make one pass and exit.")
def scheduler(metrics_port: int, tick: float, batch_size: int | None, once: bool) -> None:
    """Enqueue due watch probes and channel digests (safe to run in several replicas)."""
    from redis.exceptions import RedisError

    from workers.jobs.queues import connect
    from workers.logging_setup import configure_logging
    from workers.metrics import start_metrics_server
    from workers.watches.clock import clock_from_env
    from workers.watches.queueing import BATCH_SIZE
    from workers.watches.scheduler import Scheduler
    from workers.watches.store import SchemaMismatch

    configure_logging()
    url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    connection = connect(url)
    try:
        connection.ping()
    except RedisError as exc:
        raise click.ClickException(f"cannot reach Redis at {url}: {exc}") from None
    runner = Scheduler(connection, clock_from_env(), batch_size=batch_size or BATCH_SIZE)
    try:
        runner.store.ensure_schema()
    except SchemaMismatch as exc:
        raise click.ClickException(str(exc)) from None
    if once:
        result = runner.tick()
        click.echo(f"enqueued {result.watches} watch check(s), {result.digests} digest(s)")
        return
    start_metrics_server(metrics_port, lambda: runner.healthy(tick),
                         host="127.0.0.1" if metrics_port == 0 else "0.0.0.0")  # noqa: S104
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    click.echo("origin502 scheduler running", err=True)
    runner.run(tick, stop)
