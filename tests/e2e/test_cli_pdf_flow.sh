#!/bin/sh
# Seal PDFs from the CLI as a user would, check them with tools nobody here
# wrote (pdfsig, qpdf, openssl), and make sure tampering and refusals work.
# SPDX-License-Identifier: AGPL-3.0-or-later
ESEAL=$1
. "$(dirname "$0")/lib.sh"
D="$T/data"
E="$ESEAL --data $D"
PW='correct horse battery'

$E init >/dev/null 2>&1 || { echo "init failed"; exit 1; }
ORG=$($E org add --name "杭州示例科技有限公司" --uscc 91330106MA2B3C4D5D | awk '{print $NF}')
echo "$PW" | $E user add --login keeper --name 张三 --id-number 11010519491231002X --org "$ORG" --role seal-keeper --password-stdin >/dev/null
echo "$PW" | $E user add --login outsider --name 李四 --id-number 330106199003071236 --role member --password-stdin >/dev/null
SEAL=$($E seal review "$($E seal apply --owner org:$ORG --kind contract | awk '{print $NF}')" --approve | awk '{print $NF}')
mutool create -o "$T/contract.pdf" "$ESEAL_SOURCE_DIR/docs/examples/contract-page1.txt" "$ESEAL_SOURCE_DIR/docs/examples/contract-page2.txt"
sign() { echo "$PW" | $E sign --seal "$SEAL" --as keeper --password-stdin "$@"; }

# position, keyword, cross-page, each on the previous output
expect 0 "sign at position" -- sign --in "$T/contract.pdf" --out "$T/a.pdf" --page 1 --x 150 --y 60 --json
expect_in "$T/out" '"page": 1' "json names the page"
after=$(sed -n 's/.*"sha256_after": "\([0-9a-f]*\)".*/\1/p' "$T/out")
[ "$after" = "$(sha256sum "$T/a.pdf" | cut -d' ' -f1)" ] && ok || bad "sha256_after differs from sha256sum of the output"
before=$(sed -n 's/.*"sha256_before": "\([0-9a-f]*\)".*/\1/p' "$T/out")
[ "$before" = "$(sha256sum "$T/contract.pdf" | cut -d' ' -f1)" ] && ok || bad "sha256_before differs from sha256sum of the input"
expect 0 "sign on keyword" -- sign --in "$T/a.pdf" --out "$T/b.pdf" --keyword 盖章处 --occurrence 2
expect 0 "sign across pages" -- sign --in "$T/b.pdf" --out "$T/c.pdf" --cross-page
cmp -s "$T/contract.pdf" "$T/c.pdf" && bad "output equals input" || ok
head -c "$(stat -c %s "$T/b.pdf")" "$T/c.pdf" | cmp -s - "$T/b.pdf" && ok || bad "incremental update: earlier bytes changed"
expect 0 "pdfsig" -- pdfsig "$T/c.pdf"
n=$(grep -c "Signature is Valid" "$T/out"); [ "$n" -ge 3 ] && ok || bad "pdfsig: $n valid signatures"
grep "Signature Validation" "$T/out" | grep -qv "Signature is Valid" && bad "pdfsig reports an invalid signature" || ok
expect_in "$T/out" "ETSI.CAdES.detached" "PAdES SubFilter"
expect 0 "qpdf --check" -- qpdf --check "$T/c.pdf"
expect 0 "eseal verify" -- $E verify --json "$T/c.pdf"
expect_in "$T/out" '"verdict": "TOTAL_PASSED"' "verified"
expect_in "$T/out" '"level": "B-T"' "default level B-T"
expect_in "$T/out" '"time_source": "timestamp"' "time from the platform TSA"
expect 3 "untrusted without the platform roots" -- $ESEAL --data "$T/none" verify "$T/c.pdf"

# openssl verifies the first CMS over its byte ranges
python3 - "$T/a.pdf" "$T" <<'PY'
import re, sys
b = open(sys.argv[1], 'rb').read()
m = re.search(rb'/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]', b)
a, l1, c, l2 = map(int, m.groups())
open(sys.argv[2] + '/signed.bin', 'wb').write(b[a:a + l1] + b[c:c + l2])
hexs = b[a + l1 + 1:c - 1].rstrip(b'0')
hexs = hexs + b'0' * (len(hexs) % 2)
open(sys.argv[2] + '/cms.der', 'wb').write(bytes.fromhex(hexs.decode()))
PY
openssl x509 -inform DER -in /dev/null >/dev/null 2>&1
expect 0 "openssl cms -verify over the byte ranges" -- openssl cms -verify -binary -inform DER -in "$T/cms.der" -content "$T/signed.bin" -noverify -purpose any -out /dev/null

# levels
for lvl in B-B B-LT B-LTA; do
	expect 0 "sign $lvl" -- sign --in "$T/contract.pdf" --out "$T/$lvl.pdf" --page 1 --x 100 --y 100 --level $lvl
	$E verify --json "$T/$lvl.pdf" > "$T/out"; rc=$?
	[ $rc -eq 0 ] || [ $rc -eq 3 ] && ok || bad "$lvl verify exit $rc"
	expect_in "$T/out" "\"level\": \"$lvl\"" "$lvl reached"
	expect 0 "pdfsig $lvl" -- pdfsig "$T/$lvl.pdf"
done
expect 0 "certify" -- sign --in "$T/contract.pdf" --out "$T/cert.pdf" --page 1 --x 100 --y 100 --certify no-changes
expect 2 "no signature after certify no-changes" -- sign --in "$T/cert.pdf" --out "$T/cert2.pdf" --page 1 --x 50 --y 50
[ -e "$T/cert2.pdf" ] && bad "output written after refusal" || ok

# tampering
python3 - "$T/a.pdf" "$T/flip.pdf" <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
i = b.find(b'stream') + 20
b[i] ^= 1
open(sys.argv[2], 'wb').write(b)
PY
expect 1 "flipped byte" -- $E verify "$T/flip.pdf"
# an incremental update that replaces the page content after signing
python3 - "$T/a.pdf" "$T/isa.pdf" <<'PY'
import re, sys
b = open(sys.argv[1], 'rb').read()
page = re.search(rb'(\d+) 0 obj\s*<<[^>]*?/Type\s*/Page\b', b)
size = int(re.findall(rb'/Size\s+(\d+)', b)[-1])
prev = int(re.findall(rb'startxref\s+(\d+)', b)[-1])
root = re.findall(rb'/Root\s+(\d+ \d+ R)', b)[-1]
content = b'BT /F1 30 Tf 72 500 Td (PAID IN FULL) Tj ET'
obj = b'%d 0 obj\n<< /Length %d >>\nstream\n%s\nendstream\nendobj\n' % (size, len(content), content)
# re-define the page's content stream number to point at the new one: override the page object
pnum = int(page.group(1))
pstart = page.start()
pend = b.index(b'endobj', pstart)
pbody = b[pstart:pend]
pbody = re.sub(rb'/Contents\s+\d+ 0 R', b'/Contents %d 0 R' % size, pbody)
upd = b'\n' + obj
off_obj = len(b) + 1
off_page = len(b) + len(upd)
upd += pbody + b'endobj\n'
xref = len(b) + len(upd)
upd += b'xref\n%d 1\n%010d 00000 n \n%d 1\n%010d 00000 n \n' % (pnum, off_page, size, off_obj)
upd += b'trailer\n<< /Size %d /Root %s /Prev %d >>\nstartxref\n%d\n%%%%EOF\n' % (size + 1, root, prev, xref)
open(sys.argv[2], 'wb').write(b + upd)
PY
expect 1 "content replaced after signing (ISA)" -- $E verify "$T/isa.pdf"
head -c 3000 "$T/a.pdf" > "$T/trunc.pdf"
$E verify "$T/trunc.pdf" >/dev/null 2>&1; rc=$?
[ $rc -eq 1 ] || [ $rc -eq 2 ] && ok || bad "truncated: exit $rc"

# refusals: nothing written
expect 2 "wrong password" -- sh -c "echo wrong-password-123 | $E sign --seal $SEAL --as keeper --password-stdin --in $T/contract.pdf --out $T/x.pdf --page 1 --x 10 --y 10"
expect_in "$T/err" "wrong login or password" "says the password is wrong"
[ -e "$T/x.pdf" ] && bad "output written after wrong password" || ok
expect 2 "not authorised" -- sh -c "echo '$PW' | $E sign --seal $SEAL --as outsider --password-stdin --in $T/contract.pdf --out $T/x.pdf --page 1 --x 10 --y 10"
expect 2 "keyword missing" -- sign --in "$T/contract.pdf" --out "$T/x.pdf" --keyword 不存在的词
[ -e "$T/x.pdf" ] && bad "output written for a missing keyword" || ok
echo "not a pdf" > "$T/bad.pdf"
expect 2 "not a PDF" -- sign --in "$T/bad.pdf" --out "$T/x.pdf" --page 1 --x 10 --y 10
expect 2 "placement missing" -- sign --in "$T/contract.pdf" --out "$T/x.pdf"
$E seal suspend "$SEAL" --reason "保管人休假" >/dev/null
expect 2 "suspended seal" -- sign --in "$T/contract.pdf" --out "$T/x.pdf" --page 1 --x 10 --y 10
expect_in "$T/err" "suspended" "says the seal is suspended"
$E seal revoke "$SEAL" --reason "印章停用" >/dev/null
expect 2 "revoked seal" -- sign --in "$T/contract.pdf" --out "$T/x.pdf" --page 1 --x 10 --y 10
[ -e "$T/x.pdf" ] && bad "output written for a revoked seal" || ok
expect 0 "audit chain intact after signing" -- $E audit verify
$E audit list > "$T/out"
expect_in "$T/out" "document.sign" "signing is audited"
expect_in "$T/out" "refused" "refusals are audited"

# look at it: the seal is red at the requested place
pdftoppm -r 50 -png -f 1 -l 1 "$T/a.pdf" "$T/page" && python3 - "$T/page-1.png" <<'PY' && ok || bad "no red seal at (150, 60) mm"
import sys, zlib, struct
d = open(sys.argv[1], 'rb').read()
w, h = struct.unpack('>II', d[16:24]); bit, ct = d[24], d[25]
idat = b''; i = 8
while i < len(d):
    n = struct.unpack('>I', d[i:i+4])[0]; t = d[i+4:i+8]
    if t == b'IDAT': idat += d[i+8:i+8+n]
    i += 12 + n
raw = zlib.decompress(idat); bpp = 3 if ct == 2 else 4; stride = w * bpp
rows = []; prev = bytearray(stride); p = 0
for y in range(h):
    f = raw[p]; line = bytearray(raw[p+1:p+1+stride]); p += 1 + stride
    for x in range(stride):
        a = line[x-bpp] if x >= bpp else 0; b = prev[x]; c = prev[x-bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line); prev = line
px = lambda x, y: rows[y][x*bpp:x*bpp+3]
mm = 50 / 25.4
cx, cy = int(150 * mm), int(60 * mm)
red = sum(1 for y in range(cy - 20, cy + 20) for x in range(cx - 20, cx + 20)
          if px(x, y)[0] > 180 and px(x, y)[1] < 90 and px(x, y)[2] < 90)
far = sum(1 for y in range(h - 40, h - 1) for x in range(0, 40)
          if px(x, y)[0] > 180 and px(x, y)[1] < 90)
sys.exit(0 if red > 30 and far == 0 else 1)
PY

# ---- grants (授权) from the console ----
SEAL=$($E seal review "$($E seal apply --owner org:$ORG --kind finance | awk '{print $NF}')" --approve | awk '{print $NF}')
echo "$PW" | $E user add --login clerk --name 王五 --id-number 110105199003071239 --org "$ORG" --role member --password-stdin >/dev/null || bad "user clerk"
clerk_sign() { echo "$PW" | $E sign --seal "$SEAL" --as clerk --password-stdin --in "$T/contract.pdf" --out "$1" --page 1 --x 50 --y 50; }
expect 2 "member without a grant cannot seal" -- clerk_sign "$T/g0.pdf"
[ ! -e "$T/g0.pdf" ] && ok || bad "no output without a grant"
expect 2 "grant add needs --login" -- $E grant add --seal "$SEAL"
expect 2 "grant to a user of no organisation" -- $E grant add --seal "$SEAL" --login outsider
expect 0 "grant add" -- $E grant add --seal "$SEAL" --login clerk --max-uses 1 --days 30 --as keeper
G=$(last_word)
expect 0 "granted member seals" -- clerk_sign "$T/g1.pdf"
expect 0 "pdfsig on the granted signature" -- pdfsig "$T/g1.pdf"
expect_in "$T/out" "Signature is Valid" "valid"
expect 0 "grant list" -- $E grant list --seal "$SEAL" --json
[ "$(jq -r ".[] | select(.id == $G) | .uses" "$T/out")" = 1 ] && ok || bad "one use counted"
expect 2 "the only use is spent" -- clerk_sign "$T/g2.pdf"
expect 0 "second grant, with approval" -- $E grant add --seal "$SEAL" --login clerk --needs-approval
G2=$(last_word)
expect 2 "a grant that needs approval cannot seal from the console" -- clerk_sign "$T/g3.pdf"
expect 0 "grant remove" -- $E grant remove "$G2"
expect 2 "grant remove twice" -- $E grant remove "$G2"
expect 0 "grant list of a user" -- $E grant list --login clerk
[ "$(grep -c removed "$T/out")" = 1 ] && ok || bad "removed grant listed as removed"
expect 0 "grants are audited" -- $E audit list
expect_in "$T/out" "grant.add" "grant.add in the audit"

# ---- a page shown rotated: the report puts the seal where the signer placed it ----
SEAL_R=$($E seal review "$($E seal apply --owner org:$ORG --kind company | awk '{print $NF}')" --approve | awk '{print $NF}')
qpdf --rotate=+90 "$T/contract.pdf" "$T/rot.pdf"
expect 0 "sign a rotated page" -- sh -c "echo '$PW' | $E sign --seal $SEAL_R --as keeper --password-stdin --in '$T/rot.pdf' --out '$T/rot-s.pdf' --page 1 --x 60 --y 50 --json"
placed=$(jq -c '.placements[0] | [.page, .x_mm, .y_mm, .w_mm, .h_mm]' "$T/out")
expect 0 "verify the rotated page" -- $E verify --json "$T/rot-s.pdf"
reported=$(jq -c '.signatures[0].picture // .signatures[0] | [.page, .x_mm, .y_mm, .w_mm, .h_mm]' "$T/out")
[ "$placed" = "$reported" ] && [ "$placed" != "[null,null,null,null,null]" ] && ok || bad "rotated page: signed at $placed, report says $reported"

# ---- a timestamp from a TSA the verifier does not trust proves no time ----
$ESEAL --data "$T/other" init --name "另一平台" >/dev/null 2>&1
$ESEAL --data "$T/other" serve --listen 127.0.0.1:0 --quiet >"$T/other.out" 2>"$T/other.err" &
OPID=$!
i=0
while [ $i -lt 300 ] && ! grep -q "listening on" "$T/other.out" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
OPORT=$(sed -n 's/^listening on http:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$T/other.out")
expect 0 "sign with another platform's TSA" -- sh -c "echo '$PW' | $E sign --seal $SEAL_R --as keeper --password-stdin --in '$T/contract.pdf' --out '$T/ots.pdf' --page 1 --x 60 --y 60 --tsa http://127.0.0.1:$OPORT/api/v1/tsa"
kill -TERM $OPID; wait $OPID
expect 3 "an untrusted TSA's time is not proven" -- $E verify --json "$T/ots.pdf"
expect_in "$T/out" '"time_source": "untrusted-timestamp"' "time source says so"
expect_in "$T/out" "TST_UNTRUSTED" "finding TST_UNTRUSTED"
expect_in "$T/out" '"level": "B-B"' "no B-T level on an unproven time"
expect 0 "pdfsig still finds the signature itself valid" -- pdfsig "$T/ots.pdf"
expect_in "$T/out" "Signature is Valid" "valid CMS"

# ---- the operator sets a new password ----
expect 2 "passwd needs the password on stdin" -- $E user passwd keeper
expect 2 "passwd keeps the policy" -- sh -c "echo short | $E user passwd keeper --password-stdin"
expect 2 "passwd of nobody" -- sh -c "echo 'new horse battery 9' | $E user passwd nobody --password-stdin"
expect 0 "passwd" -- sh -c "echo 'new horse battery 9' | $E user passwd keeper --password-stdin --as admin"
expect 2 "the old password no longer signs" -- sh -c "echo '$PW' | $E sign --seal $SEAL_R --as keeper --password-stdin --in '$T/contract.pdf' --out '$T/pw-old.pdf' --page 1 --x 50 --y 50"
expect 0 "the new one does" -- sh -c "echo 'new horse battery 9' | $E sign --seal $SEAL_R --as keeper --password-stdin --in '$T/contract.pdf' --out '$T/pw-new.pdf' --page 1 --x 50 --y 50"
expect 0 "audited" -- $E audit list
expect_in "$T/out" "user.password" "user.password in the audit"

finish
