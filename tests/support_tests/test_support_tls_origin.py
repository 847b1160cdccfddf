"""TlsOrigin and HttpFileServer really serve what the test asked for."""

from __future__ import annotations

import concurrent.futures
import socket
import ssl
import time
import urllib.error
import urllib.request
import warnings

import pytest

from tests.support.certs import CertFactory, Minted
from tests.support.tls_origin import HttpFileServer, TlsOrigin, presented_chain

SNI = "origin.example.test"
REQUEST = b"GET /probe HTTP/1.1\r\nHost: origin.example.test\r\nUser-Agent: harness\r\n\r\n"


@pytest.fixture(scope="module")
def pki(cert_factory: CertFactory) -> dict[str, Minted]:
    root = cert_factory.root()
    inter = cert_factory.intermediate(root)
    return {
        "root": root,
        "inter": inter,
        "leaf": cert_factory.leaf(inter, [SNI]),
        "client": cert_factory.leaf(inter, ["client.example.test"]),
    }


def client_ctx(root: Minted | None = None, **settings) -> ssl.SSLContext:
    if root is None:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    else:
        ctx = ssl.create_default_context(cadata=root.pem.decode())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        for name, value in settings.items():
            if name == "ciphers":
                ctx.set_ciphers(value)
            elif name == "curve":
                ctx.set_ecdh_curve(value)
            elif name == "cert":
                ctx.load_cert_chain(*value)
            else:
                setattr(ctx, name, value)
    return ctx


def exchange(
    origin: TlsOrigin,
    ctx: ssl.SSLContext | None = None,
    sni: str | None = SNI,
    request: bytes = REQUEST,
    timeout: float = 3.0,
) -> tuple[bytes, ssl.SSLSocket | None]:
    """Send ``request`` and read until EOF; returns (bytes, the TLS socket's final state)."""
    raw = socket.create_connection((origin.host, origin.port), timeout=timeout)
    sock: socket.socket = raw
    if ctx is not None:
        sock = ctx.wrap_socket(raw, server_hostname=sni)
    with sock:
        sock.sendall(request)
        out = b""
        while chunk := sock.recv(4096):
            out += chunk
        return out, sock if isinstance(sock, ssl.SSLSocket) else None


def subjects(certs) -> list[str]:
    return [c.subject.rfc4514_string() for c in certs]


@pytest.mark.parametrize(
    "order", [["leaf", "inter"], ["leaf", "root", "inter"], ["leaf", "inter", "root"], ["leaf"]]
)
def test_chain_is_served_in_the_given_order(pki, order) -> None:
    chain = [pki[name] for name in order]
    with TlsOrigin(chain, pki["leaf"]) as origin:
        sent = presented_chain(origin.host, origin.port, SNI)
    assert [c.fingerprint(c.signature_hash_algorithm) for c in sent] == [
        m.cert.fingerprint(m.cert.signature_hash_algorithm) for m in chain
    ]
    assert subjects(sent) == subjects(m.cert for m in chain)


def test_leaf_only_chain_stays_leaf_only_with_a_client_ca_store(pki) -> None:
    # OpenSSL would otherwise append intermediate and root from the client-CA store.
    with TlsOrigin(
        [pki["leaf"]], pki["leaf"], client_cert="optional", client_ca=[pki["root"], pki["inter"]]
    ) as origin:
        assert origin.auto_chain_disabled
        assert subjects(presented_chain(origin.host, origin.port, SNI)) == subjects(
            [pki["leaf"].cert]
        )


def test_ok_response_and_records(pki) -> None:
    with TlsOrigin([pki["leaf"], pki["inter"]], pki["leaf"]) as origin:
        assert origin.url == f"https://127.0.0.1:{origin.port}"
        assert origin.address == "127.0.0.1"
        body, tls = exchange(origin, client_ctx(pki["root"]))
        assert body.startswith(b"HTTP/1.1 200 OK\r\n")
        assert b"Server: test-origin" in body
        assert b"Connection: close" in body
        assert tls is not None
        [req] = origin.requests
        assert req["sni"] == SNI
        assert req["request_line"] == "GET /probe HTTP/1.1"
        assert req["headers"] == {"host": SNI, "user-agent": "harness"}
        assert req["tls_version"] == "TLSv1.3"

        # No SNI: a client that verifies nothing and names no host.
        exchange(origin, client_ctx(), sni=None)
        assert origin.wait_for_requests(2)[1]["sni"] is None
        assert origin.handshake_errors == []


def test_leaf_only_chain_fails_verification(pki) -> None:
    with TlsOrigin([pki["leaf"]], pki["leaf"]) as origin:
        with pytest.raises(ssl.SSLCertVerificationError, match="local issuer"):
            exchange(origin, client_ctx(pki["root"]))
        assert origin.wait_for_handshake_errors()


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("status:503", b"HTTP/1.1 503 Service Unavailable\r\n"),
        ("status:599", b"HTTP/1.1 599 Status\r\n"),
        ("close", b""),
        ("garbage", b"SSH-2.0-OpenSSH_9.6\r\n"),
    ],
)
def test_http_modes(pki, mode, expected) -> None:
    with TlsOrigin([pki["leaf"], pki["inter"]], pki["leaf"], http=mode) as origin:
        body, _ = exchange(origin, client_ctx(pki["root"]))
        if mode == "garbage" or not expected:
            assert body == expected
        else:
            assert body.startswith(expected)
        assert origin.requests[0]["request_line"] == "GET /probe HTTP/1.1"


def test_raw_and_plain(pki) -> None:
    with TlsOrigin(None, None, tls=False, http="raw", response=b"HTTP/1.0 200\r\n\r\nx") as o:
        assert o.url.startswith("http://")
        assert exchange(o)[0] == b"HTTP/1.0 200\r\n\r\nx"
    with TlsOrigin(None, None, tls=False) as origin:
        with urllib.request.urlopen(origin.url + "/plain", timeout=3) as resp:
            assert resp.status == 200
            assert resp.headers["Server"] == "test-origin"
        assert origin.requests[0]["request_line"] == "GET /plain HTTP/1.1"
        # A TLS client on the plain port gets an HTTP 400, so its handshake fails.
        with pytest.raises(ssl.SSLError, match="WRONG_VERSION_NUMBER"):
            exchange(origin, client_ctx())


def test_hang_and_quick_stop(pki) -> None:
    origin = TlsOrigin([pki["leaf"], pki["inter"]], pki["leaf"], http="hang").start()
    idle = socket.create_connection((origin.host, origin.port))  # never says hello
    with pytest.raises(TimeoutError):
        exchange(origin, client_ctx(pki["root"]), timeout=0.3)
    start = time.monotonic()
    origin.stop()
    assert time.monotonic() - start < 1.2
    idle.close()


def test_version_and_cipher_restrictions(pki) -> None:
    chain = [pki["leaf"], pki["inter"]]
    with TlsOrigin(chain, pki["leaf"], min_version=ssl.TLSVersion.TLSv1_3) as origin:
        with pytest.raises(ssl.SSLError):
            exchange(origin, client_ctx(maximum_version=ssl.TLSVersion.TLSv1_2))
        assert exchange(origin, client_ctx())[1] is not None
        assert origin.wait_for_requests()[0]["tls_version"] == "TLSv1.3"

    for cipher in ("DHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-CHACHA20-POLY1305"):
        with TlsOrigin(chain, pki["leaf"], ciphers=cipher) as origin:
            exchange(origin, client_ctx())  # default client: negotiates the only suite
            req = origin.wait_for_requests()[0]
            assert (req["tls_version"], req["cipher"]) == ("TLSv1.2", cipher)
            with pytest.raises(ssl.SSLError):
                exchange(origin, client_ctx(ciphers="ECDHE-RSA-AES256-GCM-SHA384"))

    with TlsOrigin(chain, pki["leaf"], ciphers="ALL:@SECLEVEL=0") as origin:
        exchange(origin, client_ctx())  # a broad list does not cap the version
        assert origin.wait_for_requests()[0]["tls_version"] == "TLSv1.3"

    legacy = {
        "min_version": ssl.TLSVersion.TLSv1,
        "max_version": ssl.TLSVersion.TLSv1,
        "ciphers": "DEFAULT:@SECLEVEL=0",
    }
    with TlsOrigin(chain, pki["leaf"], **legacy) as origin:
        with pytest.raises(ssl.SSLError):
            exchange(origin, client_ctx())  # modern client refuses TLS 1.0
        exchange(
            origin,
            client_ctx(minimum_version=ssl.TLSVersion.TLSv1, ciphers="DEFAULT:@SECLEVEL=0"),
        )
        assert origin.wait_for_requests()[0]["tls_version"] == "TLSv1"


def test_curve_restriction(pki) -> None:
    with TlsOrigin([pki["leaf"], pki["inter"]], pki["leaf"], ecdh_curve="secp521r1") as origin:
        with pytest.raises(ssl.SSLError):
            exchange(origin, client_ctx(curve="prime256v1"))
        exchange(origin, client_ctx(curve="secp521r1"))
        exchange(origin, client_ctx())  # default groups include P-521 (HelloRetryRequest)
        assert len(origin.wait_for_requests(2)) == 2


def test_weak_certificates_can_be_served(cert_factory: CertFactory, pki) -> None:
    weak = cert_factory.leaf(pki["inter"], [SNI], key="rsa1024", hash="sha1")
    with TlsOrigin([weak, pki["inter"]], weak) as origin:
        sent = presented_chain(origin.host, origin.port, SNI)
        assert sent[0].signature_hash_algorithm.name == "sha1"
        # A default client refuses it (key too small / md too weak at SECLEVEL 2).
        with pytest.raises(ssl.SSLError):
            exchange(origin, client_ctx(pki["root"]))


def test_client_certificates(tmp_path, pki) -> None:
    chain = [pki["leaf"], pki["inter"]]
    (tmp_path / "c.pem").write_bytes(pki["client"].pem + pki["inter"].pem)
    (tmp_path / "k.pem").write_bytes(pki["client"].key_pem)
    with_cert = client_ctx(pki["root"], cert=(tmp_path / "c.pem", tmp_path / "k.pem"))
    with TlsOrigin(chain, pki["leaf"], client_cert="required", client_ca=pki["root"]) as origin:
        with pytest.raises((ssl.SSLError, ConnectionResetError)):
            exchange(origin, client_ctx(pki["root"]))  # no client certificate
        assert origin.wait_for_handshake_errors()
        body, _ = exchange(origin, with_cert)
        assert body.startswith(b"HTTP/1.1 200")
        assert origin.connections[-1]["client_cert"] is not None
    with TlsOrigin(chain, pki["leaf"], client_cert="optional") as origin:
        assert exchange(origin, client_ctx(pki["root"]))[0].startswith(b"HTTP/1.1 200")


def test_concurrency_and_misbehaving_clients(pki) -> None:
    with TlsOrigin([pki["leaf"], pki["inter"]], pki["leaf"]) as origin:
        # Clients that abort: connect and close, or send junk instead of a ClientHello.
        socket.create_connection((origin.host, origin.port)).close()
        with socket.create_connection((origin.host, origin.port)) as junk:
            junk.sendall(b"\x00" * 100)
        ctx = client_ctx(pki["root"])
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            bodies = list(pool.map(lambda _: exchange(origin, ctx)[0], range(32)))
        assert all(b.startswith(b"HTTP/1.1 200") for b in bodies)
        assert len(origin.wait_for_requests(32)) == 32
        assert len(origin.wait_for_handshake_errors(2)) >= 1


def test_ipv6_loopback(pki) -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        origin = TlsOrigin([pki["leaf"], pki["inter"]], pki["leaf"], host="::1").start()
    except OSError:
        pytest.skip("::1 not configured")
    with origin:
        assert origin.url == f"https://[::1]:{origin.port}"
        assert exchange(origin, client_ctx(pki["root"]))[0].startswith(b"HTTP/1.1 200")


def test_http_file_server(pki) -> None:
    with HttpFileServer({"/ca/inter.crt": pki["inter"].der}) as files:
        url = files.url_for("/ca/inter.crt")
        assert url == f"http://127.0.0.1:{files.port}/ca/inter.crt"
        with urllib.request.urlopen(url, timeout=3) as resp:
            assert resp.read() == pki["inter"].der
            assert resp.headers["Content-Type"] == "application/pkix-cert"
        with pytest.raises(urllib.error.HTTPError, match="404"):
            urllib.request.urlopen(files.url_for("missing.crt"), timeout=3)
        assert files.hits == ["/ca/inter.crt", "/missing.crt"]

    start = time.monotonic()
    with HttpFileServer({"/slow": b"x"}, delay=5) as slow, pytest.raises(TimeoutError):
        urllib.request.urlopen(slow.url_for("/slow"), timeout=0.3)
    assert time.monotonic() - start < 1.5
