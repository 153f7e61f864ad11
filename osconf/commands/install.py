"""`osconf install` / `osconf uninstall`: boot hooks into an image tree."""

import argparse

from osconf.commands.apply import root_directory

EXIT_CODES = {"install": (0, 1, 2, 4), "uninstall": (0, 1, 2)}


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = sub.add_parser(
        "install", help="install and enable the boot service (or SysV script) in an image"
    )
    parser.add_argument(
        "--root", type=root_directory, default="/", help="the image tree (default: /)"
    )
    parser.add_argument(
        "--partition",
        metavar="SPEC",
        help="record the first partition as LABEL=..., UUID=... or /dev/... in "
        "/etc/osconf.conf (default: its UUID when it can be told, else automatic at boot)",
    )
    parser.add_argument(
        "--watch",
        action="store_true",
        help="also install the watcher (systemd only), which applies an os.conf that "
        "appears while the system runs; without it a previously installed watcher is removed",
    )
    parser.set_defaults(run=run_install)
    remove = sub.add_parser("uninstall", help="remove what install added")
    remove.add_argument(
        "--root", type=root_directory, default="/", help="the image tree (default: /)"
    )
    remove.set_defaults(run=run_uninstall)


def run_install(args: argparse.Namespace) -> int:
    from osconf.errors import ApplyError
    from osconf.install import install, prepare_partition
    from osconf.system import System

    system = System(args.root)
    partition = args.partition or prepare_partition(system)
    try:
        lines = install(system, partition, args.watch)
    except (OSError, ValueError) as err:
        # A file of the image in the way (a directory, a FIFO, a link loop).
        raise ApplyError([f"install into {system.root}: {err}"]) from None
    for line in lines:
        print(line)
    return 0


def run_uninstall(args: argparse.Namespace) -> int:
    from osconf.errors import ApplyError
    from osconf.install import uninstall
    from osconf.system import System

    system = System(args.root)
    try:
        lines = uninstall(system)
    except (OSError, ValueError) as err:
        raise ApplyError([f"uninstall from {system.root}: {err}"]) from None
    for line in lines or ["nothing to remove"]:
        print(line)
    return 0
