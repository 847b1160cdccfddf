"""Fixtures of the worker tests; the logic lives in tests/support/scenario.py."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.scenario import make_pki


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A root, intermediate and leaf for ``origin.test``, and the root as a --ca-file."""
    return make_pki(tmp_path_factory.mktemp("pki"))
