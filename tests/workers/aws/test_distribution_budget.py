"""--budget applies to a distribution: each origin's diagnosis gets it, as one origin's does.
An origin whose application hangs (nginx in front of a backend that accepts and never answers,
on 127.0.0.1) under a response timeout of 20 s, probed with --budget 3: the wait the budget ends
is reported as not checked (verdict unknown, exit 3, CloudFront's own limit named), never as
CloudFront's 504. Real boto3 against moto's server on loopback; nothing asserts on elapsed
time (the budget is far below the origin's timeout)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tests.support.aws import behaviour, create_distribution, custom_origin
from tests.support.nginx import Nginx, NginxServer, TlsFiles
from tests.support.ports import SilentPort
from tests.workers.aws.conftest import leaf
from workers.diagnose_cli import EXIT_PROBE, diagnose

pytestmark = pytest.mark.timeout(90)

# The codes a wait cut by the budget must never be said as (as tests/workers/test_budget_truth.py).
TIMEOUT_CODES = {"PORT_TIMEOUT", "TLS_HANDSHAKE_FAILED", "TLS_HANDSHAKE_TIMEOUT",
                 "ORIGIN_RESPONSE_TIMEOUT", "ORIGIN_RESPONSE_STALLED"}


@pytest.fixture(scope="module")
def hung_app(pki, tmp_path_factory):
    """nginx (TLS, a certificate for app.shop.test) proxying to an application that accepts
    connections and never answers."""
    folder = tmp_path_factory.mktemp("nginx")
    app_leaf = leaf(pki, "app.shop.test")
    with SilentPort() as backend:
        server = NginxServer(
            tls=TlsFiles.write(folder, app_leaf, pki["inter"]), server_names=["app.shop.test"],
            body=f"proxy_pass http://127.0.0.1:{backend.port}; proxy_read_timeout 60s;")
        with Nginx([server]) as nginx:
            yield nginx.ports[0]


def test_the_budget_bounds_each_origins_diagnosis(aws, pki, hung_app):
    client, _front = aws
    create_distribution(
        client, aliases=["www.shop.test"],
        origins=[custom_origin("app", "app.shop.test", https_port=hung_app,
                               connect_timeout=5, read_timeout=20)],
        default=behaviour("app"))
    result = CliRunner().invoke(
        diagnose, ["www.shop.test", "--resolve", "app.shop.test:127.0.0.1", "--ca-file",
                   pki["ca"], "--budget", "3", "--json"], catch_exceptions=False)
    assert result.exit_code == EXIT_PROBE, result.output
    data = json.loads(result.stdout)
    report = data["distribution"]["origins"][0]["probes"][0]["report"]
    assert report["verdict"] == "unknown"
    assert not TIMEOUT_CODES & {f["code"] for f in report["findings"]}
    http = report["addresses"][0]["probes"][0]["http"]
    assert (http["cut"]["budget_s"], http["cut"]["limit_s"]) == (3, 20)
    assert "--budget" in report["probe_error"]
    assert data["verdict"] == "unknown" and data["headline"]["certain"] is False


def test_help_says_what_the_budget_bounds_for_a_distribution():
    result = CliRunner().invoke(diagnose, ["--help"], env={"COLUMNS": "200"})
    flat = " ".join(result.stdout.split())
    assert "for a distribution, for each origin's diagnosis (they run side by side)" in flat
