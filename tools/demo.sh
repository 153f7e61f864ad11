#!/usr/bin/env bash
# Quick start: set up osconf in .venv and show its main job on the bundled
# samples, applied to a temporary copy of a small image tree (samples/root).
# Touches nothing of the host: no network, no /etc, no passwords.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh >&2
osconf() { .venv/bin/python -m osconf "$@"; }
work=$(mktemp -d /tmp/osconf-demo.XXXXXX)
cp -a samples/root "$work/root"
chmod 640 "$work/root/etc/shadow"
root=$work/root
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "osconf validate samples/classic.conf"
osconf validate samples/classic.conf

step "osconf plan --root $root --conf samples/classic.conf   (changes nothing)"
osconf plan --root "$root" --conf samples/classic.conf

step "osconf apply --root $root --conf samples/classic.conf"
osconf apply --root "$root" --conf samples/classic.conf

step "what changed under the image tree (backups of replaced files are in var/lib/osconf/backup)"
diff -ru --exclude=backup samples/root "$root" || true

step "osconf apply again: nothing to change"
osconf apply --root "$root" --conf samples/classic.conf

step "a broken file: every problem reported, nothing changed (exit code 3)"
osconf validate samples/broken.conf || echo "exit code $?"

printf '\nThe demo tree is kept in %s\n' "$root"
