"""`origin502 diagnose --json` carries the verdict line's headline: the terminal's words and, as
fields, what viewers get (`viewers_get`), whether it is confirmed (`certain`) and how many
warnings could still mean 502 (`may_502`), so a pipeline never combines `verdict` with each
finding's `uncertain` itself.

Real servers on 127.0.0.1 (nginx, a listener that never answers, a closed port), certificates
minted here, the test root as --ca-file; each document is checked against
tests/workers/data/headline.schema.json and against the terminal's own line for the same
origin.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from tests.support.nginx import Nginx, NginxServer, TlsFiles
from tests.support.ports import closed_port
from tests.support.scenario import NAME, good_and_expired_files, rsa_and_ecdsa_server
from workers.diagnose_cli import diagnose

SCHEMA = json.loads((Path(__file__).parent / "data" / "headline.schema.json").read_text())
FIELDS = ["schema", "verdict", "sentence", "words", "viewers_get", "certain", "which_unknown",
          "undocumented_status", "settings_refused", "passed_on", "some_addresses", "uncertain",
          "may_502", "by_scheme"]


def cli(*args: str, target: str = NAME) -> tuple[int, str]:
    result = CliRunner().invoke(diagnose, [target, "--resolve", f"{NAME}:127.0.0.1",
                                           "--connection-attempts", "1", "--timeout", "3",
                                           "--read-timeout", "2", *args],
                                env={"COLUMNS": "400"}, catch_exceptions=False)
    return result.exit_code, result.stdout


def both(*args: str, target: str = NAME) -> tuple[dict[str, Any], str]:
    """The JSON headline (checked against the schema) and the terminal's verdict line."""
    status, out = cli(*args, "--json", target=target)
    data = json.loads(out)
    head = data["headline"]
    jsonschema.validate(head, SCHEMA)
    assert list(head) == FIELDS
    assert head["verdict"] == data["verdict"]
    assert data["warnings"] == []
    # The documented order of the report's own keys is kept; the headline comes after them.
    assert list(data)[:5] == ["schema", "target", "verdict", "findings", "addresses"]
    text_status, text = cli(*args, target=target)
    assert status == text_status
    return head, text.splitlines()[0]


@pytest.fixture(scope="module")
def files(pki: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, TlsFiles]:
    return good_and_expired_files(pki, tmp_path_factory.mktemp("tls"))


def test_a_refused_connection_is_a_certain_502(pki):
    head, line = both("--https-port", str(closed_port()), "--ca-file", pki["ca"])
    assert head["verdict"] == "fail"
    assert head["viewers_get"] == ["502"] and head["certain"] is True
    assert head["uncertain"] == [] and not head["which_unknown"]
    assert head["by_scheme"] is None
    assert head["sentence"] == "CloudFront would answer 502 for this origin."
    assert head["words"] == "502 expected"
    assert line.endswith(f" — {head['sentence']}")


def test_no_response_in_time_is_a_certain_504(silent_listener):
    head, line = both("--protocol-policy", "http-only", "--http-port", str(silent_listener),
                      "--read-timeout", "1")
    assert head["viewers_get"] == ["504"] and head["certain"] is True
    assert line.endswith(f" — {head['sentence']}")


def test_an_outcome_resting_on_uncertain_findings_is_not_certain(pki, tmp_path):
    """nginx with an RSA and an ECDSA certificate, only the RSA one expired."""
    server = rsa_and_ecdsa_server(pki, tmp_path, rsa_expired=True, ecdsa_expired=False)
    with Nginx([server]) as nginx:
        head, line = both("--https-port", str(nginx.port), "--ca-file", pki["ca"])
    assert head["verdict"] == "fail"
    assert head["viewers_get"] == ["502"] and head["certain"] is False
    assert [p["code"] for p in head["uncertain"]] == ["CERT_EXPIRED"]
    assert head["words"] == "502 likely, not confirmed"
    assert line.endswith(f" — {head['sentence']}")


def test_match_viewer_tells_the_viewers_apart(pki, files):
    servers = [NginxServer(body="return 503;"),
               NginxServer(tls=files["expired"], body="return 200 'ok';")]
    with Nginx(servers) as nginx:
        http_port, https_port = nginx.ports
        head, line = both("--protocol-policy", "match-viewer", "--http-port", str(http_port),
                          "--https-port", str(https_port), "--ca-file", pki["ca"])
    by = head["by_scheme"]
    assert by["http"]["viewers_get"] == ["503"]
    assert by["http"]["passed_on"] == ["503 Service Temporarily Unavailable"]
    assert by["https"]["viewers_get"] == ["502"] and by["https"]["passed_on"] == []
    assert head["viewers_get"] == ["502", "503"] and head["certain"] is True
    assert line.endswith(f" — {head['sentence']}")


def test_match_viewer_with_one_scheme_fine_says_null_for_it(pki, files):
    servers = [NginxServer(body="return 503;"),
               NginxServer(tls=files["good"], body="return 200 'ok';")]
    with Nginx(servers) as nginx:
        http_port, https_port = nginx.ports
        head, _ = both("--protocol-policy", "match-viewer", "--http-port", str(http_port),
                       "--https-port", str(https_port), "--ca-file", pki["ca"])
    assert head["by_scheme"]["https"] is None
    assert head["viewers_get"] == ["503"]


@pytest.fixture(scope="module")
def tls_origins(pki, tmp_path_factory):
    folder = tmp_path_factory.mktemp("headline")
    tls = TlsFiles.write(folder, pki["leaf"], pki["inter"])
    servers = [NginxServer(tls=tls, server_names=[NAME], ssl_protocols=protocols)
               for protocols in ("TLSv1.3", "TLSv1.2 TLSv1.3")]
    with Nginx(servers) as nginx:
        yield {"tls13_only": nginx.ports[0], "tls12_and_13": nginx.ports[1]}


def test_a_warning_that_could_mean_502_is_counted_and_not_certain(pki, tls_origins):
    head, line = both("--https-port", str(tls_origins["tls13_only"]), "--ca-file", pki["ca"])
    assert head["verdict"] == "warn"
    assert head["may_502"] == 1 and head["certain"] is False
    assert [p["code"] for p in head["uncertain"]] == ["TLS13_ONLY"]
    assert head["viewers_get"] == []
    assert head["words"] == "probably works, 502 not ruled out"
    assert line.endswith(f" — {head['sentence']}")


def test_certain_warnings_only_make_a_certain_headline(pki, tls_origins):
    head, line = both("--https-port", str(tls_origins["tls12_and_13"]), "--ca-file", pki["ca"])
    assert head["verdict"] == "warn"
    assert head["may_502"] == 0 and head["certain"] is True and head["uncertain"] == []
    # Its only warning is its loopback address: no doubt to name, but not a plain "CloudFront
    # can connect" either (tests/workers/test_unconnectable_scenarios.py).
    assert head["sentence"] == ("The origin answers from here, but CloudFront cannot reach "
                                "127.0.0.1 (a loopback address).")
    assert line.endswith(f" — {head['sentence']}")


def test_nothing_checked_is_not_certain():
    # A port on loopback where nothing answers DNS: the resolver itself is down.
    result = CliRunner().invoke(diagnose, ["nowhere.invalid", "--json", "--timeout", "1"],
                                env={"ORIGIN502_NAMESERVER": f"127.0.0.1:{closed_port()}"},
                                catch_exceptions=False)
    status, out = result.exit_code, result.stdout
    head = json.loads(out)["headline"]
    jsonschema.validate(head, SCHEMA)
    assert status == 3 and head["verdict"] == "unknown"
    assert head["certain"] is False and head["viewers_get"] == []
    assert head["sentence"].startswith("could not check from here: ")
