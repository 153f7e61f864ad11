"""Boots a guest disk under QEMU (TCG) and talks to it over SSH, as an operator would.

Each NIC is on QEMU user networking whose subnet and host address are the
os.conf subnet and gateway, with `restrict=on`: no guest packet leaves
QEMU (the sample addresses are real public hosts); only the forwarded SSH
port on 127.0.0.1 reaches the guest.
"""

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import List, Optional, Type

import paramiko

from tests.conftest import REPO

ARTIFACTS = REPO / "tests/e2e/artifacts"


@dataclass(frozen=True)
class Nic:
    mac: str
    subnet: str  # "10.171.254.0/24"
    gateway: str  # QEMU's host address on that subnet


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Guest:
    def __init__(self, work: Path, disk: Path, kernel: Path, initrd: Path,
                 nics: List[Nic], ssh_address: str, name: str) -> None:  # fmt: skip
        self.work, self.disk, self.kernel, self.initrd = work, disk, kernel, initrd
        self.nics, self.ssh_address, self.name = nics, ssh_address, name
        self.port = free_port()
        self.console = work / f"{name}.console.log"
        self.proc: Optional[subprocess.Popen[bytes]] = None
        self.ok = False

    def __enter__(self) -> "Guest":
        argv = [
            "qemu-system-x86_64", "-accel", "tcg,thread=multi", "-m", "1024", "-smp", "2",
            "-display", "none", "-monitor", "none", "-serial", f"file:{self.console}",
            "-no-reboot", "-kernel", str(self.kernel), "-initrd", str(self.initrd),
            "-append", "root=/dev/vda2 rw console=ttyS0 panic=-1",
            "-drive", f"file={self.disk},if=virtio,format=raw",
        ]  # fmt: skip
        for index, nic in enumerate(self.nics):
            netdev = f"user,id=n{index},net={nic.subnet},host={nic.gateway},restrict=on"
            if index == 0:
                netdev += f",hostfwd=tcp:127.0.0.1:{self.port}-{self.ssh_address}:22"
            argv += ["-netdev", netdev, "-device", f"virtio-net-pci,netdev=n{index},mac={nic.mac}"]
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        return self

    def __exit__(
        self,
        t: Optional[Type[BaseException]],
        e: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        assert self.proc is not None
        if self.proc.poll() is None:
            try:
                self.run(self._password_for_exit, "systemctl poweroff", check=False)
            except Exception:  # noqa: BLE001 - the guest may not accept it; kill below
                pass
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if t is not None or not self.ok:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            if self.console.exists():
                shutil.copy(self.console, ARTIFACTS / self.console.name)

    _password_for_exit = ""

    def connect(self, password: str, timeout: float = 30) -> paramiko.SSHClient:
        client = paramiko.SSHClient()
        client.set_missing_host_key_policy(paramiko.AutoAddPolicy())  # noqa: S507 - test guest
        client.connect("127.0.0.1", port=self.port, username="root", password=password,
                       timeout=timeout, banner_timeout=timeout, auth_timeout=timeout,
                       allow_agent=False, look_for_keys=False)  # fmt: skip
        return client

    def wait_for_ssh(self, password: str, timeout: float = 420) -> None:
        """Until root can log in with `password` (or the guest died / time ran out)."""
        deadline = time.monotonic() + timeout
        last: Optional[Exception] = None
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"QEMU exited ({self.proc.returncode}); see {self.console}")
            try:
                self.connect(password, timeout=20).close()
                self._password_for_exit = password
                return
            except paramiko.AuthenticationException:
                raise
            except Exception as err:  # noqa: BLE001 - not up yet
                last = err
                time.sleep(3)
        raise AssertionError(f"no SSH within {timeout:g} s ({last}); see {self.console}")

    def run(self, password: str, command: str, check: bool = True) -> str:
        client = self.connect(password)
        try:
            _, stdout, stderr = client.exec_command(command, timeout=120)
            out = stdout.read().decode()
            code = stdout.channel.recv_exit_status()
            if check and code != 0:
                raise AssertionError(f"{command!r} exited {code}: {stderr.read().decode()}")
            return out
        finally:
            client.close()
