"""CloudFront's API on loopback for tests: moto's server, with a small stand-in in front of it.

moto (server mode, `ThreadedMotoServer`) holds the distributions. It does not implement
GetOriginRequestPolicy or GetCachePolicy (their paths are not in moto/cloudfront/urls.py; boto3
gets a bare 404), so `CloudFrontFront` answers those two from policies the test registers, in
the API's own XML, and forwards every other request to moto unchanged. It can also answer an
operation with an AWS error (AccessDenied, Throttling) the way CloudFront's API does, which moto
cannot do for one caller and not another. boto3 reaches it through `AWS_ENDPOINT_URL_CLOUDFRONT`,
exactly as a private endpoint would be configured.
"""

from __future__ import annotations

import http.client
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from xml.sax.saxutils import escape

from tests.support.lifecycle import Service

NS = "http://cloudfront.amazonaws.com/doc/2020-05-31/"
_ROUTES = {
    "ListDistributions": ("GET", re.compile(r"^/2020-05-31/distribution/?$")),
    "GetDistribution": ("GET", re.compile(r"^/2020-05-31/distribution/[^/]+$")),
    "GetOriginRequestPolicy": ("GET", re.compile(r"^/2020-05-31/origin-request-policy/([^/]+)$")),
    "GetCachePolicy": ("GET", re.compile(r"^/2020-05-31/cache-policy/([^/]+)$")),
}


def _headers_xml(behaviour: str, names: Sequence[str]) -> str:
    items = "".join(f"<Name>{escape(n)}</Name>" for n in names)
    listed = f"<Items>{items}</Items>" if names else ""
    return (f"<HeaderBehavior>{behaviour}</HeaderBehavior>"
            f"<Headers><Quantity>{len(names)}</Quantity>{listed}</Headers>")


def origin_request_policy_xml(policy_id: str, name: str, behaviour: str,
                              headers: Sequence[str] = ()) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?><OriginRequestPolicy xmlns="{NS}">'
            f"<Id>{policy_id}</Id><LastModifiedTime>2025-01-01T00:00:00Z</LastModifiedTime>"
            f"<OriginRequestPolicyConfig><Name>{escape(name)}</Name>"
            f"<HeadersConfig>{_headers_xml(behaviour, headers)}</HeadersConfig>"
            "<CookiesConfig><CookieBehavior>none</CookieBehavior></CookiesConfig>"
            "<QueryStringsConfig><QueryStringBehavior>none</QueryStringBehavior>"
            "</QueryStringsConfig></OriginRequestPolicyConfig></OriginRequestPolicy>")


def cache_policy_xml(policy_id: str, name: str, headers: Sequence[str] = ()) -> str:
    behaviour = "whitelist" if headers else "none"
    return (f'<?xml version="1.0" encoding="UTF-8"?><CachePolicy xmlns="{NS}">'
            f"<Id>{policy_id}</Id><LastModifiedTime>2025-01-01T00:00:00Z</LastModifiedTime>"
            f"<CachePolicyConfig><Name>{escape(name)}</Name><DefaultTTL>86400</DefaultTTL>"
            "<MaxTTL>31536000</MaxTTL><MinTTL>1</MinTTL><ParametersInCacheKeyAndForwardedToOrigin>"
            "<EnableAcceptEncodingGzip>true</EnableAcceptEncodingGzip>"
            f"<HeadersConfig>{_headers_xml(behaviour, headers)}</HeadersConfig>"
            "<CookiesConfig><CookieBehavior>none</CookieBehavior></CookiesConfig>"
            "<QueryStringsConfig><QueryStringBehavior>none</QueryStringBehavior>"
            "</QueryStringsConfig></ParametersInCacheKeyAndForwardedToOrigin>"
            "</CachePolicyConfig></CachePolicy>")


def error_xml(code: str, message: str) -> str:
    return (f'<?xml version="1.0"?><ErrorResponse xmlns="{NS}"><Error><Type>Sender</Type>'
            f"<Code>{code}</Code><Message>{escape(message)}</Message></Error>"
            "<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>")


class CloudFrontFront(Service):
    """The stand-in in front of moto (see the module docstring)."""

    def __init__(self, moto_port: int) -> None:
        self.moto_port = moto_port
        self.policies: dict[str, str] = {}  # path → XML body
        self.faults: dict[str, tuple[int, str, str]] = {}  # operation → (status, code, message)
        self.seen: list[str] = []  # operations answered or forwarded, in order
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def add_origin_request_policy(self, policy_id: str, name: str, behaviour: str,
                                  headers: Sequence[str] = ()) -> None:
        self.policies[f"/2020-05-31/origin-request-policy/{policy_id}"] = \
            origin_request_policy_xml(policy_id, name, behaviour, headers)

    def add_cache_policy(self, policy_id: str, name: str, headers: Sequence[str] = ()) -> None:
        self.policies[f"/2020-05-31/cache-policy/{policy_id}"] = \
            cache_policy_xml(policy_id, name, headers)

    def fail(self, operation: str, status: int, code: str, message: str = "") -> None:
        self.faults[operation] = (status, code, message or code)

    def _operation(self, method: str, path: str) -> str:
        for name, (verb, pattern) in _ROUTES.items():
            if verb == method and pattern.match(path):
                return name
        return f"{method} {path}"

    def start(self) -> Self:
        front = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                path = self.path.split("?", 1)[0]
                operation = front._operation(self.command, path)
                front.seen.append(operation)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if operation in front.faults:
                    status, code, message = front.faults[operation]
                    self._send(status, error_xml(code, message).encode())
                elif path in front.policies:
                    self._send(200, front.policies[path].encode(), {"ETag": "E1"})
                elif operation in ("GetOriginRequestPolicy", "GetCachePolicy"):
                    kind = "NoSuchOriginRequestPolicy" if "origin" in path else "NoSuchCachePolicy"
                    self._send(404, error_xml(kind, "The policy does not exist.").encode())
                else:
                    self._forward(body)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

            def _forward(self, body: bytes) -> None:
                conn = http.client.HTTPConnection("127.0.0.1", front.moto_port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                headers["Host"] = f"127.0.0.1:{front.moto_port}"
                conn.request(self.command, self.path, body=body or None, headers=headers)
                answer = conn.getresponse()
                data = answer.read()
                kept = {k: v for k, v in answer.getheaders()
                        if k.lower() not in ("content-length", "transfer-encoding",
                                             "connection", "server", "date")}
                conn.close()
                self._send(answer.status, data, kept)

            def _send(self, status: int, data: bytes,
                      extra: Mapping[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "text/xml")
                for key, value in (extra or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


_moto_random_id: Any = None  # moto's own id generator, kept when it is replaced


def _aws_shaped_id(uppercase: bool = True, length: int = 13) -> str:
    """moto's ids are any 13 upper-case letters and digits (sometimes no digit, not starting
    with E); CloudFront's distribution ids start with E and carry digits, which is what
    origin502 recognises an id by. Lower-case ids (the d….cloudfront.net names) are moto's."""
    if not uppercase:
        return str(_moto_random_id(uppercase=False, length=length))
    import random
    import string

    alphabet = string.ascii_uppercase + string.digits
    while True:
        candidate = "E" + "".join(random.choice(alphabet) for _ in range(length))
        if any(c.isdigit() for c in candidate):
            return candidate


class MotoServer(Service):
    """moto's ThreadedMotoServer on 127.0.0.1, on a port the OS picks."""

    def __init__(self) -> None:
        self._server: Any = None
        self.port = 0

    def start(self) -> Self:
        from moto.cloudfront import models as cloudfront_models
        from moto.server import ThreadedMotoServer

        global _moto_random_id  # noqa: PLW0603 - replaced once per process
        if cloudfront_models.random_id is not _aws_shaped_id:
            _moto_random_id = cloudfront_models.random_id
            cloudfront_models.random_id = _aws_shaped_id

        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        self.port = int(self._server.get_host_and_port()[1])
        # moto's backends are global to the process: every server starts from an empty account.
        self.reset()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()

    def reset(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        conn.request("POST", "/moto-api/reset")
        conn.getresponse().read()
        conn.close()


AWS_VARIABLES = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE",
                 "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                 "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_SESSION_TOKEN",
                 "AWS_ENDPOINT_URL", "ORIGIN502_AWS", "ORIGIN502_AWS_PROFILE",
                 "ORIGIN502_AWS_ROLE_ARN")


def aws_env(front_url: str, moto_port: int, tmp_dir: str) -> dict[str, str]:
    """Environment for boto3 to reach the loopback API with fake credentials, and nothing of
    the machine's own AWS set-up (no ~/.aws, no metadata service)."""
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL_CLOUDFRONT": front_url,
        "AWS_ENDPOINT_URL_STS": f"http://127.0.0.1:{moto_port}",
        "AWS_CONFIG_FILE": f"{tmp_dir}/aws-config",
        "AWS_SHARED_CREDENTIALS_FILE": f"{tmp_dir}/aws-credentials",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_MAX_ATTEMPTS": "2",
        "AWS_RETRY_MODE": "standard",
    }


@contextmanager
def patched_env(monkeypatch: Any, env: Mapping[str, str]) -> Iterator[None]:
    for name in AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    yield


def custom_origin(origin_id: str, domain: str, *, https_port: int = 443, http_port: int = 80,
                  policy: str = "https-only", protocols: Sequence[str] = ("TLSv1.2",),
                  path: str = "", headers: Mapping[str, str] | None = None,
                  attempts: int = 1, connect_timeout: int = 2, read_timeout: int = 2,
                  ) -> dict[str, Any]:
    items = [{"HeaderName": k, "HeaderValue": v} for k, v in (headers or {}).items()]
    return {
        "Id": origin_id, "DomainName": domain, "OriginPath": path,
        "CustomHeaders": {"Quantity": len(items), "Items": items},
        "CustomOriginConfig": {
            "HTTPPort": http_port, "HTTPSPort": https_port, "OriginProtocolPolicy": policy,
            "OriginSslProtocols": {"Quantity": len(protocols), "Items": list(protocols)},
            "OriginReadTimeout": read_timeout, "OriginKeepaliveTimeout": 5,
        },
        "ConnectionAttempts": attempts, "ConnectionTimeout": connect_timeout,
    }


def s3_origin(origin_id: str, bucket: str) -> dict[str, Any]:
    return {"Id": origin_id, "DomainName": f"{bucket}.s3.us-east-1.amazonaws.com",
            "OriginPath": "", "S3OriginConfig": {"OriginAccessIdentity": ""}}


def behaviour(target: str, pattern: str | None = None, *, cache_policy: str | None = None,
              request_policy: str | None = None,
              forwarded_headers: Sequence[str] | None = None,
              methods: Sequence[str] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"TargetOriginId": target, "ViewerProtocolPolicy": "redirect-to-https"}
    if methods:
        data["AllowedMethods"] = {"Quantity": len(methods), "Items": list(methods),
                                  "CachedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]}}
    if pattern is not None:
        data["PathPattern"] = pattern
    if cache_policy:
        data["CachePolicyId"] = cache_policy
        if request_policy:
            data["OriginRequestPolicyId"] = request_policy
    else:
        names = list(forwarded_headers or [])
        data["ForwardedValues"] = {
            "QueryString": False, "Cookies": {"Forward": "none"},
            "Headers": {"Quantity": len(names), "Items": names}}
        data["MinTTL"] = 0
    return data


def create_distribution(client: Any, *, aliases: Sequence[str], origins: Sequence[dict[str, Any]],
                        default: dict[str, Any], behaviours: Sequence[dict[str, Any]] = (),
                        groups: Sequence[dict[str, Any]] = (), ref: str = "",
                        enabled: bool = True,
                        error_responses: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    config: dict[str, Any] = {
        "CallerReference": ref or "-".join(aliases) or "ref",
        "Aliases": {"Quantity": len(aliases), "Items": list(aliases)},
        "Origins": {"Quantity": len(origins), "Items": list(origins)},
        "DefaultCacheBehavior": default,
        "CacheBehaviors": {"Quantity": len(behaviours), "Items": list(behaviours)},
        "Comment": "origin502 test", "Enabled": enabled,
    }
    if groups:
        config["OriginGroups"] = {"Quantity": len(groups), "Items": list(groups)}
    if error_responses:
        config["CustomErrorResponses"] = {"Quantity": len(error_responses),
                                          "Items": list(error_responses)}
    answer: dict[str, Any] = client.create_distribution(DistributionConfig=config)
    return answer["Distribution"]


def origin_group(group_id: str, primary: str, failover: str,
                 codes: Sequence[int] = (500, 502, 503, 504)) -> dict[str, Any]:
    return {"Id": group_id,
            "FailoverCriteria": {"StatusCodes": {"Quantity": len(codes), "Items": list(codes)}},
            "Members": {"Quantity": 2, "Items": [{"OriginId": primary}, {"OriginId": failover}]}}
