"""sd_notify for systemd: status lines sent to `$NOTIFY_SOCKET`.

The protocol is one datagram on a unix socket (an abstract one when the
address starts with "@"), so no systemd-python is needed. The socket is
made with `_socket`, the C module that the `socket` package wraps: it is
already built into the interpreter, while `socket.py` loads `enum`,
`selectors` and more, several times the cost of a boot without os.conf.
Only `socket()`, `sendto()` and `close()` of it are used, which are the
same from Python 3.6 to 3.13. A failure to notify is never an error.
"""

import os


def _address(name: str) -> str:
    return "\0" + name[1:] if name.startswith("@") else name


def notify(message: str) -> None:
    """Sends `message` (e.g. "STATUS=...", "READY=1") to systemd; no-op elsewhere."""
    name = os.environ.get("NOTIFY_SOCKET")
    if not name or not name.startswith(("/", "@")):
        return
    try:
        import _socket as sockets
    except ImportError:  # an interpreter without the C module: the wrapper
        import socket as sockets  # type: ignore[no-redef]
    try:
        sock = sockets.socket(sockets.AF_UNIX, sockets.SOCK_DGRAM)
        try:
            sock.sendto(message.encode("utf-8"), _address(name))
        finally:
            sock.close()
    except OSError:
        pass  # systemd is gone or the socket is not ours: status is best effort
