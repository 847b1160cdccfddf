"""A real nginx on 127.0.0.1 for tests: its own prefix and configuration in a temporary
folder, run in the foreground (``daemon off``) as a child process, stopped and removed on exit.

Configuration is written as an operator would write it: each ``NginxServer`` is one ``server {}``
block (a free port, optional TLS with certificate/key/chain files, protocols and ciphers, client
certificates, the headers to add, error pages and the ``location /`` body). Use ``extra`` for
any directive not covered. The process itself is run by ``tests.support.server_process``.

    with Nginx([NginxServer(tls=TlsFiles.write(tmp, leaf, inter), body="return 200 ok;")]) as n:
        port = n.ports[0]

The nginx program comes from ``tests.support.tools.require_tool`` (installed when missing, the
test skipped or, under CI=true, failed when it cannot be had).
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.certs import Minted
from tests.support.ports import closed_port
from tests.support.server_process import ServerProcess


@dataclass(frozen=True)
class TlsFiles:
    """Paths nginx reads: the certificate file (leaf then chain, as served), the key and, for
    client certificates, the CA file of ``ssl_client_certificate``."""

    certificate: Path
    key: Path
    client_ca: Path | None = None

    @classmethod
    def write(cls, folder: Path, leaf: Minted, *chain: Minted, name: str = "server",
              client_ca: Minted | None = None) -> TlsFiles:
        """Write ``leaf`` followed by ``chain`` (in that order, as nginx serves them)."""
        return cls.write_pem(folder, b"".join(c.pem for c in (leaf, *chain)), leaf.key_pem,
                             name=name, client_ca=client_ca)

    @classmethod
    def write_pem(cls, folder: Path, chain_pem: bytes, key_pem: bytes, *, name: str = "server",
                  client_ca: Minted | None = None) -> TlsFiles:
        """Write a certificate file exactly as given (first certificate = the key's): for
        chains no ``Minted`` list describes, such as hundreds of same-name certificates."""
        folder.mkdir(parents=True, exist_ok=True)
        cert = folder / f"{name}.crt"
        key = folder / f"{name}.key"
        cert.write_bytes(chain_pem)
        key.write_bytes(key_pem)
        key.chmod(0o600)
        ca = None
        if client_ca is not None:
            ca = folder / f"{name}-client-ca.pem"
            ca.write_bytes(client_ca.pem)
        return cls(cert, key, ca)


@dataclass
class NginxServer:
    """One ``server {}`` block.

    ``headers`` become ``add_header NAME "VALUE" always;`` (so they are sent on errors too);
    ``body`` is the content of ``location / {}``; ``error_pages`` maps a status to a file
    served by ``error_page`` (kept in the prefix under ``html/``). ``verify_client`` ("on",
    "optional") asks for client certificates signed by ``tls.client_ca``. ``port`` 0 picks a
    free one.
    """

    body: str = "return 200 'ok\\n';"
    tls: TlsFiles | None = None
    server_names: Sequence[str] = ("_",)
    ssl_protocols: str = "TLSv1.2 TLSv1.3"
    ssl_ciphers: str | None = None
    headers: Sequence[tuple[str, str]] = ()
    error_pages: dict[int, str] = field(default_factory=dict)
    server_tokens: str | None = None  # "off", "on" or "build"
    verify_client: str | None = None  # ssl_verify_client: "on", "optional"
    extra: str = ""
    port: int = 0


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Nginx(ServerProcess):
    """nginx serving ``servers`` on 127.0.0.1; ``ports[i]`` is the port of ``servers[i]``."""

    def __init__(self, servers: Sequence[NginxServer], host: str = "127.0.0.1") -> None:
        super().__init__(("nginx", "nginx-light"), ["-p", "{dir}", "-c", "{dir}/nginx.conf"],
                         host=host)
        self.servers = list(servers)

    @property
    def prefix(self) -> Path:
        return self.folder

    def config_text(self) -> str:
        """The nginx.conf written for these servers (also handy in a failing test's output)."""
        blocks = []
        for index, (server, port) in enumerate(zip(self.servers, self.ports, strict=True)):
            host = f"[{self.host}]" if ":" in self.host else self.host  # ::1 as nginx writes it
            listen = f"listen {host}:{port}" + (" ssl" if server.tls else "") + ";"
            lines = [listen, f"server_name {' '.join(server.server_names)};"]
            if server.tls:
                lines += [f"ssl_certificate {server.tls.certificate};",
                          f"ssl_certificate_key {server.tls.key};",
                          f"ssl_protocols {server.ssl_protocols};"]
                if server.ssl_ciphers:
                    lines.append(f"ssl_ciphers {_quote(server.ssl_ciphers)};")
                if server.tls.client_ca:
                    lines.append(f"ssl_client_certificate {server.tls.client_ca};")
            if server.verify_client:
                lines.append(f"ssl_verify_client {server.verify_client};")
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

    def choose_ports(self) -> list[int]:
        return [s.port or closed_port(self.host) for s in self.servers]

    def prepare(self, folder: Path) -> None:
        for sub in ("logs", "html/_errors"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        for index, server in enumerate(self.servers):
            for status, page in server.error_pages.items():
                (folder / "html" / "_errors" / f"{index}-{status}.html").write_text(page)
        conf = folder / "nginx.conf"
        conf.write_text(self.config_text())
        check = subprocess.run([self.program, "-t", "-p", str(folder), "-c", str(conf)],
                               capture_output=True, text=True, check=False)
        if check.returncode != 0:
            raise RuntimeError(f"nginx rejected the test configuration:\n{check.stderr}")

    def error_log(self) -> str:
        path = self.prefix / "logs" / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""
