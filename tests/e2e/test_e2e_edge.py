"""End to end: `/origin502 www.shop.test` where the name leads to CloudFront's edge, answering
502 with `X-Cache: Error from cloudfront`, and no AWS access. The real app over HTTP, a real
worker process, real Redis, Slack recorded; the edge is a real nginx stand-in (see
tests/support/cloudfront_edge.py: the page wording is our stand-in, not AWS's published text)."""

from __future__ import annotations

import json

import pytest

from tests.e2e.test_e2e_slack import finished_parent, results_in_thread
from tests.support.cloudfront_edge import POP, edge_headers, error_page
from tests.support.nginx import Nginx, NginxServer, TlsFiles

pytestmark = pytest.mark.e2e
SITE = "www.shop.test"
DIST = "d111111abcdef8.cloudfront.net"


@pytest.fixture
def edge(e2e_chain, tmp_path):
    leaf, inter, _root = e2e_chain  # names origin.test: a mismatch the edge check sets aside
    page = error_page(502, "CloudFront wasn't able to connect to the origin.")
    server = NginxServer(tls=TlsFiles.write(tmp_path / "edge", leaf, inter), body="return 502;",
                         error_pages={502: page}, server_tokens="off",
                         headers=edge_headers("Error from cloudfront"))
    with Nginx([server]) as nginx:
        yield nginx


def test_slash_command_on_an_edge_502_names_cloudfront_and_what_to_do(stack_factory, edge,
                                                                       e2e_env):
    e2e_env["dns"].set(SITE, [("CNAME", DIST)])
    e2e_env["dns"].set(DIST, [("A", "127.0.0.1")])
    stack = stack_factory()
    stack.send.command(f"{SITE} --https-port {edge.port}")
    parent = finished_parent(stack)
    assert "CloudFront's edge answers 502" in json.dumps(parent.blocks, ensure_ascii=False)
    (result,) = results_in_thread(stack, parent, 1)
    text = json.dumps(result.blocks, ensure_ascii=False)
    assert "*Viewer side* (CloudFront's edge): 502 · X-Cache: Error from cloudfront" in text
    assert f"edge location {POP}" in text
    assert "TARGET_IS_CLOUDFRONT" in text
    assert "ORIGIN_RETURNED_ERROR" not in text
    assert "CERT_HOSTNAME_MISMATCH (127.0.0.1)" in text  # set aside, listed as evidence
    assert "cloudfront:ListDistributions" in text
