"""`osconf watch`: apply a new os.conf that appears while the system runs."""

import argparse

from osconf.commands import apply as apply_command

EXIT_CODES = {"watch": (0, 1, 2, 3, 4, 5, 6, 7)}


def _interval(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {value!r}") from None
    # Not 0: looking in a loop without pause would keep a core busy.
    if not 0.1 <= seconds <= 86400:
        raise argparse.ArgumentTypeError("must be between 0.1 and 86400 seconds")
    return seconds


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = sub.add_parser("watch", help="re-apply whenever a new os.conf appears")
    parser.add_argument(
        "--root", type=apply_command.root_directory, default="/", help=argparse.SUPPRESS
    )
    parser.add_argument("--partition", metavar="SPEC", help="LABEL=..., UUID=... or /dev/...")
    parser.add_argument(
        "--interval", type=_interval, default=10.0, metavar="SECONDS",
        help="how often to look (default 10; when the partition is not mounted by the "
        "system, it is mounted read-only for each look)",
    )  # fmt: skip
    parser.add_argument("--once", action="store_true", help="look once, then exit")
    live = parser.add_mutually_exclusive_group()
    live.add_argument(
        "--live", dest="live", action="store_true", default=None, help=argparse.SUPPRESS
    )
    live.add_argument("--no-live", dest="live", action="store_false", help=argparse.SUPPRESS)
    parser.set_defaults(run=run, conf=None, nic_timeout=30.0, lock_timeout=120.0)


def run(args: argparse.Namespace) -> int:
    from osconf.system import System
    from osconf.watch import watch

    system = System(args.root)
    return watch(
        system,
        apply_command.options(args, system),
        apply_command.settings(args),
        args.interval,
        args.once,
    )
