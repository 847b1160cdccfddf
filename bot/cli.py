"""`origin502`: the command line of every process: `serve`, `worker` and `diagnose`.

Imports stay light at module level (click only) because `origin502 diagnose` starts from
here and its start-up time counts: `diagnose` and `scheduler` live in modules of their own,
imported only when that command runs (or `--help` lists it); Bolt, Redis and RQ are imported
by the commands that need them.
"""

from __future__ import annotations

import gc
import importlib
import logging
from typing import TYPE_CHECKING, Any

import click

from workers import __version__

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger("origin502")

# Commands defined elsewhere, as "module:attribute": imported by the command that runs.
LAZY_COMMANDS = {"diagnose": "workers.cli:diagnose", "scheduler": "workers.watches.cli:scheduler"}
# Commands that start, do one thing and exit: they keep the start-up collector threshold.
ONE_SHOT_COMMANDS = frozenset({"diagnose"})
# Start-up allocates some 10^5 objects (modules, classes, functions) and frees almost none, so
# the collector's passes over them at the default threshold (one per 700 allocations) are
# wasted: ~5% of a whole `diagnose`. `run` raises the threshold while a process starts;
# commands that keep running put the default back before they start work.
START_UP_GC_THRESHOLD = 50_000
DEFAULT_GC_THRESHOLD = gc.get_threshold()


class ConfigProblem(click.ClickException):
    """Bad configuration: one line (naming the variable, with an example) and exit 2."""

    exit_code = 2


class LazyGroup(click.Group):
    """A group that imports a command's module only when that command is asked for, so
    `origin502 diagnose` does not load the scheduler's modules (nor `worker` the engine's)."""

    def __init__(self, *args: Any, lazy: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.lazy:
            return super().get_command(ctx, cmd_name)
        module, _, attribute = self.lazy[cmd_name].partition(":")
        command = getattr(importlib.import_module(module), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.lazy[cmd_name]} is not a click command")
        return command


# The version comes from workers.__version__ (the one pyproject reads), not from the installed
# metadata: importlib.metadata would scan every installed distribution first.
@click.group(cls=LazyGroup, lazy=LAZY_COMMANDS,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="origin502", message="%(prog)s %(version)s")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Tell an on-call team why CloudFront answers 502 for their origin."""
    if ctx.invoked_subcommand not in ONE_SHOT_COMMANDS:
        gc.set_threshold(*DEFAULT_GC_THRESHOLD)


def run() -> None:
    """The `origin502` console script: `main`, with the collector set for a short process.

    While the process starts, the collector runs less often (START_UP_GC_THRESHOLD; serve,
    worker and scheduler go back to the default). On the way out the interpreter collects
    reference cycles among every object the imports made (cryptography, click, the models):
    ~15 ms, a tenth of a whole `diagnose`. By then the command has finished, its output is
    flushed and its sockets closed, so those objects go to the permanent generation
    (gc.freeze) and the collections pass over them. Exit handlers (atexit), thread joins and
    the flush of stdout/stderr run as usual. Only the process entry does this: code that calls
    `main` in-process (tests, CliRunner) keeps its collector as it is.
    """
    gc.set_threshold(START_UP_GC_THRESHOLD)
    try:
        main()
    finally:
        gc.freeze()


def _settings(*required: str) -> Settings:
    from bot.settings import Settings, SettingsError

    try:
        settings = Settings.from_env()
        settings.require(*required)
    except SettingsError as exc:
        raise ConfigProblem(str(exc)) from None
    return settings


def _redis_refused(url: str, exc: Exception) -> ConfigProblem:
    from workers.config import redact

    return ConfigProblem(
        f"REDIS_URL {redact(url)}: Redis refused the connection ({exc}); check the password "
        "or ACL user, e.g. REDIS_URL=redis://:PASSWORD@redis:6379/0"
    )


@main.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=3000,
    show_default=True,
    help="HTTP port for /slack/events, /healthz, /readyz and /metrics (0 picks a free one).",
)
@click.option("--host", default="0.0.0.0", show_default=True, help="Address to listen on.")  # noqa: S104
@click.option(
    "--socket-mode",
    is_flag=True,
    help="Connect to Slack over Socket Mode (SLACK_APP_TOKEN) instead of HTTP.",
)
def serve(port: int, host: str, socket_mode: bool) -> None:
    """Run the Slack app (HTTP at /slack/events, or Socket Mode)."""
    required = (
        ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")
        if socket_mode
        else ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
    )
    settings = _settings(*required)
    from workers.logging_setup import configure_logging

    configure_logging()
    from slack_bolt.error import BoltError

    from bot.app import create_app
    from bot.settings import SettingsError
    from bot.slack import web_client
    from bot.startup import wait_for_slack
    from workers.health import redis_check
    from workers.jobs.queues import connect

    try:
        wait_for_slack(web_client(settings.bot_token, settings.api_url),
                       echo=lambda line: click.echo(line, err=True))
        app = create_app(settings, socket_mode=socket_mode)
    except SettingsError as exc:
        raise ConfigProblem(str(exc)) from None
    except BoltError as exc:
        raise ConfigProblem(f"SLACK_BOT_TOKEN was refused by Slack: {exc}") from None
    # Ready while Redis answers (commands can be queued); alive regardless (/healthz).
    ready = redis_check(connect(settings.redis_url))
    if socket_mode:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        from workers.metrics import start_metrics_server

        # Socket Mode needs no HTTP listener for Slack, but Kubernetes still probes /healthz
        # and /readyz, and Prometheus scrapes /metrics, on --port.
        start_metrics_server(port, ready, host=host)
        handler = SocketModeHandler(app, settings.app_token, web_client=app.client)
        handler.start()  # type: ignore[no-untyped-call]
        return

    from bot.server import make_server

    server = make_server(app, host, port, ready, signing_secret=settings.signing_secret)
    bound = server.server_address[1]
    log.info("serving", extra={"url": f"http://{host}:{bound}/slack/events"})
    click.echo(f"origin502 listening on http://{host}:{bound}/slack/events", err=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@main.command()
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
def worker(
    *,
    queue_list: str,
    metrics_port: int,
    burst: bool,
    name: str | None,
    heartbeat: int,
    maintenance_interval: int,
) -> None:
    """Run an RQ worker for the probe and/or delivery queues."""
    from workers.jobs.queues import QUEUE_NAMES, WATCH_QUEUE, worker_queues

    wanted = [q.strip() for q in queue_list.split(",") if q.strip()]
    unknown = [q for q in wanted if q not in QUEUE_NAMES]
    if unknown or not wanted:
        raise ConfigProblem(
            f"unknown queue(s) {', '.join(unknown) or '(none)'}: "
            f"choose from {', '.join(QUEUE_NAMES)}"
        )
    settings = _settings(*(("SLACK_BOT_TOKEN",) if "delivery" in wanted else ()))
    from workers.health import redis_check
    from workers.jobs.queues import connect
    from workers.jobs.redis_wait import RedisRefused, wait_for_redis
    from workers.jobs.worker import make_worker, start_background_worker, work_until_stopped
    from workers.logging_setup import configure_logging
    from workers.metrics import start_metrics_server

    configure_logging()
    connection = connect(settings.redis_url)
    listen = "127.0.0.1" if metrics_port == 0 else "0.0.0.0"  # noqa: S104
    start_metrics_server(metrics_port, redis_check(connection), host=listen)
    # A worker that starts while Redis is down waits for it instead of exiting: in a cluster
    # the pods may well start before Redis does.
    try:
        wait_for_redis(connection, what="worker")
    except RedisRefused as exc:
        raise _redis_refused(settings.redis_url, exc) from None
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
        raise _redis_refused(settings.redis_url, exc) from None


if __name__ == "__main__":
    run()
