"""`osconf status`: the outcome of the latest runs (from the state file)."""

import argparse


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = sub.add_parser("status", help="show what the latest runs did")
    parser.add_argument("--root", default="/", help="target root (default: /)")
    parser.add_argument("-n", type=int, default=5, metavar="N", help="runs to show (default 5)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from osconf import state
    from osconf.system import System

    runs = state.load(System(args.root))
    if not runs:
        print("osconf has not run yet")
        return 0
    for item in runs[: max(args.n, 1)]:
        where = f" [{item.source}]" if item.source else ""
        print(f"{item.time}  {item.outcome:<8} {item.message}{where}")
    # A status the operator should act on is also the exit code.
    return 0 if runs[0].outcome in ("applied", "absent", "disabled") else 1
