"""The probe registry: one probe per layer, one shape, in the order of the ``Layer`` enum; and
the connection layers run by hand from the table against a real loopback origin, each handing
its stream up to the next."""

from __future__ import annotations

import inspect

import pytest

from tests.support.tls_origin import TlsOrigin
from workers.engine import LayerProgress
from workers.models import DnsResult, HttpResult, Layer, Status, TcpResult, TlsResult
from workers.options import build_request
from workers.probes.context import ProbeContext
from workers.probes.registry import CONNECTION_LAYERS, PROBES, connection_probes
from workers.probes.state import ProbeState
from workers.probes.wire import PlainStream, TlsStream
from workers.target import Target


def test_every_layer_has_exactly_one_probe_in_the_enums_order():
    assert list(PROBES) == list(Layer)
    assert [probe.layer for probe in PROBES.values()] == list(Layer)
    assert len({probe.run for probe in PROBES.values()}) == len(Layer)


def test_every_probe_has_the_one_shape():
    for probe in PROBES.values():
        assert list(inspect.signature(probe.run).parameters) == ["target", "ctx", "previous"]


def test_the_connection_layers_and_the_progress_order_derive_from_the_enum():
    assert CONNECTION_LAYERS == (Layer.TCP, Layer.TLS, Layer.HTTP)
    assert LayerProgress.ORDER == CONNECTION_LAYERS
    assert [p.layer for p in connection_probes("https")] == [Layer.TCP, Layer.TLS, Layer.HTTP]
    assert [p.layer for p in connection_probes("http")] == [Layer.TCP, Layer.HTTP]
    assert not PROBES[Layer.DNS].per_connection


@pytest.mark.parametrize(("layer", "kind"), [
    (Layer.DNS, DnsResult), (Layer.TCP, TcpResult), (Layer.TLS, TlsResult),
    (Layer.HTTP, HttpResult)])
def test_not_run_is_the_layers_own_result(layer, kind):
    result = PROBES[layer].not_run("not run: the TCP layer failed")
    assert type(result) is kind
    assert (result.status, result.reason, result.detail) == (
        Status.NOT_RUN, None, "not run: the TCP layer failed")


def test_progress_expects_each_layer_once_per_address_and_scheme_that_runs_it():
    seen: list[tuple[str, str]] = []
    progress = LayerProgress.for_connections(2, ["https", "http"],
                                             lambda layer, text: seen.append((layer, text)))
    for _ in range(2):
        for layer in (Layer.TCP, Layer.TCP, Layer.HTTP, Layer.HTTP):
            progress.mark(layer, "ok")
    assert seen == [("tcp", "ok")]  # TLS (2 of them, https only) not seen yet: HTTP waits
    progress.mark(Layer.TLS, "ok")
    progress.mark(Layer.TLS, "failed")
    assert seen == [("tcp", "ok"), ("tls", "1/2 ok"), ("http", "ok")]


def test_the_layers_hand_the_stream_up_and_tls_judges_its_own_certificates(pki):
    request = build_request("origin.test", timeout=2, connection_attempts=1, read_timeout=2,
                            ca_file=pki["ca"])
    ctx = ProbeContext.for_request(request)
    with TlsOrigin([pki["leaf"], pki["inter"]], pki["leaf"]) as origin:
        target = Target.of(request).at("127.0.0.1", "https", origin.port)
        state = ProbeState()
        results = {}
        try:
            for probe in connection_probes("https"):
                results[probe.layer] = probe.run(target, ctx, state)
                # TCP hands up a plain stream, TLS a TLS stream on it (both timed at the
                # socket calls, workers/probes/wire.py).
                if probe.layer is Layer.TCP:
                    assert type(state.stream) is PlainStream
                if probe.layer is Layer.TLS:
                    assert isinstance(state.stream, TlsStream)
        finally:
            state.close()
        seen = origin.wait_for_requests(1)[0]
    tls = results[Layer.TLS]
    assert isinstance(tls, TlsResult)
    assert tls.sni == "origin.test" == seen["sni"]
    assert [c.common_name for c in tls.chain] == ["origin.test", pki["inter"].subject_cn]
    assert tls.analysis is not None and tls.analysis.trusted
    assert results[Layer.HTTP].status_code == 200
    assert list(state.timings_ms) == ["connect", "tls", "certificates", "first_byte"]
    assert state.transcript[0] == "tcp connected after 1 attempt(s)"
    assert state.transcript[-1] == "GET / Host: origin.test -> 200"


def test_an_ip_literal_origin_gets_no_sni_over_ipv6(pki):
    request = build_request("::1", timeout=2, connection_attempts=1, read_timeout=2,
                            ca_file=pki["ca"])
    ctx = ProbeContext.for_request(request)
    try:
        origin = TlsOrigin([pki["leaf"], pki["inter"]], pki["leaf"], host="::1").start()
    except OSError as exc:
        pytest.skip(f"no IPv6 loopback here: {exc}")
    state = ProbeState()
    try:
        target = Target.of(request).at("::1", "https", origin.port)
        results = {probe.layer: probe.run(target, ctx, state)
                   for probe in connection_probes("https")}
        seen = origin.wait_for_requests(1)[0]
    finally:
        state.close()
        origin.stop()
    tls = results[Layer.TLS]
    assert isinstance(tls, TlsResult)
    assert tls.status == Status.OK and tls.sni is None and seen["sni"] is None
    assert seen["headers"]["host"] == "::1"
    assert state.transcript[-1] == "GET / Host: ::1 -> 200"
