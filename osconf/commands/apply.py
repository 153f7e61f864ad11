"""`osconf apply`: make the target match os.conf."""

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from osconf.lifecycle import Settings
    from osconf.options import Options
    from osconf.system import System


EXIT_CODES = {"apply": (0, 1, 2, 3, 4, 5, 6, 7)}


def root_directory(value: str) -> str:
    """`--root`'s type for every command: an existing directory (a link to
    one is fine). A regular file, FIFO, dangling link or missing path is a
    bad command line (exit 2), never an empty target that reads as "no run",
    "no network stack" or blocks on a FIFO."""
    import os

    if not value or not os.path.isdir(value):
        raise argparse.ArgumentTypeError(f"not a directory: {value!r}")
    return value


def add_target_arguments(parser: argparse.ArgumentParser, applies: bool = True) -> None:
    parser.add_argument(
        "--root", type=root_directory, default="/", help="target root directory (default: /)"
    )
    if applies:
        conf_help = (
            "an os.conf file to apply as it is (never deleted); default: the platform's "
            "aliyun_custom_image/os.conf on the first partition (deleted once all of it "
            "was applied)"
        )
    else:
        conf_help = (
            "an os.conf file to plan for; default: the platform's "
            "aliyun_custom_image/os.conf on the first partition (read-only: plan changes "
            "and deletes nothing)"
        )
    parser.add_argument("--conf", type=Path, metavar="FILE", help=conf_help)
    parser.add_argument(
        "--partition",
        metavar="SPEC",
        help="the first partition as LABEL=..., UUID=... or /dev/...; default: "
        "partition= in /etc/osconf.conf under the root, else partition 1 of the disk holding /",
    )
    live = parser.add_mutually_exclusive_group()
    live.add_argument(
        "--live",
        dest="live",
        action="store_true",
        default=None,
        help="also set the running network now, even before the network stack has started "
        "(default: when root is /, and at boot only once the stack is up)",
    )
    live.add_argument(
        "--no-live", dest="live", action="store_false", help="do not touch the running network"
    )
    parser.add_argument(
        "--network-stack",
        choices=("ifcfg", "suse", "ifupdown", "networkd", "netplan", "networkmanager"),
        help="the image's network stack (default: detected under the root)",
    )
    parser.add_argument(
        "--nic-timeout",
        type=seconds,
        default=30.0,
        metavar="SECONDS",
        help="how long the live step waits for a NIC to appear (default: 30)",
    )


def seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {value!r}") from None
    if not 0 <= seconds <= 3600:
        raise argparse.ArgumentTypeError("must be between 0 and 3600 seconds")
    return seconds


def options(args: argparse.Namespace, system: "System") -> "Options":
    from osconf.options import Options

    live = system.is_live if args.live is None else bool(args.live)
    return Options(
        live=live,
        network_stack=getattr(args, "network_stack", None),
        nic_timeout=getattr(args, "nic_timeout", 30.0),
        defer_to_stack=args.live is None,
    )


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = sub.add_parser(
        "apply",
        help="apply an os.conf to the target",
        description="Make the target match os.conf: host name, root password, name servers, "
        "the network in the image's own stack and, on the running system, over netlink. "
        "Without --conf this is the boot job: the platform's file on the first partition "
        "is applied, deleted once everything was applied, and the run recorded for "
        "'osconf status'. Ends with 'N changed, M already in place'.",
    )
    add_target_arguments(parser)
    register_lock(parser)
    parser.set_defaults(run=run)


def register_lock(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--lock-timeout",
        type=seconds,
        default=120.0,
        metavar="SECONDS",
        help="how long to wait for another osconf run to finish (default: 120)",
    )


def settings(args: argparse.Namespace) -> "Settings":
    from osconf.lifecycle import Settings

    return Settings(partition=args.partition, lock_timeout=getattr(args, "lock_timeout", 120.0))


def run(args: argparse.Namespace) -> int:
    import logging

    from osconf.system import System

    log = logging.getLogger("osconf")
    system = System(args.root)
    if args.conf is None:
        from osconf import lifecycle

        return lifecycle.run(system, options(args, system), settings(args))
    from osconf.lifecycle import locked
    from osconf.runner import apply_conf, load_conf

    conf = load_conf(args.conf)
    chosen = settings(args)
    # One osconf at a time, --conf too: two runs would remove each other's
    # temporary files and leave a mix of both configurations.
    with locked(chosen.lock_file, chosen.lock_timeout):
        report = apply_conf(conf, system, options(args, system))
    counts = f"{len(report.changed)} changed, {len(report.unchanged)} already in place"
    if not report.ok:
        log.error("%s: %s, %d failed", args.conf, counts, len(report.failed))
    report.raise_for_failures()
    log.info("%s: %s", args.conf, counts)
    return 0
