"""A watch on a distribution, end to end: the app over signed HTTP, real `origin502 scheduler`
and `origin502 worker` processes, real boto3 against moto's server on loopback (with the policy
stand-in of tests/support/aws.py), real TLS origins on 127.0.0.1, Slack recorded and one clock
file moving every process. Each check re-reads the configuration: an origin added to the
distribution shows up in the incident's thread."""

from __future__ import annotations

import boto3
import pytest

from tests.support.aws import CloudFrontFront, MotoServer, behaviour, custom_origin
from tests.support.certs import write_pem
from tests.support.ports import closed_port
from tests.support.tls_origin import TlsOrigin
from tests.workers.watches.test_watch_processes import CHANNEL, Watching

pytestmark = pytest.mark.e2e


@pytest.fixture
def cloudfront(monkeypatch, tmp_path):
    with MotoServer() as moto, CloudFrontFront(moto.port) as front:
        env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL_CLOUDFRONT": front.url,
               "AWS_EC2_METADATA_DISABLED": "true",
               "AWS_CONFIG_FILE": str(tmp_path / "aws-config"),
               "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "aws-credentials")}
        monkeypatch.delenv("ORIGIN502_AWS")  # set to 0 for every other test (conftest)
        for name, value in env.items():
            monkeypatch.setenv(name, value)  # the app and the processes inherit it
        yield boto3.client("cloudfront", region_name="us-east-1", endpoint_url=front.url)


def _update(client, dist_id: str, origins: list[dict]) -> None:
    current = client.get_distribution_config(Id=dist_id)
    config = current["DistributionConfig"]
    config["Origins"] = {"Quantity": len(origins), "Items": origins}
    client.update_distribution(Id=dist_id, IfMatch=current["ETag"], DistributionConfig=config)


def test_watched_distribution_alerts_name_the_origin_and_see_an_added_one(
        *, processes, clock, app_factory, fake_dns, cert_factory, cloudfront, redis_url,
        tmp_path):
    root = cert_factory.root()
    inter = cert_factory.intermediate(root)
    leaf = cert_factory.leaf(inter, ["web.shop.test", "api.shop.test", "extra.shop.test"])
    ca_file = str(write_pem(tmp_path / "root.pem", root))
    for name in ("web.shop.test", "api.shop.test", "extra.shop.test"):
        fake_dns.set(name, [("A", "127.0.0.1")])
    with TlsOrigin([leaf, inter], leaf) as good:
        web = custom_origin("web", "web.shop.test", https_port=good.port)
        api = custom_origin("api", "api.shop.test", https_port=closed_port())
        dist = cloudfront.create_distribution(DistributionConfig={
            "CallerReference": "watch", "Comment": "", "Enabled": True,
            "Aliases": {"Quantity": 1, "Items": ["www.shop.test"]},
            "Origins": {"Quantity": 2, "Items": [web, api]},
            "DefaultCacheBehavior": behaviour("web"),
            "CacheBehaviors": {"Quantity": 1, "Items": [behaviour("api", "/api/*")]},
        })["Distribution"]
        processes.worker()
        processes.scheduler()
        app = app_factory(ORIGIN502_CA_FILE=ca_file)
        w = Watching(app, clock, redis_url)

        _, url = w.command("watch www.shop.test --every 5m")
        w.answered(url, "is now watching")
        wid = w.watch_id("www.shop.test")
        w.settle(wid, 1)
        state = w.store.state(wid)
        assert state.verdict == "fail"
        assert state.addresses == ["origin api 127.0.0.1"]
        assert [line.split(" ")[0] for line in state.config] == ["web", "api"]
        [parent] = w.top_level()
        assert parent.text.startswith("origin502: www.shop.test is failing (PORT_CLOSED")
        assert parent.text.endswith(
            "— origin api: CloudFront would answer 502 for this origin")
        assert "origin api" in parent.all_text()

        # An origin is added to the distribution, failing too: the next check sees it.
        extra = custom_origin("extra", "extra.shop.test", https_port=closed_port())
        _update(cloudfront, dist["Id"], [web, api, extra])
        _update_behaviours(cloudfront, dist["Id"])
        w.step([wid], 300)
        [update] = app.slack.thread(CHANNEL, parent.ts)
        assert "origin added: extra extra.shop.test" in update.all_text()
        assert "now failing on origin extra" in update.all_text()

        # Both broken origins are pointed at the healthy server: recovered.
        fixed = [web, {**api, "CustomOriginConfig": {**api["CustomOriginConfig"],
                                                     "HTTPSPort": good.port}},
                 {**extra, "CustomOriginConfig": {**extra["CustomOriginConfig"],
                                                  "HTTPSPort": good.port}}]
        _update(cloudfront, dist["Id"], fixed)
        w.step([wid], 300)
        thread = app.slack.thread(CHANNEL, parent.ts)
        assert "recovered" in thread[-1].text
        assert w.store.state(wid).verdict == "warn"  # loopback: a warning only


def _update_behaviours(client, dist_id: str) -> None:
    current = client.get_distribution_config(Id=dist_id)
    config = current["DistributionConfig"]
    items = [behaviour("api", "/api/*"), behaviour("extra", "/extra/*")]
    config["CacheBehaviors"] = {"Quantity": len(items), "Items": items}
    client.update_distribution(Id=dist_id, IfMatch=current["ETag"], DistributionConfig=config)
