"""A behaviour's label: only the DefaultCacheBehavior is "default (*)"; an ordinary behaviour
with the pattern * is named apart from it, and reports stored before ``is_default`` existed
still call their last behaviour the default."""

from __future__ import annotations

from workers.models.distribution import Behaviour, Distribution, DistributionReport


def test_only_the_default_behaviour_is_labelled_default() -> None:
    assert Behaviour("*", "web", ["web"], is_default=True).label == "default (*)"
    assert Behaviour("*", "web", ["web"]).label == "* (not the default)"
    assert Behaviour("/api/*", "api", ["api"]).label == "/api/*"


def _stored(behaviours: list[Behaviour]) -> dict[str, object]:
    dist = Distribution(id="E1", domain_name="d1.cloudfront.net", behaviours=behaviours)
    return DistributionReport(input="E1", verdict="ok", distribution=dist).to_dict()


def test_is_default_survives_the_json_round_trip() -> None:
    data = _stored([Behaviour("*", "a", ["a"]), Behaviour("*", "web", ["web"], is_default=True)])
    back = DistributionReport.from_dict(data)
    assert [b.label for b in back.distribution.behaviours] == ["* (not the default)",
                                                               "default (*)"]


def test_a_report_stored_without_is_default_keeps_its_default_label() -> None:
    data = _stored([Behaviour("/api/*", "api", ["api"]),
                    Behaviour("*", "web", ["web"], is_default=True)])
    for raw in data["distribution"]["behaviours"]:  # type: ignore[index]
        del raw["is_default"]
    back = DistributionReport.from_dict(data)
    assert [b.label for b in back.distribution.behaviours] == ["/api/*", "default (*)"]
