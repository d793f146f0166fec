#!/bin/sh
# init → org → user → apply → review → export → verify, and every refusal on the way.
# SPDX-License-Identifier: AGPL-3.0-or-later
ESEAL=$1
. "$(dirname "$0")/lib.sh"
D="$T/data"
E="$ESEAL --data $D"
V="$ESEAL_SHARED_DIR/vectors/ofd"

expect 0 "help" -- $ESEAL --help
expect_in "$T/out" "verify" "help lists commands"
expect 0 "version" -- $ESEAL --version
expect 2 "unknown command" -- $ESEAL frobnicate
expect 2 "open before init" -- $E seal list
expect_in "$T/err" "eseal init" "missing data dir says how to fix it"

expect 2 "unwritable data dir" -- $ESEAL --data /proc/eseal-cannot-be-here init
expect_in "$T/err" "/proc/eseal-cannot-be-here" "names the directory"
expect 2 "bad area code" -- $ESEAL --data "$T/other" init --area 12AB
[ -e "$T/other/eseal.db" ] && bad "bad init left a store" || ok
expect 0 "init" -- $E init --name "示例平台"
[ "$(stat -c %a "$D")" = 700 ] && ok || bad "data dir mode is not 0700"
[ "$(stat -c %a "$D/master.key")" = 600 ] && ok || bad "master.key mode is not 0600"
cp "$D/eseal.db" "$T/db.before"
expect 2 "init twice refuses" -- $E init
expect_in "$T/err" "already" "init twice says why"
cmp -s "$D/eseal.db" "$T/db.before" && ok || bad "second init changed the store"
expect 0 "pki show" -- $E pki show
expect_in "$T/out" "Seal Maker" "pki show lists the seal maker"
expect_in "$T/out" "Root CA" "pki show lists the roots"

# organisations: USCC check digits
expect 2 "bad USCC check char" -- $E org add --name "坏公司" --uscc 91330106MA2B3C4D5A
expect_in "$T/err" "check" "bad USCC message names the check character"
expect 2 "short USCC" -- $E org add --name "坏公司" --uscc 9133010
expect 2 "USCC with I" -- $E org add --name "坏公司" --uscc 91330106MA2B3C4I5D
expect 0 "org add" -- $E org add --name "杭州示例科技有限公司" --uscc 91330106MA2B3C4D5D
ORG=$(last_word)
[ "$ORG" = 1 ] && ok || bad "org id is '$ORG'"
expect 2 "duplicate USCC" -- $E org add --name "又一个" --uscc 91330106MA2B3C4D5D

# users: resident ID, bank card, password policy, masking
echo "correct horse battery" > "$T/pw"
expect 2 "bad ID check digit" -- sh -c "$E user add --login bad --name 张三 --id-number 110105194912310021 --password-stdin < $T/pw"
expect_not_in "$T/err" "110105194912310021" "the full ID number never appears in errors"
expect 2 "bad birth date" -- sh -c "$E user add --login bad --name 张三 --id-number 110105194913310029 --password-stdin < $T/pw"
expect 2 "bad bank card" -- sh -c "$E user add --login bad --name 张三 --id-number 11010519491231002X --bank-card 6222021001123456780 --password-stdin < $T/pw"
expect 2 "short password" -- sh -c "echo short | $E user add --login bad --name 张三 --id-number 11010519491231002X --password-stdin"
expect 2 "password on the command line is not accepted" -- $E user add --login bad --name 张三 --id-number 11010519491231002X
expect 0 "user add reviewer" -- sh -c "$E user add --login rev --name 李审核 --id-number 330106199003071236 --role reviewer --password-stdin < $T/pw"
expect 0 "user add alice" -- sh -c "$E user add --login alice --name 张三 --id-number 11010519491231002X --bank-card 6222021001123456789 --mobile 13812345678 --org $ORG --role org-admin --password-stdin < $T/pw"
expect 2 "duplicate login" -- sh -c "$E user add --login alice --name 王五 --id-number 440305198512154561 --password-stdin < $T/pw"
expect 0 "user show" -- $E user show alice
expect_in "$T/out" "110\*\*\*\*\*\*\*\*\*\*\*002X" "ID number masked"
expect_in "$T/out" "6222 \*\*\*\* \*\*\*\* \*\*\* 6789" "bank card masked"
expect_not_in "$T/out" "11010519491231002X" "ID number not in clear"
if grep -a -q "11010519491231002X" "$D/eseal.db" "$D"/eseal.db-wal 2>/dev/null; then bad "ID number stored in clear"; else ok; fi

# identity provider plug-in rejects one person
expect 2 "identity provider says no" -- sh -c "ESEAL_IDP_CMD='$ESEAL_SOURCE_DIR/tests/fixtures/fake-idp.sh' $E user add --login wang --name 王五 --id-number 440305198512154561 --password-stdin < $T/pw"
expect_in "$T/err" "姓名与身份证号不一致" "provider's reason is shown"
expect 0 "identity provider says yes" -- sh -c "ESEAL_IDP_CMD='$ESEAL_SOURCE_DIR/tests/fixtures/fake-idp.sh' $E user add --login zhao --name 赵六 --id-number 110101198001010010 --password-stdin < $T/pw"

# applications and review
expect 2 "unknown kind" -- $E seal apply --owner org:$ORG --kind stamp
expect 2 "missing org" -- $E seal apply --owner org:99 --kind company
expect 2 "personal seal for an org" -- $E seal apply --owner org:$ORG --kind personal
expect 0 "apply company seal" -- $E seal apply --owner org:$ORG --kind company --as alice
APP=$(last_word)
expect 2 "applicant cannot review own" -- $E seal review $APP --approve --as alice
expect 2 "approve and reject together" -- $E seal review $APP --approve --reject
expect 0 "review approve" -- $E seal review $APP --approve --as rev
SEAL=$(last_word)
echo "$SEAL" | grep -Eq '^[0-9]{13}$' && ok || bad "seal code '$SEAL' is not 13 digits"
expect 2 "review twice" -- $E seal review $APP --reject --reason late --as rev
expect 0 "apply contract seal" -- $E seal apply --owner org:$ORG --kind contract
expect 0 "reject" -- $E seal review $(last_word) --reject --reason "材料不全"
expect 0 "apply invoice seal" -- $E seal apply --owner org:$ORG --kind invoice
expect 0 "approve invoice" -- $E seal review $(last_word) --approve
expect 0 "apply personal seal" -- $E seal apply --owner user:alice --kind personal
expect 0 "approve personal" -- $E seal review $(last_word) --approve
expect 0 "seal list" -- $E seal list
expect_in "$T/out" "$SEAL" "list shows the seal"
expect 0 "seal show json" -- $E seal show $SEAL --json
expect_in "$T/out" '"state": "active"' "new seal is active"

# export and verify
expect 0 "export" -- $E seal export $SEAL --out "$T/seal.esl"
expect 0 "openssl reads the seal" -- openssl asn1parse -inform DER -in "$T/seal.esl"
expect_in "$T/out" "IA5STRING *:ES" "SESeal header id ES"
expect 0 "verify exported seal" -- $E verify "$T/seal.esl"
expect 0 "verify json" -- $E verify --json "$T/seal.esl"
expect_in "$T/out" '"verdict": "TOTAL_PASSED"' "json verdict"
expect 3 "verify without the platform's roots is indeterminate" -- $ESEAL --data "$T/nowhere" verify "$T/seal.esl"
# flip a byte inside the signed seal info (the seal name region) → TOTAL_FAILED
python3 - "$T/seal.esl" "$T/bad.esl" <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
i = b.find(b'ES')            # header id inside eSealInfo
b[i + 40] ^= 0x01
open(sys.argv[2], 'wb').write(b)
PY
expect 1 "flipped byte fails" -- $E verify "$T/bad.esl"
head -c 100 "$T/seal.esl" > "$T/trunc.esl"
expect 2 "truncated seal is unreadable" -- $E verify "$T/trunc.esl"
echo "hello" > "$T/hello.txt"
expect 2 "not a seal" -- $E verify "$T/hello.txt"
expect 2 "missing file" -- $E verify "$T/none.esl"

# third-party seals: intact ones are never TOTAL_FAILED
for f in ofdrw-UserV1.esl ofdrw-UserV4.esl ofdrw-UserV5.esl gomain-zhejiang-tax.esl shandong-zibo-realestate.esl; do
	$E verify "$V/$f" >"$T/out" 2>&1; rc=$?
	if [ $rc -eq 0 ] || [ $rc -eq 3 ]; then ok; else bad "vector $f: exit $rc"; cat "$T/out" >&2; fi
done
$E verify "$V/hebeigede-SESealData.esl" >/dev/null 2>&1; rc=$?
[ $rc -ne 0 ] && [ $rc -lt 128 ] && ok || bad "hebeigede parse-only vector: exit $rc"

# picture rendering
for fmt in png svg pdf; do
	expect 0 "render $fmt" -- $E seal render $SEAL --out "$T/seal.$fmt"
done
expect 0 "qpdf checks the seal PDF" -- qpdf --check "$T/seal.pdf"
head -c 8 "$T/seal.png" | od -An -c | grep -q "P   N   G" && ok || bad "PNG signature"

# states and CRL
expect 2 "suspend needs a reason" -- $E seal suspend $SEAL
expect 0 "suspend" -- $E seal suspend $SEAL --reason "印章保管人变更"
expect 2 "suspend twice" -- $E seal suspend $SEAL --reason again
expect 0 "resume" -- $E seal resume $SEAL --reason "已交接"
expect 2 "renew needs a reason" -- $E seal renew $SEAL
$E seal export $SEAL --out "$T/before.esl" >/dev/null
expect 0 "renew" -- $E seal renew $SEAL --reason "有效期届满"
expect_in "$T/out" "renew $SEAL" "says the seal was renewed"
$E seal export $SEAL --out "$T/after.esl" >/dev/null
cmp -s "$T/before.esl" "$T/after.esl" && bad "renewal kept the old SESeal" || ok
expect 0 "renewed SESeal verifies" -- $E verify "$T/after.esl"
expect 0 "show renewed" -- $E seal show $SEAL
expect_in "$T/out" "renewals      1" "show counts the renewal"
expect 0 "revoke" -- $E seal revoke $SEAL --reason "单位注销"
expect 2 "resume revoked" -- $E seal resume $SEAL --reason oops
expect 2 "renew revoked" -- $E seal renew $SEAL --reason oops
expect 2 "unknown seal" -- $E seal revoke 1100009999999 --reason x
expect 0 "crl" -- $E crl --out "$T/crl"
expect 0 "openssl reads the P-256 CRL" -- openssl crl -inform DER -in "$T/crl/p256.crl" -noout -text
expect_in "$T/out" "Serial Number" "revoked serial on the CRL"

# audit
expect 0 "audit verify" -- $E audit verify
expect_in "$T/out" "intact" "audit intact"
sqlite3 "$D/eseal.db" "UPDATE audit SET actor = 'mallory' WHERE id = 3"
expect 1 "audit detects an edited entry" -- $E audit verify
expect_in "$T/out" "entry 3" "names the edited entry"

finish
