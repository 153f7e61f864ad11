"""`osconf check-image TARGET`: the compliance checks before a multi-hour import."""

import argparse
from typing import Any


def register(sub: "argparse._SubParsersAction[Any]") -> None:
    parser = sub.add_parser(
        "check-image",
        help="check an image tree or disk image file against the ECS import requirements",
        description="Checks offline what the ECS image compliance tool checks in a running "
        "server, plus the Customized Linux requirements and osconf's readiness. Exit 0: all "
        "passed; 8: warnings; 9: failures.",
    )
    parser.add_argument("target", metavar="TARGET", help="image tree, or raw/qcow2/vmdk/vhd file")
    parser.add_argument(
        "--format", dest="check_format", choices=("text", "json"), default=None,
        help="report format (default: text)",
    )  # fmt: skip
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from osconf.checkimage import check_image
    from osconf.checkimage.report import as_json, text

    report = check_image(args.target)
    chosen = args.check_format or getattr(args, "format", None) or "text"
    print(as_json(report) if chosen == "json" else text(report), end="")
    return report.exit_code
