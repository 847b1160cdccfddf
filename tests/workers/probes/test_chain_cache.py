"""Chain verdicts are reused for the same chain, name and trust store only while the clock
stays between the same notBefore/notAfter instants (the clock is injected)."""

from __future__ import annotations

import datetime as dt

from tests.support.scenario import NAME
from workers.probes.chain_cache import ChainVerdictCache

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


class Clock:
    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def __call__(self) -> dt.datetime:
        return self.at


def judge(cache: ChainVerdictCache, chain: list[bytes], ca: str, name: str = NAME):
    return cache.judge(chain, name=name, ca_file=ca, fetch_aia=False, allow_private=True)


def openssl(judged) -> tuple[bool | None, str | None]:
    verdict = next(v for v in judged.analysis.validators if v.validator == "openssl")
    return verdict.accepted, verdict.code


def test_the_same_chain_is_judged_once_while_nothing_expires(pki):
    clock = Clock(NOW)
    cache = ChainVerdictCache(clock)
    chain = [pki["leaf"].der, pki["inter"].der]
    first = judge(cache, chain, pki["ca"])
    clock.at = NOW + dt.timedelta(minutes=30)
    again = judge(cache, chain, pki["ca"])
    assert again is first
    assert (cache.misses, cache.hits) == (1, 1)
    assert first.analysis.trusted and openssl(first) == (True, None)
    # Another name is another verdict (the validators check the name).
    judge(cache, chain, pki["ca"], name="other.test")
    assert cache.misses == 2


def test_a_verdict_is_not_reused_once_the_leaf_s_not_after_has_passed(pki):
    not_after = NOW + dt.timedelta(hours=2)
    leaf = pki["factory"].leaf(pki["inter"], names=[NAME], not_after=not_after)
    chain = [leaf.der, pki["inter"].der]
    clock = Clock(not_after - dt.timedelta(minutes=1))
    cache = ChainVerdictCache(clock)
    before = judge(cache, chain, pki["ca"])
    assert openssl(before) == (True, None)
    clock.at = not_after + dt.timedelta(seconds=1)
    after = judge(cache, chain, pki["ca"])
    assert cache.misses == 2
    assert openssl(after) == (False, "X509_V_ERR_CERT_HAS_EXPIRED")
    assert after.chain == before.chain  # the certificates are described the same


def test_a_verdict_is_not_reused_once_an_intermediate_s_not_before_has_passed(pki):
    starts = NOW + dt.timedelta(hours=3)
    inter = pki["factory"].intermediate(pki["root"], not_before=starts)
    leaf = pki["factory"].leaf(inter, names=[NAME])
    chain = [leaf.der, inter.der]
    clock = Clock(starts - dt.timedelta(seconds=1))
    cache = ChainVerdictCache(clock)
    assert openssl(judge(cache, chain, pki["ca"])) == (False, "X509_V_ERR_CERT_NOT_YET_VALID")
    clock.at = starts + dt.timedelta(seconds=1)
    assert openssl(judge(cache, chain, pki["ca"])) == (True, None)
    assert cache.misses == 2


def test_verdicts_are_kept_no_longer_than_max_age_and_within_the_size(pki):
    clock = Clock(NOW)
    cache = ChainVerdictCache(clock, max_entries=1, max_age=dt.timedelta(minutes=10))
    chain = [pki["leaf"].der, pki["inter"].der]
    judge(cache, chain, pki["ca"])
    clock.at = NOW + dt.timedelta(minutes=11)
    judge(cache, chain, pki["ca"])
    judge(cache, [pki["leaf"].der], pki["ca"])  # pushes the first one out
    judge(cache, chain, pki["ca"])
    assert (cache.misses, cache.hits) == (4, 0)


def test_a_chain_that_cannot_be_parsed_is_said_so(pki):
    judged = judge(ChainVerdictCache(Clock(NOW)), [b"not a certificate"], pki["ca"])
    assert judged.analysis is None and "cannot be parsed" in (judged.problem or "")


def test_many_names_on_one_chain_share_its_analysis_but_each_name_is_checked(pki, monkeypatch):
    from workers.probes import chain_cache

    analysed = []
    real = chain_cache.analyse_chain
    monkeypatch.setattr(chain_cache, "analyse_chain",
                        lambda *a, **k: analysed.append(1) or real(*a, **k))
    wildcard = pki["factory"].leaf(pki["inter"], names=["*.fleet.test"])
    chain = [wildcard.der, pki["inter"].der]
    cache = ChainVerdictCache(Clock(NOW))
    names = [f"o{i}.fleet.test" for i in range(5)]
    verdicts = [judge(cache, chain, pki["ca"], name=n) for n in names]
    wrong = judge(cache, chain, pki["ca"], name="elsewhere.test")
    assert len(analysed) == 1
    webpki = [next(v for v in j.analysis.validators if v.validator == "webpki")
              for j in [*verdicts, wrong]]
    assert [v.accepted for v in webpki] == [True] * 5 + [False]


def webpki(judged) -> tuple[bool | None, str | None]:
    verdict = next(v for v in judged.analysis.validators if v.validator == "webpki")
    return verdict.accepted, verdict.name


def test_the_web_pki_verdict_is_for_the_first_name_the_certificate_carries(pki):
    # With Host forwarded, AWS's 502 page accepts the origin domain too: the validator judges
    # the chain for it when the certificate does not name the Host (and says which name).
    cache = ChainVerdictCache(Clock(NOW))
    chain = [pki["leaf"].der, pki["inter"].der]
    host_only = judge(cache, chain, pki["ca"], name="www.other.test")
    assert webpki(host_only) == (False, "www.other.test")
    either = cache.judge(chain, name="www.other.test", also=(NAME,), ca_file=pki["ca"],
                         fetch_aia=False, allow_private=True)
    assert webpki(either) == (True, NAME)
    neither = cache.judge(chain, name="www.other.test", also=("x.other.test",),
                          ca_file=pki["ca"], fetch_aia=False, allow_private=True)
    assert webpki(neither) == (False, "www.other.test")
    # Each set of names is its own verdict; asked again, it is reused.
    again = cache.judge(chain, name="www.other.test", also=(NAME,), ca_file=pki["ca"],
                        fetch_aia=False, allow_private=True)
    assert again is either
