"""Certificate name matching as CloudFront documents it, and where it does not. Pure functions.

What AWS documents (shared cloudfront-facts §1.1, §3.4, §3.5): the certificate must include a
name matching the origin domain or, when the distribution forwards the viewer's Host, that
Host (the 502 page and the HTTPS-to-custom-origin page); the origin settings page says instead
that with Host forwarded the certificate must match the Host. The names are "the Common Name
... and possibly several more in the Subject Alternative Names", and "CloudFront supports
wildcard characters". What is not documented: whether the Common Name still counts when SANs
are present, and how wildcards match. So a name is judged by the strictest reading first (RFC
6125: SAN DNS names, the CN only without them, a wildcard for exactly one whole left-most
label); a name that only matches by a looser reading is reported with that doubt, never as a
plain yes or no.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from workers.models import CertificateInfo
from workers.models.record import FrozenRecord


class Kind(StrEnum):
    """How one certificate name (a pattern) matches one name."""

    RFC = "rfc"  # exact, or "*" standing for one whole left-most label (RFC 6125 §6.4.3)
    PARTIAL = "partial"  # "f*.example.com": RFC 6125 lets clients accept it (MAY), RFC 9525 not
    WIDE = "wide"  # only if "*" could stand for several labels or sit elsewhere: RFC says no
    NONE = "none"


class Doubt(StrEnum):
    """Why a match holds only by a reading AWS does not confirm."""

    FORWARDED_HOST = "forwarded_host"  # names the origin domain, not the forwarded Host
    COMMON_NAME = "common_name"  # only the CN names it, and the SAN lists other DNS names
    PARTIAL_WILDCARD = "partial_wildcard"  # a wildcard for part of a label
    WIDE_WILDCARD = "wide_wildcard"  # a wildcard for more than one label (RFC 6125: no match)


_KIND_DOUBT = {Kind.PARTIAL: Doubt.PARTIAL_WILDCARD, Kind.WIDE: Doubt.WIDE_WILDCARD}


def _clean(text: str) -> str:
    return text.lower().rstrip(".")


def match_kind(pattern: str, name: str) -> Kind:
    """How the certificate name ``pattern`` matches ``name`` (both DNS names)."""
    pattern, name = _clean(pattern), _clean(name)
    if pattern == name:
        return Kind.RFC
    if "*" not in pattern or not name:
        return Kind.NONE
    p_labels, n_labels = pattern.split("."), name.split(".")
    first, rest = p_labels[0], p_labels[1:]
    one_label = (len(p_labels) == len(n_labels) and rest == n_labels[1:] and len(rest) >= 2
                 and "*" not in ".".join(rest) and first.count("*") == 1)
    if one_label and first == "*" and n_labels[0]:
        return Kind.RFC
    # RFC 6125 §6.4.3 rule 3: a client MAY match "baz*", "*baz", "b*z" against one label, but
    # not inside an A-label (xn--).
    if one_label and not first.startswith("xn--") and not n_labels[0].startswith("xn--"):
        head, _, tail = first.partition("*")
        label = n_labels[0]
        if len(label) >= len(head) + len(tail) and label.startswith(head) \
                and label.endswith(tail):
            return Kind.PARTIAL
    # The loosest reading: each "*" stands for any text, dots included.
    loose = ".+".join(re.escape(piece) for piece in pattern.split("*"))
    return Kind.WIDE if re.fullmatch(loose, name) else Kind.NONE


def name_matches(pattern: str, name: str) -> bool:
    """RFC 6125 matching: exact, or a wildcard standing for exactly one left-most label."""
    return match_kind(pattern, name) == Kind.RFC


def names_for_matching(info: CertificateInfo) -> tuple[list[str], bool]:
    """The names RFC 6125 compares, and whether they come from the CN (no DNS SANs)."""
    if info.dns_names:
        return info.dns_names, False
    return ([info.common_name] if info.common_name else []), True


def _is_ip(name: str) -> bool:
    return ":" in name or name.replace(".", "").isdigit()


@dataclass(frozen=True, eq=False, repr=False)
class NameJudgement(FrozenRecord):
    """The certificate against the names CloudFront may check.

    ``matched``: some name matched by some reading; ``doubts`` empty means it matched by the
    strictest reading. ``name`` is the name that matched (the first name checked when none
    did) and ``pattern`` the certificate name it matched.
    """

    matched: bool
    name: str
    pattern: str | None = None
    doubts: tuple[Doubt, ...] = ()

    @property
    def certain_match(self) -> bool:
        return self.matched and not self.doubts

    @property
    def lenient_match(self) -> bool:
        """Matched by a reading the documentation allows, but that AWS does not confirm."""
        return self.matched and bool(self.doubts) and Doubt.WIDE_WILDCARD not in self.doubts


def judge_names(info: CertificateInfo, origin: str, host: str | None = None) -> NameJudgement:
    """How ``info`` names ``origin`` (the origin domain, or its IP literal) when CloudFront
    sends ``host`` as Host and SNI (None or the origin itself: Host not forwarded)."""
    forwarded = host if host and host != origin else None
    checked = [forwarded, origin] if forwarded else [origin]
    patterns, from_cn = names_for_matching(info)
    candidates: list[tuple[str, str, Kind, tuple[Doubt, ...]]] = []
    extra_cn = ([info.common_name] if not from_cn and info.common_name
                and info.common_name not in patterns else [])
    for name in checked:
        name_doubt = (Doubt.FORWARDED_HOST,) if forwarded and name == origin else ()
        if _is_ip(name):  # an IP literal is matched by the certificate's IP addresses only
            if name in info.ip_addresses:
                candidates.append((name, name, Kind.RFC, name_doubt))
            continue
        for pattern, cn_doubt in [(p, ()) for p in patterns] + [
                (p, (Doubt.COMMON_NAME,)) for p in extra_cn]:
            kind = match_kind(pattern, name)
            if kind == Kind.NONE:
                continue
            kind_doubt = (_KIND_DOUBT[kind],) if kind in _KIND_DOUBT else ()
            candidates.append((name, pattern, kind, (*name_doubt, *cn_doubt, *kind_doubt)))
    if not candidates:
        return NameJudgement(False, checked[0])
    # The strictest reading wins: no wildcard across labels, then the fewest doubts, then
    # the order of the names checked (the forwarded Host first).
    name, pattern, _kind, doubts = min(
        candidates, key=lambda c: (Doubt.WIDE_WILDCARD in c[3], len(c[3])))
    return NameJudgement(True, name, pattern, doubts)
