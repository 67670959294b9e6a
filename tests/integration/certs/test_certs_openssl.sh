#!/bin/sh
# test_certs_openssl.sh - checks what certs/ produces with the openssl
# command line, an implementation it does not share code paths with for
# verification: issued certificates verify under -x509_strict for the
# sslclient purpose (EC and RSA CAs), a CRL revokes exactly the listed
# certificate, the modern PKCS#12 opens with plain OpenSSL 3 (AES-256-CBC,
# PBKDF2, SHA-256 MAC) and the legacy one with and without -legacy (3DES,
# SHA-1 MAC), wrong passwords fail, and CSRs made by `openssl req` (EC and
# RSA, PEM and DER) are certified while a 1024-bit RSA one is refused.
# Not the unit tests of the library (tests/unit/certs).
#
#   test_certs_openssl.sh DEVCERT_TOOL OPENSSL
set -u

TOOL=$1
OPENSSL=$2
DIR=$(mktemp -d /tmp/idg-certs-XXXXXX) || exit 1
trap 'rm -rf "$DIR"' EXIT INT TERM
FAILS=0

fail() {
	echo "FAIL: $*"
	FAILS=$((FAILS + 1))
}

pass() {
	echo "ok: $*"
}

# expect_ok DESCRIPTION COMMAND...: the command must succeed.
expect_ok() {
	d=$1
	shift
	if "$@" >"$DIR/out" 2>&1; then
		pass "$d"
	else
		fail "$d"
		cat "$DIR/out"
	fi
}

# expect_fail DESCRIPTION PATTERN COMMAND...: it must fail, saying PATTERN.
expect_fail() {
	d=$1
	pat=$2
	shift 2
	if "$@" >"$DIR/out" 2>&1; then
		fail "$d (succeeded)"
		cat "$DIR/out"
	elif grep -q -- "$pat" "$DIR/out"; then
		pass "$d"
	else
		fail "$d (no \"$pat\")"
		cat "$DIR/out"
	fi
}

# expect_grep DESCRIPTION FILE PATTERN
expect_grep() {
	if grep -q -- "$3" "$2"; then
		pass "$1"
	else
		fail "$1 (no \"$3\")"
		cat "$2"
	fi
}

for alg in ec rsa; do
	D=$DIR/$alg
	mkdir "$D"
	"$TOOL" ca "$D" "$alg" || { fail "$alg: create CA"; continue; }
	"$TOOL" issue "$D" alice || { fail "$alg: issue alice"; continue; }
	"$TOOL" issue "$D" bob || { fail "$alg: issue bob"; continue; }

	# the CA and the issued certificates pass OpenSSL's strict checks
	expect_ok "$alg: CA certificate is a strict self-signed CA" \
	    "$OPENSSL" verify -x509_strict -CAfile "$D/ca.pem" "$D/ca.pem"
	expect_ok "$alg: alice verifies (-x509_strict -purpose sslclient)" \
	    "$OPENSSL" verify -CAfile "$D/ca.pem" -x509_strict -purpose sslclient "$D/alice.pem"
	expect_fail "$alg: not for TLS servers" "unsuitable certificate purpose" \
	    "$OPENSSL" verify -CAfile "$D/ca.pem" -purpose sslserver "$D/alice.pem"
	expect_fail "$alg: not trusted without the CA" "unable to get local issuer" \
	    "$OPENSSL" verify -no-CAfile -no-CApath -no-CAstore "$D/alice.pem"

	# the serial the library reports is the certificate's
	s=$("$OPENSSL" x509 -in "$D/alice.pem" -noout -serial | sed 's/^serial=//' |
	    tr 'A-F' 'a-f' | sed 's/^0*//')
	want=$(sed 's/^0*//' "$D/alice.serial")
	if [ -n "$s" ] && [ "$s" = "$want" ]; then
		pass "$alg: serial matches"
	else
		fail "$alg: serial $s != $want"
	fi
	"$OPENSSL" x509 -in "$D/alice.pem" -noout -ext subjectAltName >"$DIR/san" 2>&1
	expect_grep "$alg: SAN has the URN" "$DIR/san" \
	    "URI:urn:idgate:device:acme-corp:7:alice-device"

	# revocation: alice is on the CRL, bob is not
	"$TOOL" crl "$D" "$(cat "$D/alice.serial")" || fail "$alg: write CRL"
	expect_ok "$alg: CRL is DER and verifies with the CA" \
	    "$OPENSSL" crl -inform DER -in "$D/crl.der" -out "$D/crl.pem" -CAfile "$D/ca.pem"
	expect_fail "$alg: alice revoked by the CRL" "certificate revoked" \
	    "$OPENSSL" verify -crl_check -CRLfile "$D/crl.pem" -CAfile "$D/ca.pem" "$D/alice.pem"
	expect_ok "$alg: bob still verifies with the CRL" \
	    "$OPENSSL" verify -crl_check -CRLfile "$D/crl.pem" -CAfile "$D/ca.pem" "$D/bob.pem"
	"$OPENSSL" crl -in "$D/crl.pem" -noout -text >"$DIR/crl.txt" 2>&1
	expect_grep "$alg: CRL number" "$DIR/crl.txt" "X509v3 CRL Number"
	expect_grep "$alg: CRL authority key id" "$DIR/crl.txt" "Authority Key Identifier"
done

D=$DIR/ec
OTP=$(cat "$D/alice.otp")
case $OTP in
[2-9A-HJ-NP-Z][2-9A-HJ-NP-Z][2-9A-HJ-NP-Z][2-9A-HJ-NP-Z]-????-????-????)
	pass "OTP format" ;;
*)	fail "OTP format: $OTP" ;;
esac

# PKCS#12, modern: plain OpenSSL 3, AES-256-CBC + PBKDF2 + SHA-256 MAC
expect_ok "modern p12 opens (-nokeys)" \
    "$OPENSSL" pkcs12 -in "$D/alice.p12" -passin "pass:$OTP" -nokeys -out "$D/m.pem"
expect_grep "modern p12 holds the device certificate" "$D/m.pem" "subject=CN = alice@example.com"
expect_grep "modern p12 holds the CA certificate" "$D/m.pem" "subject=CN = idgate device CA"
expect_grep "modern p12 friendly name" "$D/m.pem" "friendlyName: alice"
expect_ok "modern p12 key opens" \
    "$OPENSSL" pkcs12 -in "$D/alice.p12" -passin "pass:$OTP" -nocerts -nodes -out "$D/mk.pem"
expect_grep "modern p12 key is there" "$D/mk.pem" "BEGIN PRIVATE KEY"
"$OPENSSL" pkcs12 -in "$D/alice.p12" -passin "pass:$OTP" -info -noout >"$DIR/info" 2>&1
expect_grep "modern p12 MAC is SHA-256" "$DIR/info" "MAC: sha256"
expect_grep "modern p12 key bag is PBES2/AES-256" "$DIR/info" \
    "Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC"
expect_grep "modern p12 certs are PBES2/AES-256" "$DIR/info" \
    "Encrypted data: PBES2, PBKDF2, AES-256-CBC"
expect_fail "modern p12, wrong password" "invalid password" \
    "$OPENSSL" pkcs12 -in "$D/alice.p12" -passin pass:WRONG-WRONG-WRONG -nokeys

# PKCS#12, legacy: 3DES + SHA-1 MAC; OpenSSL 3 reads it plain and with -legacy
expect_ok "legacy p12 opens with plain OpenSSL 3" \
    "$OPENSSL" pkcs12 -in "$D/alice-legacy.p12" -passin "pass:$OTP" -nokeys -out "$D/l.pem"
expect_grep "legacy p12 holds the device certificate" "$D/l.pem" \
    "subject=CN = alice@example.com"
expect_ok "legacy p12 opens with -legacy" \
    "$OPENSSL" pkcs12 -legacy -in "$D/alice-legacy.p12" -passin "pass:$OTP" -nocerts -nodes \
    -out "$D/lk.pem"
expect_grep "legacy p12 key is there" "$D/lk.pem" "BEGIN PRIVATE KEY"
"$OPENSSL" pkcs12 -in "$D/alice-legacy.p12" -passin "pass:$OTP" -info -noout >"$DIR/info" 2>&1
expect_grep "legacy p12 MAC is SHA-1" "$DIR/info" "MAC: sha1"
expect_grep "legacy p12 key bag is 3DES" "$DIR/info" \
    "Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC"
expect_grep "legacy p12 certs are 3DES" "$DIR/info" \
    "Encrypted data: pbeWithSHA1And3-KeyTripleDES-CBC"
expect_fail "legacy p12, wrong password" "invalid password" \
    "$OPENSSL" pkcs12 -in "$D/alice-legacy.p12" -passin pass:WRONG-WRONG-WRONG -nokeys

# the key in the file is the certificate's
"$OPENSSL" pkey -in "$D/mk.pem" -pubout >"$DIR/k1" 2>&1
"$OPENSSL" x509 -in "$D/alice.pem" -noout -pubkey >"$DIR/k2" 2>&1
if [ -s "$DIR/k1" ] && cmp -s "$DIR/k1" "$DIR/k2"; then
	pass "p12 key matches the certificate"
else
	fail "p12 key does not match the certificate"
fi

# CSRs made by openssl req are certified; the result verifies
for k in ec:p256 ec:p384 rsa:2048; do
	case $k in
	ec:p256) kopt="-newkey ec -pkeyopt ec_paramgen_curve:P-256" ;;
	ec:p384) kopt="-newkey ec -pkeyopt ec_paramgen_curve:P-384" ;;
	rsa:2048) kopt="-newkey rsa:2048" ;;
	esac
	n=$(echo "$k" | tr ':' '-')
	# shellcheck disable=SC2086
	if ! "$OPENSSL" req -new $kopt -nodes -keyout "$D/$n.key" -subj "/CN=ignored" \
	    -out "$D/$n.csr" >"$DIR/out" 2>&1; then
		fail "openssl req $k"
		cat "$DIR/out"
		continue
	fi
	expect_ok "$k PEM CSR accepted" "$TOOL" csr "$D" "$D/$n.csr" "csr-$n"
	expect_ok "$k CSR certificate verifies" \
	    "$OPENSSL" verify -CAfile "$D/ca.pem" -x509_strict -purpose sslclient "$D/csr-$n.pem"
	"$OPENSSL" x509 -in "$D/csr-$n.pem" -noout -subject >"$DIR/subj" 2>&1
	expect_grep "$k CSR subject not copied" "$DIR/subj" "CN = csr-$n@example.com"
	"$OPENSSL" req -in "$D/$n.csr" -outform DER -out "$D/$n.csr.der" 2>/dev/null
	expect_ok "$k DER CSR accepted" "$TOOL" csr "$D" "$D/$n.csr.der" "der-$n"
	expect_ok "$k DER CSR certificate verifies" \
	    "$OPENSSL" verify -CAfile "$D/ca.pem" -x509_strict -purpose sslclient "$D/der-$n.pem"
done
if "$OPENSSL" req -new -newkey rsa:1024 -nodes -keyout "$D/weak.key" -subj "/CN=weak" \
    -out "$D/weak.csr" >"$DIR/out" 2>&1; then
	expect_fail "RSA-1024 CSR refused" "RSA of 2048 to 4096" \
	    "$TOOL" csr "$D" "$D/weak.csr" weak
else
	fail "openssl req rsa:1024"
fi
# a CSR whose signature does not verify: the last byte of its signature changed
"$OPENSSL" req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$D/x.key" \
    -subj "/CN=x" -outform DER -out "$D/x.der" >/dev/null 2>&1
cp "$D/x.der" "$D/bad.der"
size=$(wc -c <"$D/x.der")
last=$(od -An -tu1 -j $((size - 1)) -N 1 "$D/x.der" | tr -d ' ')
# shellcheck disable=SC2059
printf "$(printf '\\%03o' $(((last + 1) % 256)))" |
    dd of="$D/bad.der" bs=1 seek=$((size - 1)) conv=notrunc 2>/dev/null
if cmp -s "$D/x.der" "$D/bad.der"; then
	fail "could not tamper with the CSR"
fi
expect_ok "untampered CSR accepted" "$TOOL" csr "$D" "$D/x.der" good
expect_fail "tampered CSR refused" "does not verify" "$TOOL" csr "$D" "$D/bad.der" bad

echo "$FAILS failure(s)"
[ "$FAILS" -eq 0 ]
