"""End to end: a TLS 1.3-only origin (real nginx, ``ssl_protocols TLSv1.3;``, a good chain
trusted through ORIGIN502_CA_FILE) asked about in Slack. The run's parent message must not say
it works: whether CloudFront uses TLS 1.3 toward origins is not confirmed."""

from __future__ import annotations

import json

import pytest

from tests.e2e.test_e2e_slack import CHANNEL, finished_parent
from tests.support.nginx import Nginx, NginxServer, TlsFiles

pytestmark = pytest.mark.e2e

DOUBT = ("CloudFront can probably connect — 1 point could cause 502 and can't be confirmed: "
         "only TLS 1.3 works with what CloudFront offers")


def test_slack_parent_of_a_tls13_only_origin_says_a_502_is_not_ruled_out(
        stack_factory, e2e_chain, tmp_path):
    server = NginxServer(tls=TlsFiles.write(tmp_path / "tls", *e2e_chain[:2]),
                         server_names=["origin.test"], ssl_protocols="TLSv1.3")
    with Nginx([server]) as nginx:
        stack = stack_factory()
        reply, _ = stack.send.command(f"origin.test --https-port {nginx.ports[0]}")
        assert reply.status == 200
        parent = finished_parent(stack)
    blocks = json.dumps(parent.blocks, ensure_ascii=False)
    assert f":large_yellow_circle: *{DOUBT}*" in blocks, blocks
    assert "Works, with warnings" not in blocks and "works, with warnings" not in parent.text
    assert "— probably works, 502 not ruled out" in parent.text
    thread = stack.slack.wait_for(lambda: [
        m for m in stack.slack.thread(CHANNEL, parent.ts) if "TLS13_ONLY" in m.all_text()])
    assert thread[0].text.startswith(
        "Diagnosis of origin.test: probably works, 502 not ruled out")
