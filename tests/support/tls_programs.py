"""Real TLS server programs on loopback, configured as an operator would: gnutls-serv (its
priority strings still speak 3DES, RC4-SHA and RC4-MD5 on Debian), openssl s_server and nginx.

Each is a child process on a free port of 127.0.0.1, waited for until the port accepts, and
stopped on exit. The programs come from ``require_tool`` (installed when missing; under CI=true
a missing one fails the test).

(``tests/support/nginx.py``, being written by another engineer, is the general nginx starter;
this one holds just what the client-certificate scenarios need and can be folded into it.)
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Self

from tests.support.certs import Minted
from tests.support.lifecycle import Service
from tests.support.ports import closed_port
from tests.support.tools import require_tool

READY_TIMEOUT = 15.0


class TlsProgram(Service):
    """Runs ``argv`` (with ``{port}`` and ``{dir}`` filled in) until stopped; ``files`` are
    written into a fresh folder first, and ``templates`` too once ``{port}`` and ``{dir}`` are
    filled in."""

    def __init__(self, argv: Sequence[str], files: dict[str, bytes],
                 templates: dict[str, str] | None = None) -> None:
        self.argv = list(argv)
        self.files = files
        self.templates = templates or {}
        self.port = 0
        self.folder: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: Path | None = None

    def start(self) -> Self:
        self.folder = Path(tempfile.mkdtemp(prefix="origin502-tls-"))
        # nginx's workers may drop privileges: they must be able to read the folder.
        self.folder.chmod(0o755)
        for name, data in self.files.items():
            (self.folder / name).write_bytes(data)
        self.port = closed_port()
        for name, text in self.templates.items():
            (self.folder / name).write_text(text.format(port=self.port, dir=self.folder))
        (self.folder / "tmp").mkdir()
        argv = [a.format(port=self.port, dir=self.folder) for a in self.argv]
        self._log = self.folder / "program.log"
        with self._log.open("wb") as log:
            self._proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL, cwd=self.folder)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        # Polled until the port accepts; the deadline only bounds a broken start.
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise RuntimeError(f"{self.argv[0]} exited with {self._proc.returncode}:\n"
                                   f"{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.argv[0]} did not listen in {READY_TIMEOUT} s:\n"
                                   f"{self.log()}")
            time.sleep(0.05)

    def log(self) -> str:
        return self._log.read_text(errors="replace") if self._log and self._log.exists() else ""

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self.folder is not None:
            with contextlib.suppress(OSError):
                shutil.rmtree(self.folder)
            self.folder = None


def _chain_files(leaf: Minted, chain: Sequence[Minted]) -> dict[str, bytes]:
    return {"server.crt": b"".join(c.pem for c in (leaf, *chain)), "server.key": leaf.key_pem}


def gnutls_serv(leaf: Minted, chain: Sequence[Minted] = (), *, priority: str,
                client_cert: str = "none", client_ca: Minted | None = None) -> TlsProgram:
    """``gnutls-serv --http`` with a priority string; ``client_cert`` "none" or "required".

    gnutls-serv listens on every interface (it has no address option); tests only ever connect
    to 127.0.0.1.
    """
    program = require_tool("gnutls-serv", "gnutls-bin")
    argv = [program, "--http", "--port", "{port}", "--x509certfile", "{dir}/server.crt",
            "--x509keyfile", "{dir}/server.key", "--priority", priority]
    files = _chain_files(leaf, chain)
    if client_cert == "required":
        argv.append("--require-client-cert")
        if client_ca is not None:
            files["client-ca.pem"] = client_ca.pem
            argv += ["--x509cafile", "{dir}/client-ca.pem", "--verify-client-cert"]
    else:
        argv.append("--disable-client-cert")
    return TlsProgram(argv, files)


def openssl_s_server(leaf: Minted, chain: Sequence[Minted] = (), *, options: Sequence[str] = (),
                     client_ca: Minted | None = None) -> TlsProgram:
    """``openssl s_server -www`` on 127.0.0.1 with extra ``options`` (e.g. ``-Verify 1``)."""
    program = require_tool("openssl", "openssl")
    files = _chain_files(leaf, chain)
    argv = [program, "s_server", "-www", "-accept", "127.0.0.1:{port}", "-cert",
            "{dir}/server.crt", "-key", "{dir}/server.key", *options]
    if client_ca is not None:
        files["client-ca.pem"] = client_ca.pem
        argv += ["-CAfile", "{dir}/client-ca.pem"]
    return TlsProgram(argv, files)


def nginx_tls(leaf: Minted, chain: Sequence[Minted] = (), *, directives: str = "",
              client_ca: Minted | None = None) -> TlsProgram:
    """nginx with one TLS server block on 127.0.0.1; ``directives`` go into the block (e.g.
    ``ssl_verify_client on;``) and ``ssl_client_certificate`` points at ``client_ca``."""
    program = require_tool("nginx", "nginx-light")
    files = _chain_files(leaf, chain)
    lines = ["listen 127.0.0.1:{port} ssl;", "ssl_certificate {dir}/server.crt;",
             "ssl_certificate_key {dir}/server.key;", "ssl_protocols TLSv1.2 TLSv1.3;"]
    if client_ca is not None:
        files["client-ca.pem"] = client_ca.pem
        lines.append("ssl_client_certificate {dir}/client-ca.pem;")
    lines += [directives.replace("{", "{{").replace("}", "}}"),
              "location / {{ return 200 'ok\\n'; }}"]
    # A template: {port} and {dir} are filled at start, {{ }} are nginx's own braces.
    conf = (
        "daemon off;\nmaster_process off;\npid {dir}/nginx.pid;\nerror_log {dir}/error.log;\n"
        "events {{ worker_connections 64; }}\n"
        "http {{\n  access_log off;\n  client_body_temp_path {dir}/tmp;\n"
        "  proxy_temp_path {dir}/tmp;\n  fastcgi_temp_path {dir}/tmp;\n"
        "  uwsgi_temp_path {dir}/tmp;\n  scgi_temp_path {dir}/tmp;\n"
        "  server {{\n" + "".join(f"    {line}\n" for line in lines) + "  }}\n}}\n")
    return TlsProgram([program, "-p", "{dir}", "-c", "{dir}/nginx.conf"], files,
                      templates={"nginx.conf": conf})
