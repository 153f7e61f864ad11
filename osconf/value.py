"""Small frozen value classes for the boot path, without `dataclasses`.

`dataclasses` (with `inspect`, `re` and `typing` behind it) costs more to
import than a boot without os.conf costs in all; the few values that path
builds (a block device, a mount, a file system) use this base instead:
`__slots__` are the fields, and equality, hash and repr come from them.
"""

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Tuple


class Value:
    """Fields are the `__slots__`; set once in `__init__` through `_set`."""

    __slots__: "Tuple[str, ...]" = ()

    def _set(self, *values: "Any") -> None:
        for name, value in zip(self.__slots__, values):
            object.__setattr__(self, name, value)

    def _fields(self) -> "Tuple[Any, ...]":
        return tuple(getattr(self, name) for name in self.__slots__)

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
        pairs = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__)
        return f"{type(self).__name__}({pairs})"
