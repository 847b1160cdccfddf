"""`origin502`: the command line of every process: `serve`, `worker` and `diagnose`.

Imports stay light at module level (click only) because `origin502 diagnose` starts from
here and its start-up time counts; Bolt, Redis and RQ are imported by the commands that
need them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from workers.diagnose_cli import diagnose
from workers.jobs.worker_cli import worker_command
from workers.watches.scheduler_cli import scheduler

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger("origin502")


class ConfigProblem(click.ClickException):
    """Bad configuration: one line (naming the variable, with an example) and exit 2."""

    exit_code = 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="origin502", prog_name="origin502",
                      message="%(prog)s %(version)s")
def main() -> None:
    """Tell an on-call team why CloudFront answers 502 for their origin."""


main.add_command(diagnose)
main.add_command(scheduler)


def _settings(*required: str) -> Settings:
    from bot.settings import Settings, SettingsError

    try:
        settings = Settings.from_env()
        settings.require(*required)
    except SettingsError as exc:
        raise ConfigProblem(str(exc)) from None
    return settings


def _worker_redis_url(queues: Sequence[str]) -> str:
    """The settings check of `origin502 worker`: a delivery worker posts to Slack, so it needs
    the bot token; a probe-only worker needs nothing from Slack."""
    return _settings(*(("SLACK_BOT_TOKEN",) if "delivery" in queues else ())).redis_url


main.add_command(worker_command(_worker_redis_url))


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


if __name__ == "__main__":
    main()
