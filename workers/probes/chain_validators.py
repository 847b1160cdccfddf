"""Maintained validators judge the presented chain; origin502's own code only explains.

Two validators run on the chain exactly as received (the handshake itself stays unverified so
the probe sees broken chains):

* OpenSSL's ``X509_verify_cert`` through pyOpenSSL, with the received certificates as
  untrusted and Mozilla's roots (certifi, plus ``--ca-file``) as the store, for the TLS-server
  purpose. Its verify code names the failed rule (``X509_V_ERR_INVALID_CA``, ...). It builds
  alternative paths, as clients do.
* ``cryptography``'s ``x509.verification`` with its Web PKI profile, for the name CloudFront
  checks: stricter on some rules (SAN required, no CN fallback, DSA and P-192 keys, v1
  certificates).

Which of the two CloudFront applies is not documented, so the rules turn a disagreement into an
uncertain finding.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import ipaddress
import os
import re
from collections.abc import Sequence
from functools import cache, lru_cache

from cryptography import x509
from cryptography.x509 import verification
from OpenSSL import crypto

# pyOpenSSL does not wrap X509_STORE_set_purpose; its cffi binding does (pyopenssl>=25,<27 in
# pyproject). Without the purpose, OpenSSL would accept a leaf whose EKU is clientAuth only.
from OpenSSL._util import lib as _openssl_lib

from workers.models import ValidatorVerdict


@cache
def _openssl_code_names() -> dict[int, str]:
    # The numbers differ between OpenSSL versions (X509_V_ERR_INVALID_CA is 24 in 1.1, 79 in
    # 3.0): name them from the constants of the linked library, never from a fixed table.
    names: dict[int, str] = {}
    for attribute in dir(_openssl_lib):
        if attribute.startswith("X509_V_ERR_"):
            value = getattr(_openssl_lib, attribute)
            if isinstance(value, int):
                names.setdefault(value, attribute)
    return names
_ENCOUNTERED = re.compile(
    r"\(encountered processing <Certificate\(subject=<Name\((?P<subject>.*?)\)>.*$")


def _pem_certificates(path: str) -> list[x509.Certificate]:
    # One Mozilla root has a negative serial number: cryptography's warning about it is
    # silenced once (workers.probes.quiet), never here, as probe threads load concurrently.
    with open(path, "rb") as handle:
        return list(x509.load_pem_x509_certificates(handle.read()))


@cache
def mozilla_bundle() -> str:
    """The file of Mozilla's CA list as certifi ships it. Found beside the package without
    importing it: certifi imports importlib.resources (with tempfile and zipfile) for the case
    of a zipped install, several milliseconds of a CLI run's start-up; only that case asks
    certifi itself."""
    spec = importlib.util.find_spec("certifi")
    if spec is not None and spec.origin:
        path = os.path.join(os.path.dirname(spec.origin), "cacert.pem")
        if os.path.isfile(path):
            return path
    import certifi

    return str(certifi.where())


@cache
def mozilla_roots() -> tuple[x509.Certificate, ...]:
    """Mozilla's CA list as certifi ships it (the one CloudFront says it trusts), parsed once
    per process and shared by every check that needs it."""
    return tuple(_pem_certificates(mozilla_bundle()))


@cache
def _webpki_store(ca_file: str | None) -> verification.Store:
    roots = list(mozilla_roots())
    if ca_file:
        roots += _pem_certificates(ca_file)
    return verification.Store(roots)


def _subject_of(cert: crypto.X509) -> str:
    return cert.to_cryptography().subject.rfc4514_string()


def openssl_verdict(leaf: x509.Certificate, others: list[x509.Certificate], *,
                    ca_file: str | None, now: dt.datetime) -> ValidatorVerdict:
    """OpenSSL's verdict on ``leaf`` with ``others`` as untrusted intermediates."""
    try:
        store = _openssl_store(_candidate_roots([leaf, *others], ca_file), now)
    except (crypto.Error, OSError, ValueError) as exc:
        return ValidatorVerdict("openssl", None,
                                detail=f"the trust store could not be loaded: {exc}")
    untrusted = [crypto.X509.from_cryptography(c) for c in others]
    context = crypto.X509StoreContext(store, crypto.X509.from_cryptography(leaf), untrusted)
    try:
        context.verify_certificate()
    except crypto.X509StoreContextError as exc:
        code, depth, message = exc.errors[0], exc.errors[1], exc.errors[2]
        return ValidatorVerdict("openssl", False,
                                code=_openssl_code_names().get(code, f"X509_V_ERR {code}"),
                                rule=str(message), certificate=_subject_of(exc.certificate),
                                depth=int(depth))
    except crypto.Error as exc:
        return ValidatorVerdict("openssl", None, detail=f"OpenSSL could not run: {exc}")
    return ValidatorVerdict("openssl", True)


# A name as a set of (attribute type, value without whitespace, case folded): coarser than
# OpenSSL's own comparison of names (which ignores case in ASCII, string types and runs of
# spaces), so two names OpenSSL takes for the same always have the same key.
_NameKey = frozenset[tuple[str, str]]


def _name_key(name: x509.Name) -> _NameKey:
    return frozenset((attribute.oid.dotted_string, "".join(str(attribute.value).split()).casefold())
                     for attribute in name)


@cache
def _roots_by_name(ca_file: str | None) -> dict[_NameKey, list[tuple[int, x509.Certificate]]]:
    """Mozilla's roots then the --ca-file ones, by the key of their subject, each with its
    place in that order (the order a store loaded from the files would have)."""
    roots = [*mozilla_roots(), *(_pem_certificates(ca_file) if ca_file else ())]
    by_name: dict[_NameKey, list[tuple[int, x509.Certificate]]] = {}
    for place, root in enumerate(roots):
        by_name.setdefault(_name_key(root.subject), []).append((place, root))
    return by_name


def _candidate_roots(chain: Sequence[x509.Certificate],
                     ca_file: str | None) -> tuple[x509.Certificate, ...]:
    """Every root OpenSSL could look up while verifying ``chain``: OpenSSL finds a store's
    certificates by subject only (the issuer of a certificate on the path, or a certificate's
    own subject to see whether it is trusted), so the roots whose subject matches a name of the
    chain, and then the issuers of those, are all it can reach. A store of just those gives
    the same verdict as one of the whole list, without parsing Mozilla's ~150 roots into
    OpenSSL on every run (a few milliseconds of each CLI run)."""
    by_name = _roots_by_name(ca_file)
    wanted = [key for cert in chain for key in (_name_key(cert.subject), _name_key(cert.issuer))]
    seen: set[_NameKey] = set()
    found: dict[int, x509.Certificate] = {}
    while wanted:
        key = wanted.pop()
        if key in seen:
            continue
        seen.add(key)
        for place, root in by_name.get(key, ()):
            if place not in found:
                found[place] = root
                wanted.append(_name_key(root.issuer))
    return tuple(found[place] for place in sorted(found))


def _openssl_store(roots: tuple[x509.Certificate, ...], now: dt.datetime) -> crypto.X509Store:
    """The store of `roots` to verify at `now`. For the present (every real probe) one store
    per set of roots, built once and never changed, so concurrent reports share it; an instant
    in the past or future (tests, replays) gets a store of its own with that time set."""
    if abs((now - dt.datetime.now(dt.UTC)).total_seconds()) < PRESENT_SECONDS:
        return _openssl_store_at(roots, None)
    return _openssl_store_at(roots, now.replace(microsecond=0))


# Within this many seconds of the clock, `now` is the present: OpenSSL's own clock will do.
PRESENT_SECONDS = 60


@lru_cache(maxsize=64)
def _openssl_store_at(roots: tuple[x509.Certificate, ...],
                      when: dt.datetime | None) -> crypto.X509Store:
    # The verification time is a store setting, so a store with a set time is never shared
    # across instants.
    store = crypto.X509Store()
    for root in dict.fromkeys(roots):  # the same root in certifi and --ca-file: added once
        store.add_cert(crypto.X509.from_cryptography(root))
    _openssl_lib.X509_STORE_set_purpose(store._store, _openssl_lib.X509_PURPOSE_SSL_SERVER)
    if when is not None:
        store.set_time(when)
    return store


def _subject(name: str) -> x509.DNSName | x509.IPAddress:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def webpki_verdict(leaf: x509.Certificate, others: list[x509.Certificate], *, name: str,
                   ca_file: str | None, now: dt.datetime) -> ValidatorVerdict:
    """cryptography's Web PKI verdict on ``leaf`` for ``name`` (the name CloudFront checks)."""
    try:
        store = _webpki_store(ca_file)
        verifier = (verification.PolicyBuilder().store(store).time(now)
                    .build_server_verifier(_subject(name)))
        verifier.verify(leaf, others)
    except verification.VerificationError as exc:
        text = str(exc).removeprefix("validation failed: ")
        match = _ENCOUNTERED.search(text)
        # "candidates exhausted: <rule>" is how the path builder reports the last rule that
        # failed on every candidate path; the rule is the useful part.
        rule = _ENCOUNTERED.sub("", text).removeprefix("candidates exhausted: ").strip()
        subject = match.group("subject") if match else None
        return ValidatorVerdict("webpki", False, rule=rule, certificate=subject, name=name)
    except (ValueError, TypeError, OSError) as exc:
        return ValidatorVerdict("webpki", None, detail=f"could not run: {exc}", name=name)
    return ValidatorVerdict("webpki", True, name=name)


def _rejects_the_name(verdict: ValidatorVerdict) -> bool:
    return verdict.accepted is False and "subjectaltname" in (verdict.rule or "").lower()


def webpki_for_names(leaf: x509.Certificate, others: list[x509.Certificate], *,
                     names: Sequence[str], ca_file: str | None,
                     now: dt.datetime) -> ValidatorVerdict:
    """cryptography's Web PKI verdict for the first of ``names`` the certificate names.

    AWS documents that a certificate naming the forwarded Host (``names[0]``, the SNI) or the
    origin domain is accepted (shared facts §1.1, §3.4): when the validator rejects the first
    name for want of a matching SAN, it judges the chain for the next, so that its other
    rules are still applied to the name CloudFront would accept. None names it: the verdict
    for the first.
    """
    first = webpki_verdict(leaf, others, name=names[0], ca_file=ca_file, now=now)
    if not _rejects_the_name(first):
        return first
    for name in names[1:]:
        verdict = webpki_verdict(leaf, others, name=name, ca_file=ca_file, now=now)
        if not _rejects_the_name(verdict):
            return verdict
    return first


def validate(leaf: x509.Certificate, others: list[x509.Certificate], *, name: str,
             ca_file: str | None, now: dt.datetime) -> list[ValidatorVerdict]:
    """Both validators' verdicts, OpenSSL first."""
    return [openssl_verdict(leaf, others, ca_file=ca_file, now=now),
            webpki_verdict(leaf, others, name=name, ca_file=ca_file, now=now)]

