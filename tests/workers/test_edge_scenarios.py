"""The target is CloudFront's edge, not an origin: a real nginx stands in for the edge.

The edge here is configured the way an operator writes a stand-in for CloudFront: `return 502`
with an error page shaped like CloudFront's and CloudFront's headers added on every answer
(`add_header ... always`). Our own DNS server on loopback gives
`www.shop.test CNAME d111111abcdef8.cloudfront.net → 127.0.0.1`. No AWS access is configured.

The page text (tests/support/cloudfront_edge.py) is OUR STAND-IN: AWS does not publish its error
pages; the skeleton and the sentences come from pages people captured (shared cloudfront-facts
§7.5), and no capture of a CloudFront Functions validation page exists, so that case carries
only the X-Cache value seen in third-party reports. nginx-light cannot replace its own Server
header, so the stand-in edge says `Server: nginx`; the `Server: CloudFront` mark is covered by
the parser's table.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tests.support.certs import CertFactory, write_pem
from tests.support.cloudfront_edge import POP, REQUEST_ID, edge_headers, error_page
from tests.support.dns_server import FakeDns
from tests.support.nginx import Nginx, NginxServer, TlsFiles
from workers.diagnose_cli import diagnose as diagnose_cli
from workers.engine import diagnose
from workers.models import Report
from workers.options import build_request
from workers.probes.http import BODY_EXCERPT_BYTES
from workers.terminal import render_report

SITE = "www.shop.test"
DIST = "d111111abcdef8.cloudfront.net"
APEX = "shop.test"  # an apex alias: A records straight to the edge, no CNAME
PLAIN = "app.shop.test"  # CNAME to CloudFront, but the answer carries no CloudFront header
ORIGIN = "origin.shop.test"  # a plain origin, not CloudFront
# family -> (status, X-Cache, the page's sentence)
FAMILIES = {
    "cannot_connect": (502, "Error from cloudfront",
                       "CloudFront wasn't able to connect to the origin."),
    "lambda_validation": (502, "Error from cloudfront",
                          "The Lambda function returned invalid JSON: The JSON output must be "
                          "an object type."),
    "function_validation": (502, "FunctionValidationError from cloudfront", ""),
    "dns_error": (502, "Error from cloudfront",
                  "CloudFront wasn't able to resolve the origin domain name."),
    "origin_timeout": (504, "Error from cloudfront",
                       "CloudFront attempted to establish a connection with the origin, but "
                       "either the attempt failed or the origin closed the connection."),
}


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    factory = CertFactory()
    root = factory.root()
    inter = factory.intermediate(root)
    leaf = factory.leaf(inter, names=[SITE, APEX, PLAIN, ORIGIN, "*.cloudfront.net"])
    folder = tmp_path_factory.mktemp("edge-pki")
    return {"tls": TlsFiles.write(folder, leaf, inter),
            "ca": str(write_pem(folder / "roots.pem", root))}


@pytest.fixture(scope="module")
def edge(pki):
    """One nginx: a server block per error family, then a healthy edge, an edge without
    CloudFront's headers, and a plain (non-CloudFront) origin answering 502."""
    servers = {}
    for family, (status, x_cache, sentence) in FAMILIES.items():
        servers[family] = NginxServer(tls=pki["tls"], body=f"return {status};",
                                      error_pages={status: error_page(status, sentence)},
                                      server_tokens="off",
                                      headers=edge_headers(x_cache))
    servers["healthy"] = NginxServer(tls=pki["tls"], body="return 200 'shop\\n';",
                                     server_tokens="off",
                                     headers=edge_headers("Hit from cloudfront"))
    servers["unmarked"] = NginxServer(tls=pki["tls"], body="return 200 'shop\\n';")
    servers["origin_502"] = NginxServer(tls=pki["tls"], body="return 502;")
    with Nginx(list(servers.values())) as nginx:
        yield dict(zip(servers, nginx.ports, strict=True))


@pytest.fixture(scope="module")
def dns():
    with FakeDns({SITE: [("CNAME", DIST)], PLAIN: [("CNAME", DIST)],
                  DIST: [("A", "127.0.0.1")], APEX: [("A", "127.0.0.1")],
                  ORIGIN: [("A", "127.0.0.1")]}) as server:
        yield server


@pytest.fixture
def nameserver(dns, monkeypatch):
    monkeypatch.setenv("ORIGIN502_NAMESERVER", dns.nameserver)
    return dns.nameserver


def probe(pki, port: int, target: str = SITE) -> Report:
    request = build_request(target, https_port=port, ca_file=pki["ca"], timeout=2,
                            connection_attempts=1, read_timeout=5)
    return diagnose(request)


def codes(report: Report) -> list[str]:
    return [f.code for f in report.findings]


@pytest.mark.parametrize("family", list(FAMILIES))
def test_edge_error_is_named_by_family_never_as_the_origins_error(pki, edge, nameserver,
                                                                  family):
    report = probe(pki, edge[family])
    assert report.dns.cname_chain == [DIST]
    assert codes(report) == ["TARGET_IS_CLOUDFRONT"], codes(report)
    found = report.findings[0]
    status = FAMILIES[family][0]
    assert found.severity == "error" and report.verdict == "fail"
    assert found.uncertain  # the page wording and X-Cache values are not AWS's published text
    assert found.evidence["family"] == family
    assert found.evidence["status"] == status
    assert found.evidence["pop"] == POP and found.evidence["request_id"] == REQUEST_ID
    assert f"Viewers get {status} from CloudFront itself" in found.summary
    assert "not certain" in found.summary
    # The loopback address and the test CA are facts about the edge, not about an origin.
    assert found.evidence["set_aside"] == ["ORIGIN_PRIVATE_ADDRESS (127.0.0.1)",
                                           "TRUSTED_VIA_CA_FILE (127.0.0.1)"]
    steps = " ".join(found.remediation)
    for action in ("cloudfront:ListDistributions", "cloudfront:GetDistribution",
                   "cloudfront:GetOriginRequestPolicy", "cloudfront:GetCachePolicy"):
        assert action in steps
    assert "README.md#aws-access" in steps
    assert f"--host-header {SITE}" in steps
    answer = report.edge.answers[0]
    assert (answer.status_code, answer.pop, answer.request_id) == (status, POP, REQUEST_ID)
    assert answer.error_from_cloudfront and answer.generated_by_cloudfront
    assert report.edge.detected_by == ["cname", "headers"]


def test_edge_answering_normally_is_info_and_says_the_origins_were_not_checked(pki, edge,
                                                                               nameserver):
    report = probe(pki, edge["healthy"])
    assert codes(report) == ["TARGET_IS_CLOUDFRONT"]
    found = report.findings[0]
    assert found.severity == "info" and report.verdict == "ok"
    assert "answers GET / with 200" in found.summary
    assert "origins behind this distribution were not checked" in found.summary
    assert report.edge.answers[0].x_cache == "Hit from cloudfront"


def test_cname_alone_is_enough_to_recognise_the_edge(pki, edge, nameserver):
    report = probe(pki, edge["unmarked"], PLAIN)
    assert codes(report) == ["TARGET_IS_CLOUDFRONT"]
    assert report.edge.detected_by == ["cname"]
    assert report.edge.cloudfront_name == DIST
    assert f"its CNAME chain ends at {DIST}" in report.findings[0].summary


def test_headers_alone_are_enough_when_an_apex_alias_has_no_cname(pki, edge, nameserver):
    report = probe(pki, edge["cannot_connect"], APEX)
    assert report.dns.cname_chain == []
    assert codes(report) == ["TARGET_IS_CLOUDFRONT"]
    assert report.edge.detected_by == ["headers"]
    found = report.findings[0]
    assert found.severity == "error" and found.evidence["family"] == "cannot_connect"
    assert "x-amz-cf-id" in found.summary and "via" in found.summary


def test_an_origin_that_is_not_cloudfront_still_owns_its_502(pki, edge, nameserver):
    report = probe(pki, edge["origin_502"], ORIGIN)
    assert report.edge is None
    assert "TARGET_IS_CLOUDFRONT" not in codes(report)
    assert "ORIGIN_RETURNED_ERROR" in codes(report)
    # No CloudFront mark: only the short excerpt every 4xx/5xx gets, not an edge page's 8 KiB.
    excerpt = report.addresses[0].probes[0].http.body_excerpt
    assert excerpt is not None and "502 Bad Gateway" in excerpt
    assert len(excerpt.encode()) <= BODY_EXCERPT_BYTES
    assert "edge" not in report.to_dict()


def test_cli_without_aws_access_names_the_edge_error_and_what_to_do(pki, edge, nameserver):
    """The issue's case: an edge answering 502 with `Error from cloudfront`, no AWS access."""
    args = [SITE, "--https-port", str(edge["cannot_connect"]), "--ca-file", pki["ca"],
            "--timeout", "2", "--connection-attempts", "1"]
    env = {"ORIGIN502_NAMESERVER": nameserver, "COLUMNS": "200"}
    text = CliRunner().invoke(diagnose_cli, args, env=env, catch_exceptions=False)
    assert text.exit_code == 1, text.output
    assert "TARGET_IS_CLOUDFRONT" in text.output
    assert "ORIGIN_RETURNED_ERROR" not in text.output
    assert "Viewer side: 502" in text.output
    assert f"edge location {POP}" in text.output
    assert "cloudfront:GetOriginRequestPolicy" in text.output
    as_json = CliRunner().invoke(diagnose_cli, [*args, "--json"], env=env,
                                 catch_exceptions=False)
    data = json.loads(as_json.stdout)
    assert data["verdict"] == "fail"
    assert data["edge"]["answers"][0]["family"] == "cannot_connect"
    assert data["edge"]["answers"][0]["x_cache"] == "Error from cloudfront"
    assert Report.from_dict(data).edge.answers[0].pop == POP
    # The headline says what viewers get from the edge, in the terminal's words.
    assert data["headline"]["viewers_get"] == ["502"]
    assert data["headline"]["sentence"] == \
        "CloudFront's edge answers 502 for this name (seen from here)."
    assert data["headline"]["sentence"] in " ".join(text.output.split())


def test_terminal_shows_the_viewer_side_reading(pki, edge, nameserver):
    from io import StringIO

    from rich.console import Console

    report = probe(pki, edge["lambda_validation"])
    out = StringIO()
    render_report(report, Console(file=out, width=200, highlight=False))
    text = out.getvalue()
    assert "CloudFront's edge answers 502" in text
    assert "Viewer side: 502 · X-Cache: Error from cloudfront" in text
    assert "Lambda@Edge validation (uncertain)" in text
