"""One boto3 session per run, from the standard chain, built in one place.

Everything in boto3's own configuration is honoured as is: region, retries (`AWS_MAX_ATTEMPTS`,
`AWS_RETRY_MODE`), `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_CLOUDFRONT` (which is how the tests
point it at moto, and a private endpoint elsewhere).
"""

from __future__ import annotations

from typing import Any

from workers.aws.access import AwsAccess
from workers.aws.errors import translate

SESSION_NAME = "origin502"
ASSUMED_ROLE_SECONDS = 900  # the shortest AssumeRole allows: a lookup takes seconds


def cloudfront_client(access: AwsAccess) -> Any:
    """A CloudFront client for ``access``; raises LookupFailed with one line when the profile
    or the role cannot be used."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        session = boto3.Session(profile_name=access.profile)
    except BotoCoreError as exc:
        raise translate(exc, "ListDistributions") from None
    if access.role_arn:
        try:
            answer = session.client("sts").assume_role(
                RoleArn=access.role_arn, RoleSessionName=SESSION_NAME,
                DurationSeconds=ASSUMED_ROLE_SECONDS)
        except (BotoCoreError, ClientError) as exc:
            raise translate(exc, "AssumeRole") from None
        creds = answer["Credentials"]
        session = boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name=session.region_name,
        )
    # CloudFront is global: any region reaches cloudfront.amazonaws.com; boto3 needs one.
    return session.client("cloudfront", region_name=session.region_name or "us-east-1")
