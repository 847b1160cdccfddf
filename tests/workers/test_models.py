"""The contract: reports and requests survive JSON, as they do on their way through Redis."""

from __future__ import annotations

import json
from dataclasses import replace

from tests.support.certs import CertFactory
from tests.support.tls_origin import TlsOrigin
from workers.engine import diagnose
from workers.models import ProbeRequest, Report
from workers.options import build_request, request_from_text


def test_report_round_trips_through_json():
    factory = CertFactory()
    leaf = factory.leaf(None, names=["origin.test"])
    with TlsOrigin([leaf], leaf) as origin:
        report = diagnose(build_request("origin.test", https_port=origin.port,
                                        resolve=(("origin.test", "127.0.0.1"),),
                                        timeout=1, connection_attempts=1))
    text = json.dumps(report.to_dict())
    again = Report.from_dict(json.loads(text))
    assert again == report
    assert again.addresses[0].probes[0].tls.chain[0].dns_names == ["origin.test"]


def test_request_round_trips_and_keys_on_options_not_display():
    a = request_from_text("Origin.Example.com --host-header www.example.com --https-port 8443",
                          allow_private=False)
    b = ProbeRequest.from_dict(json.loads(json.dumps(a.to_dict())))
    assert a == b
    assert a.settings.host_header == "www.example.com" and a.settings.https_port == 8443
    assert a.cache_key() == request_from_text(
        "origin.example.com --https-port 8443 --host-header www.example.com",
        allow_private=False).cache_key()
    assert a.cache_key() != request_from_text("origin.example.com", allow_private=False).cache_key()


def test_slack_dashes_and_quotes_are_understood():
    req = request_from_text("<https://origin.example.com|origin.example.com> \u2014timeout 5",
                            allow_private=False)
    assert req.hostname == "origin.example.com" and req.settings.connect_timeout == 5


def test_a_bug_in_a_layer_becomes_a_probe_error_not_a_traceback(monkeypatch):
    from workers.models import Layer
    from workers.probes import registry

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setitem(registry.PROBES, Layer.TCP, replace(registry.PROBES[Layer.TCP],
                                                            run=broken))
    report = diagnose(build_request("origin.test", resolve=(("origin.test", "127.0.0.1"),)))
    assert report.probe_error == (
        "127.0.0.1 port 443: origin502 failed while probing: RuntimeError: boom")
    assert [f.code for f in report.findings] == ["ORIGIN_PRIVATE_ADDRESS"]
    assert report.verdict == "unknown"  # a warning is not "works, with warnings" here


def test_progress_reports_each_layer_once_in_order():
    factory = CertFactory()
    leaf = factory.leaf(None, names=["origin.test"])
    seen: list[tuple[str, str]] = []
    with TlsOrigin([leaf], leaf) as origin:
        diagnose(build_request("origin.test", https_port=origin.port,
                               protocol_policy="match-viewer", http_port=origin.port,
                               resolve=(("origin.test", "127.0.0.1"),), timeout=1,
                               connection_attempts=1),
                 on_progress=lambda layer, text: seen.append((layer, text)))
    assert [layer for layer, _ in seen] == ["dns", "tcp", "tls", "http"]
    assert seen[1] == ("tcp", "ok")
    assert seen[3] == ("http", "1/2 ok")  # plain HTTP to the TLS port gets no valid answer


def test_a_connections_results_by_layer_are_its_json_fields_and_back():
    from workers.models import (
        ConnectionProbe,
        HttpResult,
        Layer,
        Status,
        TcpReason,
        TcpResult,
        TlsResult,
    )
    from workers.models.layers import connection_probe, connection_results

    tcp = TcpResult(status=Status.FAILED, reason=TcpReason.REFUSED)
    tls, http = TlsResult(status=Status.NOT_RUN), HttpResult(status=Status.NOT_RUN)
    https = ConnectionProbe("https", 443, tcp, tls, http, {"connect": 1.0}, ["connect"])
    assert connection_results(https) == {Layer.TCP: tcp, Layer.TLS: tls, Layer.HTTP: http}
    assert connection_probe("https", 443, connection_results(https), {"connect": 1.0},
                            ["connect"]) == https
    plain = ConnectionProbe("http", 80, tcp, None, http)
    assert list(connection_results(plain)) == [Layer.TCP, Layer.HTTP]
    assert connection_probe("http", 80, connection_results(plain), {}, []) == plain


def test_request_to_dict_is_asdict_without_headers_and_with_lists():
    # to_dict builds by hand what dataclasses.asdict gave (it is on the ack's path): the same
    # keys in the same order, tuples as lists, the header values left out, nothing shared.
    from dataclasses import asdict

    from workers.models.request import DistributionLookup, OriginSettings, ProbeOptions

    request = ProbeRequest(
        hostname="origin.example.com",
        settings=OriginSettings(protocol_policy="match-viewer", https_port=8443,
                                origin_ssl_protocols=("TLSv1.1", "TLSv1.2"),
                                host_header="www.example.com", path="/x"),
        options=ProbeOptions(resolve=(("origin.example.com", "192.0.2.1"),), ca_file="ca.pem",
                             allow_private=False, nameserver="127.0.0.1:5353"),
        display="Origin.example.com",
        origin_headers=(("X-Secret", "s3cret"),),
        lookup=DistributionLookup(name="d111111abcdef8.cloudfront.net", origin_id="o1"),
    )
    expected = asdict(request)
    del expected["origin_headers"]
    expected["settings"]["origin_ssl_protocols"] = ["TLSv1.1", "TLSv1.2"]
    expected["options"]["resolve"] = [["origin.example.com", "192.0.2.1"]]
    data = request.to_dict()
    assert json.dumps(data) == json.dumps(expected)  # key order included
    assert "s3cret" not in json.dumps(data)
    data["settings"]["origin_ssl_protocols"].append("SSLv3")
    data["options"]["resolve"][0][1] = "192.0.2.2"
    assert request.to_dict() == ProbeRequest.from_dict(json.loads(json.dumps(expected))).to_dict()
    assert ProbeRequest(hostname="a.example").to_dict()["lookup"] is None
