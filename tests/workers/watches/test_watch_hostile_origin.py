"""A watched origin whose certificate and answer carry Slack markup (issue 11): the incident it
opens, the digest and the App Home tab show that markup as text, through the real app,
scheduler and worker processes and the recording Slack."""

from __future__ import annotations

import json
import time

import pytest

from tests.bot.fakeslack import post, sign
from tests.bot.hostile import FORMATTING, formatting_taken, shown
from tests.support.certs import write_pem
from tests.support.tls_origin import TlsOrigin
from tests.workers.watches.conftest import wait_until
from tests.workers.watches.test_watch_processes import Watching

LINKS = "<!channel> <https://evil.example/fix|Fix here>"
RESPONSE = (
    f"HTTP/1.1 502 {LINKS} {FORMATTING}\r\nServer: {FORMATTING}\r\n"
    "Content-Length: 0\r\nConnection: close\r\n\r\n"
).encode()


@pytest.mark.e2e
def test_incident_digest_and_home_show_the_origins_markup_as_text(
        *, processes, clock, app_factory, fake_dns, cert_factory, tmp_path, redis_url):
    root = cert_factory.root()
    inter = cert_factory.intermediate(root, cn=f"<!here> {FORMATTING}")
    leaf = cert_factory.leaf(inter, ["other.invalid", LINKS, FORMATTING], cn=FORMATTING)
    ca_file = str(write_pem(tmp_path / "root.pem", root))
    processes.worker()
    processes.scheduler()
    app = app_factory(ORIGIN502_CA_FILE=ca_file)
    w = Watching(app, clock, redis_url)
    fake_dns.set("evil.test", [("A", "127.0.0.1")])
    with TlsOrigin([leaf, inter], http="raw", response=RESPONSE) as origin:
        _, url = w.command(f"watch evil.test --https-port {origin.port} --every 5m")
        w.answered(url, "is now watching")
        wid = w.watch_id("evil.test")
        w.settle(wid, 1)
    [incident] = w.top_level()
    assert incident.text.startswith("origin502: evil.test is failing (CERT_HOSTNAME_MISMATCH")

    _, url = w.command("digest now")
    w.answered(url, "Posting this channel")
    wait_until(lambda: [m for m in w.top_level() if m.text.startswith("origin502 digest")],
               what="the digest")

    body = json.dumps({
        "token": "t", "team_id": "T1", "api_app_id": "A502", "type": "event_callback",
        "event_id": "Ev1", "event_time": int(time.time()),
        "event": {"type": "app_home_opened", "user": "UALICE", "channel": "D1", "tab": "home",
                  "event_ts": "1"},
        "authorizations": [{"team_id": "T1", "user_id": "UBOT502", "is_bot": True}],
    })
    assert post(app.url, body, "application/json", sign(body)).status == 200
    wait_until(lambda: app.slack.calls_of("views.publish"), what="views.publish")
    _, url = w.command("watches")
    w.answered(url, "evil.test")

    renderings = app.slack.rendered()
    assert shown(renderings) >= {"bold502", "italic502", "strike502", "code502"}
    assert formatting_taken(renderings) == []
    assert [m for m in app.slack.rendered_markup()
            if "evil" in m or m.startswith(("<!channel", "<!here"))] == []
