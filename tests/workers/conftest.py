"""Fixtures of the worker tests; the logic lives in tests/support/scenario.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.ports import SilentPort
from tests.support.scenario import make_pki
from tests.support.tools import apt_install

_STREAM_MODULE = Path("/usr/lib/nginx/modules/ngx_stream_module.so")


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A root, intermediate and leaf for ``origin.test``, and the root as a --ca-file."""
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def silent_listener() -> Iterator[int]:
    """A port on 127.0.0.1 whose connections the kernel accepts and nobody answers: an origin
    that says nothing until the probe's timeout."""
    with SilentPort() as silent:
        yield silent.port


@pytest.fixture
def stream_module() -> Path:
    """nginx's stream module (Debian: libnginx-mod-stream), installed like the other tools."""
    if not _STREAM_MODULE.exists():
        apt_install("libnginx-mod-stream")
    if not _STREAM_MODULE.exists():
        pytest.skip("nginx's stream module is not installed (libnginx-mod-stream)")
    return _STREAM_MODULE
