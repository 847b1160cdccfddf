"""Turn the model dataclasses into JSON-ready dicts and back, without pickle."""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")


@cache
def _hints(cls: Any) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def to_dict(obj: Any) -> dict[str, Any]:
    """A dataclass instance as plain dicts, lists and scalars."""
    return dataclasses.asdict(obj)


def _convert(tp: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _convert(args[0], value) if len(args) == 1 else value
    if origin is list:
        (inner,) = typing.get_args(tp)
        return [_convert(inner, v) for v in value]
    if origin is tuple:
        items = typing.get_args(tp)
        if len(items) == 2 and items[1] is Ellipsis:
            return tuple(_convert(items[0], v) for v in value)
        return tuple(_convert(a, v) for a, v in zip(items, value, strict=False))
    if origin is dict:
        _, inner = typing.get_args(tp)
        return {k: _convert(inner, v) for k, v in value.items()}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return from_dict(tp, value)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(value)
        except ValueError:
            return value  # a value a newer writer added: keep the text
    return value


def from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """Rebuild a dataclass (and the dataclasses inside it) from :func:`to_dict` output.

    Unknown keys are ignored so that an older reader accepts a newer report.
    """
    hints = _hints(typing.cast(Any, cls))
    kwargs = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name in data:
            kwargs[f.name] = _convert(hints[f.name], data[f.name])
    return cls(**kwargs)
