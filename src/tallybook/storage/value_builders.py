"""Building frozen, slotted dataclass instances from a row's values at the cost of plain ones.

Why: a frozen dataclass's `__init__` sets each field through `object.__setattr__`, which on
CPython 3.11 costs several times a plain attribute store: 1.8 µs for an `Entry`'s eleven
fields against 0.4 µs built here (bench/results/profiles-session13.txt), and a page of history
builds an `Entry`, its `References` and a `HistoryLine` for each of its hundred rows.

`builder(cls)` fills an unfrozen twin of `cls` (a class with the same slots and nothing else)
and then makes it a `cls`: CPython allows `__class__` assignment between classes of the same
layout. The result is an ordinary `cls` instance, frozen, equal to and hashing like `cls(...)`
with the same values (`tests/unit/test_value_builders.py`). It takes every field, in field
order, and runs no `__post_init__`: `builder` refuses classes that have one, or that are not
frozen and slotted.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

Value = TypeVar("Value")


def builder(cls: type[Value]) -> Callable[..., Value]:
    """A function taking `cls`'s fields positionally, in order, and returning a `cls`."""
    names = tuple(field.name for field in dataclasses.fields(cls))  # type: ignore[arg-type]
    options: Any = getattr(cls, "__dataclass_params__", None)
    if not options.frozen or getattr(cls, "__slots__", ()) != names:
        raise TypeError(f"{cls.__name__} is not a frozen dataclass with slots")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} checks its values in __post_init__")
    arguments = ", ".join(names)
    stores = "".join(f"    _twin.{name} = {name}\n" for name in names)
    source = (  # its own names start with _, a field's never do
        f"def build({arguments}):\n"
        "    _twin = _new(_Twin)\n"
        f"{stores}"
        "    _twin.__class__ = _cls\n"
        "    return _twin\n"
    )
    twin = type(f"_{cls.__name__}Twin", (), {"__slots__": names})
    namespace: dict[str, Any] = {"_new": object.__new__, "_Twin": twin, "_cls": cls}
    exec(source, namespace)  # the way dataclasses writes its own __init__
    build: Callable[..., Value] = namespace["build"]
    return build
