"""Server programs the tests run (redis-server, nginx, gnutls-serv, openssl): found on PATH,
installed from Debian's packages when missing and we are root, else the test is skipped — but
under CI=true a missing tool fails the test, so a green CI never hides a skipped scenario.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

_apt_lock = threading.Lock()
_apt_updated = False


def apt_install(package: str) -> bool:
    """Install a Debian package (root only); True when apt-get succeeded."""
    global _apt_updated  # noqa: PLW0603 - one `apt-get update` per test session is enough
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return False
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    with _apt_lock:
        if not _apt_updated:
            subprocess.run(
                ["apt-get", "update"], env=env, capture_output=True, timeout=600, check=False
            )
            _apt_updated = True
        result = subprocess.run(
            ["apt-get", "install", "-y", "--no-install-recommends", package],
            env=env,
            capture_output=True,
            timeout=900,
            check=False,
        )
    return result.returncode == 0


def find_tool(name: str, package: str, *, env_var: str | None = None) -> str | None:
    """Path of the program `name` ($env_var first, then PATH), installing `package` if absent."""
    explicit = os.environ.get(env_var) if env_var else None
    if explicit and Path(explicit).is_file():
        return explicit
    found = shutil.which(name) or _sbin(name)
    if found:
        return found
    if apt_install(package):
        return shutil.which(name) or _sbin(name)
    return None


def require_tool(name: str, package: str, *, env_var: str | None = None) -> str:
    """Like `find_tool`, but skips the test when the tool cannot be had (fails under CI=true)."""
    found = find_tool(name, package, env_var=env_var)
    if found:
        return found
    message = f"{name} is not installed and could not be installed (Debian package {package})"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def _sbin(name: str) -> str | None:
    for folder in ("/usr/sbin", "/sbin", "/usr/local/sbin"):
        candidate = Path(folder) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None
