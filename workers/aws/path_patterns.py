"""CloudFront's cache-behaviour path patterns: which paths a pattern matches, which of them
reach its behaviour, and one such path to probe.

CloudFront compares the requested path with the patterns in the order the behaviours are
listed and the first match wins (facts §7.3), so a behaviour gets only the paths its pattern
matches and no earlier pattern does. A pattern has two wildcards, `*` (any characters, `/`
included) and `?` (one character); every other character matches itself, case-sensitively. A
pattern without a leading `/` is read as if it had one, since every path starts with it.

Whether a behaviour is shadowed (every path it matches is taken earlier) is decided by walking
the patterns' automata side by side, breadth first, so the first path found is also a shortest
one. The walk has a bound: past it the answer is "could not tell", never "shadowed".

Pure functions, no I/O; tested in tests/workers/aws/test_path_patterns.py.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from workers.models.record import FrozenRecord

STAR, ONE = "*", "?"
# Characters a wildcard is filled with in a path to probe, in order of preference: readable,
# and safe in a URL path as they are.
FILLERS = "xyzabcdefghijklmnopqrstuvw0123456789-_~"
# Joint states of the patterns' automata a search visits at most. Real distributions have a
# few dozen short patterns and need far fewer (see the module's tests); an adversarial set
# of patterns stops here and is said to be undecided.
SEARCH_LIMIT = 5_000


def _normalised(pattern: str) -> str:
    return pattern if pattern.startswith("/") else "/" + pattern


class _Glob:
    """A pattern as a nondeterministic automaton: state i means its first i characters are
    matched; a set of states is a bit mask."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.text = _normalised(pattern)
        size = len(self.text)
        self.final = 1 << size
        # closure[i]: the states reached from i without reading a character (skipping stars).
        closure = [0] * (size + 1)
        for i in range(size, -1, -1):
            closure[i] = (1 << i) | (closure[i + 1] if i < size and self.text[i] == STAR else 0)
        self.closure = closure
        self.start = closure[0]
        self.literals = frozenset(c for c in self.text if c not in (STAR, ONE))
        # States from which only stars are left: every continuation of the path matches.
        self.absorbing = sum(1 << i for i in range(size) if not self.text[i:].strip(STAR))
        self._steps: dict[tuple[int, str | None], int] = {}

    def step(self, states: int, char: str | None) -> int:
        """The states after reading ``char`` (None: a character no pattern names)."""
        key = (states, char)
        known = self._steps.get(key)
        if known is None:
            known = self._steps[key] = self._step(states, char)
        return known

    def _step(self, states: int, char: str | None) -> int:
        out = 0
        while states:
            low = states & -states
            i = low.bit_length() - 1
            states ^= low
            if i == len(self.text):
                continue
            token = self.text[i]
            if token == STAR:
                out |= self.closure[i]
            elif token in (ONE, char):
                out |= self.closure[i + 1]
        return out

    def accepts(self, states: int) -> bool:
        return bool(states & self.final)

    def matches(self, path: str) -> bool:
        states = self.start
        for char in path:
            states = self.step(states, char)
            if not states:
                return False
        return self.accepts(states)


def request_parts(target: str) -> tuple[str, str]:
    """A request target (`/a/b.jpg?v=2#top`) as (the path CloudFront compares with the
    patterns, the query string with its `?` or ""). The fragment is dropped: a browser never
    sends it, so neither CloudFront nor its origin sees it (URL syntax, not CloudFront text)."""
    target = target.partition("#")[0]
    path, mark, query = target.partition("?")
    return path, mark + query


def pattern_matches(pattern: str, path: str) -> bool:
    """CloudFront's path-pattern match: `*` any characters, `?` one; case-sensitive."""
    return _Glob(pattern).matches(path)


def filled_path(pattern: str) -> str:
    """The pattern with its wildcards filled in: a trailing `*` with nothing (`/api/*` →
    `/api/`), any other wildcard with a letter (`*.jpg` → `/x.jpg`). Always matches it."""
    text = _normalised(pattern).rstrip(STAR)
    return "".join(FILLERS[0] if c in (STAR, ONE) else c for c in text) or "/"


@dataclass(frozen=True, eq=False, repr=False)
class Reach(FrozenRecord):
    """What reaches one behaviour, given the patterns listed before it."""

    # A path CloudFront gives this behaviour; None when it is shadowed.
    path: str | None
    # Set only when certain: every path the pattern matches is taken by these earlier
    # patterns (the ones that match some of its paths), so no request reaches it.
    shadowed_by: tuple[str, ...] = ()
    # When the search stopped at its bound: why ``path`` may not reach this behaviour.
    undecided: str = ""


def reach(pattern: str, before: Sequence[str] = ()) -> Reach:
    """Which paths reach ``pattern`` when the patterns ``before`` are listed ahead of it."""
    return _remembered(pattern, tuple(before))


def reaches(patterns: Sequence[str]) -> list[Reach]:
    """reach() for each pattern of a distribution's behaviours, in their order."""
    return [reach(pattern, patterns[:index]) for index, pattern in enumerate(patterns)]


# The lookup marks shadowed behaviours and plan() then asks for each one's path: remembered so
# that a search that ran to its bound is not run twice (answers are small; automata are not kept).
@lru_cache(maxsize=256)
def _remembered(pattern: str, before: tuple[str, ...]) -> Reach:
    return _reach(_Glob(pattern), [_Glob(p) for p in before])


def _reach(target: _Glob, earlier: list[_Glob]) -> Reach:
    pattern, before = target.pattern, [e.pattern for e in earlier]
    filled = filled_path(pattern)
    if not any(e.matches(filled) for e in earlier):
        return Reach(filled)
    found, decided = _search(target, earlier)
    if found is not None:
        return Reach(found)
    if decided:
        takers = tuple(p for p, e in zip(before, earlier, strict=True) if _overlaps(target, e))
        return Reach(None, shadowed_by=takers)
    takers = tuple(p for p, e in zip(before, earlier, strict=True) if e.matches(filled))
    return Reach(filled, undecided=(
        f"{filled} is taken by {', '.join(takers)} listed before it, and origin502 stopped "
        f"looking for a path that reaches {pattern} after {SEARCH_LIMIT} steps"))


def concrete_path(pattern: str, before: Sequence[str] = ()) -> str:
    """A path the pattern matches and, when one exists, that no pattern in ``before`` takes."""
    return reach(pattern, before).path or filled_path(pattern)


def _filler(globs: Sequence[_Glob]) -> str:
    """A character no pattern names, standing for all such characters in a search."""
    named = frozenset().union(*(g.literals for g in globs))
    return next((c for c in FILLERS if c not in named),
                next(chr(c) for c in range(0x100, 0x10FFFF) if chr(c) not in named))


def _overlaps(target: _Glob, other: _Glob) -> bool:
    """Whether some path matches both (or the search could not tell)."""
    found, decided = _search(target, [other], overlap=True)
    return found is not None or not decided


def _search(target: _Glob, earlier: Sequence[_Glob], *,
            overlap: bool = False) -> tuple[str | None, bool]:
    """A shortest path ``target`` matches and no ``earlier`` pattern does (with ``overlap``:
    that every earlier pattern matches too), and whether the search finished.

    Besides one character no pattern names, only the target's own characters are tried when
    looking for a path the earlier patterns miss: any other character moves the target like
    the unnamed one, and moves the earlier patterns at least as far, so it can never be what
    keeps a path away from them. Looking for a shared path needs their characters too.
    """
    unnamed = _filler([target, *earlier])
    named = target.literals.union(*(e.literals for e in earlier)) if overlap \
        else target.literals
    alphabet: list[str | None] = [None, *sorted(named)]  # a filler letter reads best
    start = (target.start, tuple(e.start for e in earlier))
    seen = {start}
    queue: deque[tuple[tuple[int, tuple[int, ...]], str]] = deque([(start, "")])
    while queue:
        (mine, theirs), text = queue.popleft()
        if target.accepts(mine):
            taken = [e.accepts(s) for e, s in zip(earlier, theirs, strict=True)]
            if all(taken) if overlap else not any(taken):
                return text, True
        for char in alphabet:
            nxt_mine = target.step(mine, char)
            if not nxt_mine:
                continue
            nxt = (nxt_mine, tuple(e.step(s, char) for e, s in zip(earlier, theirs,
                                                                   strict=True)))
            if overlap and not all(nxt[1]):
                continue
            if not overlap and any(s & e.absorbing for e, s in zip(earlier, nxt[1],
                                                                    strict=True)):
                continue  # an earlier pattern takes every path that starts this way
            if nxt in seen:
                continue
            if len(seen) >= SEARCH_LIMIT:
                return None, False
            seen.add(nxt)
            queue.append((nxt, text + (unnamed if char is None else char)))
    return None, True
