#!/usr/bin/env python3
"""How the offline commands scale with the number of routes: 1, 10, 100, 1,000.

eth0_route of the VPC sample grows to N entries (the default route plus
N-1 /24 routes); for each N, the whole-process median wall time and peak RSS
of `osconf validate`, `osconf plan --root` and `osconf apply --root` (a fresh
copy of samples/root per run).

Usage: bench/routes.py [--runs N] [--python PATH]
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from startup import REPO, SAMPLE_ROOT, run_once  # noqa: E402

COUNTS = (1, 10, 100, 1000)


def conf_with_routes(count: int) -> str:
    entries = ["0.0.0.0/0 10.171.254.1"]
    entries += [f"10.{n // 256}.{n % 256}.0/24 10.171.254.1" for n in range(count - 1)]
    lines = (REPO / "samples/vpc.conf").read_text().splitlines()
    lines = [line for line in lines if not line.startswith("eth0_route=")]
    return "\n".join(lines + ['eth0_route="' + ";".join(entries) + '"']) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    default = REPO / ".venv/bin/python"
    parser.add_argument("--python", default=str(default) if default.exists() else sys.executable)
    opts = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k not in ("INVOCATION_ID", "JOURNAL_STREAM")}
    env["PYTHONPATH"] = str(REPO)
    scratch = Path(tempfile.mkdtemp(prefix="osconf-routes-"))
    root, conf = scratch / "root", scratch / "os.conf"
    print(f"{opts.python}; {opts.runs} runs each; median ms / peak RSS MiB")
    print(f"{'routes':>6}  {'validate':>14}  {'plan':>14}  {'offline apply':>14}")
    try:
        for count in COUNTS:
            conf.write_text(conf_with_routes(count))
            cells = []
            for command in ("validate", "plan", "apply"):
                args = [str(conf)] if command == "validate" else ["--root", str(root)]
                if command != "validate":
                    args += ["--conf", str(conf)]
                walls, rss = [], []
                for index in range(opts.runs + 2):
                    if command == "apply" or not root.exists():
                        shutil.rmtree(root, ignore_errors=True)
                        shutil.copytree(SAMPLE_ROOT, root, symlinks=True)
                    wall, peak, code = run_once([opts.python, "-m", "osconf", command, *args], env)
                    if code != 0:
                        print(f"{command} with {count} routes: exit status {code}", file=sys.stderr)
                        return 1
                    if index >= 2:
                        walls.append(wall * 1000)
                        rss.append(peak)
                cells.append(f"{statistics.median(walls):6.1f} / {max(rss):5.1f}")
            print(f"{count:>6}  " + "  ".join(f"{cell:>14}" for cell in cells))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
