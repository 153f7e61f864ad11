"""How to apply, in its own small module: the boot path builds it before it
knows whether there is anything to plan, and must not load the planner for that."""

from osconf.value import Value

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional


class Options(Value):
    """How to apply: live network work, stack override, NIC wait."""

    __slots__ = ("live", "network_stack", "nic_timeout", "defer_to_stack")
    live: bool
    network_stack: "Optional[str]"
    nic_timeout: float  # seconds to wait for a NIC that has not appeared yet
    # Live by default (not --live): a stack that has not started yet (boot)
    # brings the NICs up from osconf's files itself (osconf.boot).
    defer_to_stack: bool

    def __init__(
        self,
        live: bool = False,
        network_stack: "Optional[str]" = None,
        nic_timeout: float = 30.0,
        defer_to_stack: bool = False,
    ) -> None:
        self._set(live, network_stack, nic_timeout, defer_to_stack)
