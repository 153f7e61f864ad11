"""`osconf locate`: which partition carries os.conf, and how it was found."""

import argparse
from typing import Any, Dict

from osconf import output
from osconf.commands.apply import root_directory

EXIT_CODES = {"locate": (0, 1, 2, 4)}


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = sub.add_parser(
        "locate",
        help="show the first partition and its os.conf",
        description="Show the first partition (as the boot run would find it), how it was "
        "found, its file system, how it is reached and whether os.conf is there; mounts "
        "it read-only for a moment when it is not mounted. Changes nothing.",
    )
    parser.add_argument(
        "--root", type=root_directory, default="/", help="target root (for /etc/osconf.conf)"
    )
    parser.add_argument("--partition", metavar="SPEC", help="LABEL=..., UUID=... or /dev/...")
    output.add_format_argument(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import os

    from osconf.errors import ExitCode
    from osconf.lifecycle import Settings, configured_partition
    from osconf.locate import CONF_DIR, CONF_NAME, find, reachable
    from osconf.system import System

    system = System(args.root)
    settings = Settings(partition=args.partition)
    spec = settings.partition or configured_partition(system)
    found = find(spec, settings.host)
    fs = found.fs
    doc: Dict[str, Any] = {
        "partition": {
            "node": found.node,
            "name": found.device.name,
            "devno": found.device.devno,
            "found_by": found.how,
        },
        "filesystem": None if fs is None else {"type": fs.type, "label": fs.label, "uuid": fs.uuid},
    }
    relative = f"{CONF_DIR}/{CONF_NAME}"
    if fs is None:
        if output.wants_json(args):
            doc["error"] = {"message": f"{found.node}: no file system recognised"}
            return output.emit("locate", ExitCode.NOT_FOUND, doc)
        print(f"partition:   {found.node} ({found.device.name}, {found.device.devno})")
        print(f"found by:    {found.how}")
        print("file system: none recognised")
        return ExitCode.NOT_FOUND
    with reachable(found, settings.host, system, writable=False) as (top, how):
        present = os.path.exists(f"{top}/{relative}")
        # A mount osconf made is gone when the command ends: say so rather
        # than print a temporary directory.
        if how.startswith("mounted by osconf"):
            how, path = "mounted read-only by osconf for this look", None
        else:
            path = f"{top}/{relative}"
    doc["access"] = how
    doc["os_conf"] = {"relative_path": relative, "path": path, "present": present}
    if output.wants_json(args):
        return output.emit("locate", 0, doc)
    print(f"partition:   {found.node} ({found.device.name}, {found.device.devno})")
    print(f"found by:    {found.how}")
    print(f"file system: {fs.type} LABEL={fs.label or '-'} UUID={fs.uuid or '-'}")
    print(f"access:      {how}")
    print(f"os.conf:     {path or relative} ({'present' if present else 'absent'})")
    return 0
