"""The app over real HTTP with signed requests, real Redis, RQ in-process, Slack recorded."""

from __future__ import annotations

import json
import time
import zlib

import pytest

from bot.render.status import EVIDENCE_ACTION, RERUN_ACTION
from bot.render.watches import WATCH_ACTION
from tests.bot.fakeslack import command_body, post, sign

CHANNEL = "C0INCIDENT"


def dumps(value):
    return json.dumps(value, ensure_ascii=False)


def parent_of(app, n=1):
    """The first `n` top-level messages of the channel, once they exist."""
    return app.slack.wait_for(
        lambda: (
            app.slack.channel_messages(CHANNEL)[:n]
            if len(app.slack.channel_messages(CHANNEL)) >= n
            else None
        )
    )


# -- verification -------------------------------------------------------------------------
def test_forged_signature_is_401(running_app):
    body = command_body("origin.test")
    headers = sign(body, secret="not-the-secret")
    assert post(running_app.url, body, "application/x-www-form-urlencoded", headers).status == 401


def test_stale_request_is_401(running_app):
    body = command_body("origin.test")
    headers = sign(body, timestamp=int(time.time()) - 6 * 60)
    assert post(running_app.url, body, "application/x-www-form-urlencoded", headers).status == 401


def test_signed_request_is_200(running_app):
    reply, _ = running_app.send.command("help")
    assert reply.status == 200


# -- immediate answers --------------------------------------------------------------------
@pytest.mark.parametrize("text", ["", "help"])
def test_usage_is_ephemeral(running_app, text):
    reply, _ = running_app.send.command(text)
    body = reply.json()
    assert body["response_type"] == "ephemeral"
    assert "/origin502 TARGET" in dumps(body)
    assert running_app.slack.calls_of("chat.postMessage") == []


def test_bad_target_answers_what_is_wrong(running_app):
    reply, _ = running_app.send.command("origin.test --https-port 70000")
    body = reply.json()
    assert body["response_type"] == "ephemeral"
    assert "70000" in body["text"]
    assert "Traceback" not in reply.body


@pytest.mark.parametrize(
    "target", ["127.0.0.1", "2130706433", "0x7f.1", "[::ffff:169.254.169.254]", "10.0.0.1"]
)
def test_private_targets_refused_by_default(app_factory, target):
    app = app_factory(ORIGIN502_ALLOW_PRIVATE_TARGETS="0")
    reply, _ = app.send.command(target)
    body = reply.json()
    assert body["response_type"] == "ephemeral"
    assert "won't probe" in dumps(body)
    assert app.redis.keys("rq:job:*") == []  # nothing was queued


def test_a_listener_crash_reaches_the_user_without_a_trace(running_app, monkeypatch):
    from bot import accepting

    def boom(*_args, **_kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(accepting, "interpret", boom)
    reply, _ = running_app.send.command("origin.test")
    assert reply.status == 200
    assert "Something went wrong inside origin502" in reply.body
    assert "secret internals" not in reply.body and "Traceback" not in reply.body


# -- the full run ---------------------------------------------------------------------------
def test_command_posts_parent_progress_verdict_and_thread(app_factory, origin):
    app = app_factory(ORIGIN502_CA_FILE=origin.ca_file)
    reply, _ = app.send.command(f"origin.test --https-port {origin.port}")
    assert reply.status == 200 and reply.body == ""
    app.work(until=lambda: any(m.button_values() for m in app.slack.channel_messages(CHANNEL)))
    (parent,) = app.slack.channel_messages(CHANNEL)
    assert "origin.test" in parent.history[0] and "<@UALICE>" in dumps(parent.blocks)
    assert parent.updates >= 1  # in-process the probe may finish before the first update
    # Loopback origins are reported as a warning (CloudFront cannot reach them); no error.
    assert "works, with warnings" in parent.text, parent.text
    assert set(parent.button_values()) == {RERUN_ACTION, EVIDENCE_ACTION, WATCH_ACTION}
    thread = app.slack.thread(CHANNEL, parent.ts)
    assert thread and "Diagnosis of origin.test" in thread[0].text
    for call in app.slack.calls_of("chat.postMessage") + app.slack.calls_of("chat.update"):
        assert call.args["text"], "every message has a plain-text fallback"


def test_rerun_and_evidence_land_in_the_same_thread(app_factory, origin, fake_dns):
    app = app_factory(ORIGIN502_CA_FILE=origin.ca_file)
    # A certificate naming neither the origin domain nor the forwarded Host: a 502.
    fake_dns.set("other.test", [("A", "127.0.0.1")])
    app.send.command(f"other.test --https-port {origin.port} --host-header wrong.test")
    app.work(until=lambda: any(m.button_values() for m in app.slack.channel_messages(CHANNEL)))
    (parent,) = app.slack.channel_messages(CHANNEL)
    assert "502 expected" in parent.text
    run_id = parent.button_values()[RERUN_ACTION]

    reply, _ = app.send.click(EVIDENCE_ACTION, run_id, message_ts=parent.ts)
    assert reply.status == 200
    app.work(
        until=lambda: any("Evidence for" in m.text for m in app.slack.thread(CHANNEL, parent.ts))
    )

    app.send.click(RERUN_ACTION, run_id, message_ts=parent.ts)
    app.work(
        until=lambda: (
            sum("Diagnosis of" in m.text for m in app.slack.thread(CHANNEL, parent.ts)) >= 2
        )
    )
    thread = app.slack.thread(CHANNEL, parent.ts)
    assert len(app.slack.channel_messages(CHANNEL)) == 1, "a re-run stays in the thread"
    status = [m for m in thread if m.button_values()]
    assert status and "re-run by <@UBOB>" in dumps(status[-1].blocks)
    latest = [m for m in thread if m.text.startswith("Diagnosis of")][-1]
    assert "What changed since the previous run" in dumps(latest.blocks)


def test_mention_in_thread_reruns_with_changed_options(app_factory, origin, fake_dns):
    app = app_factory(ORIGIN502_CA_FILE=origin.ca_file)
    # Neither name on the certificate (a 502), until the forwarded Host is one it names.
    fake_dns.set("other.test", [("A", "127.0.0.1")])
    app.send.command(f"other.test --https-port {origin.port} --host-header wrong.test")
    app.work(until=lambda: any(m.button_values() for m in app.slack.channel_messages(CHANNEL)))
    (parent,) = app.slack.channel_messages(CHANNEL)
    assert "502 expected" in parent.text

    assert app.send.mention("--host-header www.origin.test", thread_ts=parent.ts).status == 200
    app.work(
        until=lambda: (
            sum("Diagnosis of" in m.text for m in app.slack.thread(CHANNEL, parent.ts)) >= 2
        )
    )
    thread = app.slack.thread(CHANNEL, parent.ts)
    status = [m for m in thread if m.button_values()][-1]
    assert "works, with warnings" in status.text
    diff = dumps([m for m in thread if m.text.startswith("Diagnosis of")][-1].blocks)
    assert "Host header: wrong.test → www.origin.test" in diff
    assert "verdict: fail → *warn*" in diff


def test_duplicate_command_points_to_the_existing_thread(running_app):
    app = running_app
    app.send.command("origin.test --https-port 1", user="UALICE")
    app.slack.wait_for(lambda: app.redis.llen("rq:queue:origin502-probe") == 1)
    _, second_url = app.send.command("origin.test --https-port 1", user="UBOB")
    pointer = app.slack.wait_for(lambda: app.send.responses_to(second_url))
    assert "no second probe was started" in dumps(pointer)
    assert app.redis.llen("rq:queue:origin502-probe") == 1
    # Different options are a different probe.
    app.send.command("origin.test --https-port 2", user="UBOB")
    app.slack.wait_for(lambda: app.redis.llen("rq:queue:origin502-probe") == 2)


def test_redis_outage_still_acks_then_recovers(running_app, redis_server):
    app = running_app
    redis_server.stop()
    started = time.perf_counter()
    reply, url = app.send.command("origin.test")
    assert reply.status == 200
    assert (time.perf_counter() - started) < 1.0
    answer = app.slack.wait_for(lambda: app.send.responses_to(url))
    assert "queue is unavailable" in dumps(answer)
    redis_server.start()
    reply, url = app.send.command("origin.test")
    assert reply.status == 200
    app.slack.wait_for(lambda: app.redis.llen("rq:queue:origin502-probe") == 1)
    assert app.send.responses_to(url) == []


def test_slack_429_is_retried_after_retry_after(running_app):
    app = running_app
    app.slack.rate_limit("chat.postMessage", retry_after=1)
    app.send.command("origin.test --https-port 1")
    app.work(until=lambda: app.slack.channel_messages(CHANNEL))
    attempts = app.slack.calls_of("chat.postMessage")
    assert [a.status for a in attempts[:2]] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 0.9


def test_not_in_channel_falls_back_to_response_url(running_app, origin):
    app = running_app
    app.slack.not_member(CHANNEL)
    _, url = app.send.command(f"origin.test --https-port {origin.port}")
    app.work(until=lambda: len(app.send.responses_to(url)) >= 2)
    answers = app.send.responses_to(url)
    assert answers[0]["response_type"] == "ephemeral"
    assert "/invite" in dumps(answers[0])
    assert answers[1]["response_type"] == "in_channel"
    assert "origin.test" in answers[1]["text"]


def test_unknown_run_buttons_say_the_result_is_too_old(running_app):
    reply, url = running_app.send.click(RERUN_ACTION, "r999-gone")
    assert reply.status == 200
    answer = running_app.slack.wait_for(lambda: running_app.send.responses_to(url))
    assert "too old" in dumps(answer)


def test_a_just_finished_run_answers_a_repeat_but_rerun_runs_again(running_app):
    app = running_app
    app.send.command("origin.test --https-port 1")
    app.work(until=lambda: any(m.button_values() for m in app.slack.channel_messages(CHANNEL)))
    (parent,) = app.slack.channel_messages(CHANNEL)
    _, url = app.send.command("origin.test --https-port 1", user="UBOB")
    pointer = app.slack.wait_for(lambda: app.send.responses_to(url))
    assert "was just checked" in dumps(pointer)
    assert parent.ts.replace(".", "") in dumps(pointer)  # the permalink to the thread
    app.send.click(RERUN_ACTION, parent.button_values()[RERUN_ACTION], message_ts=parent.ts)
    app.work(until=lambda: len(app.slack.thread(CHANNEL, parent.ts)) >= 3)
    assert any("Re-running" in dumps(m.blocks) for m in app.slack.thread(CHANNEL, parent.ts))


def test_jobs_carry_json_with_timeouts_and_ttls(running_app):
    app = running_app
    app.send.command("origin.test --https-port 1")
    app.slack.wait_for(lambda: app.redis.llen("rq:queue:origin502-probe") == 1)
    (job_id,) = [j.decode() for j in app.redis.lrange("rq:queue:origin502-probe", 0, -1)]
    job = app.redis.hgetall(f"rq:job:{job_id}")
    assert job_id.startswith("probe-r")  # derived from the run, not random
    payload = json.loads(zlib.decompress(job[b"data"]))  # JSON (RQ compresses it), not pickle
    assert payload[0] == "workers.jobs.probe.run_probe"
    assert payload[2][1]["hostname"] == "origin.test"
    assert int(job[b"timeout"]) > 0 and app.redis.ttl(f"rq:job:{job_id}") > 0


def test_metrics_count_commands(running_app):
    from workers import metrics

    before = metrics.COMMANDS_RECEIVED.labels(kind="help")._value.get()
    running_app.send.command("help")
    assert metrics.COMMANDS_RECEIVED.labels(kind="help")._value.get() == before + 1
