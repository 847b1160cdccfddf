"""Only what viewers can reach is probed as reachable (`origin502 diagnose SITE`, real boto3
against moto's server on loopback, real origins on 127.0.0.1): the HTTP port of a match-viewer
origin whose behaviours keep HTTP viewers at the edge, a behaviour an earlier pattern shadows,
the path a pattern like `*.jpg` is probed at, and an origin no behaviour routes to."""

from __future__ import annotations

import json

import pytest

from tests.support.aws import behaviour, create_distribution, custom_origin
from tests.support.nginx import Nginx, NginxServer, TlsFiles
from tests.support.ports import closed_port
from tests.support.tls_origin import TlsOrigin
from tests.workers.aws.conftest import leaf, run, web_distribution


def resolve(*names: str) -> list[str]:
    out = []
    for name in names:
        out += ["--resolve", f"{name}:127.0.0.1"]
    return out


def with_viewers(target: str, pattern: str | None, policy: str):
    data = behaviour(target, pattern)
    data["ViewerProtocolPolicy"] = policy
    return data


def codes(probe) -> list[str]:
    return [f["code"] for f in probe["report"]["findings"]]


@pytest.mark.parametrize("viewers", ["redirect-to-https", "https-only"])
def test_match_viewer_behind_https_viewers_only_does_not_probe_the_http_port(aws, pki, viewers):
    """audit3 case 01: HTTP viewers never reach the origin over HTTP, so its closed HTTP port
    is no 502; the HTTP port is named in a note, hedged."""
    client, _front = aws
    web_leaf = leaf(pki, "web.shop.test")
    http_port = closed_port()
    with TlsOrigin([web_leaf, pki["inter"]], web_leaf) as web:
        create_distribution(
            client, aliases=["www.shop.test"], ref=viewers,
            origins=[custom_origin("web", "web.shop.test", https_port=web.port,
                                   http_port=http_port, policy="match-viewer")],
            default=with_viewers("web", None, viewers))
        args = ["www.shop.test", *resolve("web.shop.test"), "--ca-file", pki["ca"]]
        as_json = run(*args, "--json")
        text = run(*args)
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.stdout)
    assert data["verdict"] == "warn"  # loopback only
    probe = data["distribution"]["origins"][0]["probes"][0]
    assert "PORT_CLOSED" not in codes(probe)
    assert probe["report"]["target"]["protocol_policy"] == "https-only"
    note = next(n for n in probe["notes"] if "HTTP port" in n)
    assert f"HTTP port {http_port} not probed" in note
    assert f"default (*) ({viewers})" in note
    assert "does not say it outright" in note  # derived, not in AWS text we hold
    assert "allow-all" in note
    assert text.exit_code == 0
    assert "HTTP viewers would get" not in text.stdout


def test_http_viewers_let_through_by_any_behaviour_still_probe_the_http_port(aws, pki):
    """The same origin, reached also by an allow-all behaviour: HTTP viewers do get to it, so
    its closed HTTP port is their 502."""
    client, _front = aws
    web_leaf = leaf(pki, "web.shop.test")
    with TlsOrigin([web_leaf, pki["inter"]], web_leaf) as web:
        create_distribution(
            client, aliases=["www.shop.test"],
            origins=[custom_origin("web", "web.shop.test", https_port=web.port,
                                   http_port=closed_port(), policy="match-viewer")],
            default=with_viewers("web", None, "redirect-to-https"),
            behaviours=[with_viewers("web", "/open/*", "allow-all")])
        result = run("www.shop.test", *resolve("web.shop.test"), "--ca-file", pki["ca"],
                     "--json")
    assert result.exit_code == 1, result.output
    probe = json.loads(result.stdout)["distribution"]["origins"][0]["probes"][0]
    assert probe["behaviours"] == ["/open/*", "default (*)"]
    assert probe["report"]["target"]["protocol_policy"] == "match-viewer"
    assert "PORT_CLOSED" in codes(probe)
    assert not any("HTTP port" in n for n in probe["notes"])


def test_a_shadowed_behaviour_is_a_warning_and_its_origin_is_not_probed(aws, pki):
    """audit3 case 02: /api/* listed before /api/v2/* takes every path of it; v2's closed port
    is not what any viewer gets. --path still picks CloudFront's own behaviour."""
    client, _front = aws
    v2 = custom_origin("v2", "v2.shop.test", https_port=closed_port())
    with web_distribution(client, pki, also=[v2],
                          behaviours=[behaviour("web", "/api/*"), behaviour("v2", "/api/v2/*")]):
        common = [*resolve("web.shop.test", "v2.shop.test"), "--ca-file", pki["ca"]]
        as_json = run("www.shop.test", *common, "--json")
        text = run("www.shop.test", *common)
        by_path = run("www.shop.test", "--path", "/api/v2/x", *common, "--json")
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.stdout)
    assert data["verdict"] == "warn"
    dist = data["distribution"]
    origins = {o["id"]: o for o in dist["origins"]}
    assert origins["v2"]["probes"] == []
    assert [p["behaviours"] for p in origins["web"]["probes"]] == [["/api/*", "default (*)"]]
    behaviours = {b["path_pattern"]: b for b in dist["behaviours"]}
    assert behaviours["/api/v2/*"]["shadowed_by"] == ["/api/*"]
    assert behaviours["/api/*"]["shadowed_by"] == []
    assert any("/api/v2/* is shadowed" in n and "/api/*" in n for n in dist["notes"])
    assert text.exit_code == 0
    flat = " ".join(text.stdout.split())
    assert "v2 (v2.shop.test) — serves /api/v2/*; not probed: no request reaches it" in flat
    picked = json.loads(by_path.stdout)["distribution"]["origins"]
    assert [o["id"] for o in picked if o["probes"]] == ["web"]
    assert picked[0]["probes"][0]["path"] == "/api/v2/x"


def test_a_suffix_pattern_is_probed_at_a_path_it_matches(aws, pki, tmp_path):
    """audit3 case 10: *.jpg goes only to .jpg paths; an origin that answers 500 elsewhere is
    fine for its viewers. The earlier /x* takes /x.jpg, so another path is found."""
    client, _front = aws
    img_leaf = leaf(pki, "img.shop.test")
    files = TlsFiles.write(tmp_path / "img", img_leaf, pki["inter"])
    server = NginxServer(tls=files, body="return 500;",
                         extra="location ~ \\.jpg$ { return 200 'jpeg'; }")
    web_leaf = leaf(pki, "web.shop.test")
    with Nginx([server]) as nginx, TlsOrigin([web_leaf, pki["inter"]], web_leaf) as web:
        create_distribution(
            client, aliases=["www.shop.test"],
            origins=[custom_origin("web", "web.shop.test", https_port=web.port),
                     custom_origin("img", "img.shop.test", https_port=nginx.ports[0])],
            default=behaviour("web"),
            behaviours=[behaviour("web", "/x*"), behaviour("img", "*.jpg")])
        result = run("www.shop.test", *resolve("web.shop.test", "img.shop.test"),
                     "--ca-file", pki["ca"], "--json")
    assert result.exit_code == 0, result.output
    origins = {o["id"]: o for o in json.loads(result.stdout)["distribution"]["origins"]}
    img = origins["img"]["probes"][0]
    assert img["path"] == "/.jpg"
    assert img["verdict"] == "warn"
    assert img["report"]["addresses"][0]["probes"][0]["http"]["status_code"] == 200


def test_an_origin_no_behaviour_uses_says_so(aws, pki):
    client, _front = aws
    old = custom_origin("old", "old.shop.test", https_port=closed_port())
    with web_distribution(client, pki, also=[old]):
        result = run("www.shop.test", *resolve("web.shop.test"), "--ca-file", pki["ca"])
    flat = " ".join(result.stdout.split())
    assert "old (old.shop.test) — serves no behaviour; not probed: no cache behaviour routes " \
        "to it" in flat
    assert "--path / --origin" not in flat


def _jpg_on_a_closed_origin(client, web_port: int) -> None:
    create_distribution(
        client, aliases=["www.shop.test"],
        origins=[custom_origin("web", "web.shop.test", https_port=web_port),
                 custom_origin("img", "img.shop.test", https_port=closed_port())],
        default=behaviour("web"), behaviours=[behaviour("img", "*.jpg")])


def _probed(result) -> dict[str, list[str]]:
    origins = json.loads(result.stdout)["distribution"]["origins"]
    return {o["id"]: [p["path"] for p in o["probes"]] for o in origins if o["probes"]}


def test_a_urls_query_string_does_not_pick_the_behaviour(aws, pki):
    """re-audit R1/W1: CloudFront compares the path with the patterns, so a cache-busting
    `?v=2` leaves /a/b.jpg with *.jpg (its origin's closed port is the viewers' 502), and
    `?f=.jpg` does not make /a/b a .jpg. The query string is still sent to the origin."""
    client, _front = aws
    web_leaf = leaf(pki, "web.shop.test")
    with TlsOrigin([web_leaf, pki["inter"]], web_leaf) as web:
        _jpg_on_a_closed_origin(client, web.port)
        common = [*resolve("web.shop.test", "img.shop.test"), "--ca-file", pki["ca"], "--json"]
        url = run("https://www.shop.test/a/b.jpg?v=2", *common)
        url_text = run("https://www.shop.test/a/b.jpg?v=2", *common[:-1])
        typed = run("www.shop.test", "--path", "/a/b.jpg?v=2", *common)
        not_jpg = run("www.shop.test", "--path", "/a/b?f=.jpg", *common)
    assert url.exit_code == 1, url.output
    assert _probed(url) == {"img": ["/a/b.jpg?v=2"]}
    assert json.loads(url.stdout)["verdict"] == "fail"
    assert typed.exit_code == 1, typed.output
    assert _probed(typed) == {"img": ["/a/b.jpg?v=2"]}
    assert not_jpg.exit_code == 0, not_jpg.output
    assert _probed(not_jpg) == {"web": ["/a/b?f=.jpg"]}
    # re-audit W5: no option was given, so none is named; the URL's path chose.
    flat = " ".join(url_text.stdout.split())
    assert "web (web.shop.test) — serves default (*); not probed: not selected (the typed " \
        "URL's path /a/b.jpg?v=2 picks another behaviour)" in flat
    assert "--path / --origin" not in flat


def test_a_fragment_is_never_sent(aws, pki):
    """A browser keeps `#…` to itself: the behaviour is picked without it and the origin is
    asked for the path (and query) alone."""
    client, _front = aws
    web_leaf = leaf(pki, "web.shop.test")
    with TlsOrigin([web_leaf, pki["inter"]], web_leaf) as web:
        _jpg_on_a_closed_origin(client, web.port)
        result = run("www.shop.test", "--path", "/a/b.jpg?v=2#top",
                     *resolve("web.shop.test", "img.shop.test"), "--ca-file", pki["ca"],
                     "--json")
    assert result.exit_code == 1, result.output
    assert _probed(result) == {"img": ["/a/b.jpg?v=2"]}


def test_a_shadowed_default_is_not_advised_to_move(aws, pki):
    """re-audit W4: a behaviour `*` listed first shadows /api/* and the default. The default
    cannot be listed anywhere but last (facts §7.3), so the advice for it is about the `*`
    behaviour; /api/* may still be listed before it."""
    client, _front = aws
    web_leaf = leaf(pki, "web.shop.test")
    with TlsOrigin([web_leaf, pki["inter"]], web_leaf) as web:
        create_distribution(
            client, aliases=["www.shop.test"],
            origins=[custom_origin("web", "web.shop.test", https_port=web.port),
                     custom_origin("v2", "v2.shop.test", https_port=closed_port())],
            default=behaviour("web"),
            behaviours=[behaviour("web", "*"), behaviour("v2", "/api/*")])
        result = run("www.shop.test", *resolve("web.shop.test", "v2.shop.test"),
                     "--ca-file", pki["ca"], "--json")
    assert result.exit_code == 0, result.output
    notes = json.loads(result.stdout)["distribution"]["notes"]
    shadowed = [n for n in notes if "is shadowed" in n]
    assert len(shadowed) == 2
    api, default = shadowed
    assert "behaviour /api/* is shadowed" in api and "list it before *" in api
    assert "list it before" not in default
    assert "cannot be moved" in default and "change or remove the behaviour *" in default



def test_a_star_behaviour_listed_first_is_not_called_the_default(aws, pki):
    """A behaviour with pattern `*` before the DefaultCacheBehavior used to be labelled
    "default (*)" like the default itself, so notes and the probe's behaviours could not tell
    the two apart. Only the DefaultCacheBehavior is the default."""
    client, _front = aws
    web_leaf = leaf(pki, "web.shop.test")
    with TlsOrigin([web_leaf, pki["inter"]], web_leaf) as web:
        create_distribution(
            client, aliases=["www.shop.test"],
            origins=[custom_origin("web", "web.shop.test", https_port=web.port)],
            default=behaviour("web"), behaviours=[behaviour("web", "*")])
        result = run("www.shop.test", *resolve("web.shop.test"), "--ca-file", pki["ca"],
                     "--json")
    assert result.exit_code == 0, result.output
    dist = json.loads(result.stdout)["distribution"]
    assert [(b["path_pattern"], b["is_default"]) for b in dist["behaviours"]] == [
        ("*", False), ("*", True)]
    (origin,) = dist["origins"]
    assert [p["behaviours"] for p in origin["probes"]] == [["* (not the default)"]]
    (note,) = [n for n in dist["notes"] if "is shadowed" in n]
    assert note.startswith("behaviour default (*) is shadowed")

@pytest.mark.parametrize("secure_first", [False, True])
def test_http_viewers_words_name_only_the_behaviours_they_reach(aws, pki, secure_first):
    """re-audit W2: a match-viewer origin with its HTTP port closed, reached by /open/*
    (allow-all) and /secure/* (https-only): only /open/*'s HTTP viewers get the 502, so the
    line names /open/* and says nothing of the sort for /secure/*."""
    client, _front = aws
    web_leaf, app_leaf = leaf(pki, "web.shop.test"), leaf(pki, "app.shop.test")
    with TlsOrigin([web_leaf, pki["inter"]], web_leaf) as web, \
            TlsOrigin([app_leaf, pki["inter"]], app_leaf) as app:
        allowing = with_viewers("app", "/open/*", "allow-all")
        refusing = with_viewers("app", "/secure/*", "https-only")
        create_distribution(
            client, aliases=["www.shop.test"],
            origins=[custom_origin("web", "web.shop.test", https_port=web.port),
                     custom_origin("app", "app.shop.test", https_port=app.port,
                                   http_port=closed_port(), policy="match-viewer")],
            default=behaviour("web"),
            behaviours=[refusing, allowing] if secure_first else [allowing, refusing])
        text = run("www.shop.test", *resolve("web.shop.test", "app.shop.test"),
                   "--ca-file", pki["ca"])
    assert text.exit_code == 1, text.output
    flat = " ".join(text.stdout.split())
    served = "/secure/*, /open/*" if secure_first else "/open/*, /secure/*"
    assert f"— serves {served}: /open/*: HTTP viewers: 502 expected; HTTPS viewers: no error " \
        "found" in flat
    assert "/secure/*: HTTP viewers" not in flat
    assert "HTTP viewers reach this origin only through /open/*: the viewer protocol policy " \
        "of /secure/* (https-only) keeps them at the edge" in flat
