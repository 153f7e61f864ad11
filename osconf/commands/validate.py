"""`osconf validate FILE`: report every problem of an os.conf, change nothing."""

import argparse
from pathlib import Path


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = sub.add_parser("validate", help="check an os.conf; print every problem")
    parser.add_argument("file", type=Path, help="the os.conf to check")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from osconf.runner import load_conf

    conf = load_conf(args.file)
    nics = ", ".join(f"{n.name} {n.cidr}" for n in conf.nics) or "no NIC"
    print(f"{args.file}: valid ({conf.network_type}; {nics})")
    return 0
