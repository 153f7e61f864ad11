"""`osconf locate`: which partition carries os.conf, and how it was found."""

import argparse


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = sub.add_parser("locate", help="show the first partition and its os.conf")
    parser.add_argument("--root", default="/", help="target root (for /etc/osconf.conf)")
    parser.add_argument("--partition", metavar="SPEC", help="LABEL=..., UUID=... or /dev/...")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from osconf.lifecycle import Settings, configured_partition
    from osconf.locate import CONF_DIR, CONF_NAME, find, reachable
    from osconf.system import System

    system = System(args.root)
    settings = Settings(partition=args.partition)
    spec = settings.partition or configured_partition(system)
    found = find(spec, settings.host)
    fs = found.fs
    print(f"partition:   {found.node} ({found.device.name}, {found.device.devno})")
    print(f"found by:    {found.how}")
    if fs is None:
        print("file system: none recognised")
        return 4
    print(f"file system: {fs.type} LABEL={fs.label or '-'} UUID={fs.uuid or '-'}")
    with reachable(found, settings.host, system, writable=False) as (top, how):
        path = f"{top}/{CONF_DIR}/{CONF_NAME}"
        import os

        print(f"access:      {how}")
        print(f"os.conf:     {path} ({'present' if os.path.exists(path) else 'absent'})")
    return 0
