"""The warnings origin502 expects from its libraries are silenced once per process, never with
``warnings.catch_warnings`` in a probe thread (re-audit #12: that is process-wide and not
thread-safe, and a CryptographyDeprecationWarning about a negative serial number reached the
CLI's stderr). A real ``origin502 diagnose`` process probes three addresses at once, each an
nginx serving a certificate with a negative serial number (made with ``openssl req
-set_serial``), and its stderr stays empty; pyproject's test filters repeat the product's.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
import warnings
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.support.nginx import Nginx, NginxServer, TlsFiles
from tests.support.ports import closed_port
from workers.probes import quiet

ROOT = Path(__file__).resolve().parents[3]
NAME = "origin.test"
HOSTS = ("127.0.0.1", "127.0.0.2", "127.0.0.3")
# What each library says, word for word, for each expected warning.
SAID = {
    "ssl.TLSVersion.TLSv1 is deprecated": DeprecationWarning,
    "ssl.TLSVersion.TLSv1_1 is deprecated": DeprecationWarning,
    "ssl.TLSVersion.SSLv3 is deprecated": DeprecationWarning,
    "ssl.OP_NO_SSL*/ssl.OP_NO_TLS* options are deprecated": DeprecationWarning,
    "The asyncore module is deprecated and will be removed in Python 3.12.": DeprecationWarning,
    "Parsed a serial number which wasn't positive (i.e., it was negative or zero), which is "
    "disallowed by RFC 5280.": quiet.CryptographyDeprecationWarning,
}


def _pytest_ignores() -> list[tuple[str, str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    entries = config["tool"]["pytest"]["ini_options"]["filterwarnings"]
    return [(parts[1], parts[2]) for parts in (e.split(":") for e in entries)
            if parts[0] == "ignore" and len(parts) >= 3]


@pytest.mark.parametrize("message", list(SAID))
def test_each_expected_warning_is_silenced_by_the_product_and_by_the_tests(message):
    category = SAID[message]
    assert any(re.match(pattern, message, re.IGNORECASE) and issubclass(category, kind)
               for pattern, kind in quiet.EXPECTED), message
    assert any(re.match(pattern, message, re.IGNORECASE)
               and category.__name__ == name.split(".")[-1]
               for pattern, name in _pytest_ignores() if pattern), message


def test_only_the_expected_warnings_are_silenced():
    # The pair: another warning of the same categories still shows.
    with warnings.catch_warnings(record=True) as seen:
        warnings.resetwarnings()
        warnings.simplefilter("always")
        quiet.install()  # ahead of "always": only what these filters let through reaches it
        warnings.warn("Parsed a serial number which wasn't positive",
                      quiet.CryptographyDeprecationWarning, stacklevel=1)
        warnings.warn("something else", quiet.CryptographyDeprecationWarning, stacklevel=1)
    assert [str(w.message) for w in seen] == ["something else"]


@pytest.fixture(scope="module")
def negative_serial_origins(tmp_path_factory) -> Iterator[tuple[int, Path]]:
    """nginx on each of HOSTS, one port, a self-signed certificate with serial -12345 that
    names NAME (its own file is the --ca-file, so the chain is judged to the end)."""
    folder = tmp_path_factory.mktemp("negserial")
    cert, key = folder / "server.crt", folder / "server.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-subj", f"/CN={NAME}", "-addext", f"subjectAltName=DNS:{NAME}",
                    "-set_serial", "-12345", "-days", "30"],
                   check=True, capture_output=True)
    files = TlsFiles(cert, key)
    port = closed_port("127.0.0.1")
    with ExitStack() as stack:
        for host in HOSTS:
            stack.enter_context(Nginx([NginxServer(tls=files, port=port)], host=host))
        yield port, cert


def test_cli_prints_no_warning_while_threads_load_negative_serial_certificates(
        negative_serial_origins, tmp_path):
    port, cert = negative_serial_origins
    args = [NAME, "--https-port", str(port), "--ca-file", str(cert), "--json",
            "--timeout", "3", "--connection-attempts", "1", "--read-timeout", "3",
            *[x for host in HOSTS for x in ("--resolve", f"{NAME}:{host}")]]
    # The console script's target in a fresh interpreter, with Python's default filters (no
    # -W, no PYTHONWARNINGS): what a user's terminal would show.
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    for _ in range(3):
        result = subprocess.run(
            [sys.executable, "-c", "import sys; sys.argv[0] = 'origin502'; "
             "from bot.cli import run; run()", "diagnose", *args],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
        assert '"addresses"' in result.stdout, result.stderr
        assert result.stdout.count('"127.0.0.') >= len(HOSTS)
        assert result.stderr == ""
