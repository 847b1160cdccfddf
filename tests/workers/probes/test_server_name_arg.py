"""The server name goes out as ssl would send it from a str, without ssl's 'idna' codec (whose
import costs a CLI run a few milliseconds): an ASCII name of labels of 1 to 63 characters is
handed over as bytes; any other name still goes through the codec. A real TLS origin on
127.0.0.1 (certificates minted here) records the SNI it receives."""

from __future__ import annotations

import socket

import pytest

from tests.support.tls_origin import TlsOrigin
from workers.probes.tls import CLOUDFRONT_CIPHER_STRING, handshake, make_context
from workers.probes.wire import _hostname_arg


@pytest.mark.parametrize("name", ["origin.test", "Origin.Example.TEST", "origin.test.",
                                  "a-b.x1.test", "o" * 63 + ".test"])
def test_an_ascii_name_is_sent_as_the_codec_would_send_it(pki, name):
    assert _hostname_arg(name) == name.encode("idna")
    context, _ = make_context(["TLSv1.2"], CLOUDFRONT_CIPHER_STRING, cloudfront_curves=True)
    with TlsOrigin([pki["leaf"], pki["inter"]], pki["leaf"]) as origin:
        sock = socket.create_connection(("127.0.0.1", origin.port), timeout=3)
        result = handshake(sock, context, name, 3.0)
        assert result.ok, result.error
        assert result.sock is not None
        result.sock.close()
        sent = [c["sni"] for c in origin.wait_for_connections(1)]
    assert sent == [name.encode("idna").decode("ascii")]  # as ssl sends a str name


@pytest.mark.parametrize("name", ["o" * 64 + ".test", "a..test", "bücher.test", None])
def test_any_other_name_goes_through_the_codec(name):
    assert _hostname_arg(name) == name
