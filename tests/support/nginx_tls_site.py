"""nginx on loopback serving one HTTPS site the way an operator configures it: a
`ssl_certificate` file holding the chain in the order the test gives, and its key.

Runs in the foreground as one process (no master, no daemon) from a temporary prefix, so the
test owns it and stops it. Other engineers' nginx helpers may differ; this one only serves a
certificate chain.
"""

from __future__ import annotations

import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Self

from tests.support.lifecycle import Service
from tests.support.ports import closed_port
from tests.support.tools import require_tool

_CONFIG = """
daemon off;
master_process off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    server {{
        listen 127.0.0.1:{port} ssl;
        server_name {name};
        ssl_certificate {prefix}/fullchain.pem;
        ssl_certificate_key {prefix}/privkey.pem;
        location / {{ return 200 "ok from nginx\\n"; }}
    }}
}}
"""


class NginxTlsSite(Service):
    """nginx serving ``chain_pem`` (first certificate = the key's) for ``name``."""

    def __init__(self, chain_pem: bytes, key_pem: bytes, name: str = "origin.test") -> None:
        self.chain_pem = chain_pem
        self.key_pem = key_pem
        self.name = name
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._prefix: tempfile.TemporaryDirectory[str] | None = None

    def start(self) -> Self:
        nginx = require_tool("nginx", "nginx-light")
        self._prefix = tempfile.TemporaryDirectory(prefix="nginx-site-")
        prefix = Path(self._prefix.name)
        (prefix / "fullchain.pem").write_bytes(self.chain_pem)
        (prefix / "privkey.pem").write_bytes(self.key_pem)
        self.port = closed_port()
        (prefix / "nginx.conf").write_text(_CONFIG.format(prefix=prefix, port=self.port,
                                                          name=self.name))
        self._process = subprocess.Popen(
            [nginx, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e",
             str(prefix / "error.log")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            if self._process.poll() is not None:
                log = (prefix / "error.log").read_text(errors="replace") if (
                    prefix / "error.log").exists() else ""
                self.stop()
                raise RuntimeError(f"nginx did not start: {log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("nginx did not listen")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        if self._prefix is not None:
            self._prefix.cleanup()
            self._prefix = None
