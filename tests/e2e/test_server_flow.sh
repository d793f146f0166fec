#!/bin/sh
# eseal serve end to end: org → users → apply → review → grant → upload →
# use request → sign with password → download → pdfsig → public verify,
# the refusals on the way, tokens, limits, lockout and the audit tamper test.
# SPDX-License-Identifier: AGPL-3.0-or-later
ESEAL=$1
. "$(dirname "$0")/lib.sh"
SPID=
trap '[ -n "$SPID" ] && kill -TERM $SPID 2>/dev/null; rm -rf "$T"' EXIT
$ESEAL serve --help >/dev/null 2>&1 || { bad "eseal has no serve command (cli/main.c command table)"; finish; exit 1; }
D="$T/data"
E="$ESEAL --data $D"
PW="correct horse battery"
for tool in curl jq sqlite3; do
	command -v $tool >/dev/null || { echo "SKIP: $tool missing"; exit 0; }
done

# ---- helpers ----
# Valid resident ID (GB 11643) for birth date $1 and sequence $2.
rid() {
	python3 -c "
import sys
b='110105'+sys.argv[1]+sys.argv[2]
w=[2**(17-i)%11 for i in range(17)]
c=(12-sum(int(x)*y for x,y in zip(b,w))%11)%11
print(b+('X' if c==10 else str(c)))" "$1" "$2"
}
# Valid USCC (GB 32100) from 17 characters.
uscc() {
	python3 -c "
import sys
a='0123456789ABCDEFGHJKLMNPQRTUWXY'
s=sys.argv[1]
c=31-sum(a.index(x)*(3**i%31) for i,x in enumerate(s))%31
print(s+a[0 if c==31 else c])" "$1"
}
# A4 PDF with one line of text (the keyword 盖章处 is not needed here).
mkpdf() {
	python3 - "$1" <<'PY'
import sys
objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        None,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
text = b"BT /F1 18 Tf 72 760 Td (Contract 2026-001) Tj ET"
objs[3] = b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream"
out = bytearray(b"%PDF-1.7\n")
offs = []
for i, o in enumerate(objs):
    offs.append(len(out))
    out += b"%d 0 obj\n" % (i + 1) + o + b"\nendobj\n"
x = len(out)
out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
for o in offs:
    out += b"%010d 00000 n \n" % o
out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, x)
open(sys.argv[1], "wb").write(out)
PY
}
start_server() {
	# The background shell truncates serve.out later: never read the old one.
	rm -f "$T/serve.out" "$T/serve.err"
	$E serve --listen 127.0.0.1:0 --threads 2 "$@" >"$T/serve.out" 2>"$T/serve.err" &
	SPID=$!
	i=0
	while [ $i -lt 300 ] && ! grep -q "listening on" "$T/serve.out" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
	PORT=$(sed -n 's/^listening on http:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$T/serve.out")
	U="http://127.0.0.1:$PORT/api/v1"
	[ -n "$PORT" ] && ok || { bad "server did not start"; cat "$T/serve.out" "$T/serve.err" >&2; ps -p $SPID >&2; finish; exit 1; }
}
stop_server() {
	kill -TERM $SPID 2>/dev/null
	wait $SPID
	src=$?
	[ "$src" = 0 ] || tail -20 "$T/serve.err" >&2
}
# call WANT DESC WHO METHOD PATH [curl args...]   (body in $T/body, headers in $T/hdr)
call() {
	want=$1; what=$2; who=$3; m=$4; p=$5; shift 5
	if [ "$who" = - ]; then
		code=$(curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' -X "$m" "$@" "$U$p")
	else
		code=$(curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' -X "$m" -b "$T/cj.$who" \
			-H "X-CSRF-Token: $(cat "$T/csrf.$who" 2>/dev/null)" "$@" "$U$p")
	fi
	if [ "$code" = "$want" ]; then ok; else
		bad "$what: HTTP $code, want $want"; head -c 400 "$T/body" >&2; echo >&2
	fi
}
J="Content-Type: application/json"
login() {
	curl -s -c "$T/cj.$1" -o "$T/login.$1" -H "$J" -X POST "$U/session" \
		--data-binary "{\"login\":\"$1\",\"password\":\"$PW\"}"
	jq -r .csrf_token "$T/login.$1" >"$T/csrf.$1"
	[ -s "$T/csrf.$1" ] && [ "$(cat "$T/csrf.$1")" != null ] && ok || bad "login $1"
}
field() { jq -r "$1" "$T/body"; }
totp() { # RFC 6238 code of a Base32 secret, now or at time step $2
	python3 -c "
import base64, hashlib, hmac, struct, sys, time
s = sys.argv[1]
k = base64.b32decode(s + '=' * ((8 - len(s) % 8) % 8))
step = int(sys.argv[2]) if len(sys.argv) > 2 else int(time.time()) // 30
h = hmac.new(k, struct.pack('>Q', step), hashlib.sha1).digest()
o = h[-1] & 15
print('%06d' % ((struct.unpack('>I', h[o:o + 4])[0] & 0x7fffffff) % 1000000))" "$@"
}

# ---- platform set-up with the CLI ----
expect 0 "init" -- $E init --name "示例平台"
USCC_A=91330106MA2B3C4D5D
USCC_B=$(uscc 91110108MA01ABCDE)
expect 0 "org A" -- $E org add --name "杭州示例科技有限公司" --uscc $USCC_A
echo "$PW" >"$T/pw"
expect 0 "user admin" -- sh -c "$E user add --login admin --name 管理员 --id-number $(rid 19700101 001) --role platform-admin --password-stdin < $T/pw"
expect 0 "user rev" -- sh -c "$E user add --login rev --name 李审核 --id-number $(rid 19700101 002) --role reviewer --password-stdin < $T/pw"
expect 0 "user aud" -- sh -c "$E user add --login aud --name 王审计 --id-number $(rid 19700101 003) --role auditor --password-stdin < $T/pw"

expect 2 "serve refuses a bad --listen" -- $E serve --listen nowhere
expect 2 "serve refuses a missing data dir" -- $ESEAL --data "$T/none" serve --listen 127.0.0.1:0
start_server

# ---- public endpoints, headers, errors ----
call 200 "openapi" - GET /openapi.json
[ "$(field .openapi)" = 3.0.3 ] && ok || bad "openapi version"
expect_in "$T/hdr" "Content-Security-Policy: default-src 'self'; script-src 'self'; frame-ancestors 'none'" "CSP header"
expect_in "$T/hdr" "X-Content-Type-Options: nosniff" "nosniff header"
expect_in "$T/hdr" "Referrer-Policy: no-referrer" "referrer header"
expect_in "$T/hdr" "X-Frame-Options: DENY" "frame header"
call 404 "unknown route" - GET /nothing
[ "$(field .error.code)" = not_found ] && ok || bad "error body shape"
call 401 "seal preview needs a login" - GET "/seal-preview.svg?kind=company&text=x"
if [ -f "$ESEAL_SOURCE_DIR/web/index.html" ]; then
	W="http://127.0.0.1:$PORT"
	curl -s -D "$T/hdr" -o "$T/body" "$W/"
	expect_in "$T/hdr" "Content-Type: text/html; charset=utf-8" "web page at /"
	curl -s -D "$T/hdr" -o "$T/body" "$W/js/app.js"
	expect_in "$T/hdr" "Content-Type: text/javascript" "ES modules as text/javascript"
	expect_in "$T/hdr" "Content-Security-Policy" "CSP on the page"
	[ "$(curl -s -o /dev/null -w '%{http_code}' --path-as-is "$W/../../etc/passwd")" = 404 ] && ok || bad "dot-dot escapes the web dir"
	[ "$(curl -s -o /dev/null -w '%{http_code}' --path-as-is "$W/js/../../CMakeLists.txt")" = 404 ] && ok || bad "dot-dot inside the web dir"
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$W/.git/config")" = 404 ] && ok || bad "hidden files"
fi
call 405 "wrong method" - PUT /orgs
call 401 "no session" - GET /seals
call 400 "bad JSON" - POST /session -H "$J" --data-binary '{"login":'
call 400 "deep JSON" - POST /session -H "$J" --data-binary "$(python3 -c "print('['*100 + ']'*100)")"
call 401 "wrong password" - POST /session -H "$J" --data-binary '{"login":"admin","password":"wrong wrong wrong"}'
call 401 "unknown user" - POST /session -H "$J" --data-binary '{"login":"nobody","password":"wrong wrong wrong"}'
expect_not_in "$T/serve.err" "wrong wrong" "passwords never reach the log"

# ---- admin: organisations and users through the API ----
login admin
call 403 "cookie write without CSRF header" - POST /orgs -b "$T/cj.admin" -H "$J" --data-binary '{"name":"x","uscc":"'$USCC_B'"}'
call 201 "org B" admin POST /orgs -H "$J" --data-binary "{\"name\":\"北京另一家有限公司\",\"uscc\":\"$USCC_B\"}"
ORG_B=$(field .id)
call 409 "duplicate USCC" admin POST /orgs -H "$J" --data-binary "{\"name\":\"x\",\"uscc\":\"$USCC_B\"}"
call 422 "bad USCC" admin POST /orgs -H "$J" --data-binary '{"name":"x","uscc":"91330106MA2B3C4D5A"}'
user_json() { # login name rid org roles
	echo "{\"login\":\"$1\",\"name\":\"$2\",\"id_number\":\"$3\",\"password\":\"$PW\",\"org_id\":$4,\"roles\":$5}"
}
call 201 "org admin A" admin POST /users -H "$J" --data-binary "$(user_json oa 张三 $(rid 19800101 011) 1 '["org-admin"]')"
call 201 "org admin B" admin POST /users -H "$J" --data-binary "$(user_json ob 赵六 $(rid 19800101 012) $ORG_B '["org-admin"]')"
call 422 "bad ID number" admin POST /users -H "$J" --data-binary "$(user_json bad 某某 110105194912310021 1 '[]')"
expect_not_in "$T/body" "110105194912310021" "ID number not echoed in errors"
login oa
call 201 "org admin adds keeper" oa POST /users -H "$J" --data-binary "$(user_json sk 钱七 $(rid 19800101 021) 0 '["seal-keeper"]')"
call 201 "org admin adds member" oa POST /users -H "$J" --data-binary \
	"{\"login\":\"mem\",\"name\":\"孙八\",\"id_number\":\"$(rid 19800101 022)\",\"bank_card\":\"6222021001123456789\",\"mobile\":\"13812345678\",\"password\":\"$PW\",\"roles\":[\"member\"]}"
call 404 "org admin cannot add into another org" oa POST /users -H "$J" --data-binary "$(user_json x1 周九 $(rid 19800101 023) $ORG_B '[]')"
call 403 "org admin cannot make platform admins" oa POST /users -H "$J" --data-binary "$(user_json x2 吴十 $(rid 19800101 024) 0 '["platform-admin"]')"
login ob
call 201 "org B member" ob POST /users -H "$J" --data-binary "$(user_json memb 郑一 $(rid 19800101 031) 0 '["member"]')"
login sk; login mem; login memb; login rev; login aud
call 201 "org auditor" oa POST /users -H "$J" --data-binary "$(user_json auda 陈审计 $(rid 19800101 025) 0 '["auditor"]')"
login auda
call 200 "user show (masked)" oa GET /users/mem
expect_in "$T/body" '"bank_card":"6222 \*\*\*\* .*6789"' "bank card masked"
expect_not_in "$T/body" "6222021001123456789" "bank card not in clear"
expect_not_in "$T/body" "13812345678" "mobile not in clear"
expect_not_in "$T/body" "孙八" "name masked for others"
call 404 "other org's user is invisible" ob GET /users/mem

# ---- seal application and review ----
call 201 "apply company seal" oa POST /seal-applications -H "$J" --data-binary '{"owner":{"org_id":1},"kind":"company"}'
APP=$(field .id)
call 404 "org B cannot apply for org A" ob POST /seal-applications -H "$J" --data-binary '{"owner":{"org_id":1},"kind":"company"}'
call 403 "member cannot apply for the org" mem POST /seal-applications -H "$J" --data-binary '{"owner":{"org_id":1},"kind":"contract"}'
call 200 "reviewer queue" rev GET "/seal-applications?state=submitted"
[ "$(field '.applications | length')" = 1 ] && ok || bad "queue has the application"
call 403 "org admin cannot decide" oa POST /seal-applications/$APP/decision -H "$J" --data-binary '{"approve":true}'
call 422 "reject needs a reason" rev POST /seal-applications/$APP/decision -H "$J" --data-binary '{"approve":false}'
call 200 "reviewer approves" rev POST /seal-applications/$APP/decision -H "$J" --data-binary '{"approve":true,"reason":"ok"}'
SEAL=$(field .seal_id)
echo "$SEAL" | grep -Eq '^[0-9]{13}$' && ok || bad "seal id '$SEAL'"
call 409 "decide twice" rev POST /seal-applications/$APP/decision -H "$J" --data-binary '{"approve":false,"reason":"late"}'
call 201 "reviewer applies for a personal seal" rev POST /seal-applications -H "$J" --data-binary '{"owner":{"login":"rev"},"kind":"personal"}'
call 403 "applicant cannot decide own application" rev POST /seal-applications/$(field .id)/decision -H "$J" --data-binary '{"approve":true}'

# ---- seals ----
call 200 "member lists seals" mem GET /seals
[ "$(field '.seals | length')" = 1 ] && ok || bad "member sees the org seal"
[ "$(field '.seals[0].usable')" = true ] && ok || bad "the new seal is usable"
[ "$(field '.seals[0].can_sign')" = false ] && ok || bad "member without a grant cannot sign: $(field '.seals[0].can_sign')"
call 200 "keeper lists seals" sk GET /seals
[ "$(field '.seals[0].can_sign')" = true ] && ok || bad "the keeper can sign"
call 200 "org B lists seals" memb GET /seals
[ "$(field '.seals | length')" = 0 ] && ok || bad "org B sees no seal of org A"
call 404 "org B cannot see the seal" memb GET /seals/$SEAL
call 200 "seal picture" mem GET /seals/$SEAL/picture.png
head -c 8 "$T/body" | od -An -c | grep -q "P   N   G" && ok || bad "PNG signature"
call 200 "seal svg" mem GET /seals/$SEAL/picture.svg
expect_in "$T/body" "<svg" "SVG document"
call 200 "seal esl" mem GET /seals/$SEAL/seal.esl
expect 0 "openssl reads the seal" -- openssl asn1parse -inform DER -in "$T/body"
cp "$T/body" "$T/seal.esl"
call 200 "public verify of the seal file" - POST /verify --data-binary @"$T/seal.esl"
[ "$(field .file_type)" = seal ] && [ "$(field .verdict)" = TOTAL_PASSED ] && ok || bad "seal verify: $(field .file_type) $(field .verdict)"
[ "$(field .file_sha256)" = "$(sha256sum "$T/seal.esl" | cut -d' ' -f1)" ] && ok || bad "verify report names the upload's SHA-256"

# ---- grants ----
call 403 "keeper cannot grant auto-sign" sk POST /seals/$SEAL/grants -H "$J" --data-binary '{"login":"mem","auto_sign":true}'
call 422 "grant to another org's user" sk POST /seals/$SEAL/grants -H "$J" --data-binary '{"login":"memb"}'
call 403 "member cannot grant" mem POST /seals/$SEAL/grants -H "$J" --data-binary '{"login":"mem"}'
call 404 "org B cannot grant" ob POST /seals/$SEAL/grants -H "$J" --data-binary '{"login":"memb"}'
call 201 "keeper grants with approval" sk POST /seals/$SEAL/grants -H "$J" --data-binary '{"login":"mem","needs_approval":true,"max_uses":5}'
GRANT=$(field .id)
call 200 "member's seal list after the grant" mem GET /seals/$SEAL
[ "$(field .can_sign)" = true ] && ok || bad "granted member can sign"
[ "$(field .needs_approval)" = true ] && ok || bad "the grant needs approval"
call 201 "org admin grants auto-sign" oa POST /seals/$SEAL/grants -H "$J" --data-binary '{"login":"sk","auto_sign":true}'
call 200 "list grants" sk GET /seals/$SEAL/grants
[ "$(field '.grants | length')" = 2 ] && ok || bad "two grants"

# ---- documents, use requests, signing ----
mkpdf "$T/contract.pdf"
call 415 "upload needs a document type" mem POST /documents -H "Content-Type: text/plain" --data-binary @"$T/contract.pdf"
echo "not a pdf" >"$T/junk.pdf"
call 422 "upload refuses junk" mem POST /documents -H "Content-Type: application/pdf" --data-binary @"$T/junk.pdf"
call 201 "upload" mem POST /documents -H "Content-Type: application/pdf" -H "X-Filename: %E5%90%88%E5%90%8C.pdf" --data-binary @"$T/contract.pdf"
DOC=$(field .id)
[ "$(field .filename)" = "合同.pdf" ] && ok || bad "percent-encoded file name: $(field .filename)"
[ "$(field .pages)" = 1 ] && ok || bad "one page"
[ "$(field .sha256)" = "$(sha256sum "$T/contract.pdf" | cut -d' ' -f1)" ] && ok || bad "sha256 of the upload"
[ "$(field '.page_sizes_mm[0][0]')" = 209.9 ] || [ "$(field '.page_sizes_mm[0][0]')" = 210 ] && ok || bad "A4 width $(field '.page_sizes_mm[0][0]')"
call 200 "document metadata" mem GET /documents/$DOC
# concurrent writers: every request succeeds (one store connection per worker, WAL, busy timeout)
pids=
for i in 1 2 3 4 5 6 7 8; do
	curl -s -o /dev/null -w '%{http_code}\n' -b "$T/cj.mem" -H "X-CSRF-Token: $(cat "$T/csrf.mem")" \
		-H "Content-Type: application/pdf" --data-binary @"$T/contract.pdf" "$U/documents" >"$T/par.$i" &
	pids="$pids $!"
done
wait $pids
[ "$(cat "$T"/par.* | sort -u)" = 201 ] && ok || bad "parallel uploads: $(cat "$T"/par.* | tr '\n' ' ')"
call 404 "other org cannot see the document" memb GET /documents/$DOC
call 200 "seal preview" mem GET "/seal-preview.svg?kind=company&text=%E6%9D%AD%E5%B7%9E%E7%A4%BA%E4%BE%8B"
expect_in "$T/body" "<svg" "preview is SVG"
call 422 "preview of an unknown kind" mem GET "/seal-preview.svg?kind=stamp&text=x"
call 200 "page render" mem GET "/documents/$DOC/pages/1.png?dpi=50"
head -c 8 "$T/body" | od -An -c | grep -q "P   N   G" && ok || bad "page PNG"
call 422 "dpi limit" mem GET "/documents/$DOC/pages/1.png?dpi=5000"
SIGN="{\"seal_id\":\"$SEAL\",\"placement\":{\"page\":1,\"x_mm\":150,\"y_mm\":240},\"password\":\"$PW\""
call 409 "approval needed first" mem POST /documents/$DOC/sign -H "$J" --data-binary "$SIGN}"
call 201 "use request" mem POST /use-requests -H "$J" --data-binary "{\"seal_id\":\"$SEAL\",\"document_id\":$DOC,\"reason\":\"合同盖章\"}"
UR=$(field .id)
call 200 "keeper's approval queue" sk GET "/use-requests?state=pending"
[ "$(field '.use_requests[0].id')" = "$UR" ] && ok || bad "the queue shows the request"
call 200 "org B's queue is empty" ob GET "/use-requests?state=pending"
[ "$(field '.use_requests | length')" = 0 ] && ok || bad "org B sees no request"
call 404 "org B cannot ask for org A's seal" memb POST /use-requests -H "$J" --data-binary "{\"seal_id\":\"$SEAL\",\"document_id\":$DOC,\"reason\":\"x\"}"
call 403 "requester cannot approve own" mem POST /use-requests/$UR/decision -H "$J" --data-binary '{"approve":true}'
call 404 "org B cannot decide" ob POST /use-requests/$UR/decision -H "$J" --data-binary '{"approve":true}'
call 200 "keeper approves" sk POST /use-requests/$UR/decision -H "$J" --data-binary '{"approve":true,"reason":"ok"}'
call 401 "signing re-checks the password" mem POST /documents/$DOC/sign -H "$J" --data-binary \
	"{\"seal_id\":\"$SEAL\",\"placement\":{\"page\":1,\"x_mm\":150,\"y_mm\":240},\"password\":\"wrong wrong wrong\",\"use_request_id\":$UR}"
call 401 "signing without identity proof" mem POST /documents/$DOC/sign -H "$J" --data-binary \
	"{\"seal_id\":\"$SEAL\",\"placement\":{\"page\":1,\"x_mm\":150,\"y_mm\":240},\"use_request_id\":$UR}"
call 201 "sign with password" mem POST /documents/$DOC/sign -H "$J" --data-binary "$SIGN,\"use_request_id\":$UR}"
SIGNED=$(field .document_id)
call 409 "use request is used up" mem POST /documents/$DOC/sign -H "$J" --data-binary "$SIGN,\"use_request_id\":$UR}"
call 200 "download" mem GET /documents/$SIGNED/content
cp "$T/body" "$T/signed.pdf"
expect_in "$T/hdr" "Content-Type: application/pdf" "PDF content type"
if command -v pdfsig >/dev/null; then
	pdfsig "$T/signed.pdf" >"$T/pdfsig.out" 2>&1
	expect_in "$T/pdfsig.out" "Signature is Valid" "pdfsig says the signature is valid"
fi
call 200 "public verify" - POST /verify -H "Content-Type: application/octet-stream" --data-binary @"$T/signed.pdf"
[ "$(field .verdict)" = TOTAL_PASSED ] && ok || bad "verify verdict $(field .verdict)"
printf 'garbage' >"$T/garbage.bin"
call 422 "verify refuses garbage" - POST /verify --data-binary @"$T/garbage.bin"
call 201 "keeper signs without a grant" sk POST /documents/$DOC/sign -H "$J" --data-binary "$SIGN}"
# OFD: upload, keyword placement, verify
if $E sample --out "$T/sample.ofd" --pages 2 >/dev/null 2>&1; then
	call 201 "upload OFD" sk POST /documents -H "Content-Type: application/ofd" --data-binary @"$T/sample.ofd"
	ODOC=$(field .id)
	[ "$(field .format)" = ofd ] && [ "$(field .pages)" = 2 ] && ok || bad "OFD metadata"
	call 200 "OFD page render" sk GET "/documents/$ODOC/pages/2.png?dpi=48"
	call 201 "sign OFD at the keyword" sk POST /documents/$ODOC/sign -H "$J" --data-binary \
		"{\"seal_id\":\"$SEAL\",\"placement\":{\"keyword\":\"盖章处\"},\"password\":\"$PW\"}"
	call 200 "download signed OFD" sk GET /documents/$(field .document_id)/content
	cp "$T/body" "$T/signed.ofd"
	call 200 "verify signed OFD" - POST /verify --data-binary @"$T/signed.ofd"
	[ "$(field .verdict)" = TOTAL_PASSED ] && ok || bad "OFD verdict $(field .verdict)"
fi
call 200 "grant revoked" sk DELETE /grants/$GRANT
call 409 "grant revoked twice" sk DELETE /grants/$GRANT
call 200 "member's seal after the grant is revoked" mem GET /seals/$SEAL
[ "$(field .can_sign)" = false ] && ok || bad "no grant, no signing"

# ---- seal states ----
call 403 "keeper cannot suspend" sk POST /seals/$SEAL/suspend -H "$J" --data-binary '{"reason":"x"}'
call 422 "suspend needs a reason" oa POST /seals/$SEAL/suspend -H "$J" --data-binary '{}'
call 200 "suspend" oa POST /seals/$SEAL/suspend -H "$J" --data-binary '{"reason":"保管人变更"}'
[ "$(field .state)" = suspended ] && ok || bad "state suspended"
call 409 "signing with a suspended seal" sk POST /documents/$DOC/sign -H "$J" --data-binary "$SIGN}"
call 200 "resume" oa POST /seals/$SEAL/resume -H "$J" --data-binary '{"reason":"已交接"}'
call 403 "keeper cannot renew" sk POST /seals/$SEAL/renew -H "$J" --data-binary '{"reason":"x"}'
call 422 "renew needs a reason" oa POST /seals/$SEAL/renew -H "$J" --data-binary '{}'
call 200 "renew" oa POST /seals/$SEAL/renew -H "$J" --data-binary '{"reason":"有效期届满"}'
[ "$(field .state)" = active ] && ok || bad "renewed seal active"

# ---- API tokens ----
call 201 "token" mem POST /tokens -H "$J" --data-binary '{"name":"erp"}'
TOK=$(field .token); TOKID=$(field .id)
call 200 "bearer token works" - GET /me -H "Authorization: Bearer $TOK"
[ "$(field .login)" = mem ] && ok || bad "token belongs to mem"
call 201 "bearer writes need no CSRF" - POST /tokens -H "Authorization: Bearer $TOK" -H "$J" --data-binary '{}'
call 404 "someone else's token" memb DELETE /tokens/$TOKID
call 200 "revoke token" mem DELETE /tokens/$TOKID
call 401 "revoked token" - GET /me -H "Authorization: Bearer $TOK"
if sqlite3 "$D/eseal.db" "SELECT hash FROM api_tokens" | grep -q "$TOK"; then bad "token stored in clear"; else ok; fi

# ---- auto-sign (自动签署): API token, no password, auto-sign grant only ----
call 201 "keeper's token" sk POST /tokens -H "$J" --data-binary '{"name":"robot"}'
SKTOK=$(field .token)
AUTO="{\"seal_id\":\"$SEAL\",\"placement\":{\"page\":1,\"x_mm\":40,\"y_mm\":40}}"
code=$(curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $SKTOK" -H "$J" --data-binary "$AUTO" "$U/documents/$DOC/sign")
[ "$code" = 201 ] && ok || bad "auto-sign with a grant: HTTP $code"
AUTODOC=$(jq -r .document_id "$T/body")
curl -s -o "$T/auto.pdf" -H "Authorization: Bearer $SKTOK" "$U/documents/$AUTODOC/content"
pdfsig "$T/auto.pdf" 2>/dev/null | grep -q "Signature is Valid" && ok || bad "auto-signed document does not pass pdfsig"
call 201 "member's token" mem POST /tokens -H "$J" --data-binary '{}'
MEMTOK=$(field .token)
call 403 "no auto-sign without an auto-sign grant" - POST /documents/$DOC/sign -H "Authorization: Bearer $MEMTOK" -H "$J" --data-binary "$AUTO"
call 401 "a session never signs without password" sk POST /documents/$DOC/sign -H "$J" --data-binary "$AUTO"

# ---- changing one's password ends the other sessions ----
call 201 "user pwu" oa POST /users -H "$J" --data-binary "$(user_json pwu 陈七 $(rid 19800101 051) 1 '["member"]')"
login pwu
cp "$T/cj.pwu" "$T/cj.pwu2"; cp "$T/csrf.pwu" "$T/csrf.pwu2"
login pwu # a second session of the same user
NEWPW='another horse battery 9'
call 400 "password change needs both" pwu POST /me/password -H "$J" --data-binary '{"new_password":"x"}'
call 401 "wrong current password" pwu POST /me/password -H "$J" --data-binary "{\"current_password\":\"nope nope nope\",\"new_password\":\"$NEWPW\"}"
call 422 "weak new password" pwu POST /me/password -H "$J" --data-binary "{\"current_password\":\"$PW\",\"new_password\":\"short\"}"
call 200 "change the password" pwu POST /me/password -H "$J" --data-binary "{\"current_password\":\"$PW\",\"new_password\":\"$NEWPW\"}"
call 200 "this session stays" pwu GET /me
call 401 "the other session ended" pwu2 GET /me
call 401 "the old password is gone" - POST /session -H "$J" --data-binary "{\"login\":\"pwu\",\"password\":\"$PW\"}"
call 200 "the new password logs in" - POST /session -H "$J" --data-binary "{\"login\":\"pwu\",\"password\":\"$NEWPW\"}"
expect_not_in "$T/serve.err" "$NEWPW" "new password not in the log"

# ---- TOTP: enrol, then login and signing need the code ----
call 201 "user with TOTP" oa POST /users -H "$J" --data-binary "$(user_json tot 冯二 $(rid 19800101 041) 0 '["member"]')"
login tot
call 201 "personal seal" tot POST /seal-applications -H "$J" --data-binary '{"owner":{"login":"tot"},"kind":"personal"}'
call 200 "approve personal seal" rev POST /seal-applications/$(field .id)/decision -H "$J" --data-binary '{"approve":true}'
PSEAL=$(field .seal_id)
call 200 "TOTP enrol" tot POST /me/totp
SECRET=$(field .secret)
expect_in "$T/body" "otpauth://totp/" "otpauth URI"
call 401 "wrong TOTP code" tot POST /me/totp/confirm -H "$J" --data-binary '{"code":"000000"}'
# Each code passes once (RFC 6238 5.2).  The server accepts the step before
# and after the current one, so three codes S-1, S, S+1 can be spent in turn
# while the clock is inside step S: start early in a step.
[ $(( $(date +%s) % 30 )) -lt 18 ] || sleep $(( 31 - $(date +%s) % 30 ))
S0=$(( $(date +%s) / 30 ))
call 200 "TOTP confirm" tot POST /me/totp/confirm -H "$J" --data-binary "{\"code\":\"$(totp "$SECRET" $((S0 - 1)))\"}"
call 401 "login without the code" - POST /session -H "$J" --data-binary "{\"login\":\"tot\",\"password\":\"$PW\"}"
call 401 "the enrolment code does not log in again" - POST /session -H "$J" --data-binary "{\"login\":\"tot\",\"password\":\"$PW\",\"totp\":\"$(totp "$SECRET" $((S0 - 1)))\"}"
expect_in "$T/body" "each code works once" "the refusal says why"
call 200 "login with the code" - POST /session -c "$T/cj.tot" -H "$J" --data-binary "{\"login\":\"tot\",\"password\":\"$PW\",\"totp\":\"$(totp "$SECRET" $S0)\"}"
field .csrf_token >"$T/csrf.tot"
call 401 "the same code does not log in twice" - POST /session -H "$J" --data-binary "{\"login\":\"tot\",\"password\":\"$PW\",\"totp\":\"$(totp "$SECRET" $S0)\"}"
call 201 "upload (tot)" tot POST /documents -H "Content-Type: application/pdf" --data-binary @"$T/contract.pdf"
TDOC=$(field .id)
TSIGN="{\"seal_id\":\"$PSEAL\",\"placement\":{\"page\":1,\"x_mm\":100,\"y_mm\":100},\"password\":\"$PW\""
call 401 "signing needs the TOTP code too" tot POST /documents/$TDOC/sign -H "$J" --data-binary "$TSIGN}"
# several seals with one code: one request, a list of signatures
TBATCH="{\"signatures\":[{\"seal_id\":\"$PSEAL\",\"placement\":{\"page\":1,\"x_mm\":100,\"y_mm\":100}},{\"seal_id\":\"$PSEAL\",\"placement\":{\"page\":1,\"x_mm\":50,\"y_mm\":200}}],\"password\":\"$PW\""
call 400 "a batch needs placements" tot POST /documents/$TDOC/sign -H "$J" --data-binary "{\"signatures\":[{\"seal_id\":\"$PSEAL\"}],\"password\":\"$PW\",\"totp\":\"000000\"}"
call 201 "sign twice with password and one TOTP code" tot POST /documents/$TDOC/sign -H "$J" --data-binary "$TBATCH,\"totp\":\"$(totp "$SECRET" $((S0 + 1)))\"}"
[ "$(field '.documents | length')" = 2 ] && ok || bad "two signed documents in the batch answer"
TSIGNED=$(field .document_id)
call 401 "a spent code does not sign again" tot POST /documents/$TDOC/sign -H "$J" --data-binary "$TSIGN,\"totp\":\"$(totp "$SECRET" $((S0 + 1)))\"}"
call 200 "download the batch result" tot GET /documents/$TSIGNED/content
cp "$T/body" "$T/batch.pdf"
expect 0 "pdfsig on the batch result" -- pdfsig "$T/batch.pdf"
[ "$(grep -c "Signature is Valid" "$T/out")" = 2 ] && ok || bad "pdfsig: two valid signatures after the batch"
if sqlite3 "$D/eseal.db" "SELECT hex(totp_enc) FROM users WHERE login='tot'" | grep -q "$(printf %s "$SECRET" | od -An -tx1 | tr -d ' \n' | tr a-f A-F)"; then
	bad "TOTP secret stored in clear"; else ok; fi

# ---- platform services ----
call 200 "CRL" - GET /crl/p256.crl
expect 0 "openssl reads the CRL" -- openssl crl -inform DER -in "$T/body" -noout
call 404 "unknown CRL" - GET /crl/rsa.crl
printf 'x' >"$T/data.txt"
openssl ts -query -data "$T/data.txt" -sha256 -cert -out "$T/tsq" 2>/dev/null
call 200 "TSA" - POST /tsa -H "Content-Type: application/timestamp-query" --data-binary @"$T/tsq"
openssl ts -reply -in "$T/body" -text >"$T/tsr.txt" 2>&1
expect_in "$T/tsr.txt" "Granted" "TSA granted"
# OCSP for the TSA certificate, issued by the P-256 issuing CA (both in the reply)
openssl ts -reply -in "$T/body" -token_out -out "$T/tok.der" 2>/dev/null
openssl pkcs7 -inform DER -in "$T/tok.der" -print_certs 2>/dev/null | awk -v d="$T" '
	/BEGIN CERT/ {n++} {print > (d "/c" n ".pem")}'
for c in "$T"/c*.pem; do
	if openssl x509 -in "$c" -noout -subject 2>/dev/null | grep -q "Issuing"; then cp "$c" "$T/issuing.pem"; fi
	if openssl x509 -in "$c" -noout -subject 2>/dev/null | grep -q "TSA"; then cp "$c" "$T/tsa.pem"; fi
done
if [ -s "$T/issuing.pem" ] && [ -s "$T/tsa.pem" ]; then
	openssl ocsp -issuer "$T/issuing.pem" -cert "$T/tsa.pem" -reqout "$T/ocsp.req" >/dev/null 2>&1
	call 200 "OCSP" - POST /ocsp -H "Content-Type: application/ocsp-request" --data-binary @"$T/ocsp.req"
	openssl ocsp -respin "$T/body" -resp_text -noverify >"$T/ocsp.txt" 2>&1
	expect_in "$T/ocsp.txt" "Cert Status: good" "OCSP says good"
else
	bad "TSA reply carries no issuing CA certificate"
fi

# ---- limits and lockout ----
head -c 2200000 /dev/zero >"$T/big.bin"
stop_server
[ "$src" = 0 ] && ok || bad "SIGTERM exit status $src"
start_server --max-body 1
call 413 "body cap" mem POST /documents -H "Content-Type: application/pdf" --data-binary @"$T/big.bin"
for i in 1 2 3 4 5; do
	call 401 "wrong password $i" - POST /session -H "$J" --data-binary '{"login":"memb","password":"wrong wrong wrong"}'
done
call 429 "account locked" - POST /session -H "$J" --data-binary "{\"login\":\"memb\",\"password\":\"$PW\"}"
expect_in "$T/hdr" "Retry-After:" "Retry-After header"
[ "$(field .error.retry_after)" -gt 0 ] && ok || bad "error.retry_after"

stop_server
sqlite3 "$D/eseal.db" "DELETE FROM login_throttle"
start_server --addr-failures 2
call 401 "address back-off: failure 1" - POST /session -H "$J" --data-binary '{"login":"nobody","password":"wrong wrong wrong"}'
call 401 "address back-off: failure 2" - POST /session -H "$J" --data-binary '{"login":"nobody2","password":"wrong wrong wrong"}'
call 429 "address backs off" - POST /session -H "$J" --data-binary "{\"login\":\"sk\",\"password\":\"$PW\"}"
expect_in "$T/hdr" "Retry-After: " "address Retry-After"

# ---- sessions ----
call 200 "logout" mem DELETE /session
call 401 "session gone" mem GET /me
sqlite3 "$D/eseal.db" "UPDATE sessions SET last_seen = last_seen - 3600 WHERE login = 'oa'"
call 401 "idle session expired" oa GET /me

# ---- audit ----
call 403 "keeper cannot read the audit" sk GET /audit
call 200 "auditor reads the audit" aud GET "/audit?actor=mem"
[ "$(field '.entries | length')" -gt 0 ] && ok || bad "audit has mem's entries"
call 200 "audit by seal" aud GET "/audit?seal=$SEAL"
expect_in "$T/body" "server.sign" "signing is audited"
expect_in "$T/body" "127.0.0.1" "client address in the audit"
call 200 "org auditor reads the audit" auda GET /audit
[ "$(field '[.entries[].actor | select(. == "rev" or . == "memb" or . == "ob")] | length')" = 0 ] && ok || bad "org auditor sees other orgs' actors"
[ "$(field '[.entries[].actor | select(. == "mem")] | length')" -gt 0 ] && ok || bad "org auditor sees its org's actors"
call 200 "audit verify" aud GET /audit/verify
[ "$(field .intact)" = true ] && ok || bad "audit intact"
sqlite3 "$D/eseal.db" "UPDATE audit SET actor = 'mallory' WHERE id = 5"
call 200 "audit verify after tampering" aud GET /audit/verify
[ "$(field .intact)" = false ] && ok || bad "tampering detected"
[ "$(field .first_bad_id)" = 5 ] && ok || bad "names entry 5"

sqlite3 "$D/eseal.db" "UPDATE sessions SET created_at = created_at - 9 * 3600 WHERE login = 'aud'"
call 401 "sessions end after 8 hours however busy" aud GET /me

# ---- the log has no secrets ----
stop_server
[ "$src" = 0 ] && ok || bad "final SIGTERM exit status $src"
expect_not_in "$T/serve.err" "AddressSanitizer" "sanitizer clean"
expect_not_in "$T/serve.err" "$PW" "no password in the log"
expect_not_in "$T/serve.err" "esk_" "no token in the log"
expect_not_in "$T/serve.err" "dpi=" "no query strings in the log"
expect_in "$T/serve.err" '"status":200' "access log lines"

# ---- behind a reverse proxy: X-Forwarded-For only from --trusted-proxy ----
expect 2 "serve refuses a --trusted-proxy that is not an address" -- \
	$E serve --listen 127.0.0.1:0 --trusted-proxy localhost
start_server --trusted-proxy 127.0.0.1
curl -s -c "$T/cj.aud" -o "$T/login.aud" -H "$J" -H "X-Forwarded-For: 1.2.3.4, 198.51.100.7" \
	-X POST "$U/session" --data-binary "{\"login\":\"aud\",\"password\":\"$PW\"}"
jq -r .csrf_token "$T/login.aud" >"$T/csrf.aud"
call 200 "audit behind a trusted proxy" aud GET "/audit?actor=aud"
expect_in "$T/body" "198.51.100.7" "the forwarded client address is audited"
expect_not_in "$T/body" "1.2.3.4" "the client's own (forgeable) entry is not"
stop_server
sqlite3 "$D/eseal.db" "DELETE FROM login_throttle" # 127.0.0.1 failed often above
start_server
curl -s -c "$T/cj.aud" -o "$T/login.aud" -H "$J" -H "X-Forwarded-For: 203.0.113.5" \
	-X POST "$U/session" --data-binary "{\"login\":\"aud\",\"password\":\"$PW\"}"
jq -r .csrf_token "$T/login.aud" >"$T/csrf.aud"
call 200 "audit without a trusted proxy" aud GET "/audit?actor=aud"
expect_not_in "$T/body" "203.0.113.5" "X-Forwarded-For is ignored when no proxy is trusted"
stop_server

# ---- SIGTERM: requests in flight finish, new ones get 503 "stopping" ----
head -c 1048576 /dev/urandom > "$T/slow.bin"
start_server
curl -s -o "$T/slow.body" -w '%{http_code}' --limit-rate 256k -X POST --data-binary @"$T/slow.bin" \
	"$U/verify" > "$T/slow.code" &
CPID=$!
sleep 1 # the upload is under way (about 4 s at 256 KiB/s)
kill -TERM $SPID
sleep 0.5
code=$(curl -s -o "$T/body" -w '%{http_code}' "$U/openapi.json")
[ "$code" = 503 ] && ok || bad "new request while stopping: HTTP $code, want 503"
[ "$(field .error.code)" = stopping ] && ok || bad "error code $(field .error.code), want stopping"
wait $CPID
[ "$(cat "$T/slow.code")" = 422 ] && ok || bad "request in flight at SIGTERM: HTTP $(cat "$T/slow.code"), want its own answer (422)"
wait $SPID
[ $? = 0 ] && ok || bad "server exit status after a graceful stop"

# ---- TLS: HTTPS, Secure cookie, HSTS ----
if openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/tls.key" -out "$T/tls.crt" \
	-days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1; then
	sqlite3 "$D/eseal.db" "DELETE FROM login_throttle"
	rm -f "$T/serve.out"
	$E serve --listen 127.0.0.1:0 --tls-cert "$T/tls.crt" --tls-key "$T/tls.key" >"$T/serve.out" 2>"$T/serve.err" &
	SPID=$!
	i=0
	while [ $i -lt 300 ] && ! grep -q "listening on" "$T/serve.out" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
	TPORT=$(sed -n 's/^listening on https:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$T/serve.out")
	curl -s --cacert "$T/tls.crt" -D "$T/hdr" -o "$T/body" -H "$J" --data-binary "{\"login\":\"sk\",\"password\":\"$PW\"}" \
		"https://127.0.0.1:$TPORT/api/v1/session"
	expect_in "$T/hdr" "HTTP/1.1 200" "login over HTTPS"
	expect_in "$T/hdr" "SameSite=Strict; Path=/; Max-Age=28800; Secure" "Secure cookie under TLS"
	expect_in "$T/hdr" "Strict-Transport-Security" "HSTS under TLS"
	stop_server
	[ "$src" = 0 ] && ok || bad "TLS server exit status $src"
fi
finish
