"""Small frozen value classes, without `dataclasses`.

`dataclasses` (with `inspect`, `re` and `typing` behind it) costs more to
import than a boot without os.conf costs in all, and every class it makes
is generated and compiled at import; the values osconf builds (a block
device, a mount, the validated os.conf, the plan's actions) use this base
instead: `__slots__` are the fields, and equality, hash and repr come from
them. Fields named in `_hidden` (a secret, a file's content) are left out
of `repr()`.
"""

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Tuple, TypeVar

    V = TypeVar("V", bound="Value")


class Value:
    """Fields are the `__slots__`; set once in `__init__` through `_set`."""

    __slots__: "Tuple[str, ...]" = ()
    _hidden: "Tuple[str, ...]" = ()

    def _set(self, *values: "Any") -> None:
        for name, value in zip(self.__slots__, values):
            object.__setattr__(self, name, value)

    def _fields(self) -> "Tuple[Any, ...]":
        return tuple(getattr(self, name) for name in self.__slots__)

    def replace(self: "V", **changes: "Any") -> "V":
        """A copy with some fields changed (dataclasses.replace)."""
        unknown = set(changes) - set(self.__slots__)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field {sorted(unknown)[0]}")
        copy = object.__new__(type(self))
        copy._set(*(changes.get(name, getattr(self, name)) for name in self.__slots__))
        return copy

    def __setattr__(self, name: str, value: "Any") -> None:
        raise AttributeError(f"{type(self).__name__} is frozen")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Value)
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        pairs = ", ".join(
            f"{n}={getattr(self, n)!r}" for n in self.__slots__ if n not in self._hidden
        )
        return f"{type(self).__name__}({pairs})"
