"""A slash command's run is recorded and queued in one Redis round trip before the ack
(issue 8), all or nothing, and a replay of the signed request still starts nothing (issue 11).

Real redis-server; the app over real HTTP where the ack is the subject.
"""

from __future__ import annotations

import threading
import zlib

import pytest
from redis.connection import AbstractConnection

from bot.store import RunDelivery, SlackStore
from tests.bot.fakeslack import command_body, post, sign
from tests.bot.reports import run as make_run
from workers.jobs import queues
from workers.jobs.run_record import RUN_TTL, RunStore

FORM = "application/x-www-form-urlencoded"
PROBES = "rq:queue:origin502-probe"
DELIVERIES = "rq:queue:origin502-delivery"


@pytest.fixture
def connection(redis_url):
    return queues.connect(redis_url)


@pytest.fixture
def round_trips(monkeypatch):
    """Every write of a command (or a pipeline, or a script) to Redis from this process."""
    sent: list[str] = []
    lock = threading.Lock()
    send = AbstractConnection.send_packed_command

    def counted(self, command, check_health=True):
        with lock:
            sent.append(threading.current_thread().name)
        return send(self, command, check_health)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counted)
    return sent


def job_fields(connection, job_id: str) -> dict[bytes, bytes]:
    """A job's hash without the times it was made at, its data decompressed."""
    fields = connection.hgetall(f"rq:job:{job_id}")
    fields[b"data"] = zlib.decompress(fields[b"data"])
    for stamp in (b"created_at", b"enqueued_at"):
        fields.pop(stamp)
    return fields


# -- over HTTP ---------------------------------------------------------------------------------
def test_the_ack_comes_after_one_round_trip_with_the_probe_already_queued(
    running_app, round_trips
):
    app = running_app
    app.send.command("warm.example.com")  # loads the script, learns the server's version
    app.slack.wait_for(lambda: app.redis.llen(PROBES) == 1)
    round_trips.clear()
    reply, _ = app.send.command("origin.example.com --host-header www.example.com")
    assert reply.status == 200 and reply.body == ""
    assert len(round_trips) == 1, round_trips
    # Queued before the ack went out: nothing was left for a thread after it.
    assert app.redis.llen(PROBES) == 2 and app.redis.llen(DELIVERIES) == 2
    run_ids = [j.decode().removeprefix("probe-") for j in app.redis.lrange(PROBES, 0, -1)]
    run = RunStore(app.redis).get(run_ids[1])
    assert run is not None and run.status == "queued"
    assert (run.channel, run.user, run.reason) == ("C0INCIDENT", "UALICE", "command")
    assert run.display == "origin.example.com" and run.request_id
    assert app.redis.lrange(DELIVERIES, 0, -1)[1].decode() == f"sync-{run.run_id}-1"
    # The run holds its target under the key every later step computes from the record.
    assert app.redis.get(f"origin502:active:C0INCIDENT:{run.cache_key}") == run.run_id.encode()


@pytest.mark.parametrize("text", ["origin.example.com", "help", "origin.example.com --bogus"])
def test_a_replayed_command_is_answered_once(running_app, text):
    app = running_app
    body = command_body(text, response_url=app.slack.new_response_url())
    headers = sign(body)
    first = post(app.url, body, FORM, headers)
    again = [post(app.url, body, FORM, headers) for _ in range(3)]
    assert first.status == 200 and all(r.status == 200 and r.body == "" for r in again)
    if text == "help":
        assert "/origin502 TARGET" in first.body
    assert app.redis.llen(PROBES) == (1 if text == "origin.example.com" else 0)
    runs = [k for k in app.redis.scan_iter("origin502:run:*") if not k.endswith(b":seq")]
    assert len(runs) == app.redis.llen(PROBES)


def test_a_replayed_watch_command_watches_once(running_app):
    app = running_app
    body = command_body("watch origin.example.com", response_url=app.slack.new_response_url())
    headers = sign(body)
    for _ in range(3):
        assert post(app.url, body, FORM, headers).status == 200
    answers = app.slack.wait_for(lambda: app.send.responses_to(_url_of(body)))
    assert len(answers) == 1, answers


def _url_of(body: str) -> str:
    from urllib.parse import parse_qs

    return parse_qs(body)["response_url"][0]


# -- RunStore.open against Redis ---------------------------------------------------------------
def test_open_writes_what_start_run_writes(connection):
    store, slack = RunStore(connection), SlackStore(connection)
    opened_run = make_run("queued", run_id="r-open")
    made_run = make_run("queued", run_id="r-made", channel="C0OTHER")
    answer = {"response_url": "https://hooks.slack.test/x"}
    opened = store.open(opened_run, also=slack.fields(RunDelivery(**answer)),
                        seen=slack.seen_mark("body:x"))
    assert opened.status == "opened"
    # The same run the way bot/runs.py's start_run writes one.
    with store.transaction() as pipe:
        store.create(made_run, pipeline=pipe)
        slack.save("r-made", RunDelivery(**answer), pipeline=pipe)
    assert store.claim(made_run.channel, made_run.cache_key, "r-made") is None
    with store.transaction() as pipe:
        queues.enqueue_sync(connection, "r-made", store.first_seq("r-made", pipe), pipeline=pipe)
        queues.enqueue_probe(connection, "r-made", made_run.request, pipeline=pipe)

    got, want = store.get("r-open"), store.get("r-made")
    assert got is not None and want is not None
    assert {**vars(got), "run_id": "", "channel": ""} == {**vars(want), "run_id": "", "channel": ""}
    assert slack.delivery("r-open") == slack.delivery("r-made")
    assert store.next_seq("r-open") == store.next_seq("r-made") == 2
    assert 0 < connection.ttl("origin502:run:r-open") <= RUN_TTL
    assert 0 < connection.ttl("origin502:run:r-open:seq") <= RUN_TTL
    assert connection.get(f"origin502:active:{opened_run.channel}:{opened_run.cache_key}") \
        == b"r-open"
    assert not slack.first_delivery("body:x")  # claimed by open
    for kind in ("sync-{}-1", "probe-{}"):
        opened_job = job_fields(connection, kind.format("r-open"))
        made_job = job_fields(connection, kind.format("r-made"))
        assert opened_job == {k: v.replace(b"r-made", b"r-open") for k, v in made_job.items()}
        assert connection.ttl(f"rq:job:{kind.format('r-open')}") > 0
    assert connection.lrange(PROBES, 0, -1) == [b"probe-r-open", b"probe-r-made"]
    assert connection.lrange(DELIVERIES, 0, -1) == [b"sync-r-open-1", b"sync-r-made-1"]


def test_open_writes_nothing_for_a_repeated_request(connection):
    store, slack = RunStore(connection), SlackStore(connection)
    assert slack.first_delivery("body:x")
    before = sorted(connection.keys("*"))
    opened = store.open(make_run("queued", run_id="r-again"), seen=slack.seen_mark("body:x"))
    assert opened.status == "repeated"
    assert sorted(connection.keys("*")) == before


def test_open_leaves_a_held_target_to_its_run_and_claims_the_request(connection):
    store, slack = RunStore(connection), SlackStore(connection)
    run = make_run("queued", run_id="r-second")
    assert store.claim(run.channel, run.cache_key, "r-first") is None
    before = sorted(connection.keys("*"))
    opened = store.open(run, seen=slack.seen_mark("body:y"))
    assert (opened.status, opened.holder) == ("held", "r-first")
    assert not slack.first_delivery("body:y")
    assert sorted(connection.keys("*")) == sorted([*before, slack.seen_mark("body:y")[0].encode()])


def test_open_never_reuses_a_run_id(connection):
    store, slack = RunStore(connection), SlackStore(connection)
    run = make_run("done", run_id="r-taken")
    store.create(run)
    before = {key: connection.dump(key) for key in connection.keys("*")}
    opened = store.open(make_run("queued", run_id="r-taken"), seen=slack.seen_mark("body:z"))
    assert opened.status == "taken"
    assert {key: connection.dump(key) for key in connection.keys("*")} == before
