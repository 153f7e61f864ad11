"""sd_notify status for systemd, when running under it and systemd-python is there."""

import os


def notify(message: str) -> None:
    """Sends `message` (e.g. "STATUS=...", "READY=1") to systemd; no-op elsewhere."""
    if not os.environ.get("NOTIFY_SOCKET"):
        return
    try:
        from systemd import daemon
    except ImportError:
        return
    daemon.notify(message)
