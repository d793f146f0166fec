#!/bin/sh
# eseal backup / restore: the backup is checkable with sha256sum, a restore
# gives a working platform, and a damaged backup, the wrong master key or a
# used target directory are refused without leaving anything behind.
# SPDX-License-Identifier: AGPL-3.0-or-later
ESEAL=$1
. "$(dirname "$0")/lib.sh"
D="$T/data"
E="$ESEAL --data $D"
PW='correct horse battery'

$E init >/dev/null 2>&1 || { echo "init failed"; exit 1; }
ORG=$($E org add --name "杭州示例科技有限公司" --uscc 91330106MA2B3C4D5D | awk '{print $NF}')
echo "$PW" | $E user add --login keeper --name 张三 --id-number 11010519491231002X --org "$ORG" --role seal-keeper --password-stdin >/dev/null
SEAL=$($E seal review "$($E seal apply --owner org:$ORG --kind contract | awk '{print $NF}')" --approve | awk '{print $NF}')
mutool create -o "$T/in.pdf" "$ESEAL_SOURCE_DIR/docs/examples/contract-page1.txt"
mkdir -p "$D/documents" && cp "$T/in.pdf" "$D/documents/7" # as the server stores uploads

expect 2 "backup needs --out" -- $E backup
expect 0 "backup" -- $E backup --out "$T/b1"
expect_in "$T/err" "master key is not in the backup" "backup warns about the master key"
[ -f "$T/b1/MANIFEST.sha256" ] && [ -f "$T/b1/BACKUP.json" ] && [ -f "$T/b1/documents/7" ] && ok || bad "backup layout"
[ ! -e "$T/b1/master.key" ] && ok || bad "the master key must not be in the backup"
[ "$(stat -c %a "$T/b1/eseal.db")" = 600 ] && ok || bad "backup store is not private: $(stat -c %a "$T/b1/eseal.db")"
expect 0 "sha256sum -c accepts the manifest" -- sh -c "cd '$T/b1' && sha256sum --strict -c MANIFEST.sha256"
expect 0 "sqlite3 integrity of the copy" -- sqlite3 "$T/b1/eseal.db" "PRAGMA integrity_check"
expect_in "$T/out" "^ok$" "integrity ok"
expect 2 "backup refuses an existing directory" -- $E backup --out "$T/b1"
expect 0 "the backup is audited in the live store" -- $E audit list
expect_in "$T/out" "platform.backup" "audit entry"

# restore into a new directory with the master key
R="$ESEAL --data $T/r1"
expect 2 "restore needs the master key" -- $R restore --from "$T/b1"
[ ! -e "$T/r1" ] && ok || bad "nothing left after a refused restore"
expect 0 "restore" -- $R restore --from "$T/b1" --master-key "$D/master.key"
expect_in "$T/out" "chain intact" "restore checks the audit chain"
cmp -s "$D/documents/7" "$T/r1/documents/7" && ok || bad "document restored"
[ ! -e "$T/r1/BACKUP.json" ] && ok || bad "BACKUP.json is not part of a data directory"
expect 0 "restored audit chain" -- $R audit verify
expect 0 "restored seals" -- $R seal list
expect_in "$T/out" "$SEAL" "the seal is there"
expect 0 "sign with the restored platform" -- sh -c "echo '$PW' | $R sign --seal $SEAL --as keeper --password-stdin --in '$T/in.pdf' --out '$T/s.pdf' --page 1 --x 100 --y 100"
expect 0 "restored platform verifies" -- $R verify "$T/s.pdf"
expect 0 "original platform verifies it too" -- $E verify "$T/s.pdf"
expect 2 "restore refuses a used directory" -- $R restore --from "$T/b1" --master-key "$D/master.key"
mkdir "$T/empty"
expect 0 "restore into an empty directory" -- $ESEAL --data "$T/empty" restore --from "$T/b1" --master-key "$D/master.key"

# the wrong master key
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/other.key"; echo >> "$T/other.key"
expect 2 "restore refuses another master key" -- $ESEAL --data "$T/r2" restore --from "$T/b1" --master-key "$T/other.key"
expect_in "$T/err" "master key" "says it is the key"
[ ! -e "$T/r2" ] && ok || bad "nothing left after the wrong key"
ls "$T" | grep -q "restore-" && bad "temporary restore directory left behind" || ok

# a damaged backup
cp -r "$T/b1" "$T/b2"
printf 'x' >> "$T/b2/documents/7"
expect 2 "restore refuses a changed document" -- $ESEAL --data "$T/r3" restore --from "$T/b2" --master-key "$D/master.key"
expect_in "$T/err" "does not match" "names the mismatch"
[ ! -e "$T/r3" ] && ok || bad "nothing left after a damaged backup"
cp -r "$T/b1" "$T/b3"
sqlite3 "$T/b3/eseal.db" "UPDATE audit SET actor = 'mallory' WHERE id = 2"
( cd "$T/b3" && sed -i "s/^[0-9a-f]*  eseal.db$/$(sha256sum eseal.db | cut -d' ' -f1)  eseal.db/" MANIFEST.sha256 )
expect 2 "restore refuses an edited audit log (manifest fixed up)" -- $ESEAL --data "$T/r4" restore --from "$T/b3" --master-key "$D/master.key"
expect_in "$T/err" "audit" "names the audit log"
[ ! -e "$T/r4" ] && ok || bad "nothing left after an edited audit log"
cp -r "$T/b1" "$T/b4"
echo "0000000000000000000000000000000000000000000000000000000000000000  ../../etc/passwd" >> "$T/b4/MANIFEST.sha256"
expect 2 "restore refuses a path outside the backup" -- $ESEAL --data "$T/r5" restore --from "$T/b4" --master-key "$D/master.key"
[ ! -e "$T/r5" ] && ok || bad "nothing left after a hostile manifest"
expect 2 "restore of something that is no backup" -- $ESEAL --data "$T/r6" restore --from "$T" --master-key "$D/master.key"
finish
