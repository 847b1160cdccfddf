"""The one way tests run a real server program: start it in its own temporary folder, wait
until every port it serves answers on loopback, and on stop end it and remove the folder.

nginx (``tests/support/nginx.py``), openssl s_server and gnutls-serv
(``tests/support/tls_servers.py``) are all started through ``ServerProcess``.

    with ServerProcess(("openssl", "openssl"), ["s_server", "-accept", "127.0.0.1:{port}", ...],
                       files={"server.crt": pem}) as server:
        server.port

``{port}`` and ``{dir}`` in the arguments and in ``templates`` are filled in once the port is
chosen and the folder made. The program comes from ``require_tool`` (installed when missing;
skipped, or under CI=true failed, when it cannot be had).
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

from tests.support.lifecycle import Service
from tests.support.ports import closed_port
from tests.support.tools import require_tool

READY_TIMEOUT = 15.0


class ServerProcess(Service):
    """``tool`` is ``(program, debian_package)``; ``args`` follow the program.

    Subclasses may override ``choose_ports`` (which ports to serve) and ``prepare`` (what to
    write into the folder before the program starts; raise to refuse to start).
    """

    def __init__(self, tool: tuple[str, str], args: Sequence[str], *,
                 files: dict[str, bytes] | None = None,
                 templates: dict[str, str] | None = None,
                 host: str = "127.0.0.1") -> None:
        self.tool = tool
        self.args = list(args)
        self.files = dict(files or {})
        self.templates = dict(templates or {})
        self.host = host
        self.ports: list[int] = []
        self.program = ""
        self._folder: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def port(self) -> int:
        return self.ports[0]

    @property
    def pid(self) -> int:
        """The program's process id (a test may stop and continue it with signals)."""
        assert self._proc is not None, "start() first"
        return self._proc.pid

    @property
    def folder(self) -> Path:
        assert self._folder is not None, "start() first"
        return self._folder

    def choose_ports(self) -> list[int]:
        return [closed_port(self.host)]

    def prepare(self, folder: Path) -> None:
        for name, data in self.files.items():
            (folder / name).write_bytes(data)
        for name, text in self.templates.items():
            (folder / name).write_text(text.format(port=self.port, dir=folder))

    def start(self) -> Self:
        if self._proc is not None:
            return self
        self.program = require_tool(*self.tool)
        self._folder = Path(tempfile.mkdtemp(prefix=f"origin502-{self.tool[0]}-"))
        # Run as root, nginx's workers drop to "nobody": they must be able to read the folder.
        self._folder.chmod(0o755)
        (self._folder / "tmp").mkdir()
        try:
            self.ports = self.choose_ports()
            self.prepare(self._folder)
            argv = [self.program, *(a.format(port=self.port, dir=self._folder)
                                    for a in self.args)]
            with self.log_path.open("wb") as log:
                self._proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                              stdin=subprocess.DEVNULL, cwd=self._folder)
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    @property
    def log_path(self) -> Path:
        return self.folder / "program.log"

    def log(self) -> str:
        """What the program wrote to stdout and stderr (also handy in a failing test's output)."""
        if self._folder is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")

    def _wait_ready(self) -> None:
        # Readiness is "every port accepts", polled; the deadline only bounds a broken start.
        deadline = time.monotonic() + READY_TIMEOUT
        pending = list(self.ports)
        name = self.tool[0]
        while pending:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {self._proc.returncode}:\n{self.log()}")
            try:
                with socket.create_connection((self.host, pending[0]), timeout=0.5):
                    pending.pop(0)
                    continue
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not listen on {pending} in {READY_TIMEOUT} s:\n"
                                   f"{self.log()}")
            time.sleep(0.05)

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.terminate()  # SIGTERM: nginx's fast shutdown, the others' exit
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._folder is not None:
            with contextlib.suppress(OSError):
                shutil.rmtree(self._folder)
            self._folder = None
