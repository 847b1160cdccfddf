"""The probe layers, bottom up: the one list every other list of layers derives from.

The order of ``Layer`` is the order the probes run in and the order every display shows them
in. ``LayerResult`` is what any layer measures; ``ConnectionProbe`` keeps one connection's
results under a field per layer, and the two functions below are the only place that knows
which field holds which layer.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from workers.models.results import ConnectionProbe, DnsResult, HttpResult, TcpResult, TlsResult


class Layer(StrEnum):
    DNS = "dns"
    TCP = "tcp"
    TLS = "tls"
    HTTP = "http"

    @property
    def label(self) -> str:
        """The layer's name in prose and on screen ("TLS")."""
        return self.value.upper()


def label_of(key: str) -> str:
    """The on-screen name of a layer stored by its key ("tls" → "TLS"); a key this version
    does not know (a record written by another) is shown as it is."""
    return Layer(key).label if key in set(Layer) else key


LayerResult = DnsResult | TcpResult | TlsResult | HttpResult
"""What one layer measured: a status, a reason from the layer's own enum, facts, a duration."""

_R = TypeVar("_R", DnsResult, TcpResult, TlsResult, HttpResult)


def connection_results(probe: ConnectionProbe) -> dict[Layer, LayerResult]:
    """One connection's results by layer, bottom up; a layer that does not apply to the
    connection's scheme (TLS on plain HTTP) is left out."""
    found: dict[Layer, LayerResult | None] = {Layer.TCP: probe.tcp, Layer.TLS: probe.tls,
                                              Layer.HTTP: probe.http}
    return {layer: result for layer, result in found.items() if result is not None}


def _pick(results: Mapping[Layer, LayerResult], layer: Layer, kind: type[_R]) -> _R | None:
    result = results.get(layer)
    if result is not None and not isinstance(result, kind):
        raise TypeError(f"the {layer.label} layer gave a {type(result).__name__}")
    return result


def connection_probe(scheme: str, port: int, results: Mapping[Layer, LayerResult],
                     timings_ms: dict[str, float], transcript: list[str]) -> ConnectionProbe:
    """The JSON-ready record of one connection from its results by layer (the inverse of
    :func:`connection_results`). TCP and HTTP always have a result (run or not run)."""
    tcp = _pick(results, Layer.TCP, TcpResult)
    http = _pick(results, Layer.HTTP, HttpResult)
    if tcp is None or http is None:
        raise ValueError("a connection has a TCP and an HTTP result, run or not")
    return ConnectionProbe(scheme, port, tcp, _pick(results, Layer.TLS, TlsResult), http,
                           timings_ms, transcript)
