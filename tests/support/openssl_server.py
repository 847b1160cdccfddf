"""`openssl s_server` on loopback, sending a certificate chain exactly as a test orders it.

``-cert`` is the certificate of the private key (sent first), ``-cert_chain`` the rest in file
order, and no CA store so OpenSSL adds nothing; ``-www`` answers GET with a 200 page. It runs
at ``@SECLEVEL=0`` so it can serve what the outside world still serves: MD5 and SHA-1
signatures, RSA-512 keys.
"""

from __future__ import annotations

import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Self

from tests.support.certs import Minted
from tests.support.lifecycle import Service
from tests.support.ports import closed_port
from tests.support.tools import require_tool

_START_LIMIT = 200  # connection tries, 50 ms apart, while s_server starts


class OpensslServer(Service):
    """``first`` with its key is sent first, then ``rest`` in the order given."""

    def __init__(self, first: Minted, rest: list[Minted] | tuple[Minted, ...] = (), *,
                 first_pem: bytes | None = None, rest_pem: bytes | None = None) -> None:
        self.first = first
        self.rest = list(rest)
        self._first_pem = first_pem
        self._rest_pem = rest_pem
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._folder: tempfile.TemporaryDirectory[str] | None = None

    def start(self) -> Self:
        openssl = require_tool("openssl", "openssl")
        self._folder = tempfile.TemporaryDirectory(prefix="s_server-")
        folder = Path(self._folder.name)
        (folder / "cert.pem").write_bytes(self._first_pem or self.first.pem)
        (folder / "key.pem").write_bytes(self.first.key_pem)
        # No CA store at all, so OpenSSL cannot complete ("auto chain") what the test sends.
        args = [openssl, "s_server", "-quiet", "-www", "-no-CAfile", "-no-CApath",
                "-no-CAstore",
                "-cert", str(folder / "cert.pem"), "-key", str(folder / "key.pem"),
                "-cipher", "ALL:@SECLEVEL=0"]
        rest = self._rest_pem if self._rest_pem is not None else b"".join(c.pem for c in self.rest)
        if rest:
            (folder / "chain.pem").write_bytes(rest)
            args += ["-cert_chain", str(folder / "chain.pem")]
        self.port = closed_port()
        args += ["-accept", f"127.0.0.1:{self.port}"]
        self._process = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(_START_LIMIT):
            if self._process.poll() is not None:
                err = self._process.stderr.read().decode(errors="replace") if \
                    self._process.stderr else ""
                self.stop()
                raise RuntimeError(f"openssl s_server did not start: {err}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("openssl s_server did not listen")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            if self._process.stderr:
                self._process.stderr.close()
            self._process = None
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None
