"""`osconf check-image TARGET`: the compliance checks before a multi-hour import."""

import argparse

from osconf import output

EXIT_CODES = {
    "check-image": (
        (0, "every check passed (OK, or SKIPPED where the target cannot tell)"),
        1,
        2,
        (4, "TARGET does not exist, or is neither a directory nor a file"),
        (7, "a qcow2/VMDK/VHD/VDI image and no qemu-img to convert it, or it cannot be converted"),
        (10, "no check FAILED, at least one gave a WARNING"),
        (11, "at least one check FAILED"),
    )
}


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = sub.add_parser(
        "check-image",
        help="check an image tree or disk image file against the ECS import requirements",
        description="Check offline what the ECS image compliance tool (image_check) checks "
        "in a running server, plus the Customized Linux requirements and osconf's readiness: "
        "OK / WARNING / FAILED per check, with the reason and the fix. TARGET is an image "
        "tree, or a disk image file (raw read in place without mounting; qcow2, VMDK, VHD "
        "through qemu-img).",
    )
    parser.add_argument("target", metavar="TARGET", help="image tree, or raw/qcow2/vmdk/vhd file")
    output.add_format_argument(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from osconf.checkimage import check_image
    from osconf.checkimage.report import fields, text

    report = check_image(args.target)
    if output.wants_json(args):
        return output.emit("check-image", report.exit_code, fields(report))
    print(text(report), end="")
    return report.exit_code
