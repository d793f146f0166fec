#!/bin/sh
# make run: create a demo data dir on first run, then start what exists.
# SPDX-License-Identifier: AGPL-3.0-or-later
set -eu
ESEAL=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
DATA=${ESEAL_DATA:-./eseal-data}
E="$ESEAL --data $DATA"
DEMO_PW=${ESEAL_DEMO_PASSWORD:-eseal-demo-2026}

if [ ! -f "$DATA/eseal.db" ]; then
	echo "eseal: creating demo data in $DATA"
	$E init --name "eseal 演示平台" >/dev/null
	ORG=$($E org add --name "杭州示例科技有限公司" --uscc 91330106MA2B3C4D5D | awk '{print $NF}')
	echo "$DEMO_PW" | $E user add --login admin --name 管理员 --id-number 110101198001010010 --role platform-admin --password-stdin >/dev/null
	echo "$DEMO_PW" | $E user add --login reviewer --name 李审核 --id-number 330106199003071236 --role reviewer --password-stdin >/dev/null
	echo "$DEMO_PW" | $E user add --login alice --name 张三 --id-number 11010519491231002X --mobile 13812345678 --org "$ORG" --role org-admin --role seal-keeper --password-stdin >/dev/null
	for kind in company contract invoice; do
		APP=$($E seal apply --owner "org:$ORG" --kind $kind --as alice | awk '{print $NF}')
		$E seal review "$APP" --approve --as reviewer >/dev/null
	done
	APP=$($E seal apply --owner user:alice --kind personal --as alice | awk '{print $NF}')
	$E seal review "$APP" --approve --as reviewer >/dev/null
	echo "eseal: demo logins (password: $DEMO_PW): admin (platform-admin), reviewer, alice (org-admin, seal keeper)"
fi

echo
echo "Seals in $DATA:"
$E seal list
echo
if $ESEAL --help | grep -q "^  serve"; then
	echo "eseal: open http://127.0.0.1:8600/ and log in as admin, reviewer or alice (password: $DEMO_PW)"
	echo "eseal: REST API at http://127.0.0.1:8600/api/v1 (docs/server.md); Ctrl-C stops the server"
	exec $E serve --listen 127.0.0.1:8600
fi
cat <<EOT
The web server is not part of this build yet.  Try the CLI:
  $E seal list
  $E seal render SEAL --out seal.png
  $E seal export SEAL --out seal.esl && $E verify seal.esl
  $E sign --help
EOT
