"""Whether origin502 should ask AWS about a target, decided without importing boto3.

`origin502 diagnose origin.example.com` must stay fast and must never touch AWS for people who
do not use it, so this module reads only options and environment variables:

- ``--aws-profile`` / ``--role-arn`` (or ``ORIGIN502_AWS_PROFILE`` / ``ORIGIN502_AWS_ROLE_ARN``)
  or ``ORIGIN502_AWS=1`` turn the lookup on;
- otherwise the environment variables through which AWS hands credentials to a process turn it
  on: ``AWS_ACCESS_KEY_ID``, ``AWS_PROFILE``, ``AWS_WEB_IDENTITY_TOKEN_FILE`` (EKS IRSA),
  ``AWS_CONTAINER_CREDENTIALS_FULL_URI`` / ``..._RELATIVE_URI`` (EKS Pod Identity, ECS);
- ``ORIGIN502_AWS=0`` turns it off whatever else is set.

An EC2 instance role or a default profile in ``~/.aws`` is not guessed (guessing would cost a
call to the instance metadata service on every run): set ``ORIGIN502_AWS=1`` there.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from workers.models.record import FrozenRecord

# Environment variables through which the AWS SDKs receive credentials.
CREDENTIAL_VARIABLES: tuple[str, ...] = (
    "AWS_ACCESS_KEY_ID",
    "AWS_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
)
# Distribution ids: upper-case letters and digits, no dot (AWS's start with E: E2QWRUHAPOMQZL).
# A name without a dot is never a usable origin, so the two cannot be confused.
# A letter first and a digit somewhere, so decimal IPs (2130706433) and words are not ids;
# or AWS's own shape, E and 12-13 more (EDFDVBD6EXAMPLE has a digit, not every id does).
_DISTRIBUTION_ID = re.compile(r"^(?:(?=.*\d)[A-Z][0-9A-Z]{9,19}|E[0-9A-Z]{12,13})$")
_CLOUDFRONT_DOMAIN = re.compile(r"^[a-z0-9]+\.cloudfront\.net\.?$", re.IGNORECASE)
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")


@dataclass(frozen=True, eq=False, repr=False)
class AwsAccess(FrozenRecord):
    """How to reach the account's CloudFront API (None fields: boto3's standard chain)."""

    profile: str | None = None
    role_arn: str | None = None
    # Why origin502 thinks access is configured, for the report and for error messages.
    source: str = ""


class AwsAccessError(ValueError):
    """An AWS option that cannot be used; the message is one line."""


def is_distribution_id(text: str) -> bool:
    return bool(_DISTRIBUTION_ID.match(text.strip()))


def is_cloudfront_domain(text: str) -> bool:
    return bool(_CLOUDFRONT_DOMAIN.match(text.strip()))


def lookup_name(target: str) -> str | None:
    """The name or id to look up in CloudFront, or None when the target names an origin
    precisely (a port, a scheme, a path or an IP address)."""
    from workers.target import TargetError, parse_target

    text = target.strip()
    if is_distribution_id(text):
        return text
    try:
        parsed = parse_target(text)
    except TargetError:
        return None
    if parsed.is_ip_literal or parsed.port or parsed.scheme or parsed.path:
        return None
    return parsed.hostname


def site_url(target: str) -> tuple[str, str | None] | None:
    """A site's URL as a viewer types it (scheme, name, maybe a path; no port, no IP): the
    name to look up and the path, so the distribution is read rather than its edge probed as
    if it were an origin. None for anything else."""
    from workers.target import TargetError, parse_target

    try:
        parsed = parse_target(target.strip())
    except TargetError:
        return None
    if parsed.scheme is None or parsed.port or parsed.is_ip_literal:
        return None
    return parsed.hostname, parsed.path


def aws_configured() -> bool:
    """Whether this process's options and environment configure AWS access (no I/O)."""
    try:
        return aws_access_from() is not None
    except AwsAccessError:
        return False


def aws_access_from(profile: str | None = None, role_arn: str | None = None,
                    environ: Mapping[str, str] | None = None) -> AwsAccess | None:
    """The AWS access to use, or None when AWS is not configured (see the module docstring)."""
    env = os.environ if environ is None else environ
    switch = (env.get("ORIGIN502_AWS") or "").strip().lower()
    profile = profile or env.get("ORIGIN502_AWS_PROFILE") or None
    role_arn = role_arn or env.get("ORIGIN502_AWS_ROLE_ARN") or None
    if role_arn and not _ROLE_ARN.match(role_arn):
        raise AwsAccessError(
            f"'{role_arn}' is not an IAM role ARN (e.g. arn:aws:iam::123456789012:role/Reader)")
    if switch in ("0", "false", "no", "off"):
        if profile or role_arn:
            raise AwsAccessError("ORIGIN502_AWS=0 turns AWS off, yet an AWS profile or role "
                                 "was given; drop one of them")
        return None
    if profile or role_arn:
        what = " and ".join(x for x in (profile and f"profile {profile}",
                                        role_arn and f"role {role_arn}") if x)
        return AwsAccess(profile=profile, role_arn=role_arn, source=what)
    if switch in ("1", "true", "yes", "on"):
        return AwsAccess(source="ORIGIN502_AWS=1")
    present = [name for name in CREDENTIAL_VARIABLES if env.get(name)]
    if present:
        return AwsAccess(source=present[0])
    return None
