"""End to end, a site typed in Slack: the real app and worker processes look it up with real
boto3 against moto's server on loopback (with the policy stand-in of tests/support/aws.py in
front), probe both origins — real TLS servers on 127.0.0.1 named through our own DNS server —
and answer in one thread: the distribution and a line per origin in the parent, each origin's
details in the thread, Re-run per origin."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest

from bot.render.distribution import RERUN_ORIGIN_ACTION
from tests.bot.mrkdwn import render
from tests.support.aws import (
    CloudFrontFront,
    MotoServer,
    behaviour,
    create_distribution,
    custom_origin,
)
from tests.support.ports import DroppingPort, closed_port
from tests.support.tls_origin import TlsOrigin

pytestmark = pytest.mark.e2e
CHANNEL = "C0INCIDENT"
SECRET = "verify-me-7f3a"
NOTE = "first attempt timed out; 2 more attempts running…"


@pytest.fixture
def cloudfront_api(tmp_path) -> Iterator[tuple[CloudFrontFront, dict[str, str], object]]:
    with MotoServer() as moto, CloudFrontFront(moto.port) as front:
        env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL_CLOUDFRONT": front.url,
               "AWS_EC2_METADATA_DISABLED": "true",
               "AWS_CONFIG_FILE": str(tmp_path / "aws-config"),
               "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "aws-credentials")}
        client = boto3.client("cloudfront", region_name="us-east-1", endpoint_url=front.url,
                              aws_access_key_id="testing", aws_secret_access_key="testing")
        yield front, env, client


def origin_results(stack, parent):
    return [m for m in stack.slack.thread(CHANNEL, parent.ts) if m.text.startswith("Origin ")]


def test_site_in_slack_answers_with_the_distribution_and_a_thread_per_origin(
        stack_factory, e2e_env, cert_factory, e2e_chain, cloudfront_api):
    _front, aws_env, client = cloudfront_api
    inter = e2e_chain[1]
    web_leaf = cert_factory.leaf(inter, ["web.shop.test"])
    dns = e2e_env["dns"]
    dns.set("web.shop.test", [("A", "127.0.0.1")])
    dns.set("api.shop.test", [("A", "127.0.0.1")])
    with TlsOrigin([web_leaf, inter], web_leaf) as web:
        dist = create_distribution(
            client, aliases=["www.shop.test"],
            origins=[custom_origin("web", "web.shop.test", https_port=web.port,
                                   headers={"X-Origin-Verify": SECRET}),
                     custom_origin("api", "api.shop.test", https_port=closed_port())],
            default=behaviour("web"), behaviours=[behaviour("api", "/api/*")])
        stack = stack_factory(**aws_env)
        reply, _ = stack.send.command("www.shop.test")
        assert reply.status == 200

        def parent_done():
            parents = stack.slack.channel_messages(CHANNEL)
            return parents[0] if parents and parents[0].button_values() else None

        parent = stack.slack.wait_for(parent_done, timeout=40)
        shown = parent.all_text()
        assert dist["Id"] in shown
        assert "*web* `web.shop.test`" in shown and "*api* `api.shop.test`" in shown
        assert "PORT_CLOSED" in shown
        assert any("checking" in text for text in parent.history[:-1])

        results = stack.slack.wait_for(
            lambda: origin_results(stack, parent) if len(origin_results(stack, parent)) >= 2
            else None, timeout=30)
        by_origin = {m.text.split(":")[0]: m for m in results}
        assert set(by_origin) == {"Origin web", "Origin api"}
        assert "X-Origin-Verify: ***" in by_origin["Origin web"].all_text()
        assert web.wait_for_requests(1)[0]["headers"]["x-origin-verify"] == SECRET

        # Re-run only the api origin: a new result in the same thread, compared with the first.
        value = by_origin["Origin api"].button_values()[RERUN_ORIGIN_ACTION]
        stack.send.click(RERUN_ORIGIN_ACTION, value, message_ts=by_origin["Origin api"].ts)
        again = stack.slack.wait_for(
            lambda: origin_results(stack, parent)[2:] or None, timeout=40)
        assert again[0].text.startswith("Origin api")
        assert "What changed since the previous run" in again[0].all_text()
        assert len(stack.slack.channel_messages(CHANNEL)) == 1, "one thread"
        every_call = json.dumps([c.args for c in stack.slack.calls])
        assert SECRET not in every_call
        assert SECRET not in stack.output()


def test_lookup_refused_by_aws_is_said_in_the_thread(stack_factory, cloudfront_api):
    front, aws_env, _client = cloudfront_api
    front.fail("ListDistributions", 403, "AccessDenied", "not authorized")
    stack = stack_factory(**aws_env)
    stack.send.command("www.shop.test")

    def parent_done():
        parents = stack.slack.channel_messages(CHANNEL)
        return parents[0] if parents and parents[0].button_values() else None

    parent = stack.slack.wait_for(parent_done, timeout=40)
    # As a reader sees it: `:ListDistributions:` is sent split (an invisible zero-width space)
    # so that it cannot show as an emoji.
    assert "AWS denied cloudfront:ListDistributions" in render(parent.text).visible
    assert "Traceback" not in parent.all_text()


def test_a_dropped_origin_is_named_in_the_parent_before_its_attempts_end(
        stack_factory, e2e_env, cert_factory, e2e_chain, cloudfront_api):
    """One origin drops SYNs (3 attempts of 3 s): the parent says which origin fails as soon as
    its first attempt timed out, with the healthy origin's own verdict, then the final answer
    replaces it in the same message and still counts the three dropped attempts."""
    _front, aws_env, client = cloudfront_api
    inter = e2e_chain[1]
    web_leaf = cert_factory.leaf(inter, ["web.shop.test"])
    dns = e2e_env["dns"]
    dns.set("web.shop.test", [("A", "127.0.0.1")])
    dns.set("api.shop.test", [("A", "127.0.0.1")])
    with TlsOrigin([web_leaf, inter], web_leaf) as web, DroppingPort() as dropping:
        create_distribution(
            client, aliases=["www.shop.test"],
            origins=[custom_origin("web", "web.shop.test", https_port=web.port),
                     custom_origin("api", "api.shop.test", https_port=dropping.port,
                                   attempts=3, connect_timeout=3)],
            default=behaviour("web"), behaviours=[behaviour("api", "/api/*")])
        stack = stack_factory(**aws_env)
        reply, _ = stack.send.command("www.shop.test")
        assert reply.status == 200

        def parent_done():
            parents = stack.slack.channel_messages(CHANNEL)
            return parents[0] if parents and parents[0].button_values() else None

        parent = stack.slack.wait_for(parent_done, timeout=60)

    versions = parent.history  # the fallback text of every version of the parent
    named = [i for i, text in enumerate(versions)
             if "provisional: Viewers would get errors from origin api" in text]
    assert named, versions
    assert NOTE in versions[named[0]]
    # The final answer replaced it, in the same message.
    assert named[-1] < len(versions) - 1
    assert "provisional" not in parent.text and "api: 502 or 504 expected" in parent.text
    final = parent.all_text()
    assert "Provisional" not in final and "PORT_TIMEOUT" in final
    updates = [json.dumps(c.args, ensure_ascii=False) for c in stack.slack.calls_of("chat.update")
               if c.args["ts"] == parent.ts]
    live = [u for u in updates if "Provisional" in u]
    assert live and "*api* `api.shop.test` — _provisional_: 502 or 504 expected — PORT_TIMEOUT" in \
        live[0] and "1 attempt of 3 s" in live[0]
    (api_result,) = stack.slack.wait_for(
        lambda: [m for m in origin_results(stack, parent) if m.text.startswith("Origin api")]
        or None, timeout=30)
    assert "3 attempts of 3 s" in api_result.all_text()
    assert len(stack.slack.channel_messages(CHANNEL)) == 1, "one thread"
