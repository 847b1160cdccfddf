"""AWS failures, translated once into one line a person on call can act on.

Only this package sees botocore's exceptions; everything above it gets a LookupFailed.
"""

from __future__ import annotations

from typing import Any

# The minimal read-only policy (README "AWS read access"); named in AccessDenied messages.
READ_ONLY_ACTIONS: tuple[str, ...] = (
    "cloudfront:ListDistributions",
    "cloudfront:GetDistribution",
    "cloudfront:GetOriginRequestPolicy",
    "cloudfront:GetCachePolicy",
    "cloudfront:GetDistributionTenantByDomain",
)
_OPERATION_ACTION = {
    "ListDistributions": "cloudfront:ListDistributions",
    "GetDistribution": "cloudfront:GetDistribution",
    "GetOriginRequestPolicy": "cloudfront:GetOriginRequestPolicy",
    "GetCachePolicy": "cloudfront:GetCachePolicy",
    "GetDistributionTenantByDomain": "cloudfront:GetDistributionTenantByDomain",
    "AssumeRole": "sts:AssumeRole",
}
_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}
_EXPIRED = {"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"}
_BAD_CREDENTIALS = {"InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException",
                    "InvalidAccessKeyId", "AuthFailure", "IncompleteSignature"}
_THROTTLED = {"Throttling", "ThrottlingException", "TooManyRequestsException",
              "RequestLimitExceeded", "SlowDown"}


class LookupFailed(Exception):
    """The distribution could not be looked up. Not a verdict about any origin (exit 3)."""

    def __init__(self, message: str, *, not_found: bool = False) -> None:
        super().__init__(message)
        self.message = message
        # True when AWS answered and the name is no distribution's (the CLI may then probe
        # the name as an origin); False for every failure to ask.
        self.not_found = not_found


def action_for(operation: str) -> str:
    return _OPERATION_ACTION.get(operation, f"cloudfront:{operation}")


def translate(exc: BaseException, operation: str, *, what: str = "") -> LookupFailed:
    """One clear line for an exception raised by botocore while calling ``operation``."""
    from botocore import exceptions as bx

    action = action_for(operation)
    if isinstance(exc, bx.ClientError):
        error: dict[str, Any] = exc.response.get("Error") or {}
        code = str(error.get("Code") or "")
        message = str(error.get("Message") or "").strip()
        attempts = (exc.response.get("ResponseMetadata") or {}).get("RetryAttempts", 0)
        if code in _DENIED:
            return LookupFailed(
                f"AWS denied {action}: grant it to the identity origin502 uses "
                f"(the README lists the read-only policy){_said(message)}")
        if code in _EXPIRED:
            return LookupFailed("the AWS credentials have expired: refresh them (for example "
                                "`aws sso login`) and try again")
        if code in _BAD_CREDENTIALS:
            return LookupFailed(f"AWS does not accept these credentials ({code}): check the "
                                "access key, profile or role origin502 uses")
        if code in _THROTTLED:
            return LookupFailed(
                f"CloudFront's API kept throttling {operation} after {attempts + 1} attempts: "
                "try again in a minute (AWS_MAX_ATTEMPTS / AWS_RETRY_MODE set the retries)")
        if code == "NoSuchDistribution":
            return LookupFailed(f"there is no distribution {what} in this AWS account",
                                not_found=True)
        return LookupFailed(f"CloudFront's API answered {operation} with {code or 'an error'}"
                            f"{_said(message)}")
    if isinstance(exc, bx.ProfileNotFound):
        return LookupFailed(f"the AWS profile {exc.kwargs.get('profile')!s} is not configured "
                            "(see ~/.aws/config)")
    if isinstance(exc, bx.NoCredentialsError | bx.PartialCredentialsError):
        return LookupFailed("no AWS credentials were found: set AWS_PROFILE, --aws-profile or "
                            "the pod's role, or ORIGIN502_AWS=0 to skip the lookup")
    if isinstance(exc, bx.SSOError | bx.TokenRetrievalError | bx.CredentialRetrievalError):
        return LookupFailed(f"the AWS credentials could not be loaded or have expired: {exc}")
    if isinstance(exc, bx.EndpointConnectionError | bx.ConnectTimeoutError
                  | bx.ReadTimeoutError | bx.ConnectionClosedError):
        return LookupFailed(f"could not reach the CloudFront API: {exc}")
    if isinstance(exc, bx.BotoCoreError):
        return LookupFailed(f"the AWS SDK failed calling {operation}: {exc}")
    return LookupFailed(f"looking the distribution up failed: {type(exc).__name__}: {exc}")


def _said(message: str) -> str:
    return f" (AWS said: {message[:200]})" if message else ""
