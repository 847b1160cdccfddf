"""What the scenario tests share: a test PKI (root, intermediate, leaf for ``NAME`` and the root
written as the --ca-file that stands in for Mozilla's list), a diagnosis of a loopback origin
as CloudFront would reach it, and the finding codes of a report."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from tests.support.certs import CertFactory, write_pem
from tests.support.nginx import NginxServer, TlsFiles
from workers.engine import diagnose
from workers.models import Finding, Report
from workers.options import build_request

NAME = "origin.test"
# A validity that ended three days ago: a certificate minted with it has expired.
EXPIRED = {"not_before": dt.datetime.now(dt.UTC) - dt.timedelta(days=400),
           "not_after": dt.datetime.now(dt.UTC) - dt.timedelta(days=3)}


def make_pki(folder: Path, *, root_cn: str | None = None,
             inter_cn: str | None = None) -> dict[str, Any]:
    """``factory``, ``root``, ``inter``, ``leaf`` (for ``NAME``) and ``ca`` (the root's file)."""
    factory = CertFactory()
    root = factory.root(cn=root_cn) if root_cn else factory.root()
    inter = factory.intermediate(root, cn=inter_cn) if inter_cn else factory.intermediate(root)
    leaf = factory.leaf(inter, names=[NAME])
    ca = write_pem(folder / "roots.pem", root)
    return {"factory": factory, "root": root, "inter": inter, "leaf": leaf, "ca": str(ca)}


def good_and_expired_files(pki: dict[str, Any], folder: Path) -> dict[str, TlsFiles]:
    """nginx certificate files for ``NAME``: ``good`` (the PKI's leaf) and ``expired`` (a leaf
    minted with ``EXPIRED``), each with the intermediate after it."""
    expired = pki["factory"].leaf(pki["inter"], names=[NAME], **EXPIRED)
    return {"good": TlsFiles.write(folder, pki["leaf"], pki["inter"], name="good"),
            "expired": TlsFiles.write(folder, expired, pki["inter"], name="expired")}


def probe(ca_file: str, port: int, *, target: str = NAME, ip: str = "127.0.0.1",
          **opts: Any) -> Report:
    """Diagnose ``target`` resolved to ``ip`` on ``port``; ``opts`` go to ``build_request``
    (one connection attempt and 3 s timeouts unless given)."""
    opts.setdefault("timeout", 3)
    opts.setdefault("connection_attempts", 1)
    opts.setdefault("read_timeout", 3)
    opts.setdefault("allow_private", True)
    opts.setdefault("resolve", ((target, ip),))
    opts.setdefault("ca_file", ca_file)
    return diagnose(build_request(target, https_port=opts.pop("https_port", port), **opts))


def codes(report: Report) -> list[str]:
    return [f.code for f in report.findings]


def errors(report: Report) -> list[str]:
    return [f.code for f in report.findings if f.severity == "error"]


def only(report: Report, code: str) -> Finding:
    """The first finding with ``code``; the test fails, listing the codes, when there is none."""
    matches = [f for f in report.findings if f.code == code]
    assert matches, f"{code} not in {codes(report)}"
    return matches[0]


def rsa_and_ecdsa_server(pki: dict[str, Any], folder: Path, *, rsa_expired: bool,
                         ecdsa_expired: bool) -> NginxServer:
    """nginx serving ``NAME`` with two certificates, an RSA and an ECDSA one (which the client
    gets depends on the signature algorithms it offers), either of them expired."""
    def minted(key: str, expired: bool) -> TlsFiles:
        leaf = pki["factory"].leaf(pki["inter"], names=[NAME], key=key,
                                   **(EXPIRED if expired else {}))
        return TlsFiles.write(folder, leaf, pki["inter"], name=key)

    rsa, ecdsa = minted("rsa2048", rsa_expired), minted("ec256", ecdsa_expired)
    return NginxServer(tls=rsa, extra=(
        f"ssl_certificate {ecdsa.certificate}; ssl_certificate_key {ecdsa.key};"))
