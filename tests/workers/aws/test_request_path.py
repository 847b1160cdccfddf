"""Which part of a typed path picks the cache behaviour (facts §7.3 compare the path with the
patterns): workers/aws/path_patterns.request_parts and workers/distribution.select_behaviours.
Pure; property tests check request_parts against urllib's URL splitting and that a query string
or fragment never changes the behaviour picked (the re-audit's R1/W1)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workers.aws.path_patterns import request_parts
from workers.distribution import select_behaviours
from workers.models.distribution import Behaviour

# Pieces that make the patterns below, `?`, `#` and query-like text likely to meet.
PIECES = ["a", "/", ".", ".jpg", "?", "#", "=", "&", "api/"]
targets = st.lists(st.sampled_from(PIECES), max_size=8).map(lambda t: "/" + "".join(t))


@pytest.mark.parametrize(("target", "path", "query"), [
    ("/a/b.jpg", "/a/b.jpg", ""), ("/a/b.jpg?v=2", "/a/b.jpg", "?v=2"),
    ("/a/b?f=.jpg", "/a/b", "?f=.jpg"), ("/api/x#frag", "/api/x", ""),
    ("/x?next=/api/y#top", "/x", "?next=/api/y"), ("/a?", "/a", "?"),
    ("/a#b?c", "/a", "")])
def test_request_parts_rows(target, path, query):
    assert request_parts(target) == (path, query)


@given(targets)
@settings(max_examples=400, deadline=None)
def test_request_parts_agree_with_urlsplit(target):
    parts = urlsplit("https://h.invalid" + target)
    path, query = request_parts(target)
    assert path == parts.path
    assert query.removeprefix("?") == parts.query
    assert "#" not in path + query


def _shop() -> list[Behaviour]:
    return [Behaviour("*.jpg", "img", ["img"]), Behaviour("/api/*", "api", ["api"]),
            Behaviour("*", "web", ["web"], is_default=True)]


@pytest.mark.parametrize(("target", "picked"), [
    ("/a/b.jpg?v=2", "img"), ("/a/b?f=.jpg", "web"), ("/a/b.jpg#x", "img"),
    ("/x?next=/api/y", "web"), ("/api/x#frag", "api"), ("/a/b.jpg", "img")])
def test_the_path_alone_picks_the_behaviour(target, picked):
    assert [b.target_id for b in select_behaviours(_shop(), target)] == [picked]


@given(targets)
@settings(max_examples=400, deadline=None)
def test_a_query_or_fragment_never_changes_the_behaviour(target):
    path = request_parts(target)[0]
    assert select_behaviours(_shop(), target) == select_behaviours(_shop(), path)
