"""Origin groups and custom error responses, end to end: `origin502 diagnose SITE` with real
boto3 against moto's server on loopback, the origins real TLS servers on 127.0.0.1 (the
auditor's cases 04, 05, 06, 08 and 11 of audit3)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from tests.support.aws import behaviour, create_distribution, custom_origin, origin_group
from tests.support.ports import closed_port
from tests.support.tls_origin import TlsOrigin
from tests.workers.aws.conftest import leaf
from workers.diagnose_cli import diagnose

ALL_METHODS = ("GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE")
NAMES = ("primary.shop.test", "backup.shop.test")


def run(pki, *args: str):
    resolve = [x for name in NAMES for x in ("--resolve", f"{name}:127.0.0.1")]
    return CliRunner().invoke(diagnose, ["www.shop.test", *args, *resolve, "--ca-file",
                                         pki["ca"]], catch_exceptions=False)


def origin(pki, name: str, **kw) -> TlsOrigin:
    cert = leaf(pki, f"{name}.shop.test")
    return TlsOrigin([cert, pki["inter"]], cert, **kw)


def group_distribution(client, primary_port: int, backup_port: int, *,
                       methods=ALL_METHODS, codes=(500, 502, 503, 504),
                       default: str = "backup") -> None:
    create_distribution(
        client, aliases=["www.shop.test"],
        origins=[custom_origin("primary", "primary.shop.test", https_port=primary_port),
                 custom_origin("backup", "backup.shop.test", https_port=backup_port)],
        groups=[origin_group("pair", "primary", "backup", codes=codes)],
        default=behaviour(default), behaviours=[behaviour("pair", "/app/*", methods=methods)])


def probes(data) -> dict[str, dict]:
    return {o["id"]: o["probes"][0] for o in data["distribution"]["origins"] if o["probes"]}


def test_a_broken_failover_behind_a_healthy_primary_warns_and_exits_0(aws, pki):
    client, _front = aws
    with origin(pki, "primary") as primary:
        group_distribution(client, primary.port, closed_port())
        as_json = run(pki, "--path", "/app/x", "--json")
        text = run(pki, "--path", "/app/x")
    data = json.loads(as_json.stdout)
    assert as_json.exit_code == 0 and text.exit_code == 0, text.output
    backup = probes(data)["backup"]
    assert backup["report"]["verdict"] == "fail"  # its own report is unchanged
    assert backup["verdict"] == "warn" and data["verdict"] == "warn"
    assert "would fail too if origin primary failed" in data["headline"]["sentence"]
    flat = " ".join(text.stdout.split())  # rich wraps long lines at the terminal's width
    assert "serves /app/*: failover only; would fail too if origin primary failed" in flat


def test_a_broken_primary_serves_get_from_the_failover_and_fails_for_writes(aws, pki):
    client, _front = aws
    with origin(pki, "backup") as backup:
        group_distribution(client, closed_port(), backup.port)
        as_json = run(pki, "--path", "/app/x", "--json")
        text = run(pki, "--path", "/app/x")
    data = json.loads(as_json.stdout)
    assert as_json.exit_code == 1 and data["verdict"] == "fail"
    assert data["headline"]["sentence"] == (
        "Viewers would get errors from origin primary; for /app/*, GET/HEAD/OPTIONS requests "
        "are served by the failover origin backup; POST, PUT, PATCH, DELETE get CloudFront's "
        "502.")
    flat = " ".join(text.stdout.split())
    assert "GET/HEAD/OPTIONS served by failover backup; POST, PUT, PATCH, DELETE get 502" \
        in flat
    behaviours = {b["path_pattern"]: b for b in data["distribution"]["behaviours"]}
    assert behaviours["/app/*"]["allowed_methods"] == list(ALL_METHODS)


def test_a_broken_primary_of_a_get_only_behaviour_is_a_warning(aws, pki):
    client, _front = aws
    with origin(pki, "backup") as backup:
        group_distribution(client, closed_port(), backup.port, methods=("GET", "HEAD"))
        as_json = run(pki, "--path", "/app/x", "--json")
    data = json.loads(as_json.stdout)
    assert as_json.exit_code == 0 and data["verdict"] == "warn"
    assert probes(data)["primary"]["verdict"] == "warn"


def test_a_primary_status_outside_the_failover_codes_is_passed_to_every_viewer(aws, pki):
    client, _front = aws
    with origin(pki, "primary", http="status:500") as primary, origin(pki, "backup") as backup:
        group_distribution(client, primary.port, backup.port, codes=(502, 503, 504))
        as_json = run(pki, "--path", "/app/x", "--json")
    data = json.loads(as_json.stdout)
    assert as_json.exit_code == 1
    notes = probes(data)["primary"]["notes"]
    assert any("every request gets the origin's own 500 Internal Server Error: group pair "
               "fails over only on 502, 503 and 504" in n for n in notes), notes
    assert not any("served by the failover" in n for n in notes)
    assert data["groups"][0]["mode"] == "no failover"


def test_the_failover_applies_only_to_the_behaviour_with_the_group(aws, pki):
    client, _front = aws
    with origin(pki, "backup") as backup:
        group_distribution(client, closed_port(), backup.port, methods=("GET", "HEAD"),
                           default="primary")
        as_json = run(pki, "--json")
    data = json.loads(as_json.stdout)
    assert as_json.exit_code == 1
    primary = probes(data)["primary"]
    assert primary["behaviours"] == ["/app/*", "default (*)"]
    assert primary["verdict"] == "fail"
    assert "for default (*), no origin group, so every request gets CloudFront's 502" in \
        primary["notes"]


def test_a_custom_error_page_is_what_viewers_probably_see(aws, pki):
    client, _front = aws
    create_distribution(
        client, aliases=["www.shop.test"],
        origins=[custom_origin("primary", "primary.shop.test", https_port=closed_port())],
        default=behaviour("primary"),
        error_responses=[{"ErrorCode": 502, "ResponsePagePath": "/maintenance.html",
                          "ResponseCode": "200", "ErrorCachingMinTTL": 10}])
    as_json = run(pki, "--json")
    data = json.loads(as_json.stdout)
    assert as_json.exit_code == 1 and data["verdict"] == "fail"  # the cause is still real
    assert data["distribution"]["custom_error_responses"] == [
        {"error_code": 502, "page_path": "/maintenance.html", "response_code": "200"}]
    assert data["headline"]["sentence"] == (
        "Viewers would get errors from origin primary; in place of the 502, viewers probably get "
        "your custom error page /maintenance.html with status 200 (a custom error response; "
        "AWS's text does not state it outright).")
