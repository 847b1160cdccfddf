"""CloudFront's API on loopback (moto's server plus the stand-in in tests/support/aws.py) and a
test PKI for the origins the distributions point at."""

from __future__ import annotations

import pytest

from tests.support.aws import CloudFrontFront, MotoServer, aws_env, patched_env
from tests.support.certs import CertFactory, write_pem


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
