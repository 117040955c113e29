#!/bin/sh
# System tests: the whole shop as `make run` starts it (emulator, FastCGI processes, nginx),
# driven through nginx with curl, the emulator's webhooks included. Run from the repo root.
set -u
. tests/lib.sh

# A short Stripe timeout, so that a hanging Stripe is tested in seconds.
export SHOP_STRIPE_TIMEOUT=3
trap cleanup EXIT
start_shop
STRIPE_SECRET_KEY=sk_test_system
JAR=$TMP/cookies
USERS=$SHOP_DATA_DIR/users.json
ORDERS=$SHOP_DATA_DIR/orders.json

# req METHOD PATH [BODY]: a request through nginx with the cookie jar; sets STATUS, BODY, HEADERS.
req() {
	if [ -n "${3:-}" ]; then
		set -- "$1" "$2" -H 'Content-Type: application/json' --data-binary "$3"
	else
		set -- "$1" "$2"
	fi
	m=$1
	p=$2
	shift 2
	curl -s -X "$m" -b "$JAR" -c "$JAR" -D "$TMP/headers" -o "$TMP/body" "$@" "$BASE$p" > /dev/null
	STATUS=$(sed -n '1s/^HTTP\/[0-9.]* \([0-9]*\).*/\1/p' "$TMP/headers")
	HEADERS=$(cat "$TMP/headers")
	BODY=$(cat "$TMP/body")
	cp "$TMP/headers" "$TMP/last.out"
}

echo "# static files and headers"
req GET /
check "nginx: the home page is served from public/" \
    '[ "$STATUS" = 200 ] && printf "%s" "$BODY" | grep -qi "<!doctype html>"'
check "nginx: security headers are sent" \
    'for h in X-Content-Type-Options X-Frame-Options Content-Security-Policy Referrer-Policy; do printf "%s" "$HEADERS" | grep -qi "^$h:" || exit 1; done'
req GET /../data/users.json
check "nginx: data/ is never served" '[ "$STATUS" != 200 ]'
req GET /.git/config
check "nginx: dot files are never served" '[ "$STATUS" = 404 ]'
req GET /api/nothing
check "nginx: an unknown API route is a JSON 404" \
    '[ "$STATUS" = 404 ] && jqt ".error.code == \"not_found\""'

req GET /api/login
check "nginx: API answers keep their headers through FastCGI (Cache-Control, Content-Length)" \
    'printf "%s" "$HEADERS" | grep -qi "^Cache-Control: no-store" && printf "%s" "$HEADERS" | grep -qi "^Content-Length: [0-9]"'
req TRACE /api/login
check "nginx: a method nginx itself refuses is a JSON 405" \
    '[ "$STATUS" = 405 ] && jqt ".error.code == \"method_not_allowed\""'

echo "# catalogue"
req GET /api/products
check "products: through nginx, 8 demo products" '[ "$STATUS" = 200 ] && jqt ".products | length == 8"'
PRICE1=$(printf '%s' "$BODY" | jq -r '.products[] | select(.id == "prod_demo_mug") | .price.id')
PRICE2=$(printf '%s' "$BODY" | jq -r '.products[] | select(.id == "prod_demo_socks") | .price.id')

echo "# limits"
req POST /api/register "$(head -c 70000 /dev/zero | tr '\0' a)"
check "nginx: a body over 64 KiB is a JSON 413" \
    '[ "$STATUS" = 413 ] && jqt ".error.code == \"payload_too_large\""'

echo "# the shopper's path"
req POST /api/checkout "{\"items\":[{\"price\":\"$PRICE1\",\"quantity\":1}]}"
check "checkout: logged out is 401" '[ "$STATUS" = 401 ]'
req POST /api/register '{"email":"sys@example.com","password":"system pass","name":"Sys Tem"}'
check "register: 201 through nginx" '[ "$STATUS" = 201 ]'
req GET /api/login
check "login: the cookie from register logs the browser in" \
    '[ "$STATUS" = 200 ] && jqt ".user.email == \"sys@example.com\""'
req POST /api/checkout "{\"items\":[{\"price\":\"$PRICE1\",\"quantity\":3},{\"price\":\"$PRICE2\",\"quantity\":1}],\"promotion_code\":\"SEK50\"}"
check "checkout: a Checkout Session with the SEK50 code" '[ "$STATUS" = 200 ]'
SID=$(printf '%s' "$BODY" | jq -r .id)
URL=$(printf '%s' "$BODY" | jq -r .url)
check "payment page: a declined card (insufficient funds) is refused with Stripe's message" \
    'pay "$URL" "4000 0000 0000 9995" > /dev/null; grep -q "insufficient funds" "$TMP/pay.html"'
sleep 1
check "payment page: … and no order is written" '[ "$(count_json "$ORDERS")" = 0 ]'
check "payment page: 4242 pays and sends the browser to the success page" \
    'pay "$URL" "4242424242424242" | grep -q "^303 $BASE/success.html?session_id=$SID"'
# The emulator delivers checkout.session.completed to nginx → webhook; give it a moment.
i=0
while [ "$(count_json "$ORDERS")" = 0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
check "webhook: the emulator's signed event wrote the order before the shopper came back" \
    '[ "$(jq "[.[] | select(.id == \"$SID\")] | length" "$ORDERS")" = 1 ]'
check "webhook: the order has Stripe's amounts: 3 × 149 + 129 − 50 kr" \
    'jq -e ".[0].subtotal == 57600 and .[0].discount == 5000 and .[0].total == 52600 and .[0].promotion_code == \"SEK50\"" "$ORDERS"'
req GET "/api/checkout?session_id=$SID"
check "success page: the return gives the same order" \
    '[ "$STATUS" = 200 ] && jqt ".order.id == \"$SID\" and .order.total == 52600"'
req GET "/api/checkout?session_id=$SID"
check "success page: reloading keeps one order" '[ "$(count_json "$ORDERS")" = 1 ]'
req GET /api/orders
check "orders: the shopper sees the order" \
    '[ "$STATUS" = 200 ] && jqt "(.orders | length) == 1 and .orders[0].id == \"$SID\""'
EVENT='{"id":"evt_forged","object":"event","type":"checkout.session.completed","data":{"object":{"id":"cs_test_forged"}}}'
req POST /api/webhook "$EVENT" -H "Stripe-Signature: t=$(date +%s),v1=$(printf '%064d' 0)"
check "webhook: a forged event through nginx is 400 and writes nothing" \
    '[ "$STATUS" = 400 ] && [ "$(count_json "$ORDERS")" = 1 ]'
req DELETE /api/login
req GET /api/orders
check "orders: after logging out, 401" '[ "$STATUS" = 401 ]'

echo "# catalogue follows Stripe"
curl -s -u "$STRIPE_SECRET_KEY:" "$EMU_URL/v1/products/prod_demo_spoon" -d name="Birch spoon" > /dev/null
i=0
until req GET /api/products && jqt 'any(.products[]; .name == "Birch spoon")' || [ $i -gt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
check "products: a product.updated webhook refreshes the catalogue at once" \
    'jqt "any(.products[]; .name == \"Birch spoon\")"'
curl -s -u "$STRIPE_SECRET_KEY:" "$EMU_URL/v1/products/prod_demo_spoon" -d active=false > /dev/null
i=0
until req GET /api/products && jqt 'all(.products[]; .id != "prod_demo_spoon")' || [ $i -gt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
check "products: a product made inactive disappears from the shop at once" \
    'jqt "(.products | length) == 7 and all(.products[]; .id != \"prod_demo_spoon\")"'

# emu METHOD PATH [curl args…]: the emulator's API and control endpoint, as the shop's key.
emu() {
	m=$1
	p=$2
	shift 2
	curl -s -X "$m" -u "$STRIPE_SECRET_KEY:" "$@" "$EMU_URL$p"
}
# new_session [CODE]: a Checkout Session for one mug; sets SID and URL.
new_session() {
	req POST /api/checkout "{\"items\":[{\"price\":\"$PRICE1\",\"quantity\":1}]${1:+,\"promotion_code\":\"$1\"}}"
	SID=$(printf '%s' "$BODY" | jq -r .id)
	URL=$(printf '%s' "$BODY" | jq -r .url)
}
order_count() { jq "[.[] | select(.id == \"$1\")] | length" "$ORDERS" 2>/dev/null || echo 0; }
wait_order() { i=0; while [ "$(order_count "$1")" = 0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done; }

echo "# payments that confirm later, and free orders"
req POST /api/login '{"email":"sys@example.com","password":"system pass"}'
new_session
check "bank transfer: the page accepts a bank payment that confirms later" \
    'pay_form "$URL" method=bank bankAccount=000123456789 | grep -q "^303 "'
sleep 1
check "bank transfer: the completed but unpaid session writes no order" '[ "$(order_count "$SID")" = 0 ]'
req GET "/api/checkout?session_id=$SID"
check "bank transfer: the success page says the payment is processing" \
    '[ "$STATUS" = 409 ] && jqt ".error.code == \"payment_processing\""'
req GET /api/orders
check "bank transfer: My orders shows it as processing, not as an order" \
    'jqt "any(.pending[]; .id == \"$SID\" and .status == \"processing\") and all(.orders[]; .id != \"$SID\")"'
emu POST /_emu/clock -d advance=61 > /dev/null
wait_order "$SID"
check "bank transfer: async_payment_succeeded writes the order" '[ "$(order_count "$SID")" = 1 ]'
new_session
pay_form "$URL" method=bank bankAccount=000111111116 > /dev/null
emu POST /_emu/clock -d advance=61 > /dev/null
sleep 1.5
check "bank transfer: a failed one never becomes an order" '[ "$(order_count "$SID")" = 0 ]'
req GET /api/orders
check "bank transfer: My orders says the payment failed" \
    'jqt "any(.pending[]; .id == \"$SID\" and .status == \"failed\")"'
emu POST /v1/coupons -d percent_off=100 -d duration=once -d id=sys_free > /dev/null
emu POST /v1/promotion_codes -d code=FREE100 -d "promotion[type]=coupon" -d "promotion[coupon]=sys_free" > /dev/null
new_session FREE100
check "100 % off: the session needs no card and completes" 'pay_form "$URL" | grep -q "^303 "'
wait_order "$SID"
check "100 % off: a confirmed order of zero, no_payment_required" \
    'jq -e ".[] | select(.id == \"$SID\") | .total == 0 and .status == \"no_payment_required\"" "$ORDERS"'

echo "# Stripe failing"
n_orders=$(count_json "$ORDERS")
sessions_now() { emu GET "/v1/checkout/sessions?limit=100" | jq '.data | length'; }
n_sessions=$(sessions_now)
emu POST /_emu/faults -d status=500 -d count=1 -d path=/v1/checkout > /dev/null
new_session
check "Stripe 500: the shopper gets a JSON 502 in words, and no session exists" \
    '[ "$STATUS" = 502 ] && jqt ".error.message | length > 20" && [ "$(sessions_now)" = "$n_sessions" ]'
new_session
check "Stripe 500: the same checkout succeeds once the fault is gone" '[ "$STATUS" = 200 ]'
emu POST /_emu/faults -d status=429 -d count=1 -d path=/v1/prices > /dev/null
new_session
check "Stripe 429: the shopper is asked to try again in a moment (503)" \
    '[ "$STATUS" = 503 ] && jqt ".error.code == \"stripe_busy\""'
emu POST /_emu/faults -d status=hang -d count=1 -d path=/v1/checkout/sessions > /dev/null
start=$(date +%s)
new_session
took=$(($(date +%s) - start))
check "Stripe hanging: the shop answers 504 within its own timeout" \
    '[ "$STATUS" = 504 ] && [ "$took" -le 8 ] && jqt ".error.code == \"stripe_timeout\""'
emu DELETE /_emu/faults > /dev/null
check "Stripe failing: nothing half-done was written" '[ "$(count_json "$ORDERS")" = "$n_orders" ]'

echo "# a customer Stripe no longer has"
OLD_CUS=$(jq -r '.[] | select(.email == "sys@example.com") | .stripe_customer' "$USERS")
emu POST /_emu/reset > /dev/null
STRIPE_API_BASE=$EMU_URL STRIPE_SECRET_KEY=$STRIPE_SECRET_KEY SHOP_BASE_URL=$BASE build/seed > /dev/null 2>&1
PRICE1=$(emu GET "/v1/products/prod_demo_mug?expand%5B%5D=default_price" | jq -r .default_price.id)
new_session
NEW_CUS=$(jq -r '.[] | select(.email == "sys@example.com") | .stripe_customer' "$USERS")
check "checkout: a customer gone from Stripe is made again and users.json follows" \
    '[ "$STATUS" = 200 ] && [ "$NEW_CUS" != "$OLD_CUS" ] && emu GET "/v1/customers/$NEW_CUS" | jq -e ".email == \"sys@example.com\""'

echo "# rate limits"
# Thirty guesses at once: the burst passes (each a 401), the rest are cut off.
seq 1 30 | xargs -P 10 -I{} curl -s -o "$TMP/guess.{}" -w '{} %{http_code}\n' \
    -H 'Content-Type: application/json' -d '{"email":"sys@example.com","password":"guess {}"}' \
    "$BASE/api/login" > "$TMP/statuses"
cut_off=$(awk '$2 == 429 { print $1; exit }' "$TMP/statuses")
BODY=$(cat "$TMP/guess.${cut_off:-none}" 2>/dev/null)
check "nginx: guessing passwords quickly is cut off with a JSON 429" \
    '[ "$(grep -c " 429$" "$TMP/statuses")" -gt 10 ] && jqt ".error.code == \"too_many_requests\""'

echo "# stopping"
PIDS=$(awk 1 "$SHOP_DATA_DIR"/run/*.pid)
stop_shop
check "run.sh: SIGTERM stops nginx, every FastCGI process and the emulator" \
    'for p in $PIDS; do ps -o stat= -p "$p" | grep -qv Z && { echo "$p still runs"; exit 1; }; done; true'

echo "# a shop on a configured Stripe, stopped by make stop"
# With a key, run.sh starts no emulator and talks to STRIPE_API_BASE: here an emulator of
# our own stands in for api.stripe.com, so this is the real-Stripe code path.
WEBHOOK_SECRET=whsec_keyed
start_emu
KEYED=$TMP/keyed
KEYED_PORT=$(free_port)
(SHOP_DATA_DIR=$KEYED SHOP_PORT=$KEYED_PORT STRIPE_SECRET_KEY=sk_test_keyed \
    STRIPE_API_BASE=$EMU_URL STRIPE_WEBHOOK_SECRET=$WEBHOOK_SECRET \
    exec sh src/scripts/run.sh) > "$TMP/keyed.log" 2>&1 &
KEYED_PID=$!
i=0
until grep -q "the shop is at" "$TMP/keyed.log" || [ $i -gt 300 ]; do sleep 0.1; i=$((i + 1)); done
check "key mode: no emulator is started, and the shop serves the catalogue it seeded there" \
    '[ ! -e "$KEYED/run/stripe-emu.pid" ] && curl -s "http://127.0.0.1:$KEYED_PORT/api/products" | jq -e ".products | length == 8"'
PIDS=$(awk 1 "$KEYED"/run/*.pid)
SHOP_DATA_DIR=$KEYED sh src/scripts/stop.sh > "$TMP/stop.out" 2>&1
stop_rc=$?
wait $KEYED_PID 2>/dev/null
check "make stop: exits 0 and leaves no process behind" \
    '[ "$stop_rc" = 0 ] && for p in $PIDS; do ps -o stat= -p "$p" | grep -qv Z && { echo "$p still runs"; exit 1; }; done; true'

finish
