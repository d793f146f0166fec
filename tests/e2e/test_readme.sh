#!/bin/sh
# The README's walk-through, run verbatim: every "$ command" line of its
# console blocks must succeed.  Keeps the README true.
# SPDX-License-Identifier: AGPL-3.0-or-later
ESEAL=$1
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/w/build/cli"
ln -s "$ESEAL" "$T/w/build/cli/eseal"
ln -s "$ESEAL_SOURCE_DIR/docs" "$T/w/docs"
python3 - "$ESEAL_SOURCE_DIR/README.md" > "$T/cmds" <<'PY'
import sys
block, cmd = False, None
for line in open(sys.argv[1], encoding='utf-8'):
    line = line.rstrip('\n')
    if line.startswith('```'):
        block = line.strip() == '```console'
        continue
    if not block:
        continue
    if cmd is not None:
        cmd += ' ' + line.strip()
    elif line.startswith('$ '):
        cmd = line[2:]
    else:
        continue
    if cmd.endswith('\\'):
        cmd = cmd[:-1]
        continue
    print(cmd)
    cmd = None
PY
n=$(wc -l < "$T/cmds")
[ "$n" -ge 15 ] && ok || bad "only $n commands found in the README"
cd "$T/w" || exit 1
: > env.sh
i=0
while IFS= read -r c; do
	i=$((i + 1))
	if sh -c "set -e; . ./env.sh; $c" > "$T/out" 2> "$T/err"; then ok; else
		bad "README command $i failed: $c"; cat "$T/err" >&2
	fi
	case "$c" in export*) echo "$c" >> env.sh ;; esac
done < "$T/cmds"
finish
