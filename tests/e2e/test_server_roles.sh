#!/bin/sh
# eseal serve role matrix: every route × every role × own/other organisation.
# Writes are sent with bodies the handler rejects (400/422/409), so a cell
# shows whether authorisation let the request through without changing
# anything: 403 = forbidden, 404 = invisible (another organisation's object).
# A final check walks docs/openapi.json: every route must be in the matrix.
# SPDX-License-Identifier: AGPL-3.0-or-later
ESEAL=$1
. "$(dirname "$0")/lib.sh"
SPID=
trap '[ -n "$SPID" ] && kill -TERM $SPID 2>/dev/null; rm -rf "$T"' EXIT
$ESEAL serve --help >/dev/null 2>&1 || { bad "eseal has no serve command (cli/main.c command table)"; finish; exit 1; }
D="$T/data"
E="$ESEAL --data $D"
PW="correct horse battery"
J="Content-Type: application/json"
for tool in curl jq; do
	command -v $tool >/dev/null || { echo "SKIP: $tool missing"; exit 0; }
done

rid() {
	python3 -c "
import sys
b='110105'+sys.argv[1]+sys.argv[2]
w=[2**(17-i)%11 for i in range(17)]
c=(12-sum(int(x)*y for x,y in zip(b,w))%11)%11
print(b+('X' if c==10 else str(c)))" "$1" "$2"
}
mkpdf() {
	python3 - "$1" <<'PY'
import sys
objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"]
out = bytearray(b"%PDF-1.7\n")
offs = []
for i, o in enumerate(objs):
    offs.append(len(out))
    out += b"%d 0 obj\n" % (i + 1) + o + b"\nendobj\n"
x = len(out)
out += b"xref\n0 4\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offs)
out += b"trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % x
open(sys.argv[1], "wb").write(out)
PY
}
adduser() { # login name seq org role
	if [ "$4" = 0 ]; then org=""; else org="--org $4"; fi
	echo "$PW" | $E user add --login "$1" --name "$2" --id-number "$(rid 19900101 "$3")" $org --role "$5" \
		--password-stdin >/dev/null 2>"$T/err" && ok || { bad "user $1"; cat "$T/err" >&2; }
}
login() {
	curl -s -c "$T/cj.$1" -o "$T/login.$1" -H "$J" -X POST "$U/session" \
		--data-binary "{\"login\":\"$1\",\"password\":\"$PW\"}"
	jq -r .csrf_token "$T/login.$1" >"$T/csrf.$1"
}
req() { # who method path body → status
	if [ "$4" = - ]; then set -- "$1" "$2" "$3"; else set -- "$1" "$2" "$3" --data-binary "$4"; fi
	who=$1; m=$2; p=$3; shift 3
	curl -s -o "$T/body" -w '%{http_code}' -X "$m" -b "$T/cj.$who" -H "X-CSRF-Token: $(cat "$T/csrf.$who")" \
		-H "$J" "$@" "$U$p"
}

# ---- fixtures: two organisations, every role, one object of each kind in org A ----
$E init >/dev/null 2>&1 && ok || bad "init"
$E org add --name "甲公司" --uscc 91330106MA2B3C4D5D >/dev/null && ok || bad "org A"
$E org add --name "乙公司" --uscc "$(python3 -c "
a='0123456789ABCDEFGHJKLMNPQRTUWXY'; s='91110108MA01ABCDE'
c=31-sum(a.index(x)*(3**i%31) for i,x in enumerate(s))%31
print(s+a[0 if c==31 else c])")" >/dev/null && ok || bad "org B"
adduser admin 管理员 001 0 platform-admin
adduser rev 李审核 002 0 reviewer
adduser aud 王审计 003 0 auditor
adduser oa 张三 011 1 org-admin
adduser sk 钱七 012 1 seal-keeper
adduser mem 孙八 013 1 member
adduser ob 赵六 021 2 org-admin
adduser memb 郑一 022 2 member
$E seal apply --owner org:1 --kind company --as oa >"$T/out" 2>&1 && ok || bad "apply"
$E seal review "$(last_word)" --approve --as rev >"$T/out" 2>&1 && ok || bad "review"
S=$(last_word)
$E seal apply --owner org:1 --kind contract --as oa >"$T/out" 2>&1 && ok || bad "apply 2"
APP=$(last_word)

$E serve --listen 127.0.0.1:0 --threads 2 --quiet >"$T/serve.out" 2>"$T/serve.err" &
SPID=$!
i=0
while [ $i -lt 300 ] && ! grep -q "listening on" "$T/serve.out" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
PORT=$(sed -n 's/^listening on http:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$T/serve.out")
U="http://127.0.0.1:$PORT/api/v1"
[ -n "$PORT" ] && ok || { bad "server did not start"; cat "$T/serve.err" >&2; finish; exit 1; }
ROLES="admin rev aud oa sk mem ob memb"
for u in $ROLES; do login $u; done
mkpdf "$T/doc.pdf"
DOC=$(curl -s -b "$T/cj.mem" -H "X-CSRF-Token: $(cat "$T/csrf.mem")" -H "Content-Type: application/pdf" \
	--data-binary @"$T/doc.pdf" "$U/documents" | jq -r .id)
G=$(curl -s -b "$T/cj.sk" -H "X-CSRF-Token: $(cat "$T/csrf.sk")" -H "$J" \
	--data-binary '{"login":"mem"}' "$U/seals/$S/grants" | jq -r .id)
curl -s -o /dev/null -X DELETE -b "$T/cj.sk" -H "X-CSRF-Token: $(cat "$T/csrf.sk")" "$U/grants/$G"
UR=$(curl -s -b "$T/cj.mem" -H "X-CSRF-Token: $(cat "$T/csrf.mem")" -H "$J" \
	--data-binary "{\"seal_id\":\"$S\",\"document_id\":$DOC,\"reason\":\"x\"}" "$U/use-requests" | jq -r .id)
[ "$DOC" != null ] && [ "$G" != null ] && [ "$UR" != null ] && ok || bad "fixtures: doc $DOC grant $G use request $UR"

# ---- the matrix ----
# METHOD PATTERN PATH BODY | admin rev aud oa sk mem ob memb
cat >"$T/matrix" <<EOF
GET /openapi.json /openapi.json - 200 200 200 200 200 200 200 200
POST /session /session {} 400 400 400 400 400 400 400 400
GET /me /me - 200 200 200 200 200 200 200 200
POST /tokens /tokens [ 400 400 400 400 400 400 400 400
DELETE /tokens/{id} /tokens/999999 - 404 404 404 404 404 404 404 404
POST /me/totp /me/totp - 200 200 200 200 200 200 200 200
POST /me/totp/confirm /me/totp/confirm {} 400 400 400 400 400 400 400 400
POST /me/password /me/password {} 400 400 400 400 400 400 400 400
POST /orgs /orgs {} 422 403 403 403 403 403 403 403
GET /orgs /orgs - 200 200 200 200 200 200 200 200
POST /users /users {} 422 403 403 422 403 403 422 403
GET /users/{login} /users/mem - 200 200 404 200 404 200 404 404
POST /seal-applications /seal-applications {"owner":{"org_id":1},"kind":"bogus"} 422 404 404 422 403 403 404 404
GET /seal-applications /seal-applications - 200 200 200 200 200 200 200 200
POST /seal-applications/{id}/decision /seal-applications/$APP/decision {} 400 400 403 403 403 403 403 403
GET /seal-preview.svg /seal-preview.svg?kind=bogus - 422 422 422 422 422 422 422 422
GET /seals /seals - 200 200 200 200 200 200 200 200
GET /seals/{id} /seals/$S - 200 200 200 200 200 200 404 404
GET /seals/{id}/picture.png /seals/$S/picture.png - 200 200 200 200 200 200 404 404
GET /seals/{id}/picture.svg /seals/$S/picture.svg - 200 200 200 200 200 200 404 404
GET /seals/{id}/seal.esl /seals/$S/seal.esl - 200 200 200 200 200 200 404 404
POST /seals/{id}/revoke /seals/$S/revoke {} 422 403 403 422 403 403 404 404
POST /seals/{id}/suspend /seals/$S/suspend {} 422 403 403 422 403 403 404 404
POST /seals/{id}/resume /seals/$S/resume {} 422 403 403 422 403 403 404 404
POST /seals/{id}/renew /seals/$S/renew {} 422 403 403 422 403 403 404 404
POST /seals/{id}/grants /seals/$S/grants {} 400 403 403 400 400 403 404 404
GET /seals/{id}/grants /seals/$S/grants - 200 403 403 200 200 403 404 404
DELETE /grants/{id} /grants/$G - 409 403 403 409 409 403 404 404
POST /documents /documents {} 415 415 415 415 415 415 415 415
GET /documents/{id} /documents/$DOC - 200 404 404 200 200 200 404 404
GET /documents/{id}/content /documents/$DOC/content - 200 404 404 200 200 200 404 404
GET /documents/{id}/pages/{n}.png /documents/$DOC/pages/1.png?dpi=1 - 422 404 404 422 422 422 404 404
POST /documents/{id}/sign /documents/$DOC/sign {} 400 404 404 400 400 400 404 404
POST /use-requests /use-requests {} 400 400 400 400 400 400 400 400
GET /use-requests /use-requests?state=pending - 200 200 200 200 200 200 200 200
GET /use-requests/{id} /use-requests/$UR - 200 404 404 200 200 200 404 404
POST /use-requests/{id}/decision /use-requests/$UR/decision {} 400 404 404 400 400 403 404 404
POST /verify /verify - 400 400 400 400 400 400 400 400
GET /audit /audit - 200 403 200 403 403 403 403 403
GET /audit/verify /audit/verify - 200 403 200 403 403 403 403 403
POST /tsa /tsa {} 415 415 415 415 415 415 415 415
POST /ocsp /ocsp {} 415 415 415 415 415 415 415 415
GET /crl/{family}.crl /crl/p256.crl - 200 200 200 200 200 200 200 200
EOF
run_matrix() {
	while read -r m pat path body rest; do
		set -- $rest
		for u in $ROLES; do
			got=$(req "$u" "$m" "$path" "$body")
			if [ "$got" = "$1" ]; then ok; else
				bad "$u $m $pat: HTTP $got, want $1"; head -c 200 "$T/body" >&2; echo >&2
			fi
			shift
		done
	done <"$1"
}
run_matrix "$T/matrix"

# the approvals list shows a request to its requester and the seal's keepers only
for u in $ROLES; do
	case $u in admin|oa|sk|mem) want=1 ;; *) want=0 ;; esac
	curl -s -b "$T/cj.$u" "$U/use-requests?state=pending" >"$T/body"
	n=$(jq '.use_requests | length' "$T/body")
	[ "$n" = $want ] && ok || bad "$u sees $n use requests, want $want"
done

# logging out comes last
echo "DELETE /session /session - 200 200 200 200 200 200 200 200" >"$T/matrix2"
run_matrix "$T/matrix2"
cat "$T/matrix2" >>"$T/matrix"

# after DELETE /session nobody is logged in
for u in $ROLES; do
	[ "$(req "$u" GET /me -)" = 401 ] && ok || bad "$u still logged in after logout"
done

# ---- every route of openapi.json is in the matrix, and only those ----
curl -s "$U/openapi.json" | jq -r '.paths | to_entries[] | .key as $p | .value | keys[] | "\(ascii_upcase) \($p)"' \
	| sort >"$T/api.routes"
awk '{print $1, $2}' "$T/matrix" | sort >"$T/matrix.routes"
if cmp -s "$T/api.routes" "$T/matrix.routes"; then ok; else
	bad "matrix and openapi.json differ"; diff "$T/api.routes" "$T/matrix.routes" >&2
fi

kill -TERM $SPID
wait $SPID && ok || { bad "server exit status"; tail -20 "$T/serve.err" >&2; }
finish
