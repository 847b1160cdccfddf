"""Watches end to end: the app over signed HTTP, real `origin502 scheduler` and `origin502
worker` processes, a real Redis, real TLS origins on loopback, Slack recorded, and one clock
file that moves every process through days of schedules in seconds."""

from __future__ import annotations

import datetime as dt
import json
import socket
import time

import pytest

from tests.bot.mrkdwn import emoji
from tests.support.certs import write_pem
from tests.support.tls_origin import TlsOrigin
from tests.workers.watches.conftest import wait_until
from tests.workers.watches.switch import Switch
from workers.jobs.queues import connect
from workers.watches.store import WatchStore

CHANNEL = "C0WATCH"
DAY = 86400.0


@pytest.fixture(scope="module")
def pki(cert_factory):
    root = cert_factory.root()
    inter = cert_factory.intermediate(root)
    now = dt.datetime.now(dt.UTC)
    return {
        "root": root,
        "inter": inter,
        "good": cert_factory.leaf(inter, ["shop.test", "a.test", "b.test", "c.test"],
                                  not_after=now + dt.timedelta(days=20)),
        "expired": cert_factory.leaf(inter, ["shop.test"], not_before=now - dt.timedelta(days=40),
                                     not_after=now - dt.timedelta(days=2)),
        "other": cert_factory.leaf(inter, ["other.test"]),
    }


@pytest.fixture
def ca_file(pki, tmp_path):
    return str(write_pem(tmp_path / "root.pem", pki["root"]))


@pytest.fixture
def backends(pki):
    origins = {name: TlsOrigin([pki[name], pki["inter"]]).start()
               for name in ("good", "expired", "other")}
    yield origins
    for origin in origins.values():
        origin.stop()


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)


class Watching:
    """Helpers over the store and the recording Slack for one test."""

    def __init__(self, app, clock, redis_url):
        self.app = app
        self.clock = clock
        self.store = WatchStore(connect(redis_url))

    def command(self, text: str) -> tuple[dict, str]:
        reply, response_url = self.app.send.command(text, channel=CHANNEL)
        assert reply.status == 200, reply.body
        return reply.json(), response_url

    def answered(self, response_url: str, fragment: str) -> dict:
        return wait_until(lambda: next((r for r in self.app.send.responses_to(response_url)
                                        if fragment in dumps(r)), None),
                          what=f"an answer with {fragment!r}")

    def watch_id(self, name: str) -> str:
        return wait_until(lambda: next((s.watch_id for s in self.store.channel_watches(CHANNEL)
                                        if s.name == name), None), what=f"watch of {name}")

    def checks(self, wid: str) -> int:
        state = self.store.state(wid)
        return state.checks if state is not None else 0

    def settle(self, wid: str, at_least: int, timeout: float = 30.0) -> None:
        """Wait until the watch has run `at_least` checks and its alerts are posted."""
        wait_until(lambda: self.checks(wid) >= at_least, timeout,
                   what=f"{at_least} checks of {wid} (have {self.checks(wid)})")
        wait_until(lambda: self.store.redis.llen(self.store.outbox_key(wid)) == 0, timeout,
                   what="alerts delivered")

    def step(self, wids: list[str], seconds: float) -> None:
        """Move the clock and wait for one more check of each watch."""
        before = {w: self.checks(w) for w in wids}
        self.clock.advance(seconds)
        for wid in wids:
            self.settle(wid, before[wid] + 1)

    def top_level(self) -> list:
        return self.app.slack.channel_messages(CHANNEL)


@pytest.mark.e2e
def test_incident_opens_once_updates_its_thread_and_recovers(
        *, processes, clock, app_factory, fake_dns, backends, ca_file, redis_url):
    processes.worker()
    processes.scheduler()
    app = app_factory(ORIGIN502_CA_FILE=ca_file)
    w = Watching(app, clock, redis_url)
    with Switch("127.0.0.1") as first, Switch("127.0.0.2", first.port) as second:
        if True:
            for switch in (first, second):
                switch.to(("127.0.0.1", backends["good"].port))
            fake_dns.set("shop.test", [("A", "127.0.0.1"), ("A", "127.0.0.2")])

            _, url = w.command(f"watch shop.test --https-port {first.port} --every 5m")
            w.answered(url, "is now watching")
            wid = w.watch_id("shop.test")
            w.settle(wid, 1)
            assert w.store.state(wid).verdict == "warn"  # loopback: a warning, not a 502
            assert w.top_level() == []  # healthy: nothing said

            _, url = w.command("watches")
            listing = w.answered(url, "shop.test")
            assert listing["response_type"] == "ephemeral"
            assert "ok, with warnings" in dumps(listing) and "every 5m" in dumps(listing)

            # healthy → failing: one channel message opens the incident
            first.to(("127.0.0.1", backends["expired"].port))
            w.step([wid], 300)
            [parent] = w.top_level()
            assert parent.text.startswith("origin502: shop.test is failing (CERT_EXPIRED")

            # still failing the same way: silence
            w.step([wid], 300)
            w.step([wid], 300)
            assert len(w.top_level()) == 1 and app.slack.thread(CHANNEL, parent.ts) == []

            # another address fails too: into the thread
            second.to(("127.0.0.1", backends["expired"].port))
            w.step([wid], 300)
            [update] = app.slack.thread(CHANNEL, parent.ts)
            assert "now failing on 127.0.0.2" in update.text
            assert update.text.endswith("— CloudFront would answer 502 for this origin")

            # a new cause: into the thread
            first.to(("127.0.0.1", backends["other"].port))
            w.step([wid], 300)
            thread = app.slack.thread(CHANNEL, parent.ts)
            assert len(thread) == 2 and "new cause CERT_HOSTNAME_MISMATCH" in thread[1].text

            # recovery: in the thread and on the parent
            first.to(("127.0.0.1", backends["good"].port))
            second.to(("127.0.0.1", backends["good"].port))
            w.step([wid], 300)
            thread = app.slack.thread(CHANNEL, parent.ts)
            assert len(thread) == 3 and "recovered" in thread[2].text
            [parent] = w.top_level()
            assert "recovered after 25 min" in parent.text and parent.updates == 1
            # both say what viewers got until then, as a reader sees them
            last = "Last seen while failing: CloudFront would answer 502 for this origin."
            assert "Last seen while failing" not in parent.text  # the fallback stays short
            assert len([r for r in app.slack.rendered() if last in r.visible]) >= 2

            # unwatch: no more checks
            _, url = w.command("unwatch shop.test")
            w.answered(url, "stopped watching")
            assert w.store.channel_watches(CHANNEL) == []
            connections = first.connections
            clock.advance(3600)
            time.sleep(1.0)
            assert first.connections == connections


@pytest.mark.e2e
def test_expiry_warns_at_14_7_3_and_1_days(*, processes, clock, app_factory, fake_dns, backends,
                                           ca_file, redis_url):
    processes.worker()
    processes.scheduler()
    app = app_factory(ORIGIN502_CA_FILE=ca_file)
    w = Watching(app, clock, redis_url)
    fake_dns.set("shop.test", [("A", "127.0.0.1")])
    _, url = w.command(f"watch shop.test --https-port {backends['good'].port} --every 1h")
    w.answered(url, "is now watching")
    wid = w.watch_id("shop.test")
    w.settle(wid, 1)
    start = clock.now()
    warnings = []
    # The certificate ends 20 days after the test started; look at it on these days.
    for day, expected in [(7, 14), (8, None), (13.5, 7), (14, None), (17.5, 3), (19.5, 1),
                          (19.6, None)]:
        before = len(app.slack.calls_of("chat.postMessage"))
        w.step([wid], start + day * DAY - clock.now())
        posted = app.slack.calls_of("chat.postMessage")[before:]
        warnings.append(posted[0].args["text"] if posted else None)
        if expected is None:
            assert not posted, posted[0].args["text"]
        else:
            assert len(posted) == 1
            assert f"warning at {expected} days" in posted[0].args["text"]
    [first] = w.top_level()
    assert "expires in 12 days" in first.text
    replies = app.slack.thread(CHANNEL, first.ts)
    assert [r.text.split("warning at ")[1] for r in replies] == ["7 days", "3 days", "1 days"]
    broadcast = [c for c in app.slack.calls_of("chat.postMessage") if c.args.get("thread_ts")]
    assert all(c.args.get("reply_broadcast") for c in broadcast)


@pytest.mark.e2e
def test_digest_scheduled_and_now(*, processes, clock, app_factory, fake_dns, backends, ca_file,
                                  redis_url, silent_listener):
    processes.worker()
    processes.scheduler()
    app = app_factory(ORIGIN502_CA_FILE=ca_file)
    w = Watching(app, clock, redis_url)
    fake_dns.set("shop.test", [("A", "127.0.0.1")])
    fake_dns.set("down.test", [("A", "127.0.0.1")])
    fake_dns.set("slow.test", [("A", "127.0.0.1")])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    _, url1 = w.command(f"watch shop.test --https-port {backends['good'].port}")
    _, url2 = w.command(f"watch down.test --https-port {closed} --timeout 1 "
                        "--connection-attempts 1")
    _, url3 = w.command(f"watch slow.test --protocol-policy http-only "
                        f"--http-port {silent_listener} --read-timeout 1 "
                        "--connection-attempts 1")
    for url in (url1, url2, url3):
        w.answered(url, "is now watching")
    shop, down, slow = w.watch_id("shop.test"), w.watch_id("down.test"), w.watch_id("slow.test")
    for wid in (shop, down, slow):
        w.settle(wid, 1)

    at = dt.datetime.fromtimestamp(clock.now() + 600, dt.UTC)
    _, url = w.command(f"digest daily {at:%H:%M} UTC")
    w.answered(url, "digest every day at")

    def digests():
        return [m for m in w.top_level() if m.text.startswith("origin502 digest")]

    assert digests() == []
    clock.advance(660)
    [digest] = wait_until(digests, what="the scheduled digest")
    body = dumps(digest.blocks)
    assert body.index("down.test") < body.index("shop.test")  # failing first
    assert "PORT_CLOSED" in body
    assert "certificate expires in 19 days" in body
    assert digest.text.startswith("origin502 digest — 3 watched origins: 2 failing")
    # each failing origin says what its viewers get, as a reader sees the digest
    lines = [line for r in app.slack.rendered() for line in r.visible.splitlines()]
    red = emoji("red_circle")
    assert any(line.startswith(f"{red} down.test — failing: 502 expected · PORT_CLOSED")
               for line in lines)
    assert any(line.startswith(f"{red} slow.test — failing: 504 expected · "
                               "ORIGIN_RESPONSE_TIMEOUT") for line in lines)
    assert "failing (502)" not in body

    _, url = w.command("digest now")
    w.answered(url, "Posting this channel")
    wait_until(lambda: len(digests()) == 2, what="the digest asked for now")
    assert "changed since the last digest" not in dumps(digests()[1].blocks)

    _, url = w.command("digest off")
    w.answered(url, "No more scheduled digests")
    clock.advance(DAY)
    time.sleep(1.0)
    assert len(digests()) == 2


@pytest.mark.e2e
def test_two_schedulers_and_restarts_never_double_or_skip(*, processes, clock, app_factory,
                                                         fake_dns, pki, ca_file, redis_url):
    processes.worker()
    processes.scheduler("scheduler-1")
    processes.scheduler("scheduler-2")
    app = app_factory(ORIGIN502_CA_FILE=ca_file)
    w = Watching(app, clock, redis_url)
    names = ["a.test", "b.test", "c.test"]
    with TlsOrigin([pki["good"], pki["inter"]]) as origin:
        for name in names:
            fake_dns.set(name, [("A", "127.0.0.1")])
            _, url = w.command(f"watch {name} --https-port {origin.port} --every 5m")
            w.answered(url, "is now watching")
        wids = [w.watch_id(n) for n in names]
        for wid in wids:
            w.settle(wid, 1)
        for _ in range(4):
            w.step(wids, 300)
        processes.kill("scheduler-1")
        w.step(wids, 300)
        processes.kill("scheduler-2")
        clock.advance(3 * 300)  # nobody schedules for three slots
        time.sleep(0.5)
        assert [w.checks(x) for x in wids] == [6, 6, 6]
        processes.scheduler("scheduler-3")
        for wid in wids:
            w.settle(wid, 7)  # the overdue slot runs once, not three times
        w.step(wids, 300)
        time.sleep(1.0)  # room for any duplicate to show up
        assert [w.checks(x) for x in wids] == [8, 8, 8]
        by_name = {n: sum(1 for r in origin.requests if r.get("sni") == n) for n in names}
        assert by_name == dict.fromkeys(names, 8)


def test_watch_button_under_a_diagnosis(app_factory, clock, redis_url):
    from bot.render.watches import WATCH_ACTION
    from workers.jobs.run_record import Run, RunStore

    app = app_factory()
    store = RunStore(connect(redis_url))
    store.create(Run(run_id="r1-abc", request={"hostname": "shop.test", "display": "shop.test"},
                     text="shop.test --https-port 8443", channel=CHANNEL, user="UALICE"))
    reply, url = app.send.click(WATCH_ACTION, "r1-abc", channel=CHANNEL, user="UBOB")
    assert reply.status == 200
    w = Watching(app, clock, redis_url)
    answer = w.answered(url, "is now watching")
    assert answer["response_type"] == "in_channel" and "<@UBOB>" in dumps(answer)
    [spec] = w.store.channel_watches(CHANNEL)
    assert spec.every == "15m" and spec.probe_request.settings.https_port == 8443
    assert spec.watchers == ["UBOB"]


def test_app_home_lists_the_users_watches(app_factory, clock, redis_url):
    from tests.bot.fakeslack import post, sign

    app = app_factory()
    w = Watching(app, clock, redis_url)
    for channel in ("C1", "C2"):
        _, url = app.send.command("watch shop.test --every 1h", channel=channel)
        w.answered(url, "is now watching")
    body = json.dumps({
        "token": "t", "team_id": "T1", "api_app_id": "A502", "type": "event_callback",
        "event_id": "Ev1", "event_time": int(time.time()),
        "event": {"type": "app_home_opened", "user": "UALICE", "channel": "D1", "tab": "home",
                  "event_ts": "1"},
        "authorizations": [{"team_id": "T1", "user_id": "UBOT502", "is_bot": True}],
    })
    assert post(app.url, body, "application/json", sign(body)).status == 200
    [call] = wait_until(lambda: app.slack.calls_of("views.publish"), what="views.publish")
    assert call.args["user_id"] == "UALICE"
    view = call.args["view"] if isinstance(call.args["view"], dict) else json.loads(
        call.args["view"])
    text = dumps(view)
    assert view["type"] == "home" and "<#C1>" in text and "<#C2>" in text


@pytest.mark.parametrize(("text", "answer"), [
    ("watch shop.test --every 2m", "unknown interval '2m': use --every 5m, 15m or 1h"),
    ("watch shop.test --every", "--every needs a value"),
    ("watch", "say which origin to watch"),
    ("watch shop.test --https-port 70000", "70000"),
    ("digest daily 25:00", "'25:00' is not a time: use HH:MM"),
    ("digest daily 09:00 Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
    ("digest weekly someday 09:00", "'someday' is not a day of the week"),
    ("digest hourly", "unknown digest schedule 'hourly'"),
])
def test_bad_input_is_answered_clearly(running_app, text, answer):
    reply, _ = running_app.send.command(text, channel=CHANNEL)
    body = reply.json()
    assert body["response_type"] == "ephemeral"
    assert answer in dumps(body)
    assert "Traceback" not in reply.body
    assert running_app.redis.keys("origin502:watch:*") == []


def test_unwatch_of_an_unknown_origin_lists_what_is_watched(running_app, clock, redis_url):
    w = Watching(running_app, clock, redis_url)
    _, url = w.command("watch shop.test")
    w.answered(url, "is now watching")
    _, url = w.command("unwatch nothing.test")
    answer = w.answered(url, "is not watched")
    assert "shop.test" in dumps(answer) and answer["response_type"] == "ephemeral"


def test_unwatch_picks_the_option_set_named(app_factory, clock, ca_file, redis_url):
    app = app_factory(ORIGIN502_CA_FILE=ca_file)
    w = Watching(app, clock, redis_url)
    for port in (8443, 9443):
        _, url = w.command(f"watch shop.test --https-port {port}")
        w.answered(url, "is now watching")
    _, url = w.command("unwatch shop.test")
    assert "different options" in dumps(w.answered(url, "is watched here"))
    _, url = w.command("unwatch shop.test --https-port 9443")
    w.answered(url, "stopped watching")
    [left] = w.store.channel_watches(CHANNEL)
    assert left.probe_request.settings.https_port == 8443


@pytest.mark.e2e
def test_scheduler_serves_health_and_metrics(processes):
    import urllib.request

    from tests.support.ports import closed_port

    port = closed_port()
    processes.start("scheduler", "scheduler", "--metrics-port", str(port), "--tick", "0.1")

    def get(path):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as reply:
                return reply.status, reply.read().decode()
        except OSError:
            return None

    status, body = wait_until(lambda: get("/readyz"), what="the scheduler's /readyz")
    assert (status, body.strip()) == (200, "ok")
    assert get("/healthz")[0] == 200
    _, metrics = get("/metrics")
    assert "origin502_scheduler_last_tick_timestamp_seconds" in metrics
