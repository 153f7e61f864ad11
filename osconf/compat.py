"""The differences between the Python versions osconf runs on (3.6 to the newest).

Everything version-dependent lives here, so the rest of the package reads as
plain Python 3.6 code.
"""

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING or sys.version_info >= (3, 8):
    from typing import Protocol
else:
    # Structural types are checked by mypy only; at run time a protocol is a
    # plain base class that nothing inherits behaviour from.
    Protocol = object

__all__ = ["Protocol"]
