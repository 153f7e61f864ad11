"""Read-only views of an image's root file system, mounted nowhere.

`TreeView` reads an unpacked tree; `ExtView` reads an ext2/3/4 file system
inside a raw disk image through e2fsprogs' `debugfs` (`image?offset=N`,
inodes addressed as `<N>`, so no path is ever parsed by debugfs). Both
resolve symbolic links themselves as if the image's root were `/`:
nothing outside the image is read. They satisfy `osconf.plan.View`, so the
network stack detection and the SSH key logic run on them unchanged.
"""

import errno
import os
import re
import stat
import subprocess
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

_MAX_LINKS = 40
_MAX_READ = 4 * 1024 * 1024
_TIMEOUT = 60.0
FS_IMMUTABLE = 0x10  # FS_IMMUTABLE_FL / EXT2_IMMUTABLE_FL
FS_APPEND = 0x20
_FS_IOC_GETFLAGS = 0x80086601


@dataclass(frozen=True)
class Node:
    mode: int
    ref: str  # how the backend finds it again (host path or "<inode>")


class ImageView:
    """The generic part: path resolution inside the image and typed reads."""

    is_live = False

    def _lookup(self, parent: Node, name: str) -> Optional[Node]:
        raise NotImplementedError

    def _root(self) -> Node:
        raise NotImplementedError

    def _read(self, node: Node, limit: int) -> bytes:
        raise NotImplementedError

    def _names(self, node: Node) -> List[str]:
        raise NotImplementedError

    def _link(self, node: Node) -> str:
        raise NotImplementedError

    def flags(self, path: str) -> Optional[int]:
        """The inode flags (chattr) of the file at `path`, None if unknown."""
        raise NotImplementedError

    # -- generic ------------------------------------------------------------

    def _walk(self, path: str, follow_last: bool) -> Tuple[str, Optional[Node]]:
        parts = [p for p in path.split("/") if p not in ("", ".")]
        done: List[Tuple[str, Node]] = []
        node = self._root()
        links = 0
        while parts:
            part = parts.pop(0)
            if part == "..":
                if done:
                    done.pop()
                node = done[-1][1] if done else self._root()
                continue
            if not stat.S_ISDIR(node.mode):
                return "/" + "/".join([n for n, _ in done] + [part] + parts), None
            child = self._lookup(node, part)
            if child is None:
                return "/" + "/".join([n for n, _ in done] + [part] + parts), None
            if stat.S_ISLNK(child.mode) and (parts or follow_last):
                links += 1
                if links > _MAX_LINKS:
                    raise OSError(errno.ELOOP, "too many levels of symbolic links", path)
                target = self._link(child)
                if target.startswith("/"):
                    done = []
                    node = self._root()
                parts = [p for p in target.split("/") if p not in ("", ".")] + parts
                continue
            done.append((part, child))
            node = child
        return "/" + "/".join(n for n, _ in done), node

    def node(self, path: str, follow: bool = True) -> Optional[Node]:
        try:
            return self._walk(path, follow)[1]
        except OSError:
            return None

    def resolve(self, path: str) -> str:
        return self._walk(path, True)[0]

    def exists(self, path: str) -> bool:
        return self.node(path) is not None

    def is_file(self, path: str) -> bool:
        found = self.node(path)
        return found is not None and stat.S_ISREG(found.mode)

    def is_dir(self, path: str) -> bool:
        found = self.node(path)
        return found is not None and stat.S_ISDIR(found.mode)

    def is_symlink(self, path: str) -> bool:
        found = self.node(path, follow=False)
        return found is not None and stat.S_ISLNK(found.mode)

    def is_executable(self, path: str) -> bool:
        found = self.node(path)
        return found is not None and stat.S_ISREG(found.mode) and bool(found.mode & 0o111)

    def readlink(self, path: str) -> str:
        found = self.node(path, follow=False)
        if found is None or not stat.S_ISLNK(found.mode):
            raise OSError(errno.EINVAL, "not a symbolic link", path)
        return self._link(found)

    def listdir(self, path: str) -> List[str]:
        found = self.node(path)
        if found is None or not stat.S_ISDIR(found.mode):
            return []
        return sorted(n for n in self._names(found) if n not in (".", ".."))

    def read_bytes(self, path: str, limit: int = _MAX_READ) -> Optional[bytes]:
        found = self.node(path)
        if found is None or not stat.S_ISREG(found.mode):
            return None
        return self._read(found, limit)

    def read_text(self, path: str) -> Optional[str]:
        data = self.read_bytes(path)
        return None if data is None else data.decode("utf-8", "surrogateescape")


class TreeView(ImageView):
    """An image tree in a directory of this machine."""

    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)

    def __repr__(self) -> str:
        return f"TreeView({self.root!r})"

    def _root(self) -> Node:
        return Node(os.stat(self.root).st_mode, self.root)

    def _lookup(self, parent: Node, name: str) -> Optional[Node]:
        host = os.path.join(parent.ref, name)
        try:
            return Node(os.lstat(host).st_mode, host)
        except OSError:
            return None

    def _read(self, node: Node, limit: int) -> bytes:
        # O_NONBLOCK: a FIFO planted where a file belongs must not hang the check.
        fd = os.open(node.ref, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return b""
            return os.read(fd, limit)
        finally:
            os.close(fd)

    def _names(self, node: Node) -> List[str]:
        try:
            return os.listdir(node.ref)
        except OSError:
            return []

    def _link(self, node: Node) -> str:
        return os.readlink(node.ref)

    def flags(self, path: str) -> Optional[int]:
        import array
        import fcntl

        found = self.node(path)
        if found is None or not stat.S_ISREG(found.mode):
            return None
        try:
            fd = os.open(found.ref, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            return None
        try:
            buf = array.array("l", [0])
            fcntl.ioctl(fd, _FS_IOC_GETFLAGS, buf, True)
            return int(buf[0])
        except OSError:
            return None  # a file system without inode flags
        finally:
            os.close(fd)


class ExtView(ImageView):
    """An ext2/3/4 file system at `offset` bytes into the raw image `image`."""

    def __init__(self, image: str, offset: int, debugfs: str) -> None:
        self.device = f"{image}?offset={offset}"
        self.debugfs = debugfs
        self._dirs: Dict[str, Dict[str, Node]] = {}
        self._links: Dict[str, str] = {}

    def __repr__(self) -> str:
        return f"ExtView({self.device!r})"

    def _run(self, request: str) -> bytes:
        done = subprocess.run(
            [self.debugfs, "-R", request, self.device],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            timeout=_TIMEOUT,
        )
        return done.stdout

    def _root(self) -> Node:
        return Node(stat.S_IFDIR | 0o755, "<2>")

    def _listing(self, node: Node) -> Dict[str, Node]:
        if node.ref not in self._dirs:
            entries = {}
            # `ls -p`: /inode/mode/uid/gid/name/size/ per entry.
            for line in (
                self._run(f"ls -p {node.ref}").decode("utf-8", "surrogateescape").split("\n")
            ):
                match = re.match(r"^/(\d+)/([0-7]+)/\d+/\d+/(.*)/(\d*)/$", line)
                if match and "/" not in match.group(3):
                    entries[match.group(3)] = Node(int(match.group(2), 8), f"<{match.group(1)}>")
            self._dirs[node.ref] = entries
        return self._dirs[node.ref]

    def _lookup(self, parent: Node, name: str) -> Optional[Node]:
        return self._listing(parent).get(name)

    def _names(self, node: Node) -> List[str]:
        return list(self._listing(node))

    def _read(self, node: Node, limit: int) -> bytes:
        return self._run(f"cat {node.ref}")[:limit]

    def _link(self, node: Node) -> str:
        if node.ref not in self._links:
            info = self._run(f"stat {node.ref}").decode("utf-8", "surrogateescape")
            fast = re.search(r'^Fast link dest: "(.*)"$', info, re.M)
            # A slow link keeps its target in a data block: `cat` prints it.
            target = (
                fast.group(1)
                if fast
                else self._run(f"cat {node.ref}").decode("utf-8", "surrogateescape")
            )
            self._links[node.ref] = target
        return self._links[node.ref]

    def flags(self, path: str) -> Optional[int]:
        found = self.node(path)
        if found is None:
            return None
        info = self._run(f"stat {found.ref}").decode("utf-8", "surrogateescape")
        match = re.search(r"Flags: 0x([0-9a-fA-F]+)", info)
        return int(match.group(1), 16) if match else None
