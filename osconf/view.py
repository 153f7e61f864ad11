"""`View`: what planning may know of the target -- reads only.

Its own module so that the planner, the network part, the renderers, the
resolver and the live and reload steps can name it without importing
`osconf.plan`, which imports them (the one import circle there was).
`System` is a `View`; so is the boot path's `HostView` for what it reads.
"""

from typing import List, Optional

from osconf.compat import Protocol


class View(Protocol):
    """What planning may know of the target: reads only."""

    def read_text(self, path: str) -> Optional[str]: ...

    def exists(self, path: str) -> bool: ...

    def is_file(self, path: str) -> bool: ...

    def is_symlink(self, path: str) -> bool: ...

    def readlink(self, path: str) -> str: ...

    def resolve(self, path: str) -> str: ...

    def listdir(self, path: str) -> List[str]: ...

    @property
    def is_live(self) -> bool: ...
