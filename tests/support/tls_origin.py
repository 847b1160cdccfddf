"""Real origin servers on loopback, each running in daemon threads.

``TlsOrigin`` is a TLS (or plain TCP) origin whose certificate chain, protocol versions,
ciphers, curve, client-certificate policy and HTTP behaviour are chosen by the test.
``HttpFileServer`` is a plain HTTP server for AIA caIssuers downloads and the like.

Facts this relies on (checked in tests/support_tests/test_support_tls_origin.py):

* ``SSLContext.load_cert_chain`` on a PEM file sends the certificates in file order; the
  first one must be the certificate of the private key (TLS needs that anyway).
* With no extra certificates in the file OpenSSL builds a chain from the context's trust
  store ("auto chain") and appends it.  The server's store is empty unless ``client_ca``
  is given; when it is, SSL_MODE_NO_AUTO_CHAIN is set through ctypes (Python's ssl does
  not expose it) so ``[leaf]`` still sends the leaf only.  ``auto_chain_disabled`` tells
  whether that worked.
* The server runs at ``@SECLEVEL=0`` so it can present RSA-1024 keys, SHA-1 signatures and
  speak TLS 1.0/1.1 when asked; what it accepts is restricted only by the arguments.
* Python's ``ssl`` cannot restrict TLS 1.3 cipher suites, so ``ciphers`` naming specific
  suites (e.g. "DHE-RSA-AES128-GCM-SHA256") caps the server at TLS 1.2 unless
  ``max_version`` is given.  Broad lists ("ALL:@SECLEVEL=0", "DEFAULT", "HIGH", ...) do not
  cap: they only widen what is accepted.
* DHE suites need DH parameters; the server loads RFC 7919 ffdhe2048, derived below from
  its defining formula (and equal to OpenSSL's built-in group).
"""

from __future__ import annotations

import _ssl
import contextlib
import ctypes
import http
import http.server
import socket
import ssl
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, Self

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dh
from cryptography.utils import CryptographyDeprecationWarning

from tests.support.certs import CertFactory, Minted, write_pem
from tests.support.lifecycle import Service

ClientCertPolicy = Literal["none", "optional", "required"]

GARBAGE = b"SSH-2.0-OpenSSH_9.6\r\n"
OK_BODY = b"ok from test-origin\n"
_MAX_HEAD = 64 * 1024
_STOP_BUDGET = 1.0  # seconds stop() may spend in total


def _ffdhe2048_pem() -> bytes:
    """RFC 7919 ffdhe2048: p = 2^2048 - 2^1984 + (floor(2^1918 * e) + 560316) * 2^64 - 1."""
    guard = 128
    term = 1 << (1918 + guard)
    total, k = 0, 0
    while term:  # e = sum 1/k!, in fixed point
        total += term
        k += 1
        term //= k
    p = 2**2048 - 2**1984 + ((total >> guard) + 560316) * 2**64 - 1
    with warnings.catch_warnings():
        # cryptography 50 deprecates finite-field DH; the test origin needs it for DHE suites.
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        params = dh.DHParameterNumbers(p, 2).parameters()
        return params.parameter_bytes(serialization.Encoding.PEM,
                                      serialization.ParameterFormat.PKCS3)


_DH_PEM: bytes | None = None


def _dh_pem() -> bytes:
    global _DH_PEM  # noqa: PLW0603 - computed once, on first use
    if _DH_PEM is None:
        _DH_PEM = _ffdhe2048_pem()
    return _DH_PEM


_SSL_CTRL_MODE = 33
_SSL_MODE_NO_AUTO_CHAIN = 0x8


def _disable_auto_chain(ctx: ssl.SSLContext) -> bool:
    """Set SSL_MODE_NO_AUTO_CHAIN on ``ctx`` (not exposed by Python's ssl).

    Uses ctypes on CPython's PySSLContext (``PyObject_HEAD`` then ``SSL_CTX *ctx``) and the
    libssl that ``_ssl`` links; the pointer is checked against ``ctx.options`` before use.
    Returns False (and changes nothing) when that cannot be done safely.
    """
    if sys.implementation.name != "cpython" or ctypes.sizeof(ctypes.c_void_p) != 8:
        return False
    try:
        lib = ctypes.CDLL(_ssl.__file__)
        ctrl = lib.SSL_CTX_ctrl
        ctrl.restype = ctypes.c_long
        ctrl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_long, ctypes.c_void_p]
        get_options = lib.SSL_CTX_get_options
        get_options.restype = ctypes.c_uint64
        get_options.argtypes = [ctypes.c_void_p]
        ptr = ctypes.c_void_p.from_address(id(ctx) + 2 * ctypes.sizeof(ctypes.c_void_p)).value
        if not ptr or get_options(ptr) != int(ctx.options):
            return False
        mode = ctrl(ptr, _SSL_CTRL_MODE, _SSL_MODE_NO_AUTO_CHAIN, None)
    except (OSError, AttributeError, ValueError):
        return False
    return bool(mode & _SSL_MODE_NO_AUTO_CHAIN)


def _reason(code: int) -> str:
    try:
        return http.HTTPStatus(code).phrase
    except ValueError:
        return "Status"


def http_response(code: int, body: bytes, extra: Mapping[str, str] | None = None) -> bytes:
    """An HTTP/1.1 response with Server: test-origin and Connection: close."""
    if code in (204, 304) or 100 <= code < 200:
        body = b""
    head = [
        f"HTTP/1.1 {code} {_reason(code)}",
        "Server: test-origin",
        "Content-Type: text/plain",
        f"Content-Length: {len(body)}",
        "Connection: close",
    ]
    head += [f"{k}: {v}" for k, v in (extra or {}).items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


def _parse_head(raw: bytes) -> tuple[str | None, dict[str, str]]:
    """Request line and lower-cased headers of ``raw`` (None if it does not look like HTTP)."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    lines = head.decode("latin-1").split("\r\n")
    first = lines[0] if lines else ""
    if not first or not first.isprintable() or " " not in first:
        return None, {}
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            continue
        key = name.strip().lower()
        value = value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return first, headers


_BROAD_CIPHER_KEYWORDS = {"ALL", "DEFAULT", "HIGH", "MEDIUM", "LOW", "COMPLEMENTOFDEFAULT"}


def _is_broad(ciphers: str) -> bool:
    """True for lists like "ALL:@SECLEVEL=0" that only widen, rather than pick suites."""
    tokens = {t.strip().lstrip("+") for t in ciphers.replace(",", ":").replace(" ", ":").split(":")}
    return bool(tokens & _BROAD_CIPHER_KEYWORDS)


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _wait(cond: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)
    return True


class TlsOrigin(Service):
    """A TLS (or plain) HTTP origin on loopback.  Use as a context manager.

    ``chain`` is served exactly in the order given (``chain[0]`` first; it must be the
    certificate of ``key``, which defaults to ``chain[0]``'s key).  ``chain=None`` with
    ``tls=True`` serves a fresh self-signed ``localhost`` certificate.

    ``http`` chooses what happens after the handshake: ``"ok"`` (200), ``"status:NNN"``,
    ``"close"`` (read the request, close), ``"hang"`` (read the request, never answer),
    ``"garbage"`` (send an SSH banner, close) or ``"raw"`` (send ``response`` as is, close).
    A plain (``tls=False``) origin that receives a TLS ClientHello answers 400 in the
    ``ok``/``status`` modes, like nginx does.

    Records: ``requests`` (one dict per HTTP request read: ``sni``, ``request_line``,
    ``headers``, plus ``method``, ``path``, ``tls_version``, ``cipher``, ``peer``, ``raw``),
    ``handshake_errors`` (strings) and ``connections`` (one dict per accepted connection:
    ``peer``, ``sni``, ``state`` in pending/ok/failed/plain, ``tls_version``, ``cipher``,
    ``client_cert``).  ``client_ca`` (extension) is what client certificates are verified
    against; without it every presented client certificate is rejected.
    """

    def __init__(
        self,
        chain: list[Minted] | None,
        key: Minted | None = None,
        *,
        host: str = "127.0.0.1",
        tls: bool = True,
        min_version: ssl.TLSVersion | None = None,
        max_version: ssl.TLSVersion | None = None,
        ciphers: str | None = None,
        ecdh_curve: str | None = None,
        client_cert: ClientCertPolicy = "none",
        http: str = "ok",
        response: bytes | None = None,
        client_ca: Minted | Sequence[Minted] | None = None,
    ) -> None:
        self._host = host
        self._tls = tls
        self.mode, self.status = self._parse_mode(http)
        if self.mode == "raw" and response is None:
            raise ValueError('http="raw" needs response=bytes')
        self.response = response or b""
        self.requests: list[dict[str, Any]] = []
        self.handshake_errors: list[str] = []
        self.connections: list[dict[str, Any]] = []
        self._ctx: ssl.SSLContext | None = None
        self.auto_chain_disabled = False
        if tls:
            self._ctx = self._make_context(
                chain, key, min_version, max_version, ciphers, ecdh_curve, client_cert, client_ca
            )
        self._listener: socket.socket | None = None
        self._port = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._live: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._accept_thread: threading.Thread | None = None
        self._by_id: dict[int, dict[str, Any]] = {}  # id(SSLSocket) -> connection record

    # -- configuration -------------------------------------------------------------------

    @staticmethod
    def _parse_mode(spec: str) -> tuple[str, int]:
        if spec.startswith("status:"):
            code = int(spec.split(":", 1)[1])
            if not 100 <= code <= 999:
                raise ValueError(f"bad status in http={spec!r}")
            return "status", code
        if spec in ("ok", "close", "hang", "garbage", "raw"):
            return spec, 200
        raise ValueError(f"unknown http behaviour {spec!r}")

    def _make_context(  # noqa: PLR0917
        self,
        chain: list[Minted] | None,
        key: Minted | None,
        min_version: ssl.TLSVersion | None,
        max_version: ssl.TLSVersion | None,
        ciphers: str | None,
        ecdh_curve: str | None,
        client_cert: ClientCertPolicy,
        client_ca: Minted | Sequence[Minted] | None,
    ) -> ssl.SSLContext:
        if chain is None:
            chain = [CertFactory().leaf(None, ["localhost"], ip_addresses=["127.0.0.1", "::1"])]
        if not chain:
            raise ValueError("chain must hold at least the server certificate")
        key = key or chain[0]
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        if ciphers is None:
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        else:
            ctx.set_ciphers(ciphers if "@SECLEVEL" in ciphers else ciphers + ":@SECLEVEL=0")
            if max_version is None and not _is_broad(ciphers):
                max_version = ssl.TLSVersion.TLSv1_2  # TLS 1.3 suites cannot be restricted
        with warnings.catch_warnings():
            # Lowering below TLS 1.2 is deprecated in ssl; it is the point of such a test.
            warnings.simplefilter("ignore", DeprecationWarning)
            if min_version is not None:
                ctx.minimum_version = min_version
            elif max_version is not None and max_version < ctx.minimum_version:
                ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
            if max_version is not None:
                ctx.maximum_version = max_version
        if ecdh_curve is not None:
            ctx.set_ecdh_curve(ecdh_curve)
        with tempfile.TemporaryDirectory(prefix="origin502-tls-") as tmp:
            d = Path(tmp)
            write_pem(d / "chain.pem", *chain)
            (d / "key.pem").write_bytes(key.key_pem)
            (d / "dh.pem").write_bytes(_dh_pem())
            ctx.load_cert_chain(d / "chain.pem", d / "key.pem")
            ctx.load_dh_params(str(d / "dh.pem"))
            if client_ca is not None:
                cas = [client_ca] if isinstance(client_ca, Minted) else list(client_ca)
                ctx.load_verify_locations(cadata=b"".join(c.pem for c in cas).decode())
                # Otherwise a one-certificate chain gets issuers appended from that store.
                self.auto_chain_disabled = _disable_auto_chain(ctx)
        ctx.verify_mode = {
            "none": ssl.CERT_NONE,
            "optional": ssl.CERT_OPTIONAL,
            "required": ssl.CERT_REQUIRED,
        }[client_cert]
        ctx.sni_callback = self._on_sni
        return ctx

    def _on_sni(self, sock: Any, server_name: str | None, _ctx: ssl.SSLContext) -> None:
        # Called for every ClientHello, with None when the client sent no SNI.
        with self._lock:
            record = self._by_id.get(id(sock))
        if record is not None:
            record["sni"] = server_name

    # -- properties ----------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._port

    @property
    def host(self) -> str:
        return self._host

    @property
    def address(self) -> str:
        return self._host

    @property
    def url(self) -> str:
        """``https://127.0.0.1:PORT`` (``http://`` when tls=False), without trailing slash."""
        return f"{'https' if self._tls else 'http'}://{_host_port(self._host, self._port)}"

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> Self:
        """Listen and serve (no-op if already started; an origin is not restartable)."""
        if self._listener is not None:
            return self
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((self._host, 0))
            listener.listen(128)
        except OSError:
            listener.close()
            raise
        listener.settimeout(0.05)
        self._listener = listener
        self._port = listener.getsockname()[1]
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name=f"tls-origin-{self._port}", daemon=True
        )
        self._accept_thread.start()
        return self

    def stop(self) -> None:
        deadline = time.monotonic() + _STOP_BUDGET
        with self._lock:
            self._stop.set()
            live = list(self._live)
        if self._accept_thread is not None:
            self._accept_thread.join(max(0.0, deadline - time.monotonic()))
        if self._listener is not None:
            self._listener.close()
        for s in live:
            with contextlib.suppress(OSError):
                socket.socket.shutdown(s, socket.SHUT_RDWR)
        for t in list(self._threads):
            t.join(max(0.0, deadline - time.monotonic()))


    # -- waiting helpers (server-side records can lag the client by a few ms) ------------

    def wait_for_requests(self, n: int = 1, timeout: float = 2.0) -> list[dict[str, Any]]:
        """Wait until ``n`` requests were recorded; returns ``requests`` either way."""
        _wait(lambda: len(self.requests) >= n, timeout)
        return self.requests

    def wait_for_handshake_errors(self, n: int = 1, timeout: float = 2.0) -> list[str]:
        """Wait until ``n`` handshake errors were recorded; returns them either way."""
        _wait(lambda: len(self.handshake_errors) >= n, timeout)
        return self.handshake_errors

    def wait_for_connections(self, n: int = 1, timeout: float = 2.0) -> list[dict[str, Any]]:
        """Wait until ``n`` connections finished their handshake (or failed it)."""
        _wait(lambda: sum(c["state"] != "pending" for c in self.connections) >= n, timeout)
        return self.connections

    # -- serving -------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            try:
                conn, peer = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            conn.settimeout(None)
            with self._lock:
                if self._stop.is_set():
                    conn.close()
                    break
                self._live.add(conn)
                t = threading.Thread(target=self._handle, args=(conn, peer), daemon=True)
                self._threads.append(t)
            t.start()

    def _handle(self, conn: socket.socket, peer: tuple[Any, ...]) -> None:
        sock: socket.socket = conn
        record: dict[str, Any] = {
            "peer": peer[:2],
            "sni": None,
            "state": "pending" if self._tls else "plain",
            "tls_version": None,
            "cipher": None,
            "client_cert": None,
        }
        try:
            if self._ctx is not None:
                with self._lock:
                    if self._stop.is_set():
                        return
                    sock = self._ctx.wrap_socket(
                        conn, server_side=True, do_handshake_on_connect=False
                    )
                    self._live.discard(conn)
                    self._live.add(sock)
                    self._by_id[id(sock)] = record
                    self.connections.append(record)
                assert isinstance(sock, ssl.SSLSocket)
                try:
                    sock.do_handshake()
                except (OSError, ValueError) as exc:
                    record["state"] = "failed"
                    if not self._stop.is_set():
                        self.handshake_errors.append(f"{type(exc).__name__}: {exc}")
                    return
                record.update(
                    state="ok",
                    tls_version=sock.version(),
                    cipher=(sock.cipher() or (None,))[0],
                    client_cert=sock.getpeercert() or None,
                )
            else:
                with self._lock:
                    self.connections.append(record)
            self._converse(sock, record)
        except Exception as exc:  # never let a misbehaving client kill the server
            if not self._stop.is_set():
                self.handshake_errors.append(f"handler {type(exc).__name__}: {exc}")
        finally:
            with self._lock:
                self._live.discard(conn)
                self._live.discard(sock)
                self._by_id.pop(id(sock), None)
            with contextlib.suppress(OSError):
                sock.close()

    def _read_head(self, sock: socket.socket, timeout: float | None) -> bytes:
        buf = b""
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\r\n\r\n" not in buf and len(buf) < _MAX_HEAD:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                sock.settimeout(left)
            try:
                chunk = sock.recv(4096)
            except (OSError, ValueError):
                break
            if not chunk:
                break
            buf += chunk
            if not self._tls and buf[:1] == b"\x16":  # a TLS ClientHello on a plain port
                break
        sock.settimeout(None)
        return buf

    def _converse(self, sock: socket.socket, conn: dict[str, Any]) -> None:
        patient = self.mode in ("ok", "status", "close", "hang")
        raw = self._read_head(sock, None if patient else 1.0)
        if raw:
            line, headers = _parse_head(raw)
            method, _, rest = (line or "").partition(" ")
            self.requests.append(
                {
                    "sni": conn["sni"],
                    "request_line": line,
                    "headers": headers,
                    "method": method or None,
                    "path": (rest.rpartition(" ")[0] or None) if line else None,
                    "tls_version": conn["tls_version"],
                    "cipher": conn["cipher"],
                    "peer": conn["peer"],
                    "raw": raw,
                }
            )
        elif patient:
            return  # the client sent nothing and went away
        if self.mode == "close":
            return
        if self.mode == "hang":
            self._stop.wait()
            return
        if self.mode == "garbage":
            payload = GARBAGE
        elif self.mode == "raw":
            payload = self.response
        elif _parse_head(raw)[0] is None:
            payload = http_response(400, b"bad request\n")
        elif self.mode == "ok":
            payload = http_response(200, OK_BODY)
        else:
            payload = http_response(
                self.status, f"status {self.status} from test-origin\n".encode()
            )
        sock.sendall(payload)
        self._finish(sock)

    def _finish(self, sock: socket.socket) -> None:
        """Close politely: close_notify for TLS, FIN and drain for TCP, within ~1 s."""
        sock.settimeout(1.0)
        with contextlib.suppress(OSError, ValueError):
            if isinstance(sock, ssl.SSLSocket):
                sock.unwrap()
            else:
                sock.shutdown(socket.SHUT_WR)
                while sock.recv(4096):
                    pass


def presented_chain(
    host: str, port: int, server_hostname: str | None = None, timeout: float = 3.0
) -> list[x509.Certificate]:
    """The certificates a TLS server sends, in the order it sends them (no verification)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection((host, port), timeout=timeout) as raw,
        ctx.wrap_socket(raw, server_hostname=server_hostname) as tls,
    ):
        # Public as SSLSocket.get_unverified_chain() only from Python 3.13.
        chain = tls._sslobj.get_unverified_chain() or []  # type: ignore[attr-defined]
        return [x509.load_der_x509_certificate(c.public_bytes(_ssl.ENCODING_DER)) for c in chain]


class HttpFileServer(Service):
    """Plain HTTP on 127.0.0.1:0 serving ``files`` by path (e.g. AIA caIssuers URLs).

    ``hits`` records each requested path in order.  ``delay`` stalls every response (stop()
    cuts the stall short).  ``files`` may be changed while the server runs.
    """

    def __init__(
        self, files: Mapping[str, bytes] | None = None, *, delay: float = 0, host: str = "127.0.0.1"
    ) -> None:
        self.files: dict[str, bytes] = {self._norm(k): v for k, v in (files or {}).items()}
        self.delay = delay
        self.hits: list[str] = []
        self._host = host
        self._stop = threading.Event()
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @staticmethod
    def _norm(path: str) -> str:
        return path if path.startswith("/") else "/" + path

    @property
    def port(self) -> int:
        assert self._server is not None, "start the server first"
        return int(self._server.server_address[1])

    @property
    def host(self) -> str:
        return self._host

    @property
    def url(self) -> str:
        return f"http://{_host_port(self._host, self.port)}"

    def url_for(self, path: str) -> str:
        return self.url + self._norm(path)

    def start(self) -> Self:
        """Listen and serve (no-op if already started)."""
        if self._server is not None:
            return self
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            server_version = "test-files"
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self._answer(send_body=True)

            def do_HEAD(self) -> None:
                self._answer(send_body=False)

            def _answer(self, send_body: bool) -> None:
                path = self.path.split("?", 1)[0]
                owner.hits.append(path)
                if owner.delay and owner._stop.wait(owner.delay):
                    return
                body = owner.files.get(path)
                if body is None:
                    self.send_response(404)
                    body = b"not found\n"
                    ctype = "text/plain"
                else:
                    self.send_response(200)
                    ctype = _content_type(path)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                if send_body:
                    self.wfile.write(body)
                self.close_connection = True

            def log_message(self, format: str, *args: Any) -> None:
                return

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True
            address_family = socket.AF_INET6 if ":" in self._host else socket.AF_INET

            def handle_error(self, request: Any, client_address: Any) -> None:
                return  # clients that vanish mid-response are not the test's concern

        self._server = Server((self._host, 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(1.0)



def _content_type(path: str) -> str:
    if path.endswith((".crt", ".cer", ".der")):
        return "application/pkix-cert"
    if path.endswith(".p7c"):
        return "application/pkcs7-mime"
    if path.endswith(".pem"):
        return "application/x-pem-file"
    return "application/octet-stream"
