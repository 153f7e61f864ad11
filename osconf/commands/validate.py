"""`osconf validate FILE`: report every problem of an os.conf, change nothing."""

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict

from osconf import output
from osconf.errors import ConfigError, ExitCode

if TYPE_CHECKING:
    from osconf.model import OsConf

EXIT_CODES = {"validate": (0, 1, 2, 3, 4)}


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = sub.add_parser(
        "validate",
        help="check an os.conf; print every problem",
        description="Check an os.conf file: every problem is printed with file, line and "
        "key; nothing is changed and the file is never deleted.",
    )
    parser.add_argument("file", type=Path, help="the os.conf to check")
    output.add_format_argument(parser)
    parser.set_defaults(run=run)


def settings(conf: "OsConf") -> Dict[str, Any]:
    """What the file asks for, without its secret: the password is only
    said to be there."""
    return {
        "network_type": conf.network_type,
        "hostname": conf.hostname,
        "password": "set" if conf.password is not None else None,
        "dns": list(conf.dns),
        "nics": [
            {
                "name": nic.name,
                "mac": nic.mac,
                "address": nic.address,
                "prefixlen": nic.prefixlen,
                "gateway": nic.gateway,
                "routes": [
                    {"destination": r.destination, "gateway": r.gateway} for r in nic.routes
                ],
            }
            for nic in conf.nics
        ],
    }


def run(args: argparse.Namespace) -> int:
    from osconf.runner import load_conf, read_conf, register_secret

    if not output.wants_json(args):
        conf = load_conf(args.file)
        nics = ", ".join(f"{n.name} {n.cidr}" for n in conf.nics) or "no NIC"
        print(f"{args.file}: valid ({conf.network_type}; {nics})")
        return 0
    from osconf.validate import load

    data = read_conf(args.file)
    try:
        conf, warnings = load(data, str(args.file))
    except ConfigError as err:
        return output.emit(
            "validate",
            ExitCode.INVALID_CONFIG,
            {"file": str(args.file), "valid": False, "problems": output.problems(err.problems)},
        )
    if conf.password is not None:
        register_secret(conf.password.reveal())
    return output.emit(
        "validate",
        0,
        {
            "file": str(args.file),
            "valid": True,
            "problems": output.problems(warnings),
            "settings": settings(conf),
        },
    )
