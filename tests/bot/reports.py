"""Hand-built reports and runs for rendering tests (no network)."""

from __future__ import annotations

from workers.jobs.run_record import Run
from workers.models import (
    AddressReport,
    CertificateInfo,
    ChainAnalysis,
    ConnectionProbe,
    DnsResult,
    Finding,
    HttpResult,
    ProbeRequest,
    Report,
    TargetInfo,
    TcpResult,
    TlsAttempt,
    TlsResult,
)
from workers.models.request import OriginSettings


def target(host_header: str | None = None) -> TargetInfo:
    return TargetInfo(
        hostname="origin.example.com",
        display="origin.example.com",
        is_ip_literal=False,
        sni=host_header or "origin.example.com",
        host_header=host_header or "origin.example.com",
        protocol_policy="https-only",
        https_port=443,
        http_port=80,
        origin_ssl_protocols=["TLSv1.2"],
        path="/",
        connect_timeout=10.0,
        connection_attempts=3,
        read_timeout=30.0,
    )


def cert(cn: str, issuer: str, *, ca: bool = False) -> CertificateInfo:
    return CertificateInfo(
        subject=f"CN={cn}",
        issuer=f"CN={issuer}",
        common_name=cn,
        dns_names=[cn] if not ca else [],
        ip_addresses=[],
        not_before="2026-01-01T00:00:00Z",
        not_after="2026-11-19T00:00:00Z",
        serial="0a1b",
        sha256="ab" * 32,
        key_type="RSA",
        key_size=2048,
        curve=None,
        signature_hash="sha256",
        is_ca=ca,
        self_issued=False,
        self_signed=False,
        aia_ca_issuers=[],
        pem="-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n",
    )


def https_probe(*, ok: bool = True) -> ConnectionProbe:
    """An HTTPS connection. Not ``ok`` is what an expired certificate really looks like: the
    handshake completes (origin502 judges the chain afterwards, as CloudFront's checks would)
    and the request is answered, yet CloudFront would drop the connection."""
    chain = [
        cert("origin.example.com", "Example Issuing CA"),
        cert("Example Issuing CA", "Example Root", ca=True),
    ]
    tls = TlsResult(
        status="ok",
        sni="origin.example.com",
        offered_protocols=["TLSv1.2"],
        protocol="TLSv1.2",
        cipher="ECDHE-RSA-AES128-GCM-SHA256",
        chain=chain,
        analysis=ChainAnalysis(
            issuer_index=[1, None],
            in_order=True,
            trusted=ok,
            anchor_source="mozilla" if ok else None,
            anchor_subject="CN=Example Root" if ok else None,
            break_reason=None if ok else "incomplete",
        ),
        attempts=[
            TlsAttempt(
                purpose="cloudfront",
                protocols=["TLSv1.2"],
                ciphers="DEFAULT",
                ok=True,
                negotiated_protocol="TLSv1.2",
                duration_ms=12.5,
            )
        ],
        duration_ms=12.5,
    )
    http = HttpResult(
        status="ok",
        request_host="origin.example.com",
        path="/",
        status_code=200,
        reason_phrase="OK",
        server="nginx",
        ttfb_ms=20.1,
        duration_ms=21.0,
    )
    return ConnectionProbe(
        scheme="https",
        port=443,
        tcp=TcpResult(status="ok", attempts=1, duration_ms=1.5),
        tls=tls,
        http=http,
        timings_ms={"connect": 1.5, "tls": 12.5, "first_byte": 20.1},
    )


def report(
    *, fail: bool = True, findings: list[Finding] | None = None, host_header: str | None = None
) -> Report:
    if findings is None:
        findings = (
            [
                Finding(
                    code="CERT_EXPIRED",
                    severity="error",
                    summary="the certificate expired 5 days ago, on 2026-11-19",
                    address="192.0.2.10",
                    remediation=[
                        "Renew the certificate.",
                        "Install the renewed chain on the origin.",
                    ],
                    links=[
                        "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/http-502-bad-gateway.html"
                    ],
                    evidence={"not_after": "2026-11-19T00:00:00Z", "days_expired": 5},
                ),
                Finding(
                    code="TLS_PROTOCOL_OLD",
                    severity="warning",
                    summary="the origin also accepts TLSv1 <script>",
                    uncertain=True,
                    remediation=["Disable TLSv1 on the origin."],
                ),
            ]
            if fail
            else []
        )
    return Report(
        target=target(host_header),
        verdict="fail" if fail else "ok",
        findings=findings,
        dns=DnsResult(
            status="ok",
            addresses=["192.0.2.10"],
            ipv4=["192.0.2.10"],
            duration_ms=3.2,
            nameserver="127.0.0.53",
        ),
        addresses=[
            AddressReport(address="192.0.2.10", family="ipv4", probes=[https_probe(ok=not fail)])
        ],
        started_at="2026-11-24T10:00:00Z",
        duration_ms=1234.5,
        tool_version="0.1.0",
    )


def run(status: str = "running", **changes: object) -> Run:
    request = ProbeRequest(
        hostname="origin.example.com",
        settings=OriginSettings(host_header="www.example.com"),
        display="origin.example.com",
    )
    values: dict[str, object] = dict(
        run_id="r7-abc",
        request=request.to_dict(),
        text="origin.example.com --host-header www.example.com",
        channel="C0INCIDENT",
        user="UALICE",
        status=status,
        progress={"dns": "resolved to 192.0.2.10", "tcp": "ok"} if status != "queued" else {},
        created_at=1700000000.0,
    )
    values.update(changes)
    return Run(**values)  # type: ignore[arg-type]
