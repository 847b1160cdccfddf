"""Record and FrozenRecord give a dataclass declared `eq=False, repr=False` on them the
equality, hashing and repr `@dataclass` would have written: each twin pair below is compared
member by member."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pytest

from workers.models.record import FrozenRecord, Record


@dataclass
class Written:
    name: str
    items: list[object] = field(default_factory=list)
    note: str = field(default="", compare=False)
    secret: str = field(default="", repr=False)


@dataclass(eq=False, repr=False)
class Shared(Record):
    name: str
    items: list[object] = field(default_factory=list)
    note: str = field(default="", compare=False)
    secret: str = field(default="", repr=False)


@dataclass(frozen=True)
class WrittenFrozen:
    name: str
    port: int = 443
    note: str = field(default="", compare=False)
    salt: str = field(default="", hash=False)


@dataclass(frozen=True, eq=False, repr=False)
class SharedFrozen(FrozenRecord):
    name: str
    port: int = 443
    note: str = field(default="", compare=False)
    salt: str = field(default="", hash=False)


def same_name(text: str) -> str:
    return text.replace("Written", "X").replace("Shared", "X")


@pytest.mark.parametrize("args", [("a",), ("a", [1, 2]), ("a", [], "n", "s")])
def test_mutable_records_compare_show_and_refuse_hashing_as_dataclasses_do(args):
    written, shared = Written(*args), Shared(*args)
    assert same_name(repr(shared)) == same_name(repr(written))
    assert (shared == Shared(*args)) is (written == Written(*args)) is True
    assert (shared == Shared("other")) is (written == Written("other")) is False
    # A field that does not compare does not count.
    assert (Shared("a", note="x") == Shared("a", note="y")) is True
    assert Shared("a").__eq__(Written("a")) is NotImplemented
    assert Shared("a") != Written("a")
    assert Shared.__hash__ is None and Written.__hash__ is None
    with pytest.raises(TypeError):
        hash(shared)


def test_a_record_met_inside_itself_shows_as_dots():
    written, shared = Written("loop"), Shared("loop")
    written.items.append(written)
    shared.items.append(shared)
    assert same_name(repr(shared)) == same_name(repr(written))
    assert "..." in repr(shared)


@pytest.mark.parametrize("args", [("a",), ("a", 8443), ("a", 1, "n", "s")])
def test_frozen_records_hash_compare_and_show_as_dataclasses_do(args):
    written, shared = WrittenFrozen(*args), SharedFrozen(*args)
    assert same_name(repr(shared)) == same_name(repr(written))
    assert hash(shared) == hash(written)
    assert shared == SharedFrozen(*args)
    assert hash(SharedFrozen("a", salt="x")) == hash(SharedFrozen("a", salt="y"))
    assert {SharedFrozen("a", note="x"), SharedFrozen("a", note="y")} == {SharedFrozen("a")}
    with pytest.raises(dataclasses.FrozenInstanceError):
        shared.name = "b"  # type: ignore[misc]


def test_dataclass_functions_work_on_records():
    shared = SharedFrozen("a", 1)
    assert dataclasses.replace(shared, port=2) == SharedFrozen("a", 2)
    assert dataclasses.asdict(shared) == dataclasses.asdict(WrittenFrozen("a", 1))
    assert [f.name for f in dataclasses.fields(Shared)] == ["name", "items", "note", "secret"]


def test_the_project_dataclasses_that_compare_by_value_use_the_shared_methods():
    """Every dataclass of workers/ takes its eq/repr from Record (or is compared by identity
    on purpose), so none compiles its own again."""
    import importlib
    import pkgutil

    import workers

    missing = []
    for module_info in pkgutil.walk_packages(workers.__path__, "workers."):
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            if (isinstance(value, type) and dataclasses.is_dataclass(value)
                    and value.__module__ == module.__name__
                    and value.__dataclass_params__.eq):  # type: ignore[attr-defined]
                missing.append(f"{value.__module__}.{value.__qualname__}")
    assert missing == []
