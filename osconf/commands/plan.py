"""`osconf plan`: print what `apply` would do, and what is already in place;
changes nothing."""

import argparse
import re
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from osconf import output
from osconf.commands import apply as apply_command

if TYPE_CHECKING:
    from osconf.plan import Plan
    from osconf.system import System

EXIT_CODES = {"plan": (0, 1, 2, 3, 4, 6, 7)}
IN_PLACE = "[already in place]"


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = sub.add_parser(
        "plan",
        help="show what apply would do (secrets masked)",
        description="Print the actions 'osconf apply' would take, one a line, with "
        f"{IN_PLACE} after those whose effect already holds; changes nothing. Secrets "
        "are never shown.",
    )
    apply_command.add_target_arguments(parser, applies=False)
    output.add_format_argument(parser)
    parser.set_defaults(run=run)


def kind(action: object) -> str:
    """WriteFile -> write_file: the action's name in the JSON document."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(action).__name__).lower()


def in_place(action: object, system: "System") -> Optional[bool]:
    """Whether the action's effect already holds (None: cannot tell)."""
    holds = getattr(action, "holds", None)
    if holds is None:
        return None
    try:
        result: Optional[bool] = holds(system)
    except (OSError, ValueError, UnicodeError):
        return None
    return result


def entries(plan: "Plan", system: "System") -> List[Dict[str, Any]]:
    found = []
    for action in plan.actions:
        entry: Dict[str, Any] = {"action": kind(action), "description": action.describe()}
        path = getattr(action, "path", None)
        if isinstance(path, str):
            entry["path"] = path
        entry["in_place"] = in_place(action, system)
        found.append(entry)
    return found


def run(args: argparse.Namespace) -> int:
    from osconf.runner import load_conf, load_conf_bytes, plan_for
    from osconf.system import System

    system = System(args.root)
    source: Optional[str] = str(args.conf) if args.conf is not None else None
    if args.conf is not None:
        conf = load_conf(args.conf)
    else:
        from osconf.lifecycle import platform_file

        with platform_file(system, apply_command.settings(args), writable=False) as platform:
            if platform is None:
                if output.wants_json(args):
                    return output.emit("plan", 0, {"source": None, "root": args.root,
                                                   "actions": []})  # fmt: skip
                print("no os.conf on the first partition: nothing to do")
                return 0
            conf = load_conf_bytes(platform.data, platform.path)
            source = "first partition: aliyun_custom_image/os.conf"
    options = apply_command.options(args, system)
    found = entries(plan_for(conf, system, options), system)
    if output.wants_json(args):
        return output.emit(
            "plan",
            0,
            {"source": source, "root": args.root, "live": options.live, "actions": found},
        )
    for entry in found:
        mark = f"  {IN_PLACE}" if entry["in_place"] else ""
        print(entry["description"] + mark)
    done = sum(1 for e in found if e["in_place"])
    todo = sum(1 for e in found if not e["in_place"] and e["action"] != "warn")
    print(f"{todo} to change, {done} already in place")
    return 0
