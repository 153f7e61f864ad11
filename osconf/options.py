"""How to apply, in its own small module: the boot path builds it before it
knows whether there is anything to plan, and must not load the planner for that."""

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Options:
    """How to apply: live network work, stack override, NIC wait."""

    live: bool = False
    network_stack: Optional[str] = None
    nic_timeout: float = 30.0  # seconds to wait for a NIC that has not appeared yet
    # Live by default (not --live): a stack that has not started yet (boot)
    # brings the NICs up from osconf's files itself (osconf.boot).
    defer_to_stack: bool = False
