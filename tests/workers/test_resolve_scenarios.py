"""Several addresses given with `--resolve`, against real nginx: one per loopback address
(127.0.0.1, 127.0.0.2, ::1) on one port, as an origin with several A/AAAA records behind one
name. One node with an expired certificate among good ones is the classic intermittent 502:
every address given is probed, whatever order or spelling (repeats, comma lists, brackets),
the address type decides which of them count, and a Unicode `--resolve` name meets the target.
Verdict, codes and exit status come from the real CLI (`origin502 diagnose --json`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from click.testing import CliRunner

from tests.support.nginx import Nginx, NginxServer, TlsFiles
from tests.support.ports import closed_port
from tests.support.scenario import make_pki
from workers.diagnose_cli import diagnose

NAME = "origin.example.test"
IDN = "bücher.example.test"
IDN_ASCII = "xn--bcher-kva.example.test"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def fleet(pki, tmp_path_factory) -> Iterator[int]:
    """One port: a good certificate on 127.0.0.1, an expired one on 127.0.0.2 and on ::1."""
    factory, inter = pki["factory"], pki["inter"]
    now = dt.datetime.now(dt.UTC)
    good = factory.leaf(inter, names=[NAME])
    expired = factory.leaf(inter, names=[NAME], not_before=now - dt.timedelta(days=400),
                           not_after=now - dt.timedelta(days=3))
    folder = tmp_path_factory.mktemp("fleet")
    port = closed_port("127.0.0.1")
    with ExitStack() as stack:
        for host, leaf in (("127.0.0.1", good), ("127.0.0.2", expired), ("::1", expired)):
            files = TlsFiles.write(folder / host.replace(":", "_"), leaf, inter)
            stack.enter_context(Nginx([NginxServer(tls=files, port=port)], host=host))
        yield port


def run(pki, port: int, *args: str, target: str = NAME) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(diagnose, [
        target, *args, "--https-port", str(port), "--ca-file", pki["ca"], "--json",
        "--timeout", "3", "--connection-attempts", "1", "--read-timeout", "3"],
        catch_exceptions=False)
    return result.exit_code, json.loads(result.stdout)


def findings(data: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [f for f in data["findings"] if f["code"] == code]


@pytest.mark.parametrize("resolve", [
    ["--resolve", f"{NAME}:127.0.0.2", "--resolve", f"{NAME}:127.0.0.1"],  # bad first
    ["--resolve", f"{NAME}:127.0.0.1", "--resolve", f"{NAME}:127.0.0.2"],  # bad last
    ["--resolve", f"{NAME}:127.0.0.1,127.0.0.2"],
    ["--resolve", f"{NAME.upper()}.:127.0.0.2,127.0.0.1", "--resolve", f"{NAME}:127.0.0.1"],
], ids=["repeated-bad-first", "repeated-bad-last", "comma-list", "spellings"])
def test_one_bad_address_among_good_ones_is_intermittent_502s_naming_it(pki, fleet, resolve):
    code, data = run(pki, fleet, *resolve)
    assert code == 1 and data["verdict"] == "fail"
    assert sorted(a["address"] for a in data["addresses"]) == ["127.0.0.1", "127.0.0.2"]
    some = findings(data, "SOME_ADDRESSES_FAILING")
    assert len(some) == 1 and some[0]["severity"] == "error"
    assert "1 of 2 addresses" in some[0]["summary"] and "127.0.0.2" in some[0]["summary"]
    assert "127.0.0.1" not in some[0]["summary"].split("(")[1]
    expired = findings(data, "CERT_EXPIRED")
    assert [f["address"] for f in expired] == ["127.0.0.2"]
    assert not findings(data, "DNS_RESOLUTION_FAILED")


def test_a_and_aaaa_given_probe_both_and_ipv4_only_ignores_the_broken_ipv6(pki, fleet):
    # --ip-address-type ipv4 (CloudFront's default): the expired certificate on ::1 is not
    # used by CloudFront, so it is said, not failed; and no "no A record" either.
    code, data = run(pki, fleet, "--resolve", f"{NAME}:127.0.0.1", "--resolve", f"{NAME}:::1")
    assert code == 0 and data["verdict"] == "warn"
    assert data["dns"]["ipv4"] == ["127.0.0.1"] and data["dns"]["ipv6"] == ["::1"]
    assert sorted(a["address"] for a in data["addresses"]) == ["127.0.0.1", "::1"]
    assert not findings(data, "DNS_RESOLUTION_FAILED")
    assert not findings(data, "SOME_ADDRESSES_FAILING")
    expired = findings(data, "CERT_EXPIRED")
    assert [(f["address"], f["severity"]) for f in expired] == [("::1", "warning")]


@pytest.mark.parametrize(("kind", "failing"), [
    ("dualstack", True),  # both families used: the ::1 node fails some requests
    ("ipv6", False),  # only ::1 used: it fails every request
])
def test_the_address_type_decides_which_given_addresses_count(pki, fleet, kind, failing):
    code, data = run(pki, fleet, "--resolve", f"{NAME}:[::1],127.0.0.1",
                     "--ip-address-type", kind)
    assert code == 1 and data["verdict"] == "fail"
    expired = findings(data, "CERT_EXPIRED")
    assert [(f["address"], f["severity"]) for f in expired] == [("::1", "error")]
    assert bool(findings(data, "SOME_ADDRESSES_FAILING")) == failing
    assert not findings(data, "DNS_RESOLUTION_FAILED")


def test_only_an_ipv6_address_given_for_an_ipv4_origin_says_so(pki, fleet):
    code, data = run(pki, fleet, "--resolve", f"{NAME}:::1")
    assert code == 1
    (dns,) = findings(data, "DNS_RESOLUTION_FAILED")
    assert "no A record" in dns["summary"] and "::1" in dns["summary"]


@pytest.fixture(scope="module")
def idn_origin(pki, tmp_path_factory) -> Iterator[int]:
    leaf = pki["factory"].leaf(pki["inter"], names=[IDN_ASCII])
    files = TlsFiles.write(tmp_path_factory.mktemp("idn"), leaf, pki["inter"])
    with Nginx([NginxServer(tls=files)]) as nginx:
        yield nginx.ports[0]


@pytest.mark.parametrize("given", [IDN, IDN_ASCII, "BÜCHER.example.test."])
def test_a_unicode_resolve_name_meets_the_unicode_target(pki, idn_origin, given):
    code, data = run(pki, idn_origin, "--resolve", f"{given}:127.0.0.1", target=IDN)
    assert code == 0, data["findings"]
    assert data["verdict"] == "warn"  # loopback origin and --ca-file: said, not failed
    assert data["dns"]["reason"] == "overridden" and data["dns"]["addresses"] == ["127.0.0.1"]
    assert data["target"]["hostname"] == IDN_ASCII
    assert not findings(data, "CERT_HOSTNAME_MISMATCH")
