#!/usr/bin/env bash
# Quick start: osconf's whole job on a temporary copy of a small image tree
# (samples/root): install into the tree, validate, plan, apply, plan again,
# status, and every file it wrote. Touches nothing of the host: no network,
# no /etc, no passwords, no mounts; nothing is installed outside .cache/.
#
# It needs only osconf's run-time dependency netaddr: Debian's python3-netaddr
# when it is there, else a small virtualenv in .cache/demo-venv with netaddr
# alone (no test tools).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

python=${PYTHON:-python3}
if ! "$python" -c 'import netaddr' 2>/dev/null; then
    venv=.cache/demo-venv
    if [ ! -x "$venv/bin/python" ]; then
        echo "demo: python3-netaddr is not installed; making $venv with netaddr only" >&2
        "$python" -m venv "$venv"
        "$venv/bin/python" -m pip install -q --disable-pip-version-check netaddr
    fi
    python=$repo/$venv/bin/python
fi
osconf() { PYTHONPATH=$repo "$python" -m osconf "$@"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/osconf-demo.XXXXXX")
cp -a samples/root "$work/root"
chmod 640 "$work/root/etc/shadow"
root=$work/root
touch "$work/before"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
shown() { printf '$ osconf %s\n' "$*"; }

step "install into the image tree (no systemd in it: the SysV script; /etc/osconf.conf)"
shown install --root "$root" --partition LABEL=demo
osconf install --root "$root" --partition LABEL=demo
grep -v '^#' "$root/etc/osconf.conf" | sed '/^$/d'

step "validate the classic sample (and its JSON form, abridged)"
shown validate samples/classic.conf
osconf validate samples/classic.conf
osconf validate --format json samples/classic.conf | sed -n 1,12p

step "plan: what apply would do; changes nothing"
shown plan --root "$root" --conf samples/classic.conf
osconf plan --root "$root" --conf samples/classic.conf

step "apply"
shown apply --root "$root" --conf samples/classic.conf
osconf apply --root "$root" --conf samples/classic.conf

step "plan again: everything already in place"
shown plan --root "$root" --conf samples/classic.conf -q
osconf plan --root "$root" --conf samples/classic.conf -q

step "status of the boot runs recorded in the tree (the boot job and the watcher record"
printf '   their runs; a --conf run is an operator'"'"'s test and records none)\n'
shown status --root "$root"
osconf status --root "$root" || echo "exit code $?"

step "every file osconf wrote in the tree (previous versions are under var/lib/osconf/backup)"
(cd "$root" && find . -newer "$work/before" -type f ! -path './var/lib/osconf/backup/*' | sort)
diff -ruN --exclude=backup --exclude=init.d --exclude='rc?.d' --exclude=osconf.conf \
    samples/root "$root" || true

step "a broken file: every problem reported, nothing changed (exit code 3)"
shown validate samples/broken.conf
osconf validate samples/broken.conf || echo "exit code $?"

printf '\nThe demo tree is kept in %s\n' "$root"
