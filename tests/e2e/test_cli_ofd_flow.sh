#!/bin/sh
# Seal OFDs from the CLI; check References with `openssl dgst -sm3` ourselves;
# tampering and refusals.  SPDX-License-Identifier: AGPL-3.0-or-later
ESEAL=$1
. "$(dirname "$0")/lib.sh"
D="$T/data"
E="$ESEAL --data $D"
PW='correct horse battery'

$E init >/dev/null 2>&1 || { echo "init failed"; exit 1; }
ORG=$($E org add --name "杭州示例科技有限公司" --uscc 91330106MA2B3C4D5D | awk '{print $NF}')
echo "$PW" | $E user add --login keeper --name 张三 --id-number 11010519491231002X --org "$ORG" --role seal-keeper --password-stdin >/dev/null
SEAL=$($E seal review "$($E seal apply --owner org:$ORG --kind company | awk '{print $NF}')" --approve | awk '{print $NF}')
sign() { echo "$PW" | $E sign --seal "$SEAL" --as keeper --password-stdin "$@"; }

expect 0 "sample OFD" -- $E sample --out "$T/doc.ofd" --pages 3
$E verify "$T/doc.ofd" >/dev/null 2>&1; [ $? -ne 0 ] && ok || bad "an unsigned OFD must not verify as passed"
expect 0 "seal at position" -- sign --in "$T/doc.ofd" --out "$T/a.ofd" --page 1 --x 150 --y 60 --json
after=$(sed -n 's/.*"sha256_after": "\([0-9a-f]*\)".*/\1/p' "$T/out")
[ "$after" = "$(sha256sum "$T/a.ofd" | cut -d' ' -f1)" ] && ok || bad "sha256_after differs from sha256sum of the output"
expect 0 "seal on keyword" -- sign --in "$T/a.ofd" --out "$T/b.ofd" --keyword 盖章处
expect 0 "seal across pages" -- sign --in "$T/b.ofd" --out "$T/c.ofd" --cross-page
expect 0 "electronic signature type" -- sign --in "$T/c.ofd" --out "$T/d.ofd" --page 2 --x 100 --y 100 --type sign
expect 0 "verify" -- $E verify --json "$T/d.ofd"
expect_in "$T/out" '"verdict": "TOTAL_PASSED"' "all four intact and trusted"
n=$(grep -c '"kind": "ofd-' "$T/out"); [ "$n" -eq 4 ] && ok || bad "expected 4 signatures, got $n"
expect_in "$T/out" '"level": "SES-v4"' "SES_Signature v4"

# independent check: every Reference of the first signature equals openssl's SM3
mkdir -p "$T/x" && (cd "$T/x" && unzip -q "$T/d.ofd")
sigxml=$(find "$T/x" -path '*Sign_0/Signature.xml' | head -1)
[ -n "$sigxml" ] && ok || bad "no Sign_0/Signature.xml"
python3 - "$sigxml" "$T/x" > "$T/refs" <<'PY'
import re, sys
x = open(sys.argv[1], encoding='utf-8').read()
for ref, val in re.findall(r'FileRef="([^"]+)"[^>]*>\s*<ofd:CheckValue>([^<]+)<', x):
    print(sys.argv[2] + '/' + ref.lstrip('/'), val.strip())
PY
nrefs=0; badrefs=0
while read -r f v; do
	nrefs=$((nrefs + 1))
	got=$(openssl dgst -sm3 -binary "$f" | base64 -w0)
	[ "$got" = "$v" ] || badrefs=$((badrefs + 1))
done < "$T/refs"
[ "$nrefs" -ge 3 ] && [ "$badrefs" -eq 0 ] && ok || bad "References: $nrefs checked, $badrefs differ from openssl dgst -sm3"

# tampering: change a page, re-zip
page=$(find "$T/x" -name 'Content.xml' | head -1)
sed -i 's/电子印章/伪造印章/' "$page"
(cd "$T/x" && zip -q -r "$T/tampered.ofd" .)
expect 1 "tampered page" -- $E verify "$T/tampered.ofd"
expect 2 "not an OFD" -- $E verify "$T/refs"
expect 2 "keyword missing" -- sign --in "$T/doc.ofd" --out "$T/y.ofd" --keyword 不存在的词
[ -e "$T/y.ofd" ] && bad "output written for a missing keyword" || ok
expect 2 "wrong password" -- sh -c "echo wrong-password-123 | $E sign --seal $SEAL --as keeper --password-stdin --in $T/doc.ofd --out $T/y.ofd --page 1 --x 10 --y 10"
[ -e "$T/y.ofd" ] && bad "output written after wrong password" || ok

# render: the sealed page shows red
expect 0 "render" -- $E render "$T/b.ofd" --page 3 --dpi 50 --out "$T/p3.png"
head -c 8 "$T/p3.png" | od -An -c | grep -q "P   N   G" && ok || bad "render is not a PNG"

finish
