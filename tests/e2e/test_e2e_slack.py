"""End to end: the real app over HTTP, real worker processes, real Redis, Slack recorded."""

from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from bot.render.status import EVIDENCE_ACTION, RERUN_ACTION
from tests.bot.fakeslack import command_body, post, sign
from tests.e2e.conftest import ROOT, origin502_command
from tests.support.ports import closed_port as free_port

pytestmark = pytest.mark.e2e
CHANNEL = "C0INCIDENT"


def dumps(value):
    return json.dumps(value, ensure_ascii=False)


def finished_parent(stack):
    """The channel's first message once it carries the result buttons."""

    def ready():
        parents = stack.slack.channel_messages(CHANNEL)
        return parents[0] if parents and parents[0].button_values() else None

    return stack.slack.wait_for(ready, timeout=30)


def results_in_thread(stack, parent, n):
    return stack.slack.wait_for(
        lambda: (
            [m for m in stack.slack.thread(CHANNEL, parent.ts) if m.text.startswith("Diagnosis of")]
            if sum(
                m.text.startswith("Diagnosis of") for m in stack.slack.thread(CHANNEL, parent.ts)
            )
            >= n
            else None
        ),
        timeout=30,
    )


def test_thread_progress_verdict_evidence_rerun_and_mention(stack_factory, good_origin,
                                                            e2e_env):
    # A certificate naming neither the origin domain nor the forwarded Host: a 502, until the
    # forwarded Host is a name it carries.
    e2e_env["dns"].set("other.test", [("A", "127.0.0.1")])
    stack = stack_factory()
    reply, _ = stack.send.command(
        f"other.test --https-port {good_origin.port} --host-header wrong.test"
    )
    assert reply.status == 200 and reply.body == ""
    parent = finished_parent(stack)

    # The parent names target and asker, went through progress, and ends with the verdict.
    assert "other.test" in parent.history[0]
    assert "<@UALICE>" in dumps(parent.blocks)
    assert any("checking" in text for text in parent.history[:-1])
    assert "502 expected" in parent.text
    assert "CERT_HOSTNAME_MISMATCH" in parent.text or "certificate" in parent.text.lower()
    (first,) = results_in_thread(stack, parent, 1)
    assert first.thread_ts == parent.ts

    run_id = parent.button_values()[RERUN_ACTION]
    stack.send.click(EVIDENCE_ACTION, run_id, message_ts=parent.ts)
    evidence = stack.slack.wait_for(
        lambda: [
            m for m in stack.slack.thread(CHANNEL, parent.ts) if m.text.startswith("Evidence for")
        ]
    )
    assert "Certificate chain as presented" in dumps(evidence[0].blocks)

    # Someone mentions the bot in the thread with the right Host header.
    stack.send.mention("--host-header www.origin.test", thread_ts=parent.ts)
    results = results_in_thread(stack, parent, 2)
    diff = dumps(results[-1].blocks)
    assert "Host header: wrong.test → www.origin.test" in diff
    assert "verdict: fail → *warn*" in diff
    assert len(stack.slack.channel_messages(CHANNEL)) == 1, "everything stays in the one thread"

    # Re-run from the parent's button: same thread again, and what changed is said.
    stack.send.click(RERUN_ACTION, run_id, message_ts=parent.ts)
    results = results_in_thread(stack, parent, 3)
    assert "What changed since the previous run" in dumps(results[-1].blocks)
    assert len(stack.slack.channel_messages(CHANNEL)) == 1


def test_same_target_asked_twice_joins_the_running_probe(stack_factory, hanging_origin):
    stack = stack_factory()
    text = f"origin.test --https-port {hanging_origin.port} --read-timeout 3"
    stack.send.command(text, user="UALICE")
    stack.slack.wait_for(lambda: stack.slack.channel_messages(CHANNEL))
    time.sleep(0.3)  # the delivery job records the parent's ts just after Slack answers
    _, url = stack.send.command(text, user="UBOB")
    pointer = stack.slack.wait_for(lambda: stack.send.responses_to(url))
    assert "no second probe was started" in dumps(pointer)
    assert "https://test.slack.com/archives/" in dumps(pointer)  # a link to the thread
    parent = finished_parent(stack)
    assert "UBOB" in dumps(parent.blocks)  # "also asked by"
    assert len(hanging_origin.connections) >= 1
    assert len(stack.slack.channel_messages(CHANNEL)) == 1


def test_worker_killed_mid_probe_is_retried_and_said_so(stack_factory, hanging_origin):
    stack = stack_factory(workers=False)
    stack.start_worker("--queues", "delivery", name="delivery")
    doomed = stack.start_worker("--queues", "probe", name="probe-a")
    stack.send.command(f"origin.test --https-port {hanging_origin.port} --read-timeout 6")
    # Wait until the probe is inside the origin (connected, request sent, no answer yet).
    stack.slack.wait_for(lambda: hanging_origin.connections, timeout=20)
    doomed.kill()
    stack.start_worker("--queues", "probe", name="probe-b")
    parent = finished_parent(stack)
    updates = dumps([call.args for call in stack.slack.calls_of("chat.update")])
    assert (
        "the worker running the probe stopped (killed or restarted) mid-probe; retrying" in updates
    )
    (result,) = results_in_thread(stack, parent, 1)
    assert "read timeout" in dumps(result.blocks).lower() or parent.text


def test_redis_outage_acks_and_recovers(stack_factory, redis_server, good_origin):
    stack = stack_factory()
    redis_server.stop()
    try:
        # The ack never waits for Redis (the enqueue runs after it); how fast it is, is
        # measured by benchmarks/ack_latency.py, not asserted here.
        reply, url = stack.send.command(f"origin.test --https-port {good_origin.port}")
        assert reply.status == 200 and reply.body == ""
        answer = stack.slack.wait_for(lambda: stack.send.responses_to(url))
        assert "queue is unavailable" in dumps(answer)
        # Alive (the kubelet must not restart it) but not ready (no traffic while the queue
        # is down), as Kubernetes tells the two apart.
        with urllib.request.urlopen(f"{stack.base}/healthz", timeout=5) as response:
            assert response.status == 200
        with pytest.raises(urllib.error.HTTPError) as not_ready:
            urllib.request.urlopen(f"{stack.base}/readyz", timeout=10)
        not_ready.value.close()  # it holds the connection
        assert not_ready.value.code == 503
    finally:
        redis_server.start()
    reply, _ = stack.send.command(f"origin.test --https-port {good_origin.port}")
    assert reply.status == 200
    parent = finished_parent(stack)
    assert "works, with warnings" in parent.text


def test_a_worker_started_during_a_redis_outage_waits_for_it(
    stack_factory, redis_server, good_origin
):
    stack = stack_factory(workers=False)
    redis_server.stop()
    try:
        worker = stack.start_worker(ready=r"redis unreachable; waiting for it")
    finally:
        redis_server.start()
    worker.wait_for_output(r"redis reachable again")
    worker.wait_for_output(r"Listening on")
    stack.send.command(f"origin.test --https-port {good_origin.port}")
    parent = finished_parent(stack)
    assert "works, with warnings" in parent.text
    assert worker.popen.poll() is None
    assert "Traceback" not in worker.output()


def test_slack_429_is_honoured_and_delivered(stack_factory, good_origin):
    stack = stack_factory()
    stack.slack.rate_limit("chat.postMessage", retry_after=2)
    stack.send.command(f"origin.test --https-port {good_origin.port}")
    finished_parent(stack)
    attempts = stack.slack.calls_of("chat.postMessage")
    assert attempts[0].status == 429 and attempts[1].status == 200
    assert attempts[1].at - attempts[0].at >= 1.9


def test_not_in_channel_answers_through_response_url(stack_factory, good_origin):
    stack = stack_factory()
    stack.slack.not_member(CHANNEL)
    _, url = stack.send.command(f"origin.test --https-port {good_origin.port}")
    answers = stack.slack.wait_for(
        lambda: stack.send.responses_to(url) if len(stack.send.responses_to(url)) >= 2 else None,
        timeout=30,
    )
    assert "/invite" in dumps(answers[0]) and answers[0]["response_type"] == "ephemeral"
    assert answers[1]["response_type"] == "in_channel"


@pytest.mark.parametrize(
    "target",
    [
        "127.0.0.1",
        "2130706433",
        "0177.0.0.1",
        "0x7f.0.0.1",
        "[::ffff:127.0.0.1]",
        "169.254.169.254",
        "[fd00::1]",
        "100.64.0.1",
        "localhost",
    ],
)
def test_private_addresses_refused_in_any_spelling(stack_factory, target, request):
    stack = request.getfixturevalue("_refusing_stack")
    reply, _ = stack.send.command(target)
    body = reply.json()
    assert body["response_type"] == "ephemeral"
    assert "won't probe" in dumps(body)


@pytest.fixture
def _refusing_stack(stack_factory):
    return stack_factory(workers=False, ORIGIN502_ALLOW_PRIVATE_TARGETS="0")


def test_name_resolving_to_private_address_is_not_dialled(stack_factory, good_origin, e2e_env):
    e2e_env["dns"].set("sneaky.test", [("A", "127.0.0.1")])
    stack = stack_factory(ORIGIN502_ALLOW_PRIVATE_TARGETS="0")
    stack.send.command(f"sneaky.test --https-port {good_origin.port}")
    parent = finished_parent(stack)
    (result,) = results_in_thread(stack, parent, 1)[:1]
    assert "ADDRESS_NOT_ALLOWED" in dumps(result.blocks)
    assert good_origin.connections == [], "the refused address was never connected to"


def test_bad_input_and_usage_are_ephemeral(stack_factory):
    stack = stack_factory(workers=False)
    reply, _ = stack.send.command("")
    assert reply.json()["response_type"] == "ephemeral" and "TARGET" in reply.body
    reply, _ = stack.send.command("origin.test --https-port nope")
    assert reply.json()["response_type"] == "ephemeral"
    assert "nope" in reply.body and "Traceback" not in reply.body


def test_forged_and_stale_requests_get_401(stack_factory):
    stack = stack_factory(workers=False)
    body = command_body("origin.test")
    forged = post(stack.url, body, "application/x-www-form-urlencoded", sign(body, secret="wrong"))
    stale = post(
        stack.url, body, "application/x-www-form-urlencoded", sign(body, int(time.time()) - 600)
    )
    unsigned = post(stack.url, body, "application/x-www-form-urlencoded", {})
    assert (forged.status, stale.status, unsigned.status) == (401, 401, 401)
    with urllib.request.urlopen(f"{stack.base}/healthz", timeout=5) as response:
        assert json.loads(response.read()) == {"status": "alive"}
    with urllib.request.urlopen(f"{stack.base}/readyz", timeout=5) as response:
        assert json.loads(response.read()) == {"status": "ready", "detail": "ok"}
    with urllib.request.urlopen(f"{stack.base}/metrics", timeout=5) as response:
        assert b"origin502_commands_received_total" in response.read()


def test_missing_settings_stop_the_process_with_one_line(e2e_env):
    env = {k: v for k, v in e2e_env["env"].items() if not k.startswith("SLACK_")}
    serve = subprocess.run(
        [*origin502_command(), "serve"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert serve.returncode == 2
    assert serve.stderr.startswith(
        "Error: missing required settings: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET (e.g. "
    )
    assert serve.stderr.count("\n") == 1
    delivery = subprocess.run(
        [*origin502_command(), "worker", "--queues", "delivery"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert delivery.returncode == 2 and "SLACK_BOT_TOKEN" in delivery.stderr
    # A probe-only worker holds no Slack token and needs none.
    probe = subprocess.run(
        [*origin502_command(), "worker", "--queues", "probe", "--burst", "--metrics-port", "0"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr
    socket = subprocess.run(
        [*origin502_command(), "serve", "--socket-mode"],
        env={**env, "SLACK_BOT_TOKEN": "xoxb-1"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert socket.returncode == 2
    assert socket.stderr.startswith("Error: missing required settings: SLACK_APP_TOKEN (e.g. ")
    assert socket.stderr.count("\n") == 1


def test_worker_killed_on_the_last_attempt_fails_clearly_in_the_thread(
    stack_factory, hanging_origin
):
    stack = stack_factory(workers=False)
    stack.start_worker("--queues", "delivery", name="delivery")
    first = stack.start_worker("--queues", "probe", name="probe-a")
    stack.send.command(f"origin.test --https-port {hanging_origin.port} --read-timeout 20")
    # A probe's request, not its connections, marks it as waiting on the origin: one probe
    # opens several connections (its side handshakes), only one of which asks for a page.
    stack.slack.wait_for(lambda: hanging_origin.requests, timeout=20)
    first.kill()
    second = stack.start_worker("--queues", "probe", name="probe-b")
    # The retry reaches the origin again; the worker dies again, with no retry left.
    stack.slack.wait_for(lambda: len(hanging_origin.requests) >= 2, timeout=30)
    second.kill()
    stack.start_worker("--queues", "probe", name="probe-c")
    parent = finished_parent(stack)
    assert "The probe could not finish" in dumps(parent.blocks)
    failure = stack.slack.wait_for(
        lambda: [m for m in stack.slack.thread(CHANNEL, parent.ts) if "could not finish" in m.text]
    )
    assert "stopped (killed or restarted)" in failure[0].text
    assert "Traceback" not in dumps([c.args for c in stack.slack.calls])


def test_socket_mode_acks_and_delivers(stack_factory, e2e_env, good_origin, tmp_path):
    from tests.bot.fakesocket import FakeSocketMode, slash_command_envelope
    from tests.e2e.conftest import Process

    slack = e2e_env["slack"]
    socket_mode = FakeSocketMode()
    slack.socket_mode_url = socket_mode.url
    stack = stack_factory()  # the HTTP app is not used; the worker delivers
    env = {**e2e_env["env"], "SLACK_APP_TOKEN": "xapp-1-test"}
    env.pop("SLACK_SIGNING_SECRET")
    env.pop("ORIGIN502_SERVE_PROCESSES")  # the default, auto, is one process in Socket Mode
    health_port = free_port()
    app = Process([*origin502_command(), "serve", "--socket-mode", "--host", "127.0.0.1",
                   "--port", str(health_port)], env, tmp_path, "socket")
    try:
        socket_mode.send(slash_command_envelope("e-help", "help", slack.new_response_url()))
        ack = socket_mode.wait_for_ack("e-help")
        assert ack["payload"]["response_type"] == "ephemeral"
        assert "TARGET" in ack["payload"]["text"]
        url = slack.new_response_url()
        socket_mode.send(
            slash_command_envelope("e-run", f"origin.test --https-port {good_origin.port}", url)
        )
        socket_mode.wait_for_ack("e-run")
        parent = finished_parent(stack)
        assert "works, with warnings" in parent.text
        assert slack.calls_of("apps.connections.open"), "Socket Mode asked Slack for its URL"
        # Kubernetes probes /healthz on --port in Socket Mode too.
        with urllib.request.urlopen(f"http://127.0.0.1:{health_port}/healthz", timeout=5) as r:
            assert r.status == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{health_port}/readyz", timeout=5) as r:
            assert r.status == 200
        # One process: no serving processes forked, nothing said about a process count.
        assert "serve process started" not in app.output()
        assert "applies to HTTP mode only" not in app.output()
    finally:
        app.stop()
        socket_mode.close()


def test_a_failing_slack_call_is_retried_later_by_the_queue(stack_factory, good_origin):
    stack = stack_factory()
    stack.send.command(f"origin.test --https-port {good_origin.port}")
    parent = finished_parent(stack)
    # Posting the evidence fails with a server error (not a 429, so no Retry-After): the
    # delivery job fails and RQ's scheduler runs it again after the retry interval.
    stack.slack.fail(
        "chat.postMessage", "internal_error", when=lambda a: "Evidence for" in a.get("text", "")
    )
    stack.send.click(EVIDENCE_ACTION, parent.button_values()[EVIDENCE_ACTION], message_ts=parent.ts)
    stack.slack.wait_for(
        lambda: [m for m in stack.slack.thread(CHANNEL, parent.ts) if m.text.startswith("Evidence")]
    )
    attempts = [
        c for c in stack.slack.calls_of("chat.postMessage") if "Evidence for" in c.args["text"]
    ]
    assert len(attempts) == 2
    # The second attempt came from RQ's scheduler (Retry(interval=...)), not from a loop inside
    # the job. RQ rounds scheduled times to whole seconds, so the gap itself is not asserted.
    assert attempts[1].at > attempts[0].at
    assert re.search(r"Job \S+: scheduled for retry at", stack.output())
