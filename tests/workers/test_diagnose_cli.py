"""`origin502 diagnose`: exit statuses, JSON contract, terminal output, bad input."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tests.support.dns_server import FakeDns
from tests.support.ports import closed_port
from tests.support.scenario import NAME
from tests.support.tls_origin import TlsOrigin
from workers.diagnose_cli import diagnose


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(diagnose, list(args), env=env, catch_exceptions=False)


def test_healthy_origin_exits_0_with_json_contract(pki):
    with TlsOrigin([pki["leaf"], pki["inter"]], pki["leaf"]) as origin:
        result = run(NAME, "--resolve", f"{NAME}:127.0.0.1", "--https-port", str(origin.port),
                     "--ca-file", pki["ca"], "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data)[:5] == ["schema", "target", "verdict", "findings", "addresses"]
    assert data["schema"] == 1
    assert data["verdict"] == "warn"
    assert data["target"]["sni"] == NAME
    for finding in data["findings"]:
        assert set(finding) >= {"code", "severity", "address", "summary", "remediation", "links"}
        assert all(link.startswith("https://docs.aws.amazon.com/") for link in finding["links"])
    probe = data["addresses"][0]["probes"][0]
    assert probe["tls"]["chain"][0]["dns_names"] == [NAME]
    assert set(probe["timings_ms"]) >= {"connect", "tls", "first_byte"}


def test_error_finding_exits_1_and_terminal_output_leads_with_the_verdict(pki):
    result = run(f"{NAME}:{closed_port()}", "--resolve", f"{NAME}:127.0.0.1",
                 "--connection-attempts", "1")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("FAIL")
    assert "PORT_CLOSED" in result.stdout
    assert "1)" in result.stdout  # numbered fixes
    assert "https://docs.aws.amazon.com/" in result.stdout


def test_url_target_picks_scheme_port_and_path(pki):
    with TlsOrigin(None, tls=False) as origin:
        result = run(f"http://{NAME}:{origin.port}/health", "--resolve", f"{NAME}:127.0.0.1",
                     "--json")
        seen = origin.wait_for_requests(1)[0]
    data = json.loads(result.stdout)
    assert data["target"]["protocol_policy"] == "http-only"
    assert data["target"]["http_port"] == origin.port
    assert seen["request_line"].startswith("GET /health HTTP/1.1")


@pytest.mark.parametrize(("args", "words"), [
    (["https://"], "no host name"),
    (["exa mple.com"], "spaces"),
    (["example.com:99999"], "outside 1-65535"),
    (["example.com", "--origin-ssl-protocols", "TLSv9"], "is not one of"),
    (["example.com", "--https-port", "0"], "--https-port"),
    (["example.com", "--resolve", "nonsense"], "NAME:IP"),
    (["example.com", "--protocol-policy", "sometimes"], "sometimes"),
    (["example.com", "--timeout", "60"], "--timeout"),
])
def test_bad_input_exits_2_with_one_clear_line(args, words):
    result = run(*args)
    assert result.exit_code == 2
    assert words in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_dead_resolver_means_the_probe_could_not_run():
    # A port on loopback where nothing answers DNS: the resolver itself is down.
    dead = f"127.0.0.1:{closed_port()}"
    result = run(NAME, "--json", "--timeout", "1", env={"ORIGIN502_NAMESERVER": dead})
    assert result.exit_code == 3
    assert "does not answer" in json.loads(result.stdout)["probe_error"]


def test_resolving_through_our_own_dns_server(pki):
    with FakeDns({NAME: [("A", "127.0.0.1")]}) as dns, \
            TlsOrigin([pki["leaf"], pki["inter"]], pki["leaf"]) as origin:
        result = run(NAME, "--https-port", str(origin.port), "--ca-file", pki["ca"], "--json",
                     env={"ORIGIN502_NAMESERVER": dns.nameserver})
    assert result.exit_code == 0, result.stdout
    assert json.loads(result.stdout)["dns"]["addresses"] == ["127.0.0.1"]


def test_readme_documents_every_finding_code():
    from pathlib import Path

    from workers.diagnosis.catalog import CATALOG

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    missing = [code for code in CATALOG if f"`{code}`" not in readme]
    assert missing == []


def test_unreadable_ca_file_from_the_environment_is_bad_input(tmp_path):
    empty = tmp_path / "empty.pem"
    empty.write_text("not a certificate\n")
    result = run("origin.example.com", env={"ORIGIN502_CA_FILE": str(empty)})
    assert result.exit_code == 2
    assert "holds no PEM certificate" in result.stderr
    result = run("origin.example.com", env={"ORIGIN502_CA_FILE": str(tmp_path / "missing.pem")})
    assert result.exit_code == 2 and "cannot be read" in result.stderr
