"""Findings are merged by what they say, not by editing sentences: drafts of one cause on
several addresses become one finding, worded by the catalog; anything else stays apart."""

from __future__ import annotations

from workers.diagnosis.draft import Draft, Note, draft, merge
from workers.diagnosis.render import word
from workers.models import FindingCode

A, B, C = "192.0.2.1", "192.0.2.2", "192.0.2.3"


def closed(address: str, port: int = 443) -> Draft:
    return draft(FindingCode.PORT_CLOSED, address, port=port, address=address,
                 setting="HTTPS port").worded(scheme="https", tries="3 attempts")


def test_one_cause_on_every_address_is_one_finding() -> None:
    merged = merge([closed(A), closed(B)])
    assert len(merged) == 1
    finding = word(merged[0], total_addresses=2)
    assert finding.address is None
    # The addresses inside the summary's sentence, not after its full stop (re-audit #10).
    assert finding.summary == ("Each address port 443 (https) refuses connections (3 attempts, "
                               "each answered with a TCP reset) (all 2 addresses: "
                               "192.0.2.1, 192.0.2.2).")
    assert finding.evidence == {"port": 443, "address": A, "setting": "HTTPS port",
                                "addresses": [A, B]}
    # The steps are the first address's own, as they were before the merge.
    assert finding.remediation == word(closed(A), total_addresses=2).remediation


def test_a_cause_on_some_addresses_says_how_many() -> None:
    merged = merge([closed(A), closed(C)])
    assert word(merged[0], total_addresses=3).summary.endswith(
        "(2 of 3 addresses: 192.0.2.1, 192.0.2.3).")


def test_a_private_address_merged_reads_as_a_sentence() -> None:
    # Re-audit #10: "origin.test resolves to each address, a loopback address. (all 2
    # addresses: ...)". "Each address" cannot stand for the object of "resolves to".
    def private(address: str) -> Draft:
        return draft(FindingCode.ORIGIN_PRIVATE_ADDRESS, address, address=address,
                     reason="a loopback address").worded(hostname="origin.test")

    assert word(private("127.0.0.1"), 1).summary == (
        "origin.test resolves to 127.0.0.1, a loopback address.")
    [merged] = merge([private("127.0.0.1"), private("127.0.0.2")])
    summary = word(merged, total_addresses=2).summary
    assert summary == ("origin.test resolves to addresses that are not public: each is a "
                       "loopback address (all 2 addresses: 127.0.0.1, 127.0.0.2).")
    assert "each address" not in summary.lower() and ". (" not in summary


def test_different_facts_stay_apart() -> None:
    # The failure a merge by code alone would imply: port 443 and port 8443 are two causes.
    merged = merge([closed(A), closed(B, port=8443)])
    assert [word(d, 2).address for d in merged] == [A, B]
    assert all("each address" not in word(d, 2).summary for d in merged)


def test_different_codes_stay_apart() -> None:
    other = draft(FindingCode.PORT_UNREACHABLE, B, port=443, address=B,
                  setting="HTTPS port").worded(scheme="https", measured="no route")
    assert len(merge([closed(A), other])) == 2


def test_a_note_on_one_address_keeps_it_apart() -> None:
    noted = closed(B)
    noted.notes.append(Note(" A note.", {}))
    merged = merge([closed(A), noted])
    assert len(merged) == 2
    assert word(merged[1], 2).summary.endswith(" A note.")


def test_the_same_address_twice_keeps_its_own_words() -> None:
    merged = merge([closed(A), closed(A)])
    finding = word(merged[0], total_addresses=2)
    assert finding.address == A
    assert finding.summary.startswith("192.0.2.1 port 443")
    assert finding.evidence["addresses"] == [A]


def test_a_cause_about_the_whole_origin_is_said_once() -> None:
    def whole() -> Draft:
        return draft(FindingCode.PORT_NOT_ALLOWED, None, port=22, setting="HTTPS port")
    merged = merge([whole(), whole()])
    assert len(merged) == 1
    assert "addresses" not in word(merged[0], 2).evidence
