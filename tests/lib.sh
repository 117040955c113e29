# lib.sh — the shell test harness: named checks that count, a temp data folder, the real
# emulator on a spare port, and running a binary as plain CGI the way a web server would.
# Sourced by tests/cgi/run.sh and tests/system/run.sh from the repository root.

. src/scripts/lib.sh

PASS=0
FAIL=0
TMP=$(mktemp -d /tmp/shop-test.XXXXXX)
chmod 711 "$TMP"	# nginx's workers (nobody) pass through to the sockets

# check NAME 'SHELL CODE': one named behaviour, evaluated here (so the functions and
# variables of the test are at hand); its exit status decides.
check() {
	name=$1
	if (eval "$2") > "$TMP/check.out" 2>&1; then
		PASS=$((PASS + 1))
		echo "ok - $name"
	else
		FAIL=$((FAIL + 1))
		echo "not ok - $name"
		sed 's/^/#   /' "$TMP/check.out" | head -20
		[ -s "$TMP/last.out" ] && { sed 's/^/#   last response: /' "$TMP/last.out" | head -8; echo; }
	fi
	return 0
}

# finish: prints the closing line and exits non-zero when anything failed.
finish() {
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}

# A free TCP port on the loopback.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_emu [WEBHOOK_URL]: the emulator on a spare port with its own state; sets EMU_URL.
start_emu() {
	EMU_PORT=$(free_port)
	EMU_URL=http://127.0.0.1:$EMU_PORT
	STRIPE_EMU_WEBHOOK_URL=${1:-} STRIPE_WEBHOOK_SECRET=$WEBHOOK_SECRET \
	    build/stripe-emu --port "$EMU_PORT" --state "$TMP/emu" > "$TMP/emu.log" 2>&1 &
	EMU_PID=$!
	wait_http "$EMU_URL/v1/products?limit=1"
}

stop_emu() {
	[ -n "${EMU_PID:-}" ] && kill "$EMU_PID" 2>/dev/null && wait "$EMU_PID" 2>/dev/null
	EMU_PID=
}

# stripe METHOD PATH [curl args…]: calls the emulator's API as the shop's key; prints body.
stripe() {
	method=$1
	path=$2
	shift 2
	curl -s -X "$method" -H "Authorization: Bearer $STRIPE_SECRET_KEY" "$@" "$EMU_URL$path"
}

# cgi NAME METHOD [BODY] [QUERY]: runs cgi-bin/NAME once as plain CGI with COOKIE as the
# browser's cookie. Sets STATUS, BODY (the answer) and HEADERS; the whole output is in
# $TMP/last.out.
cgi() {
	body=${3:-}
	printf '%s' "$body" | env REQUEST_METHOD="$2" QUERY_STRING="${4:-}" \
	    CONTENT_TYPE="${CONTENT_TYPE:-application/json}" CONTENT_LENGTH=${#body} \
	    HTTP_COOKIE="${COOKIE:-}" HTTP_STRIPE_SIGNATURE="${SIGNATURE:-}" \
	    "./cgi-bin/$1" > "$TMP/last.out" 2>> "$TMP/cgi.log"
	STATUS=$(sed -n '1s/^Status: \([0-9]*\).*/\1/p' "$TMP/last.out")
	HEADERS=$(sed '/^\r$/q' "$TMP/last.out")
	BODY=$(sed '1,/^\r$/d' "$TMP/last.out")
}

# cookie_from_headers: the shop_session=… pair from the last Set-Cookie.
cookie_from_headers() {
	printf '%s\n' "$HEADERS" | sed -n 's/^Set-Cookie: \(shop_session=[^;]*\).*/\1/p' | tail -1
}

# sign BODY [TIMESTAMP]: a Stripe-Signature header for BODY under WEBHOOK_SECRET.
sign() {
	t=${2:-$(date +%s)}
	mac=$(printf '%s.%s' "$t" "$1" | openssl dgst -sha256 -hmac "$WEBHOOK_SECRET" | sed 's/.* //')
	echo "t=$t,v1=$mac"
}

# pay_form SESSION_URL [FIELD=VALUE…]: submits the emulator's hosted payment form with the
# shopper's e-mail and name and these fields; prints the HTTP status and where it redirects.
pay_form() {
	url=$1
	shift
	for field in "$@"; do
		set -- "$@" --data-urlencode "$field"
		shift
	done
	curl -s -o "$TMP/pay.html" -w '%{http_code} %{redirect_url}\n' \
	    --data-urlencode action=pay --data-urlencode email=shopper@example.com \
	    --data-urlencode "billingName=Test Shopper" "$@" "$url"
}

# pay SESSION_URL CARD: pays by card (any future expiry, any CVC).
pay() {
	pay_form "$1" "cardNumber=$2" "cardExpiry=12 / 34" cardCvc=123
}

# jqt FILTER: true when FILTER holds for BODY (jq -e).
jqt() {
	printf '%s' "$BODY" | jq -e "$1" > /dev/null
}

# count_json FILE: entries in a JSON array file (0 when missing).
count_json() {
	if [ -e "$1" ]; then jq length "$1"; else echo 0; fi
}

# start_shop: the whole shop as `make run` starts it, on spare ports with its own data
# folder, in the background; sets BASE, EMU_URL and RUN_PID. stop_shop ends it.
start_shop() {
	SHOP_PORT=$(free_port)
	STRIPE_EMU_PORT=$(free_port)
	BASE=http://127.0.0.1:$SHOP_PORT
	EMU_URL=http://127.0.0.1:$STRIPE_EMU_PORT
	export SHOP_PORT STRIPE_EMU_PORT SHOP_DATA_DIR=$TMP/data
	(unset STRIPE_SECRET_KEY STRIPE_API_BASE STRIPE_WEBHOOK_SECRET SHOP_BASE_URL
	exec sh src/scripts/run.sh) > "$TMP/run.log" 2>&1 &
	RUN_PID=$!
	i=0
	until grep -q "the shop is at" "$TMP/run.log"; do
		i=$((i + 1))
		if [ "$i" -gt 300 ] || ! kill -0 $RUN_PID 2>/dev/null; then
			echo "the shop did not start:"
			cat "$TMP/run.log"
			exit 1
		fi
		sleep 0.1
	done
}

stop_shop() {
	[ -n "${RUN_PID:-}" ] && kill "$RUN_PID" 2>/dev/null && wait "$RUN_PID" 2>/dev/null
	RUN_PID=
}

cleanup() {
	stop_shop
	stop_emu
	rm -rf "$TMP"
}
