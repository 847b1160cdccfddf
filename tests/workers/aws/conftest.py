"""CloudFront's API on loopback (moto's server plus the stand-in in tests/support/aws.py) and a
test PKI for the origins the distributions point at."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.support.aws import (
    CloudFrontFront,
    MotoServer,
    aws_env,
    behaviour,
    create_distribution,
    custom_origin,
    patched_env,
)
from tests.support.certs import CertFactory, write_pem
from tests.support.tls_origin import TlsOrigin
from workers.diagnose_cli import diagnose


@pytest.fixture(scope="session")
def moto_api():
    with MotoServer() as moto, CloudFrontFront(moto.port) as front:
        yield moto, front


@pytest.fixture
def aws(moto_api, monkeypatch, tmp_path, fake_dns):
    """A clean account: moto reset, no stand-in policies or faults, boto3 pointed at it. DNS
    is asked of our own server on loopback (the viewer side of a site is probed too)."""
    moto, front = moto_api
    moto.reset()
    front.policies.clear()
    front.faults.clear()
    front.seen.clear()
    monkeypatch.setenv("ORIGIN502_NAMESERVER", fake_dns.nameserver)
    with patched_env(monkeypatch, aws_env(front.url, moto.port, str(tmp_path))):
        import boto3

        yield boto3.client("cloudfront"), front


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    factory = CertFactory()
    root = factory.root()
    inter = factory.intermediate(root)
    ca = write_pem(tmp_path_factory.mktemp("aws-pki") / "roots.pem", root)
    return {"factory": factory, "root": root, "inter": inter, "ca": str(ca)}


def leaf(pki, *names: str):
    return pki["factory"].leaf(pki["inter"], names=list(names))


def run(*args: str) -> Result:
    """`origin502 diagnose ARGS` in this process; an exception fails the test with its trace."""
    return CliRunner().invoke(diagnose, list(args), catch_exceptions=False)


@contextlib.contextmanager
def web_distribution(client: Any, pki: dict[str, Any], *,
                     also: Sequence[dict[str, Any]] = (),
                     behaviours: Sequence[dict[str, Any]] = (),
                     enabled: bool = True) -> Iterator[TlsOrigin]:
    """www.shop.test: a distribution whose default origin, web.shop.test, is a TLS server on
    127.0.0.1 with a certificate for its name, beside the origins ``also`` (many tests need
    such a distribution and differ only in what stands beside it); yields the server while it
    runs."""
    web_leaf = leaf(pki, "web.shop.test")
    with TlsOrigin([web_leaf, pki["inter"]], web_leaf) as web:
        create_distribution(
            client, aliases=["www.shop.test"], enabled=enabled,
            origins=[custom_origin("web", "web.shop.test", https_port=web.port), *also],
            default=behaviour("web"), behaviours=behaviours)
        yield web
