"""`origin502`: the command line of every process: `serve`, `worker` and `diagnose`.

Imports stay light at module level (click only) because `origin502 diagnose` starts from
here and its start-up time counts: `diagnose`, `worker` and `scheduler` live beside what they
run, imported only when that command runs (or `--help` lists it); Bolt, Redis and RQ are
imported by the commands that need them.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import logging
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import click

from bot import serving_processes
from bot.serving_processes import ServingProcesses
from workers import __version__

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger("origin502")

# Commands defined elsewhere, as "module:attribute": imported by the command that runs.
LAZY_COMMANDS = {
    "diagnose": "workers.diagnose_cli:diagnose",
    "scheduler": "workers.watches.scheduler_cli:scheduler",
    "worker": "workers.jobs.worker_cli:worker",
}
# Commands that start, do one thing and exit: they keep the start-up collector threshold.
ONE_SHOT_COMMANDS = frozenset({"diagnose"})
# Start-up allocates some 10^5 objects (modules, classes, functions) and frees almost none, so
# the collector's passes over them at the default threshold (one per 700 allocations) are
# wasted: ~5% of a whole `diagnose`. `run` raises the threshold while a process starts;
# commands that keep running put the default back before they start work.
START_UP_GC_THRESHOLD = 50_000
# Seconds a stopping `serve` process waits for the requests it has read to be answered.
DRAIN_TIMEOUT = 10.0
DEFAULT_GC_THRESHOLD = gc.get_threshold()
# Set by `main` when the command it runs is one-shot: `run` then ends the process itself.
_one_shot = False
# The exit status CPython gives when flushing stdout or stderr fails at exit.
FLUSH_FAILED_STATUS = 120


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
    global _one_shot  # noqa: PLW0603 - read by `run` once click has finished
    _one_shot = ctx.invoked_subcommand in ONE_SHOT_COMMANDS
    if not _one_shot:
        gc.set_threshold(*DEFAULT_GC_THRESHOLD)
    if ctx.invoked_subcommand == "worker":
        from workers.jobs.worker_cli import WorkerSettings

        # `workers` never imports the bot: the worker gets its settings check from here.
        ctx.obj = WorkerSettings(_worker_redis_url)


def run() -> None:
    """The `origin502` console script: `main`, with the collector set for a short process.

    While the process starts, the collector runs less often (START_UP_GC_THRESHOLD; serve,
    worker and scheduler go back to the default). On the way out the interpreter collects
    reference cycles among every object the imports made (cryptography, click, the models):
    ~15 ms, a tenth of a whole `diagnose`. By then the command has finished, its output is
    flushed and its sockets closed, so those objects go to the permanent generation
    (gc.freeze) and the collections pass over them. A one-shot command (`diagnose`) then ends
    the process at once (`_leave`): tearing down the interpreter's modules and objects, and
    joining the idle threads of its thread pools, is ~5 ms more of a run for nothing. Only the
    process entry does this: code that calls `main` in-process (tests, CliRunner) keeps its
    collector and its interpreter as they are.
    """
    gc.set_threshold(START_UP_GC_THRESHOLD)
    try:
        main()
    except SystemExit as done:
        gc.freeze()
        if _one_shot:
            _leave(done.code)
        raise
    gc.freeze()


def _leave(code: object) -> None:
    """End the process as the interpreter would for `SystemExit(code)`, without tearing it down:
    the exit handlers (atexit) run, stdout and stderr are flushed, the status is the same
    (0 for None, the number, or the text on stderr and 1; 120 when a flush fails)."""
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        print(code, file=sys.stderr)
        status = 1
    # Registered handlers (logging's flush among them) run as at a normal exit; CPython has
    # no public call for that.
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`| head`), a closed stream
            status = FLUSH_FAILED_STATUS
    os._exit(status)


def _settings(*required: str) -> Settings:
    from bot.settings import Settings, SettingsError

    try:
        settings = Settings.from_env()
        settings.require(*required)
    except SettingsError as exc:
        raise ConfigProblem(str(exc)) from None
    return settings


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _worker_redis_url(queues: Sequence[str]) -> str:
    """The settings check of `origin502 worker`: a delivery worker posts to Slack, so it needs
    the bot token; a probe-only worker needs nothing from Slack."""
    return _settings(*(("SLACK_BOT_TOKEN",) if "delivery" in queues else ())).redis_url


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
@click.option(
    "--processes",
    metavar="N|auto",
    default=serving_processes.AUTO,
    callback=lambda _ctx, _param, value: _processes_given(value),
    show_default=True,
    envvar=serving_processes.ENV,
    help="HTTP mode: serving processes sharing the port (env ORIGIN502_SERVE_PROCESSES). "
    "auto: one per CPU this process may use, within its container's CPU limit, at most "
    f"{serving_processes.MOST_AUTO}; 1 serves from this process.",
)
@click.pass_context
def serve(ctx: click.Context, port: int, host: str, socket_mode: bool,
          processes: serving_processes.Requested) -> None:
    """Run the Slack app (HTTP at /slack/events, or Socket Mode)."""
    required = (
        ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")
        if socket_mode
        else ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
    )
    settings = _settings(*required)
    chosen = _serving_processes(ctx, socket_mode, processes)
    if chosen.count > 1 or os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from bot.prefork import multiprocess_metrics

        # Before anything imports prometheus_client (bot.app does), so the processes' samples
        # are written where each of them can add them up. One process with the directory set
        # (the Helm chart sets it whenever `auto` may fork) drops an earlier container's samples.
        metrics: contextlib.AbstractContextManager[object] = multiprocess_metrics()
    else:
        metrics = contextlib.nullcontext()
    with metrics:
        if chosen.count > 1:
            raise SystemExit(_serve_processes(settings, host, port, chosen))
        _serve_one(settings, host, port, socket_mode, chosen)


def _processes_given(value: str) -> serving_processes.Requested:
    """`--processes`: a number of serving processes, or auto (bot/serving_processes.py)."""
    try:
        return serving_processes.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _serving_processes(ctx: click.Context, socket_mode: bool,
                       processes: serving_processes.Requested) -> ServingProcesses:
    """How many processes serve, and why (the start-up line says both)."""
    if socket_mode:
        if isinstance(processes, int) and processes > 1:
            # One Socket Mode connection per app is what Slack expects of a bot process; more
            # processes would only split the same events between connections, not add cores.
            message = ("Socket Mode runs in one process: --processes/ORIGIN502_SERVE_PROCESSES "
                       "applies to HTTP mode only")
            if ctx.get_parameter_source("processes") is click.core.ParameterSource.COMMANDLINE:
                raise ConfigProblem(f"{message}; drop --processes {processes}")
            click.echo(f"origin502: {message}; serving with one process", err=True)
        return ServingProcesses(1, "Socket Mode runs in one")
    if not isinstance(processes, int):  # auto
        from workers import cpu_allowance

        return serving_processes.automatic(cpu_allowance.this_process())
    from_env = ctx.get_parameter_source("processes") is click.core.ParameterSource.ENVIRONMENT
    given = f"{serving_processes.ENV}={processes}" if from_env else f"--processes {processes}"
    return ServingProcesses(processes, given)


def _serve_one(settings: Settings, host: str, port: int, socket_mode: bool,
               chosen: ServingProcesses) -> None:
    """Serve from this process: HTTP, or Socket Mode with /healthz, /readyz and /metrics."""
    from workers.logging_setup import configure_logging

    # Off the request threads: an ack does not wait for its log lines (workers/logging_setup.py).
    configure_logging(background=True)
    # SIGTERM (Kubernetes, `docker stop`) ends the process the way Ctrl-C does: the server
    # closes and the log lines still queued are written on the way out.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    from bot.app import create_app
    from bot.startup import wait_for_slack
    from workers.health import redis_check
    from workers.jobs.queues import connect

    _wait_for_slack(settings, wait_for_slack)
    with _config_problems():
        # Over HTTP, bot/server.py checks every request's signature before Bolt sees it.
        app = create_app(settings, socket_mode=socket_mode,
                         server_checks_signature=not socket_mode)
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
    log.info("serving", extra={"url": f"http://{host}:{bound}/slack/events",
                               "processes": chosen.count, "processes_why": chosen.why})
    click.echo(f"origin502 listening on http://{host}:{bound}/slack/events ({chosen})",
               err=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def _wait_for_slack(settings: Settings, wait: Callable[..., object]) -> None:
    """Wait for Slack to answer auth.test (bot/startup.py); a refused token exits 2."""
    from bot.slack import web_client

    with _config_problems():
        wait(web_client(settings.bot_token, settings.api_url),
             echo=lambda line: click.echo(line, err=True))


@contextlib.contextmanager
def _config_problems() -> Iterator[None]:
    """Slack refusing the token, or a setting found wrong while starting: exit 2."""
    from slack_bolt.error import BoltError

    from bot.settings import SettingsError

    try:
        yield
    except SettingsError as exc:
        raise ConfigProblem(str(exc)) from None
    except BoltError as exc:
        raise ConfigProblem(f"SLACK_BOT_TOKEN was refused by Slack: {exc}") from None


def _serve_processes(settings: Settings, host: str, port: int, chosen: ServingProcesses) -> int:
    """`serve --processes N` (N > 1): this process binds the port and supervises N forked
    serving processes (bot/prefork.py); returns the exit code."""
    from workers.logging_setup import configure_logging

    # Synchronous here: the parent logs little, and a writer thread must not exist at fork.
    configure_logging()
    # Until the supervisor takes the signals over: SIGTERM unwinds, removing the metrics'
    # temporary directory on the way out.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    # Imported once here, shared by the children (forked, not started afresh); nothing that
    # holds a connection or a thread is created before the fork.
    from bot.app import create_app
    from bot.background import Background
    from bot.prefork import Supervisor
    from bot.server import listening_socket, make_server
    from bot.startup import wait_for_slack
    from workers.health import redis_check
    from workers.jobs.queues import connect
    from workers.logging_setup import flush_logs
    from workers.metrics import forget_process

    _wait_for_slack(settings, wait_for_slack)
    sock = listening_socket(host, port)
    bound = sock.getsockname()[1]

    def child(ready: Callable[[], None]) -> int:
        configure_logging(background=True)
        background = Background()
        try:
            with _config_problems():
                app = create_app(settings, server_checks_signature=True, background=background)
        except ConfigProblem as exc:
            exc.show()
            return exc.exit_code
        server = make_server(app, host, port, redis_check(connect(settings.redis_url)),
                             signing_secret=settings.signing_secret, sock=sock)
        ready()
        # The first SIGTERM (from the parent) or SIGINT (Ctrl-C reaches the whole process
        # group) ends the serving loop; later ones are ignored (bot/prefork.py).
        with contextlib.suppress(SystemExit):
            server.serve_forever(poll_interval=0.2)
        # No new connection; the requests read are answered, the work after their acks done,
        # and the log lines written before the process ends (the parent kills it after
        # bot/prefork.py's STOP_TIMEOUT).
        server.socket.close()
        if not server.drain(DRAIN_TIMEOUT):
            log.warning("requests still unanswered when stopping", extra={"pid": os.getpid()})
        background.shutdown()
        log.info("serve process stopped", extra={"pid": os.getpid()})
        flush_logs()
        return 0

    def announce() -> None:
        log.info("serving", extra={"url": f"http://{host}:{bound}/slack/events",
                                   "processes": chosen.count, "processes_why": chosen.why})
        click.echo(f"origin502 listening on http://{host}:{bound}/slack/events ({chosen})",
                   err=True)

    gc.freeze()  # what the imports made stays shared with the children (copy-on-write)
    try:
        return Supervisor(chosen.count, child, on_exit=forget_process).run(announce)
    finally:
        sock.close()


if __name__ == "__main__":
    run()
