"""The table of probes: one per ``Layer``, all of one shape, in the enum's order.

A probe is ``probe(target, ctx, previous) -> LayerResult``: it reads names and settings from
the ``Target``, the deadline and origin502's options from the ``ProbeContext``, and the stream
the layer below opened from ``previous`` (a ``ProbeState``), to which it hands its own up.
The engine runs DNS once per diagnosis and, for every address and scheme, the connection
layers bottom up; adding a layer is a module, a row here and its test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from workers.models import DnsResult, HttpResult, Status, TcpResult, TlsResult
from workers.models.layers import Layer, LayerResult
from workers.models.record import FrozenRecord
from workers.probes.context import ProbeContext
from workers.probes.dns import probe_dns
from workers.probes.http import probe_http
from workers.probes.state import ProbeState
from workers.probes.tcp import probe_tcp
from workers.probes.tls import probe_tls
from workers.target import Target

Probe = Callable[[Target, ProbeContext, ProbeState], LayerResult]
BOTH_SCHEMES = frozenset({"https", "http"})


@dataclass(frozen=True, eq=False, repr=False)
class LayerProbe(FrozenRecord):
    """The probe of one layer, its result type and the schemes it runs for."""

    layer: Layer
    run: Probe
    result: type[LayerResult]  # the layer's result type, for "not run"
    # The schemes whose connections run this layer; empty for a layer that runs once per
    # diagnosis, before any connection (DNS, which gives the addresses to connect to).
    schemes: frozenset[str] = BOTH_SCHEMES

    @property
    def per_connection(self) -> bool:
        return bool(self.schemes)

    def not_run(self, detail: str | None = None) -> LayerResult:
        """This layer's result when a lower layer left nothing to build on."""
        return self.result(status=Status.NOT_RUN, detail=detail)


_ROWS = {
    Layer.DNS: LayerProbe(Layer.DNS, probe_dns, DnsResult, frozenset()),
    Layer.TCP: LayerProbe(Layer.TCP, probe_tcp, TcpResult),
    Layer.TLS: LayerProbe(Layer.TLS, probe_tls, TlsResult, frozenset({"https"})),
    Layer.HTTP: LayerProbe(Layer.HTTP, probe_http, HttpResult),
}
# In the enum's order whatever the order of the rows; a layer without a row fails here, at
# import, rather than in the middle of a diagnosis.
PROBES: dict[Layer, LayerProbe] = {layer: _ROWS[layer] for layer in Layer}


def connection_probes(scheme: str) -> list[LayerProbe]:
    """The layers one connection of ``scheme`` runs, bottom up."""
    return [probe for probe in PROBES.values() if scheme in probe.schemes]


CONNECTION_LAYERS: tuple[Layer, ...] = tuple(p.layer for p in PROBES.values() if p.per_connection)
