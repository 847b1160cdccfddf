"""Equality, hashing and repr of the project's dataclasses, written once for all of them.

`@dataclass` writes `__eq__` and `__repr__` (and, when frozen, `__hash__`) for each class by
compiling source text as the class is created: some 0.1 ms a method, ~7 ms of every
`origin502 diagnose` start-up over the dataclasses a diagnosis imports (issue 8). A class
declared `@dataclass(eq=False, repr=False)` on `Record`, or `@dataclass(frozen=True,
eq=False, repr=False)` on `FrozenRecord`, gets the same behaviour from here, read from its
fields when first used:

* equal when the other object is of the very same class and the fields that compare
  (`field(compare=...)`) are equal, else NotImplemented;
* a mutable record is unhashable; a frozen one hashes the fields that compare (or those with
  `field(hash=True)`);
* shown as `Name(field=value, ...)` with the fields that show (`field(repr=...)`), `...` for
  a record met again inside itself.

dataclasses.fields, replace and asdict work on them as on any dataclass.
"""

from __future__ import annotations

import reprlib
from dataclasses import Field, fields
from typing import Any

# Per class: the names of the fields that compare, that hash and that show.
_COMPARED: dict[type, tuple[str, ...]] = {}
_HASHED: dict[type, tuple[str, ...]] = {}
_SHOWN: dict[type, tuple[str, ...]] = {}


def _hashes(f: Field[Any]) -> bool:
    return f.compare if f.hash is None else f.hash


def _names(cache: dict[type, tuple[str, ...]], cls: type, keep: Any) -> tuple[str, ...]:
    names = cache.get(cls)
    if names is None:
        names = cache[cls] = tuple(f.name for f in fields(cls) if keep(f))
    return names


class Record:
    """Base of a mutable dataclass declared with `eq=False, repr=False`."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        names = _names(_COMPARED, self.__class__, lambda f: f.compare)
        return (tuple(getattr(self, name) for name in names)
                == tuple(getattr(other, name) for name in names))

    # As `@dataclass(eq=True)` leaves a mutable class: equal by value, so not hashable.
    __hash__ = None  # type: ignore[assignment]

    @reprlib.recursive_repr()
    def __repr__(self) -> str:
        names = _names(_SHOWN, self.__class__, lambda f: f.repr)
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{self.__class__.__qualname__}({shown})"


class FrozenRecord(Record):
    """Base of a frozen dataclass declared with `frozen=True, eq=False, repr=False`."""

    __slots__ = ()

    def __hash__(self) -> int:  # type: ignore[override]  # frozen: hashable again
        names = _names(_HASHED, self.__class__, _hashes)
        return hash(tuple(getattr(self, name) for name in names))
