"""When origin502 asks AWS, and that the plain origin path never pays for it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.certs import CertFactory
from tests.support.tls_origin import TlsOrigin
from workers.aws.access import (
    AwsAccessError,
    aws_access_from,
    is_cloudfront_domain,
    is_distribution_id,
)

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(("env", "source"), [
    ({}, None),
    ({"AWS_ACCESS_KEY_ID": "AKIA"}, "AWS_ACCESS_KEY_ID"),
    ({"AWS_PROFILE": "ops"}, "AWS_PROFILE"),
    ({"AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/token"}, "AWS_WEB_IDENTITY_TOKEN_FILE"),
    ({"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://169.254.170.23/v1/credentials"},
     "AWS_CONTAINER_CREDENTIALS_FULL_URI"),
    ({"ORIGIN502_AWS": "1"}, "ORIGIN502_AWS=1"),
    ({"ORIGIN502_AWS": "0", "AWS_ACCESS_KEY_ID": "AKIA"}, None),
    ({"AWS_REGION": "eu-west-1"}, None),  # a region alone is no credential
])
def test_access_is_configured_only_by_credentials_or_a_switch(env, source):
    access = aws_access_from(environ=env)
    assert (access.source if access else None) == source


def test_profile_and_role_options_turn_it_on():
    access = aws_access_from("ops", "arn:aws:iam::123456789012:role/Reader", environ={})
    assert access is not None
    assert access.profile == "ops"
    assert access.role_arn == "arn:aws:iam::123456789012:role/Reader"


def test_switch_off_with_a_profile_is_bad_input():
    with pytest.raises(AwsAccessError, match="ORIGIN502_AWS=0"):
        aws_access_from("ops", environ={"ORIGIN502_AWS": "0"})


@pytest.mark.parametrize(("text", "is_id"), [
    ("E2QWRUHAPOMQZL", True), ("e2qwruhapomqzl", False), ("www.shop.com", False),
    ("ORIGIN", False), ("2130706433", False), ("ORIGINSERVERS", False),
    ("EDFDVBDEXAMPLE", True)])
def test_distribution_ids(text, is_id):
    assert is_distribution_id(text) is is_id


@pytest.mark.parametrize(("text", "is_cf"), [
    ("d111111abcdef8.cloudfront.net", True), ("x.d1.cloudfront.net", False),
    ("cloudfront.net.example.com", False)])
def test_cloudfront_domains(text, is_cf):
    assert is_cloudfront_domain(text) is is_cf


def test_plain_origin_path_never_imports_boto3(tmp_path):
    """Without AWS set up, `origin502 diagnose origin` must not load boto3 (start-up time) nor
    call AWS: the diagnosis runs in a child process with no AWS variables at all."""
    factory = CertFactory()
    root = factory.root()
    leaf = factory.leaf(root, names=["origin.test"])
    script = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from workers.diagnose_cli import diagnose\n"
        "r = CliRunner().invoke(diagnose, sys.argv[1:])\n"
        "print('exit', r.exit_code)\n"
        "print('boto3' in sys.modules, 'botocore' in sys.modules)\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    with TlsOrigin([leaf], leaf) as origin:
        result = subprocess.run(
            [sys.executable, "-c", script, "origin.test", "--resolve", "origin.test:127.0.0.1",
             "--https-port", str(origin.port), "--connection-attempts", "1", "--no-aia"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
    lines = result.stdout.strip().splitlines()
    assert lines[-1] == "False False", result.stdout + result.stderr
    assert lines[-2] in ("exit 0", "exit 1")
