"""A frozen Redis (SIGSTOP: it keeps its sockets and answers nothing) cannot hold a slash
command's acknowledgement past Slack's 3 s: the round trip before the ack has its own short
bound and no retry (bot/intake.py), the run is opened again after the ack, and the person is
told plainly when Redis still does not answer. Nothing is lost and nothing starts twice.

Real redis-server, frozen and thawed with signals; the app over real HTTP. The ack's time is
measured by benchmarks, not asserted here: these tests assert that it arrives and what follows.
"""

from __future__ import annotations

import json

from bot.intake import open_command_run, reopen_command_run
from bot.parse import Accepted
from tests.bot.fakeslack import command_body, post, sign
from workers.jobs import queues

FORM = "application/x-www-form-urlencoded"
PROBES = "rq:queue:origin502-probe"
DELIVERIES = "rq:queue:origin502-delivery"


def _runs(redis) -> list[bytes]:
    return [k for k in redis.scan_iter("origin502:run:*") if not k.endswith(b":seq")]


def test_a_command_sent_to_a_frozen_redis_is_acked_and_queued_once_it_wakes(
    running_app, redis_server
):
    app = running_app
    app.send.command("warm.example.com")  # the script loaded, the connections made
    app.slack.wait_for(lambda: app.redis.llen(PROBES) == 1)
    url = app.slack.new_response_url()
    body = command_body("origin.example.com", response_url=url)
    redis_server.freeze()
    try:
        reply = post(app.url, body, FORM, sign(body), timeout=30)
    finally:
        redis_server.thaw()
    assert reply.status == 200 and reply.body == ""  # acked, with nothing to say yet
    # The script sent before the ack runs once Redis wakes up, and so does the attempt made
    # after the ack: one run, one probe, one first delivery job.
    app.slack.wait_for(lambda: app.redis.llen(PROBES) == 2)
    assert app.redis.llen(DELIVERIES) == 2
    assert len(_runs(app.redis)) == 2
    probed = [job.decode() for job in app.redis.lrange(PROBES, 0, -1)]
    assert len(set(probed)) == 2


def test_a_redis_frozen_past_the_retry_is_told_and_the_probe_starts_once_it_wakes(
    running_app, redis_server
):
    app = running_app
    app.send.command("warm.example.com")
    app.slack.wait_for(lambda: app.redis.llen(PROBES) == 1)
    redis_server.freeze()
    try:
        reply, url = app.send.command("origin.example.com")
        assert reply.status == 200 and reply.body == ""
        # After the ack, the shared client's attempts time out too: the person is told.
        answers = app.slack.wait_for(lambda: app.send.responses_to(url), timeout=60)
    finally:
        redis_server.thaw()
    text = json.dumps(answers)
    assert "not answering" in text and "may still start by itself" in text
    # What the message says: the command reached Redis, and its probe is queued once.
    app.slack.wait_for(lambda: app.redis.llen(PROBES) == 2)
    assert len(_runs(app.redis)) == 2
    assert app.redis.llen(DELIVERIES) == 2


# -- opening the same run again, against Redis -----------------------------------------------------
def _accepted(text: str) -> Accepted:
    from bot.parse import interpret

    outcome = interpret(text, allow_private=False)
    assert isinstance(outcome, Accepted)
    return outcome


def test_opening_a_run_again_after_it_went_through_starts_nothing_twice(redis_url):
    connection = queues.connect(redis_url)
    first = open_command_run(connection, _accepted("origin.example.com"), channel="C1",
                             user="U1", response_url=None, delivery="body:a")
    assert first.outcome == "queued"
    again = reopen_command_run(connection, first.run, response_url=None, delivery="body:a")
    assert again.outcome == "queued" and again.run.run_id == first.run.run_id
    assert connection.llen(PROBES) == 1 and connection.llen(DELIVERIES) == 1


def test_opening_a_run_again_that_never_went_through_queues_it(redis_url):
    connection = queues.connect(redis_url)
    run = open_command_run(connection, _accepted("origin.example.com"), channel="C1",
                           user="U1", response_url=None, delivery="body:b").run
    connection.flushall()  # as if the first script never reached Redis
    again = reopen_command_run(connection, run, response_url=None, delivery="body:b")
    assert again.outcome == "queued"
    assert connection.lrange(PROBES, 0, -1) == [f"probe-{run.run_id}".encode()]


def test_opening_a_run_again_whose_target_was_held_goes_to_join_it(redis_url):
    connection = queues.connect(redis_url)
    accepted = _accepted("origin.example.com")
    holder = open_command_run(connection, accepted, channel="C1", user="U1",
                              response_url=None, delivery="body:c")
    held = open_command_run(connection, accepted, channel="C1", user="U2",
                            response_url=None, delivery="body:d")
    assert held.outcome == "held"
    # The first attempt claimed the request and found the target held; the second is
    # told "repeated", and the run goes to start_run to join the holder.
    again = reopen_command_run(connection, held.run, response_url=None, delivery="body:d")
    assert again.outcome == "held"
    assert connection.lrange(PROBES, 0, -1) == [f"probe-{holder.run.run_id}".encode()]
