#!/bin/sh
# A stolen branch folder (issue 15, "At rest and on a lost PC"): a node whose
# keys are sealed under a key file kept on another folder (the USB stick),
# and a second node sealed under a passphrase, hold a client with a
# distinctive value in every health field.  A copy of each data folder
# without the key file or passphrase: grep -a and strings on every file
# find none of those values, nor the chain key's hex, nor the node's
# secret key; a command on the copy fails with one line; with the key file
# (or the passphrase) it shows them.  What the copy does reveal (the
# search's clear fields) is found there, as the README says.  Also: a
# sealed node joins a chain (its chain key re-keyed, sealed again), backs
# up and restores sealed, is sealed again under a passphrase and unsealed.
. tests/scenario/lib.sh
export KT_BACKUP_PASS="correct horse battery staple"
USB="$T/usb"
mkdir -p "$USB"

NAME="Прасковья Зюзюкина"
PHONE="+7 913 604-27-95"
EMAIL="zyuzyukina.praskovya@example.org"
ALLERGY="Гидроксипумпелин"
MED="Фуфломицин-форте"
CONTRA="Синдром Кукушкиной"
HEALTH="Гипертрихоз Пампушкина"
SKIN="Розацеа Брандахлыстова"
SKIN2="Кожа-Мармеладова"
ASSESS="Пигментация Шкандыбиной"
PLAN="Курс Ерундеева"
VISIT="Итог Тарабарщикова"
FEEDBACK="Отзыв Пустомелиной"
VALUES="$ALLERGY|$MED|$CONTRA|$HEALTH|$SKIN|$SKIN2|$ASSESS|$PLAN|$VISIT|$FEEDBACK"

# card DIR: her card and records; prints her id.
card() {
	c=$("$KT" -d "$1" client add --name "$NAME" --phone "$PHONE" --email "$EMAIL" \
		--birthday 1987-06-05 --add allergies="$ALLERGY" --add medications="$MED" \
		--add contraindications="$CONTRA" --set health_notes="$HEALTH" \
		--add problem_zones="$SKIN" --set notes="$SKIN2") || return 1
	"$KT" -d "$1" record add assessment "$c" --set notes="$ASSESS" >/dev/null &&
	"$KT" -d "$1" record add plan "$c" --set goal="$PLAN" >/dev/null &&
	"$KT" -d "$1" visit add "$c" --service "Чистка лица" --set result="$VISIT" >/dev/null &&
	"$KT" -d "$1" record add feedback "$c" --set kind=praise --set text="$FEEDBACK" >/dev/null &&
	echo "$c"
}

# finds WHAT DIR PATTERN: passes when neither grep -a nor strings finds PATTERN in any file.
finds_none() {
	hit=""
	for f in $(find "$2" -type f); do
		if grep -a -q -E -- "$3" "$f" || strings -a "$f" | grep -q -E -- "$3"; then
			hit="$hit $f"
		fi
	done
	if [ -z "$hit" ]; then ok "$1"; else bad "$1:$hit"; fi
}

# secrets DIR OUT: the chain key's hex and the node's Ed25519 secret, as a|b, read from a
# copy of DIR that is unsealed (the key file or passphrase in the environment).
secrets() {
	rm -rf "$T/unsealed"
	cp -a "$1" "$T/unsealed"
	"$KT" -d "$T/unsealed" unseal-keys >/dev/null || return 1
	ck=$(cat "$T/unsealed/chain.key")
	sk=$(sed -n 's/^secret \([0-9a-f]*\)$/\1/p' "$T/unsealed/node.key")
	[ ${#ck} -eq 64 ] && [ ${#sk} -eq 128 ] || return 1
	echo "$ck|$sk" >"$2"
}

# ---- A: sealed under a key file on the stick ----
refuse "a key file inside the folder it seals is refused" sh -c \
	"mkdir -p '$T/A0' && '$KT' keyfile new '$T/A0/k' && '$KT' -d '$T/A0' init --branch X --key-file '$T/A0/k'"
"$KT" keyfile new "$USB/kartoteka.key" >/dev/null
refuse "keyfile new never overwrites a key file" "$KT" keyfile new "$USB/kartoteka.key"
[ "$(wc -c <"$USB/kartoteka.key")" -eq 32 ] && ok "a key file is 32 bytes" || bad "a key file is 32 bytes"
"$KT" -d "$T/A" init --branch Центр --key-file "$USB/kartoteka.key" >/dev/null
grep -q "^kt-sealed 1 key " "$T/A/chain.key" && grep -q "^kt-sealed 1 key " "$T/A/node.key" &&
	ok "init --key-file writes both key files sealed" || bad "init --key-file writes both key files sealed"
"$KT" -d "$T/A" status >"$T/status"
contains "status says the keys are sealed, and where the key file is" "$T/status" \
	"keys:      sealed under a key file: $USB/kartoteka.key"
c=$(card "$T/A") && ok "her card and records are written" || bad "her card and records are written"
"$KT" -d "$T/A" export --json >"$T/export"
n=0
for v in "$ALLERGY" "$MED" "$CONTRA" "$HEALTH" "$SKIN" "$SKIN2" "$ASSESS" "$PLAN" "$VISIT" "$FEEDBACK"; do
	grep -q -- "$v" "$T/export" && n=$((n + 1))
done
[ "$n" -eq 10 ] && ok "the unlocked node reads all 10 values (the greps below can fail)" ||
	bad "the unlocked node reads all 10 values ($n)"
KT_KEY_FILE="$USB/kartoteka.key" secrets "$T/A" "$T/a.secrets" && ok "the keys, unsealed on a copy" ||
	bad "the keys, unsealed on a copy"

# The PC is stolen: the folder, not the stick.
cp -a "$T/A" "$T/stolen-A"
mv "$USB" "$T/usb-elsewhere"
finds_none "the stolen folder holds none of her health values" "$T/stolen-A" "$VALUES"
finds_none "... nor the chain key" "$T/stolen-A" "$(cut -d'|' -f1 "$T/a.secrets")"
finds_none "... nor the node's secret key" "$T/stolen-A" "$(cut -d'|' -f2 "$T/a.secrets")"
grep -a -r -q -- "Зюзюкина" "$T/stolen-A" && ok "it does hold her name (the search's index: README)" ||
	bad "it does hold her name (the search's index: README)"
grep -a -r -q -- "$EMAIL" "$T/stolen-A" && ok "... and her email" || bad "... and her email"
refuse "a command on the copy without the key file fails with one line" \
	"$KT" -d "$T/stolen-A" client show "$c"
contains "... saying the key file is not there" "$T/err" "not there"
refuse "find by surname needs the key file too" "$KT" -d "$T/stolen-A" client find Зюзюкина
refuse "a wrong key file fails with one line" sh -c \
	"'$KT' keyfile new '$T/other.key' >/dev/null && '$KT' -d '$T/stolen-A' --key-file '$T/other.key' client show '$c'"
contains "... saying it does not open" "$T/err" "does not open with this key file"
"$KT" -d "$T/stolen-A" client show "$c" --key-file "$T/usb-elsewhere/kartoteka.key" >"$T/show2" 2>&1
contains "with the key file it shows her health notes" "$T/show2" "$HEALTH"
contains "... her allergy" "$T/show2" "$ALLERGY"
KT_KEY_FILE="$T/usb-elsewhere/kartoteka.key" "$KT" -d "$T/stolen-A" client find Зюзюкина >"$T/find"
contains "and finds her by surname" "$T/find" "$c"
KT_KEY_FILE="$T/usb-elsewhere/kartoteka.key" "$KT" -d "$T/stolen-A" client find 6042795 >"$T/find"
contains "... and by phone" "$T/find" "$c"
mv "$T/usb-elsewhere" "$USB"

# ---- B: sealed under a passphrase ----
printf 'tiny\n' >"$T/short"
refuse "a node passphrase under 8 bytes is refused" "$KT" -d "$T/B0" init --branch X --seal-pass-file "$T/short"
[ ! -e "$T/B0" ] && ok "... and nothing is made" || bad "... and nothing is made"
printf 'Ёлки-палки, лес густой\n' >"$T/pass"
"$KT" -d "$T/B" init --branch Север --seal-pass-file "$T/pass" >/dev/null
grep -q "^kt-sealed 1 pass 3 131072 " "$T/B/chain.key" && ok "init --seal-pass-file seals under Argon2id" ||
	bad "init --seal-pass-file seals under Argon2id"
export KT_NODE_PASS="Ёлки-палки, лес густой"
cb=$(card "$T/B") && ok "B's card and records are written" || bad "B's card and records are written"
secrets "$T/B" "$T/b.secrets" && ok "B's keys, unsealed on a copy" || bad "B's keys, unsealed on a copy"
unset KT_NODE_PASS
cp -a "$T/B" "$T/stolen-B"
finds_none "the stolen passphrase node holds none of her health values" "$T/stolen-B" "$VALUES"
finds_none "... nor its chain key" "$T/stolen-B" "$(cut -d'|' -f1 "$T/b.secrets")"
finds_none "... nor its node's secret key" "$T/stolen-B" "$(cut -d'|' -f2 "$T/b.secrets")"
refuse "a command with no passphrase and no terminal fails with one line" \
	setsid "$KT" -d "$T/stolen-B" client show "$cb"
contains "... saying how to give it" "$T/err" "KT_NODE_PASS"
refuse "a wrong passphrase fails with one line" env KT_NODE_PASS="Ёлки-палки" "$KT" -d "$T/stolen-B" client show "$cb"
KT_NODE_PASS="Ёлки-палки, лес густой" "$KT" -d "$T/stolen-B" client show "$cb" >"$T/show3"
contains "with the passphrase it shows her medication" "$T/show3" "$MED"

# ---- A joins a chain: its chain key is taken, sealed like the one before ----
export KT_KEY_FILE="$USB/kartoteka.key"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$H" -d "$T/HUB" init --listen "tcp://127.0.0.1:$port" >/dev/null
"$H" -d "$T/HUB" enroll --branch Центр --key "$("$KT" -d "$T/A" key)" --out "$T/A.bundle" >/dev/null
check "the sealed node joins a chain (its cards re-keyed)" "$KT" -d "$T/A" join "$T/A.bundle"
grep -q "^kt-sealed 1 key " "$T/A/chain.key" && [ ! -e "$T/A/chain.key.new" ] &&
	ok "its new chain key is sealed under the same key file" || bad "its new chain key is sealed"
"$KT" -d "$T/A" client show "$c" >"$T/show4"
contains "her card reads after the re-key" "$T/show4" "$CONTRA"

# ---- backup and restore of a sealed node ----
"$KT" -d "$T/A" backup "$T/a.ktb" >"$T/bk"
contains "a sealed node backs up" "$T/bk" "backed up to"
"$KT" -d "$T/R" restore "$T/a.ktb" >"$T/rs" 2>&1
[ "$(sed -n 's/.*digest //p' "$T/bk")" = "$(sed -n 's/.*digest //p' "$T/rs")" ] &&
	ok "it restores with the same digest" || { bad "it restores with the same digest"; cat "$T/rs"; }
grep -q "^kt-sealed 1 key " "$T/R/chain.key" && ok "the restored node's keys are still sealed" ||
	bad "the restored node's keys are still sealed"
unset KT_KEY_FILE
refuse "the restored node does not open without its key file" "$KT" -d "$T/R" client show "$c" \
	--key-file "$T/other.key"
"$KT" -d "$T/R" client show "$c" >"$T/show5"
contains "it opens with the key file its setting names" "$T/show5" "$FEEDBACK"

# ---- sealed again under a passphrase, and in clear ----
export KT_NODE_PASS="другая фраза, длинная"
check "seal-keys moves it to a passphrase" "$KT" -d "$T/R" seal-keys --pass-file /dev/stdin <<EOF
другая фраза, длинная
EOF
grep -q "^kt-sealed 1 pass " "$T/R/node.key" && ok "... both files" || bad "... both files"
"$KT" -d "$T/R" status >"$T/status"
contains "status says so" "$T/status" "keys:      sealed under a passphrase"
refuse "a passphrase of another node does not open it" env KT_NODE_PASS="Ёлки-палки, лес густой" \
	"$KT" -d "$T/R" status
check "unseal-keys writes them in clear" "$KT" -d "$T/R" unseal-keys
unset KT_NODE_PASS
grep -q "^kt-sealed" "$T/R/chain.key" && bad "chain.key in clear" || ok "chain.key in clear"
"$KT" -d "$T/R" status >"$T/status"
contains "status says they are in clear" "$T/status" "keys:      in clear"
finish
