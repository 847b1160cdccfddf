"""`origin502 worker`: the RQ worker process for the probe and delivery queues.

Only click is imported at module level; the `origin502` group (bot/cli.py) imports this module
only when `worker` is asked for, and Redis and RQ are imported when it runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import click

from workers.models.record import FrozenRecord

# Checks the process's settings for the queue kinds the worker takes ("probe", "delivery") and
# returns the Redis URL, or raises a click.ClickException (exit 2) naming the bad setting.
SettingsCheck = Callable[[Sequence[str]], str]


@dataclass(frozen=True, eq=False, repr=False)
class WorkerSettings(FrozenRecord):
    """How `origin502 worker` reads its settings, handed down by the `origin502` group
    (bot/cli.py) as the click context's object: a delivery worker runs the bot's delivery
    jobs, which need the Slack bot token, and `workers` never imports the Slack side."""

    redis_url_for: SettingsCheck


class ConfigProblem(click.ClickException):
    """Bad configuration: one line (naming the variable, with an example) and exit 2."""

    exit_code = 2


def _redis_refused(url: str, exc: Exception) -> ConfigProblem:
    from workers.config import redact

    return ConfigProblem(
        f"REDIS_URL {redact(url)}: Redis refused the connection ({exc}); check the password "
        "or ACL user, e.g. REDIS_URL=redis://:PASSWORD@redis:6379/0"
    )


@click.command()
@click.option(
    "--queues",
    "queue_list",
    default="probe,delivery",
    show_default=True,
    help="Comma-separated queues to work: probe (no Slack token needed), delivery.",
)
@click.option(
    "--metrics-port",
    type=click.IntRange(0, 65535),
    default=9100,
    show_default=True,
    help="Port for /metrics, /healthz and /readyz (0 picks a free one).",
)
@click.option("--burst", is_flag=True, help="Stop once the queues are empty.")
@click.option("--name", default=None, help="Worker name (default: RQ's).")
@click.option(
    "--heartbeat",
    type=click.IntRange(1, 300),
    default=10,
    show_default=True,
    help="Seconds between heartbeats; a job is taken as abandoned after three missed.",
)
@click.option(
    "--maintenance-interval",
    type=click.IntRange(1, 3600),
    default=15,
    show_default=True,
    help="Seconds between checks for abandoned jobs (a job whose worker died or lost Redis "
    "is retried within one heartbeat lease plus this).",
)
@click.pass_context
def worker(
    ctx: click.Context,
    *,
    queue_list: str,
    metrics_port: int,
    burst: bool,
    name: str | None,
    heartbeat: int,
    maintenance_interval: int,
) -> None:
    """Run an RQ worker for the probe and/or delivery queues."""
    settings = ctx.find_object(WorkerSettings)
    if settings is None:
        raise click.UsageError("run the worker as `origin502 worker`: that group gives it its "
                               "settings check")
    run_worker(settings.redis_url_for, queue_list=queue_list, metrics_port=metrics_port,
               burst=burst, name=name, heartbeat=heartbeat,
               maintenance_interval=maintenance_interval)


def run_worker(
    check_settings: SettingsCheck,
    *,
    queue_list: str,
    metrics_port: int,
    burst: bool,
    name: str | None,
    heartbeat: int,
    maintenance_interval: int,
) -> None:
    """What `origin502 worker` does, with its options."""
    from workers.jobs.queues import QUEUE_NAMES, WATCH_QUEUE, worker_queues

    wanted = [q.strip() for q in queue_list.split(",") if q.strip()]
    unknown = [q for q in wanted if q not in QUEUE_NAMES]
    if unknown or not wanted:
        raise ConfigProblem(
            f"unknown queue(s) {', '.join(unknown) or '(none)'}: "
            f"choose from {', '.join(QUEUE_NAMES)}"
        )
    redis_url = check_settings(wanted)
    from workers.health import redis_check
    from workers.jobs.queues import connect
    from workers.jobs.redis_wait import RedisRefused, wait_for_redis
    from workers.jobs.worker import make_worker, start_background_worker, work_until_stopped
    from workers.logging_setup import configure_logging
    from workers.metrics import start_metrics_server

    configure_logging()
    connection = connect(redis_url)
    listen = "127.0.0.1" if metrics_port == 0 else "0.0.0.0"  # noqa: S104
    start_metrics_server(metrics_port, redis_check(connection), host=listen)
    # A worker that starts while Redis is down waits for it instead of exiting: in a cluster
    # the pods may well start before Redis does.
    try:
        wait_for_redis(connection, what="worker")
    except RedisRefused as exc:
        raise _redis_refused(redis_url, exc) from None
    main_queues = worker_queues(wanted)
    if not burst:
        # Lanes beside the main worker, which keeps every queue (so its scheduler also brings
        # back jobs waiting for a retry). The interactive lane takes only incident probes, so
        # a watch batch never delays one; the delivery lane lets progress reach Slack while
        # a probe runs.
        lanes = [("interactive", "probe")] + ([("delivery", "delivery")] if len(wanted) > 1 else [])
        for lane, kind in lanes:
            if kind in wanted:
                start_background_worker(
                    connection,
                    [QUEUE_NAMES[kind]],
                    heartbeat_interval=heartbeat,
                    maintenance_interval=maintenance_interval,
                    lane=lane,
                )
        if "probe" in wanted:
            # A second watch batch in flight, so the probe processes go on with its origins
            # while the first batch's results are recorded (workers/watches/fanout.py).
            start_background_worker(
                connection,
                [WATCH_QUEUE],
                heartbeat_interval=heartbeat,
                maintenance_interval=maintenance_interval,
                lane="watch",
            )
    click.echo(f"origin502 worker on {', '.join(wanted)}", err=True)
    try:
        work_until_stopped(
            lambda: make_worker(
                connection,
                main_queues,
                heartbeat_interval=heartbeat,
                maintenance_interval=maintenance_interval,
                name=name,
            ),
            connection,
            burst=burst,
        )
    except RedisRefused as exc:
        raise _redis_refused(redis_url, exc) from None
