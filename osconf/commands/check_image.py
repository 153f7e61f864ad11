"""`osconf check-image TARGET`: the compliance checks before a multi-hour import."""

import argparse
from typing import Any


def register(sub: "argparse._SubParsersAction[Any]") -> None:
    parser = sub.add_parser(
        "check-image",
        help="check an image tree or disk image file against the ECS import requirements",
        description="Checks offline what the ECS image compliance tool checks in a running "
        "server, plus the Customized Linux requirements and osconf's readiness. Exit 0: all "
        "passed; 10: warnings; 11: failures.",
    )
    parser.add_argument("target", metavar="TARGET", help="image tree, or raw/qcow2/vmdk/vhd file")
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="report format (default: text)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from osconf.checkimage import check_image
    from osconf.checkimage.report import as_json, text

    report = check_image(args.target)
    print(as_json(report) if args.format == "json" else text(report), end="")
    return report.exit_code
