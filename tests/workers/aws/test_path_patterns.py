"""CloudFront's path patterns (workers/aws/path_patterns.py): matching, the path probed for a
behaviour, and shadowing. Pure; property tests check the matcher against fnmatch (an
independent reading of `*` and `?`) and every answer against the matcher."""

from __future__ import annotations

import fnmatch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workers.aws import path_patterns
from workers.aws.path_patterns import (
    concrete_path,
    filled_path,
    pattern_matches,
    reach,
    reaches,
)

# Few characters, so that patterns overlap often and shadowing is common enough to test.
PATTERN_CHARS = "ab/.*?"
patterns = st.text(PATTERN_CHARS, min_size=1, max_size=10)
paths = st.text("ab/.x", max_size=10).map(lambda p: "/" + p)


def oracle(pattern: str, path: str) -> bool:
    """fnmatch's `*` and `?`, with `[` taken literally and the leading `/` CloudFront implies."""
    want = pattern if pattern.startswith("/") else "/" + pattern
    return fnmatch.fnmatchcase(path, want.replace("[", "[[]"))


@pytest.mark.parametrize(("pattern", "path", "matches"), [
    ("*", "/anything", True), ("/api/*", "/api/x", True), ("/api/*", "/apix", False),
    ("api/*", "/api/x", True), ("*.jpg", "/a/b.jpg", True), ("/img/?.png", "/img/a.png", True),
    ("/API/*", "/api/x", False), ("*.jpg", "/", False), ("/a[b]", "/a[b]", True),
    ("/a?", "/a/", True), ("/a**b", "/ab", True)])
def test_path_pattern_rows(pattern, path, matches):
    assert pattern_matches(pattern, path) is matches


@pytest.mark.parametrize(("pattern", "path"), [
    ("*", "/"), ("/*", "/"), ("/api/*", "/api/"), ("images/*", "/images/"),
    ("*.jpg", "/x.jpg"), ("/img/?.png", "/img/x.png"), ("/a/*/edit", "/a/x/edit")])
def test_concrete_path_rows(pattern, path):
    assert concrete_path(pattern) == path


def test_a_path_taken_earlier_is_replaced_by_one_that_reaches_the_behaviour():
    # /x.jpg belongs to /x* listed first; /.jpg still reaches *.jpg.
    assert concrete_path("*.jpg", ["/x*"]) == "/.jpg"
    assert concrete_path("/api/*", ["/api/"]) == "/api/x"


@pytest.mark.parametrize(("pattern", "before", "takers"), [
    ("/api/v2/*", ["/api/*"], ("/api/*",)),        # audit3 case 02
    ("*", ["/static/*", "/*"], ("/static/*", "/*")),  # a catch-all listed first
    ("/ab", ["/a?", "/*b", "/c*"], ("/a?", "/*b")),  # two patterns together, /c* uninvolved
    ("/a?", ["/a*"], ("/a*",)),
    ("/img/*.png", ["/img/*"], ("/img/*",)),
])
def test_shadowed_rows(pattern, before, takers):
    found = reach(pattern, before)
    assert found.path is None
    assert found.shadowed_by == takers


@pytest.mark.parametrize(("pattern", "before"), [
    ("/api/*", ["/api/v2/*"]),  # the right order: /api/x still reaches /api/*
    ("*", ["/api/*"]),
    ("*.jpg", ["/api/*", "/x*"]),
    ("/API/*", ["/api/*"]),  # case-sensitive
    ("/a*", ["/a?*"]),  # "/a" itself is left
])
def test_not_shadowed_rows(pattern, before):
    found = reach(pattern, before)
    assert found.shadowed_by == ()
    assert found.path is not None and pattern_matches(pattern, found.path)
    assert not any(pattern_matches(p, found.path) for p in before)


def test_a_distributions_behaviours_in_their_order():
    found = reaches(["/api/*", "/api/v2/*", "*.jpg", "*"])
    assert [r.path for r in found] == ["/api/", None, "/x.jpg", "/"]
    assert found[1].shadowed_by == ("/api/*",)


def test_the_search_bound_says_undecided_never_shadowed(monkeypatch):
    monkeypatch.setattr(path_patterns, "SEARCH_LIMIT", 3)
    path_patterns._remembered.cache_clear()  # answers found under the real bound
    try:
        found = reach("/*a*b*c", ["/*a*b*", "/x*"])
    finally:
        path_patterns._remembered.cache_clear()  # nor is this one kept for other tests
    assert found.shadowed_by == ()
    assert found.path == filled_path("/*a*b*c")
    assert "stopped looking" in found.undecided and "/*a*b*" in found.undecided


@given(patterns, paths)
@settings(max_examples=400, deadline=None)
def test_the_matcher_agrees_with_fnmatch(pattern, path):
    assert pattern_matches(pattern, path) is oracle(pattern, path)


@given(patterns)
@settings(max_examples=300, deadline=None)
def test_concrete_path_is_matched_by_its_pattern(pattern):
    path = concrete_path(pattern)
    assert path.startswith("/")
    assert pattern_matches(pattern, path)
    assert oracle(pattern, path)


@given(patterns, st.lists(patterns, max_size=4))
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_reach_is_sound(pattern, before):
    """A path given reaches the behaviour (its pattern, no earlier one); a shadowed verdict is
    never contradicted by a path the earlier patterns all miss (checked on every short path
    the pattern's own characters and one other character make)."""
    found = reach(pattern, before)
    if found.path is not None and not found.undecided:
        assert oracle(pattern, found.path)
        assert not any(oracle(p, found.path) for p in before)
    if found.shadowed_by:
        assert found.path is None
        assert set(found.shadowed_by) <= set(before)
        for path in _short_paths(pattern):
            if oracle(pattern, path):
                assert any(oracle(p, path) for p in before), path


def _short_paths(pattern: str, longest: int = 5) -> list[str]:
    chars = sorted({c for c in PATTERN_CHARS if c not in "*?"} | {"x"})
    out, frontier = ["/"], ["/"]
    for _ in range(longest):
        frontier = [p + c for p in frontier for c in chars]
        out += frontier
    return out
