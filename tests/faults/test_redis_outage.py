"""Redis stopped (and frozen) at several points of a run; every process rides it out and
every run accepted before or during the outage is answered once (issue 10).

Real `origin502 serve`, `worker` and `scheduler` processes; a real redis-server with an
append-only file, so a stop and start is a restart, not a wipe. Conditions are waited on.
"""

from __future__ import annotations

import re
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from tests.e2e.conftest import Process, origin502_command
from tests.e2e.test_e2e_slack import CHANNEL
from tests.faults.test_slack_faults import assert_one_answer
from tests.support.ports import closed_port

pytestmark = pytest.mark.timeout(240)


def status_of(url: str, timeout: float = 10.0) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as exc:
        exc.close()  # it holds the connection
        return int(exc.code)
    except OSError:
        return None


def wait_until(condition, timeout: float = 60.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def noticed_outage(stack) -> bool:
    """A worker logged that Redis went away (ours, or RQ's own reconnect message)."""
    return re.search(r"redis unreachable|lost Redis|could not connect to Redis",
                     stack.output()) is not None


def test_healthz_stays_alive_and_readyz_fails_fast_while_redis_is_frozen(
    stack_factory, redis_server
):
    stack = stack_factory(workers=False)
    assert status_of(f"{stack.base}/readyz") == 200
    redis_server.freeze()  # SIGSTOP: connections hang instead of failing
    try:
        # Bounded by the readiness check's own limit, not by Redis's socket timeout.
        assert status_of(f"{stack.base}/readyz", timeout=10) == 503
        assert status_of(f"{stack.base}/healthz", timeout=10) == 200
    finally:
        redis_server.thaw()
    wait_until(lambda: status_of(f"{stack.base}/readyz") == 200, what="ready again")


def test_a_run_in_flight_survives_redis_stopping_mid_probe(
    stack_factory, redis_server, hanging_origin
):
    stack = stack_factory()
    # The origin holds the probe for 3 s (the response timeout); Redis goes away meanwhile.
    stack.send.command(f"origin.test --https-port {hanging_origin.port} --read-timeout 3")
    stack.slack.wait_for(lambda: hanging_origin.connections, timeout=30)
    redis_server.stop()
    # The probe ends while Redis is gone: its report cannot be saved.
    wait_until(lambda: noticed_outage(stack), what="the worker to notice the outage")
    redis_server.start()
    parent = assert_one_answer(stack)
    assert "checking" not in parent.text.lower()


def test_a_command_accepted_before_redis_stops_is_answered_after_it_returns(
    stack_factory, redis_server, good_origin
):
    stack = stack_factory(workers=False)
    stack.send.command(f"origin.test --https-port {good_origin.port}")
    # Queued while no worker runs; then Redis goes down and a worker starts during the outage.
    from redis import Redis

    redis = Redis.from_url(stack.env["REDIS_URL"])
    wait_until(lambda: redis.llen("rq:queue:origin502-probe") == 1, what="the probe queued")
    redis.close()
    redis_server.stop()
    stack.start_worker(ready=None)
    redis_server.start()
    assert_one_answer(stack)


def test_the_scheduler_waits_for_redis_and_says_so_once(e2e_env, redis_server, tmp_path):
    redis_server.stop()
    port = closed_port()
    scheduler = Process([*origin502_command(), "scheduler", "--metrics-port", str(port),
                         "--tick", "0.1"], e2e_env["env"], tmp_path, "scheduler")
    try:
        scheduler.wait_for_output("redis unreachable")
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: status_of(f"{base}/healthz") == 200, what="alive")
        assert status_of(f"{base}/readyz") == 503
        assert scheduler.popen.poll() is None
        redis_server.start()
        wait_until(lambda: status_of(f"{base}/readyz") == 200, what="ready once Redis is back")
        scheduler.wait_for_output("redis reachable again")
        assert scheduler.output().count("redis unreachable") == 1
        assert "Traceback" not in scheduler.output()
    finally:
        redis_server.start()
        scheduler.stop()


@pytest.mark.parametrize("command", [["worker", "--queues", "probe"], ["scheduler"]])
def test_a_wrong_redis_password_is_one_line_that_never_shows_it(e2e_env, redis_server, command):
    from redis import Redis

    redis = Redis.from_url(redis_server.url)
    redis.config_set("requirepass", "right-one")
    try:
        env = {**e2e_env["env"],
               "REDIS_URL": f"redis://:wrong-secret@127.0.0.1:{redis_server.port}/0"}
        done = subprocess.run([*origin502_command(), *command, "--metrics-port", "0"], env=env,
                              capture_output=True, text=True, timeout=60, check=False)
    finally:
        admin = Redis.from_url(f"redis://:right-one@127.0.0.1:{redis_server.port}/0")
        admin.config_set("requirepass", "")
        admin.close()
    assert done.returncode == 2, done.stderr
    assert "wrong-secret" not in done.stdout + done.stderr
    assert "REDIS_URL" in done.stderr and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("Error: REDIS_URL")


BAD = [("REDIS_URL", "notaurl"), ("ORIGIN502_NAMESERVER", "garbage"),
       ("ORIGIN502_NAMESERVER", "[::1]:53x"), ("SLACK_BOT_TOKEN", "xoxb-…")]


@pytest.mark.parametrize(("command", "variable", "value"), [
    *[(["serve"], v, x) for v, x in BAD],
    *[(["worker", "--metrics-port", "0"], v, x) for v, x in BAD],
    *[(["diagnose", "origin.invalid"], v, x) for v, x in BAD if v == "ORIGIN502_NAMESERVER"],
])
def test_bad_configuration_is_one_line_and_exit_2(e2e_env, command, variable, value):
    env = {**e2e_env["env"], variable: value}
    done = subprocess.run([*origin502_command(), *command], env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 2, (done.returncode, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert variable in lines[0] and "e.g." in lines[0]


def test_serve_keeps_retrying_an_unreachable_slack_and_says_so(e2e_env, tmp_path):
    env = {**e2e_env["env"], "SLACK_API_URL": f"http://127.0.0.1:{closed_port()}/api/"}
    serve = Process([*origin502_command(), "serve", "--host", "127.0.0.1", "--port", "0"],
                    env, tmp_path, "serve-no-slack")
    try:
        serve.wait_for_output("cannot reach Slack")
        assert serve.popen.poll() is None  # still waiting, as a pod should
        assert "Traceback" not in serve.output()
    finally:
        serve.stop()




def test_redis_stopping_inside_a_slack_call_leaves_one_parent(
    stack_factory, redis_server, good_origin
):
    stack = stack_factory()
    # Slack takes the parent post and answers 3 s later; Redis is gone by then, so the
    # delivery job cannot record the ts it got.
    stack.slack.accept_then_hang("chat.postMessage", 3, when=lambda a: not a.get("thread_ts"))
    stack.send.command(f"origin.test --https-port {good_origin.port}")
    stack.slack.wait_for(lambda: stack.slack.channel_messages(CHANNEL))
    redis_server.stop()
    stack.slack.wait_for(lambda: len(stack.slack.calls_of("chat.postMessage")) >= 1)
    wait_until(lambda: noticed_outage(stack), what="the worker to notice the outage")
    redis_server.start()
    parent = assert_one_answer(stack)
    assert "checking" not in parent.text.lower()
