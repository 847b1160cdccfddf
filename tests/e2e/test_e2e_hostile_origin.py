"""What an origin controls reaches Slack as text, never as markup (issue 11).

A real TLS origin on loopback presents a certificate whose Common Name, names and issuer are
Slack markup, and answers with markup in its status text, headers and body. Everything the
app sends to the recording Slack is then read the way Slack reads it: no mention, channel ping
or link that the origin wrote may come out, no bold, italic, strike-through or code, and no
emoji (its status text, Server header and a certificate name carry a green check and a warning
sign, every value a `:emoji502:`)."""

from __future__ import annotations

import pytest

from bot.render.status import EVIDENCE_ACTION, RERUN_ACTION
from tests.bot.hostile import EMOJI, FORMATTING, emoji_shown, emoji_taken, formatting_taken, shown
from tests.bot.mrkdwn import render
from tests.e2e.test_e2e_slack import CHANNEL, finished_parent, results_in_thread
from tests.support.tls_origin import TlsOrigin

pytestmark = pytest.mark.e2e
EVIL_CN = "<!channel> <https://evil.example/fix|Fix here>"
EVIL_ISSUER = "<!here> <@U0ATTACKER> <#C0SECRET> ~strike502~"
BODY = b"<!channel> <https://evil.example/body|click> " + FORMATTING.encode()
RESPONSE = (
    b"HTTP/1.1 502 <!everyone> <https://evil.example/status|status> " + FORMATTING.encode()
    + b" " + EMOJI.encode()
    + b"\r\nServer: <!channel> <https://evil.example/server|server> " + FORMATTING.encode()
    + b" " + EMOJI.encode()
    + b"\r\nContent-Type: text/html\r\n"
    + b"Content-Length: %d\r\n" % len(BODY)
    + b"Connection: close\r\n\r\n" + BODY
)


@pytest.fixture
def evil_origin(cert_factory, e2e_chain):
    inter = cert_factory.intermediate(e2e_chain[2], cn=EVIL_ISSUER)
    # The Common Name carries the formatting, the names the links (the CN is 64 characters
    # at most).
    leaf = cert_factory.leaf(inter, ["other.invalid", EVIL_CN, FORMATTING, EMOJI],
                             cn=FORMATTING)
    with TlsOrigin([leaf, inter], http="raw", response=RESPONSE) as server:
        yield server


def test_origin_markup_never_renders_in_slack(stack_factory, evil_origin):
    stack = stack_factory()
    stack.send.command(f"origin.test --https-port {evil_origin.port}")
    parent = finished_parent(stack)
    results_in_thread(stack, parent, 1)
    stack.send.click(EVIDENCE_ACTION, parent.button_values()[RERUN_ACTION],
                     message_ts=parent.ts)
    stack.slack.wait_for(lambda: [m for m in stack.slack.thread(CHANNEL, parent.ts)
                                  if m.text.startswith("Evidence for")])
    everything = str([c.args for c in stack.slack.calls])
    # The origin's words did reach Slack (escaped), so the check below is not vacuous.
    assert "&lt;!channel&gt;" in everything
    assert "evil.example" in everything
    markup = stack.slack.rendered_markup()
    assert [m for m in markup if "evil" in m or m.startswith(("<!channel", "<!here", "<!every"))
            or "ATTACKER" in m or "SECRET" in m] == [], markup

    # The origin's formatting reached the parent (its text and blocks), the thread's result
    # and the evidence, and took effect nowhere.
    thread = stack.slack.thread(CHANNEL, parent.ts)
    for message in (stack.slack.channel_messages(CHANNEL)[0], *thread):
        texts = [message.text, *_mrkdwn(message.blocks)]
        assert shown([render(t) for t in texts]), message.text
    assert shown([render(stack.slack.channel_messages(CHANNEL)[0].text)])
    renderings = stack.slack.rendered()
    assert shown(renderings) >= {"bold502", "italic502", "strike502", "code502", "emoji502"}
    assert formatting_taken(renderings) == []
    # The origin's emoji reached Slack as text, and not one of them shows as a picture.
    assert emoji_shown(renderings)
    assert emoji_taken(renderings) == []
    assert [r.source for r in renderings if ("emoji", "emoji502") in r.styles] == []


def _mrkdwn(blocks):
    found = []
    for block in blocks:
        for obj in [block.get("text"), *block.get("fields", []), *block.get("elements", [])]:
            if isinstance(obj, dict) and obj.get("type") == "mrkdwn":
                found.append(obj["text"])
    return found
