"""`origin502 diagnose --json` on a healthy origin loads only what that path needs.

Start-up is most of what a person at a terminal waits for (issue 8 §4): each module below is
imported only by the path that uses it. The check runs the real entry point (`bot.cli.run`, the
console script's target) in a child process and reads `sys.modules` as the process exits. No
timing is asserted: what is checked is which modules were loaded.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from bot.cli import START_UP_GC_THRESHOLD
from tests.support.ports import closed_port
from tests.support.scenario import NAME
from tests.support.tls_origin import TlsOrigin

ROOT = Path(__file__).resolve().parents[2]

# Loaded only where they are used; none of them on the healthy path with --json and --resolve.
LAZY = {
    "boto3": "AWS lookups (with AWS access configured)",
    "botocore": "AWS lookups (with AWS access configured)",
    "dns": "dnspython: resolving a name (not under --resolve)",
    "rich": "the terminal report (not --json)",
    "tlslite": "the cipher offer after a failed handshake",
    "slack_bolt": "the Slack app (serve)",
    "slack_sdk": "the Slack app (serve)",
    "redis": "serve, worker and scheduler",
    "rq": "worker",
    "http.client": "nothing: AIA fetches use h11",
    "importlib.metadata": "nothing: the version is workers.__version__",
    "cryptography.hazmat.primitives.serialization.pkcs7": "AIA fetches",
    "cryptography.x509.ocsp": "reading an OCSP response the origin staples",
    "email.message": "AIA fetches (pkcs7 loads it)",
    "idna": "non-ASCII origin names",
    "html": "reading an answer from CloudFront's edge",
    "workers.diagnosis.edge_page": "reading an answer from CloudFront's edge",
    "workers.terminal": "the terminal report (not --json)",
    "workers.watches": "the scheduler command",
    "workers.jobs": "worker",
    "certifi": "nothing: the CA file is found beside it (importing it loads importlib.resources)",
    "importlib.resources": "nothing (certifi's way to its CA file)",
    "workers.provisional": "a first verdict before the final one (terminal, Slack)",
    "encodings.idna": "non-ASCII server names (ssl's codec for a str SNI)",
    "workers.probes.side_checks": "watches (side-check answers reused between cycles)",
}

SCRIPT = """\
import atexit, gc, json, sys, threading
out = sys.argv.pop(1)
atexit.register(lambda: open(out, "w").write(json.dumps(
    {"modules": sorted(sys.modules), "threshold": gc.get_threshold(),
     "frozen": gc.get_freeze_count()})))
# Run by the interpreter's shutdown (where it joins threads, as concurrent.futures' pools ask),
# not when the process ends without one (os._exit).
threading._register_atexit(lambda: open(out + ".torn-down", "w").close())
sys.argv[0] = "origin502"
from bot.cli import run
run()
"""


def at_exit(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """Run `origin502 ARGS` through the console script's target; what the process held as it
    exited: its modules, the collector's threshold and how many objects were frozen."""
    out = tmp_path / "at_exit.json"
    # No AWS variables at all: the plain origin path neither loads boto3 nor calls AWS.
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(out), *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert out.exists(), result.stderr
    state: dict[str, Any] = json.loads(out.read_text())
    state["torn_down"] = Path(f"{out}.torn-down").exists()
    return result, state


def loaded_modules(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    result, state = at_exit(tmp_path, *args)
    return result, set(state["modules"])


def test_healthy_json_diagnosis_loads_only_what_it_uses(pki, tmp_path):
    with TlsOrigin([pki["leaf"], pki["inter"]], pki["leaf"]) as origin:
        result, modules = loaded_modules(
            tmp_path, "diagnose", NAME, "--resolve", f"{NAME}:127.0.0.1",
            "--https-port", str(origin.port), "--ca-file", pki["ca"], "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["verdict"] == "warn"  # loopback address; the chain and the GET were fine
    probe = report["addresses"][0]["probes"][0]
    assert probe["http"]["status_code"] == 200
    assert [v["validator"] for v in probe["tls"]["analysis"]["validators"]] == ["openssl",
                                                                                "webpki"]
    loaded = {name: why for name, why in LAZY.items()
              if name in modules or any(m.startswith(name + ".") for m in modules)}
    assert loaded == {}, f"loaded on the healthy --json path, though only needed for: {loaded}"
    # What that path does use is loaded (so the check above is not vacuous).
    assert {"workers.engine", "cryptography.x509", "OpenSSL.crypto", "h11", "click"} <= modules


def test_help_lists_every_command_and_loads_none_of_their_modules(tmp_path):
    result, modules = loaded_modules(tmp_path, "--help")
    assert result.returncode == 0, result.stderr
    for command in ("diagnose", "scheduler", "serve", "worker"):
        assert f"  {command} " in result.stdout
    # Listing a command's one-line help imports its module, but not what it runs.
    assert not {"workers.engine", "cryptography", "redis", "rq", "slack_bolt"} & modules


def test_collector_stays_lazy_for_diagnose_and_default_for_long_running_commands(tmp_path):
    """`run` raises the collector's threshold for start-up and freezes what exists at exit; a
    command that keeps running (here `worker`, stopped early by a bad queue name after the
    group has set it up) gets the interpreter's default back."""
    fresh = subprocess.run([sys.executable, "-c", "import gc; print(*gc.get_threshold())"],
                           capture_output=True, text=True, check=True)
    default = [int(n) for n in fresh.stdout.split()]
    result, state = at_exit(tmp_path, "diagnose", "bad name!")
    assert result.returncode == 2, result.stderr
    assert state["threshold"] == [START_UP_GC_THRESHOLD, *default[1:]]
    assert state["frozen"] > 0
    result, state = at_exit(tmp_path, "worker", "--queues", "bogus")
    assert result.returncode == 2, result.stderr
    assert state["threshold"] == default
    assert state["frozen"] > 0


def test_diagnose_ends_its_process_without_tearing_the_interpreter_down(pki, tmp_path):
    """A one-shot command ends the process once its output is flushed and the exit handlers
    ran (bot.cli.run): the exit status is the command's, the whole report reaches a pipe, and
    the interpreter's teardown (modules, objects, idle pool threads) is skipped. Commands
    that keep running exit as usual."""
    port = closed_port()
    result, state = at_exit(tmp_path, "diagnose", NAME, "--resolve", f"{NAME}:127.0.0.1",
                            "--https-port", str(port), "--ca-file", pki["ca"], "--json")
    assert result.returncode == 1, result.stderr  # nothing listens: a fail verdict
    assert json.loads(result.stdout)["verdict"] == "fail"
    assert state["torn_down"] is False
    with TlsOrigin([pki["leaf"], pki["inter"]], pki["leaf"]) as origin:
        result, state = at_exit(tmp_path, "diagnose", NAME, "--resolve", f"{NAME}:127.0.0.1",
                                "--https-port", str(origin.port), "--ca-file", pki["ca"])
    assert result.returncode == 0, result.stderr
    assert NAME in result.stdout  # the terminal report, written before the process ended
    assert state["torn_down"] is False
    result, state = at_exit(tmp_path, "worker", "--queues", "bogus")
    assert result.returncode == 2, result.stderr
    assert state["torn_down"] is True
