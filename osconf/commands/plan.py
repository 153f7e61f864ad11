"""`osconf plan`: print what `apply` would do; changes nothing."""

import argparse

from osconf.commands import apply as apply_command


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = sub.add_parser("plan", help="show what apply would do (secrets masked)")
    apply_command.add_target_arguments(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from osconf.runner import load_conf, plan_for
    from osconf.system import System

    system = System(args.root)
    if args.conf is not None:
        conf = load_conf(args.conf)
    else:
        from osconf.lifecycle import platform_file

        with platform_file(system, apply_command.settings(args), writable=False) as path:
            if path is None:
                print("no os.conf on the first partition: nothing to do")
                return 0
            conf = load_conf(path)
    plan = plan_for(conf, system, apply_command.options(args, system))
    for line in plan.describe():
        print(line)
    return 0
