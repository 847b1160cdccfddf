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


class ConfigProblem(click.ClickException):
    """Bad configuration: one line and exit 2."""

    exit_code = 2


@click.command()
@click.option("--metrics-port", type=click.IntRange(0, 65535), default=9101, show_default=True,
              help="Port for /metrics, /healthz and /readyz (0 picks a free one).")
@click.option("--tick", type=click.FloatRange(0.05, 60), default=1.0, show_default=True,
              help="Seconds between passes over the due watches and digests.")
@click.option("--batch-size", type=click.IntRange(1, 500), default=None,
              help="Watched origins per probe job [default: 25, or ORIGIN502_WATCH_BATCH_SIZE].")
@click.option("--once", is_flag=True, help="Make one pass and exit.")
def scheduler(metrics_port: int, tick: float, batch_size: int | None, once: bool) -> None:
    """Enqueue due watch probes and channel digests (safe to run in several replicas)."""
    from workers import config
    from workers.jobs.queues import connect
    from workers.jobs.redis_wait import RedisRefused, wait_for_redis
    from workers.logging_setup import configure_logging
    from workers.metrics import start_metrics_server
    from workers.watches.clock import clock_from_env
    from workers.watches.dispatch import BATCH_SIZE
    from workers.watches.scheduler import Scheduler
    from workers.watches.store import SchemaMismatch

    try:
        url = config.redis_url(os.environ)
    except config.ConfigError as exc:
        raise ConfigProblem(str(exc)) from None
    configure_logging()
    connection = connect(url)
    runner = Scheduler(connection, clock_from_env(), batch_size=batch_size or BATCH_SIZE)
    if not once:
        # Alive from the start; ready once Redis answers and a pass completed.
        start_metrics_server(metrics_port, lambda: runner.healthy(tick),
                             host="127.0.0.1" if metrics_port == 0 else "0.0.0.0")  # noqa: S104
    try:
        # A scheduler started before Redis (or during an outage) waits for it, logging once.
        wait_for_redis(connection, what="scheduler")
        runner.store.ensure_schema()
    except RedisRefused as exc:
        raise ConfigProblem(
            f"REDIS_URL {config.redact(url)}: Redis refused the connection ({exc}); check the "
            "password or ACL user, e.g. REDIS_URL=redis://:PASSWORD@redis:6379/0") from None
    except SchemaMismatch as exc:
        raise click.ClickException(str(exc)) from None
    if once:
        result = runner.tick()
        click.echo(f"enqueued {result.watches} watch check(s), {result.digests} digest(s)")
        return
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    click.echo("origin502 scheduler running", err=True)
    runner.run(tick, stop)
