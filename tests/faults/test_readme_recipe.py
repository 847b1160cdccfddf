"""The README's local recipe runs beside a Redis already on 6379, and `--version` exists."""

from __future__ import annotations

import re
import subprocess
from importlib.metadata import version
from pathlib import Path
from urllib.parse import urlsplit

from tests.e2e.conftest import origin502_command

README = Path(__file__).resolve().parents[2] / "README.md"


def recipe() -> str:
    text = README.read_text()
    section = text.split("## Running the bot locally", 1)[1]
    return section.split("```", 2)[1]


def test_the_local_recipe_starts_its_own_redis_on_a_spare_port_and_names_redis_url():
    block = recipe()
    port = int(re.search(r"redis-server --port (\d+)", block).group(1))
    assert port != 6379, "6379 is where an existing Redis usually runs"
    url = re.search(r"export REDIS_URL=(\S+)", block).group(1)
    assert urlsplit(url).port == port
    # Every process that needs Redis is started after REDIS_URL is exported.
    assert block.index("export REDIS_URL") < block.index("origin502 worker")
    # The metrics ports of the recipe differ from each other and from the bot's.
    ports = [int(p) for p in re.findall(r"--(?:metrics-)?port (\d+)", block) if int(p) != port]
    assert len(ports) == len(set(ports)) == 3


def test_version_is_printed():
    done = subprocess.run([*origin502_command(), "--version"], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0
    assert done.stdout.strip() == f"origin502 {version('origin502')}"
