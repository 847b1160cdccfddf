"""A real nginx on 127.0.0.1 for tests: its own prefix and configuration in a temporary
folder, run in the foreground (``daemon off``) as a child process, stopped and removed on exit.

Configuration is written as an operator would write it: each ``NginxServer`` is one ``server {}``
block (a free port, optional TLS with certificate/key/chain files, protocols and ciphers, the
headers to add and the ``location /`` body). Use ``extra`` for any directive not covered.

    with Nginx([NginxServer(tls=TlsFiles.write(tmp, leaf, inter), body="return 200 ok;")]) as n:
        port = n.ports[0]

The nginx program comes from ``tests.support.tools.require_tool`` (installed when missing, the
test skipped or, under CI=true, failed when it cannot be had).
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

from tests.support.certs import Minted
from tests.support.lifecycle import Service
from tests.support.tools import require_tool

READY_TIMEOUT = 15.0


@dataclass(frozen=True)
class TlsFiles:
    """Paths nginx reads: the certificate file (leaf then chain, as served) and the key."""

    certificate: Path
    key: Path

    @classmethod
    def write(cls, folder: Path, leaf: Minted, *chain: Minted, name: str = "server") -> TlsFiles:
        """Write ``leaf`` followed by ``chain`` (in that order, as nginx serves them)."""
        folder.mkdir(parents=True, exist_ok=True)
        cert = folder / f"{name}.crt"
        key = folder / f"{name}.key"
        cert.write_bytes(b"".join(c.pem for c in (leaf, *chain)))
        key.write_bytes(leaf.key_pem)
        key.chmod(0o600)
        return cls(cert, key)


@dataclass
class NginxServer:
    """One ``server {}`` block.

    ``headers`` become ``add_header NAME "VALUE" always;`` (so they are sent on errors too);
    ``body`` is the content of ``location / {}``; ``error_pages`` maps a status to a file
    served by ``error_page`` (kept in the prefix under ``html/``). ``port`` 0 picks a free one.
    """

    body: str = "return 200 'ok\\n';"
    tls: TlsFiles | None = None
    server_names: Sequence[str] = ("_",)
    ssl_protocols: str = "TLSv1.2 TLSv1.3"
    ssl_ciphers: str | None = None
    headers: Sequence[tuple[str, str]] = ()
    error_pages: dict[int, str] = field(default_factory=dict)
    server_tokens: str | None = None  # "off", "on" or "build"
    extra: str = ""
    port: int = 0


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free a moment ago on ``host`` (nginx binds it right after)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Nginx(Service):
    """nginx serving ``servers`` on 127.0.0.1; ``ports[i]`` is the port of ``servers[i]``."""

    def __init__(self, servers: Sequence[NginxServer], host: str = "127.0.0.1") -> None:
        self.servers = list(servers)
        self.host = host
        self.ports: list[int] = []
        self._proc: subprocess.Popen[bytes] | None = None
        self._prefix: Path | None = None

    @property
    def port(self) -> int:
        return self.ports[0]

    @property
    def prefix(self) -> Path:
        assert self._prefix is not None, "start() first"
        return self._prefix

    def config_text(self) -> str:
        """The nginx.conf written for these servers (also handy in a failing test's output)."""
        blocks = []
        for index, (server, port) in enumerate(zip(self.servers, self.ports, strict=True)):
            listen = f"listen {self.host}:{port}" + (" ssl" if server.tls else "") + ";"
            lines = [listen, f"server_name {' '.join(server.server_names)};"]
            if server.tls:
                lines += [f"ssl_certificate {server.tls.certificate};",
                          f"ssl_certificate_key {server.tls.key};",
                          f"ssl_protocols {server.ssl_protocols};"]
                if server.ssl_ciphers:
                    lines.append(f"ssl_ciphers {_quote(server.ssl_ciphers)};")
            if server.server_tokens:
                lines.append(f"server_tokens {server.server_tokens};")
            lines += [f"add_header {name} {_quote(value)} always;"
                      for name, value in server.headers]
            for status, _page in server.error_pages.items():
                lines.append(f"error_page {status} /_errors/{index}-{status}.html;")
            lines.append(f"location /_errors/ {{ internal; root {self.prefix / 'html'}; }}")
            if server.extra:
                lines.append(server.extra)
            lines.append(f"location / {{ {server.body} }}")
            blocks.append("    server {\n" + "".join(f"        {x}\n" for x in lines) + "    }\n")
        return (
            "daemon off;\nmaster_process on;\nworker_processes 1;\n"
            f"pid {self.prefix / 'nginx.pid'};\n"
            f"error_log {self.prefix / 'logs' / 'error.log'} info;\n"
            "events { worker_connections 64; }\n"
            "http {\n"
            f"    access_log {self.prefix / 'logs' / 'access.log'};\n"
            "    default_type text/html;\n"
            f"    client_body_temp_path {self.prefix / 'tmp'};\n"
            f"    proxy_temp_path {self.prefix / 'tmp'};\n"
            f"    fastcgi_temp_path {self.prefix / 'tmp'};\n"
            f"    uwsgi_temp_path {self.prefix / 'tmp'};\n"
            f"    scgi_temp_path {self.prefix / 'tmp'};\n"
            + "".join(blocks) + "}\n"
        )

    def start(self) -> Self:
        if self._proc is not None:
            return self
        nginx = require_tool("nginx", "nginx-light")
        self._prefix = Path(tempfile.mkdtemp(prefix="origin502-nginx-"))
        # Run as root, nginx's workers drop to "nobody": they must be able to read the pages.
        self._prefix.chmod(0o755)
        for sub in ("logs", "tmp", "html/_errors"):
            (self._prefix / sub).mkdir(parents=True, exist_ok=True)
        self.ports = [s.port or free_port(self.host) for s in self.servers]
        for index, server in enumerate(self.servers):
            for status, page in server.error_pages.items():
                (self._prefix / "html" / "_errors" / f"{index}-{status}.html").write_text(page)
        conf = self._prefix / "nginx.conf"
        conf.write_text(self.config_text())
        check = subprocess.run([nginx, "-t", "-p", str(self._prefix), "-c", str(conf)],
                               capture_output=True, text=True, check=False)
        if check.returncode != 0:
            self._cleanup()
            raise RuntimeError(f"nginx rejected the test configuration:\n{check.stderr}")
        self._proc = subprocess.Popen(
            [nginx, "-p", str(self._prefix), "-c", str(conf)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        # Readiness is "every port accepts", polled; the deadline only bounds a broken start.
        deadline = time.monotonic() + READY_TIMEOUT
        pending = list(self.ports)
        while pending:
            assert self._proc is not None
            if self._proc.poll() is not None:
                err = self._proc.stderr.read().decode() if self._proc.stderr else ""
                raise RuntimeError(f"nginx exited with {self._proc.returncode}: {err}")
            try:
                with socket.create_connection((self.host, pending[0]), timeout=0.5):
                    pending.pop(0)
                    continue
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not listen on {pending} in {READY_TIMEOUT} s")
            time.sleep(0.05)

    def error_log(self) -> str:
        path = self.prefix / "logs" / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.terminate()  # SIGTERM: nginx's fast shutdown
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stderr:
                proc.stderr.close()
        self._cleanup()

    def _cleanup(self) -> None:
        if self._prefix is not None:
            with contextlib.suppress(OSError):
                shutil.rmtree(self._prefix)
            self._prefix = None
