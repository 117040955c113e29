#!/bin/sh
# Black-box tests of each binary run as plain CGI (environment variables and standard input,
# as a web server would) against the real Stripe emulator. Run from the repository root.
set -u
. tests/lib.sh
trap cleanup EXIT

export STRIPE_SECRET_KEY=sk_test_cgi WEBHOOK_SECRET=whsec_cgitest
export STRIPE_WEBHOOK_SECRET=$WEBHOOK_SECRET SHOP_DATA_DIR=$TMP/data
export SHOP_BASE_URL=http://127.0.0.1:18080
start_emu
export STRIPE_API_BASE=$EMU_URL
build/seed > "$TMP/seed.log" 2>&1 || { cat "$TMP/seed.log"; exit 1; }
USERS=$SHOP_DATA_DIR/users.json
ORDERS=$SHOP_DATA_DIR/orders.json

echo "# products"
cgi products GET
check "products: GET answers 200 with the seeded catalogue" \
    '[ "$STATUS" = 200 ] && jqt ".products | length == 8"'
check "products: each product has a SEK price in minor units and an image" \
    'jqt "all(.products[]; (.price.unit_amount | type) == \"number\" and .price.currency == \"sek\" and (.images | length) == 1 and (.price.id | startswith(\"price_\")))"'
cgi products GET
check "products: a second view is served from the cache" \
    'printf "%s" "$HEADERS" | grep -q "X-Cache: hit"'
cgi products POST '{}'
check "products: POST is 405 with Allow" \
    '[ "$STATUS" = 405 ] && printf "%s" "$HEADERS" | grep -q "^Allow: GET"'

echo "# register"
cgi register POST '{"email":"Anna@Example.com","password":"correct horse","name":"Anna Åberg"}'
check "register: a new user is 201 with an HttpOnly SameSite=Lax session cookie" \
    '[ "$STATUS" = 201 ] && printf "%s" "$HEADERS" | grep -q "^Set-Cookie: shop_session=.*HttpOnly; SameSite=Lax"'
ANNA=$(cookie_from_headers)
check "register: users.json holds an argon2id hash and a Stripe customer, never the password" \
    'jq -e ".[0].password_hash | startswith(\"\$argon2id\$\")" "$USERS" && jq -e ".[0].stripe_customer | startswith(\"cus_\")" "$USERS" && ! grep -q "correct horse" "$USERS"'
check "register: users.json is mode 0600" '[ "$(stat -c %a "$USERS")" = 600 ]'
check "register: the Stripe customer exists with the e-mail" \
    '[ "$(stripe GET "/v1/customers?email=anna@example.com" | jq ".data | length")" = 1 ]'
cgi register POST '{"email":"anna@EXAMPLE.com","password":"another pass","name":"Anna"}'
check "register: the same e-mail in other case is 409 email_taken" \
    '[ "$STATUS" = 409 ] && jqt ".error.code == \"email_taken\""'
cgi register POST '{"email":"x@example.com","password":"short","name":"X"}'
check "register: a short password is 400 naming the field" \
    '[ "$STATUS" = 400 ] && jqt ".error.param == \"password\""'
cgi register POST '{"email":"x@example.com","password":12345678,"name":"X"}'
check "register: a number where a string belongs is 400" '[ "$STATUS" = 400 ]'
cgi register POST '{"email":"x@example.com","password":'
check "register: malformed JSON is 400 invalid_json" \
    '[ "$STATUS" = 400 ] && jqt ".error.code == \"invalid_json\""'
cgi register POST "$(head -c 5000 /dev/zero | tr '\0' a)"
check "register: a body over 4 KiB is 413" '[ "$STATUS" = 413 ]'
CONTENT_TYPE=text/plain cgi register POST '{}'
check "register: a body not sent as JSON is 415" '[ "$STATUS" = 415 ]'
before=$(count_json "$USERS")
pids=
for i in 1 2 3 4; do
	cgi register POST '{"email":"twice@example.com","password":"password1","name":"Twice"}' &
	pids="$pids $!"
done
wait $pids
check "register: four identical forms at once make one user" \
    '[ "$(jq "[.[] | select(.email == \"twice@example.com\")] | length" "$USERS")" = 1 ]'
check "register: … and one Stripe customer" \
    '[ "$(stripe GET "/v1/customers?email=twice@example.com" | jq ".data | length")" = 1 ]'
check "register: users.json is valid JSON after concurrent writers" \
    '[ "$(jq length "$USERS")" = $((before + 1)) ]'
stop_emu
cgi register POST '{"email":"down@example.com","password":"password1","name":"Down"}'
check "register: Stripe down is 502 and no user is written" \
    '[ "$STATUS" = 502 ] && ! grep -q down@example.com "$USERS"'
# A Stripe that accepts the connection and never answers: the shop gives up in its own time.
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
print(s.getsockname()[1], flush=True); time.sleep(30)' > "$TMP/hole.port" &
HOLE_PID=$!
wait_file() { i=0; while [ ! -s "$1" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done; }
wait_file "$TMP/hole.port"
STRIPE_API_BASE=http://127.0.0.1:$(cat "$TMP/hole.port") SHOP_STRIPE_TIMEOUT=1 \
    cgi register POST '{"email":"slow@example.com","password":"password1","name":"Slow"}'
kill $HOLE_PID
check "register: a Stripe that times out is 504 in words and no user is written" \
    '[ "$STATUS" = 504 ] && jqt ".error.code == \"stripe_timeout\"" && ! grep -q slow@example.com "$USERS"'
# The emulator keeps its state in $TMP/emu across restarts; it comes back on a new port.
start_emu
export STRIPE_API_BASE=$EMU_URL

echo "# login"
cgi login POST '{"email":"ANNA@example.com","password":"correct horse"}'
check "login: the right password is 200 with a cookie" \
    '[ "$STATUS" = 200 ] && printf "%s" "$HEADERS" | grep -q "^Set-Cookie: shop_session=v1\."'
cgi login POST '{"email":"anna@example.com","password":"wrong horse"}'
check "login: a wrong password is 401" '[ "$STATUS" = 401 ]'
cgi login POST '{"email":"nobody@example.com","password":"whatever1"}'
check "login: an unknown e-mail is the same 401" \
    '[ "$STATUS" = 401 ] && jqt ".error.code == \"invalid_credentials\""'
COOKIE=$ANNA cgi login GET
check "login: GET with the cookie names the user" \
    '[ "$STATUS" = 200 ] && jqt ".user.email == \"anna@example.com\" and .user.name == \"Anna Åberg\""'
# Another user id: the first hex digit of the id flipped (f↔0), the MAC left as it was.
FORGED=$(printf '%s' "$ANNA" | sed 's/v1\.u_f/v1.u_X/; s/v1\.u_[0-9a-e]/v1.u_f/; s/v1\.u_X/v1.u_0/')
COOKIE=$FORGED cgi login GET
check "login: a cookie with another user id counts as logged out" '[ "$STATUS" = 401 ]'
COOKIE=$(printf '%s' "$ANNA" | sed 's/\.\([0-9]*\)\./.9\1./') cgi login GET
check "login: a cookie with a longer expiry counts as logged out" '[ "$STATUS" = 401 ]'
COOKIE=$ANNA cgi login DELETE
check "login: DELETE is 204 and clears the cookie" \
    '[ "$STATUS" = 204 ] && printf "%s" "$HEADERS" | grep -q "^Set-Cookie: shop_session=; Path=/; Max-Age=0"'
COOKIE=$ANNA cgi login GET
check "login: after logging out, the old cookie no longer works" '[ "$STATUS" = 401 ]'
cgi login POST '{"email":"anna@example.com","password":"correct horse"}'
ANNA=$(cookie_from_headers)
COOKIE=$ANNA cgi login GET
check "login: logging in again in the same second works at once" '[ "$STATUS" = 200 ]'
cgi login POST '{"email":"anna@example.com","password":"correct horse"} trailing'
check "login: text after the JSON object is 400" '[ "$STATUS" = 400 ]'
cgi register POST '{"email":"nul@example.com","password":"12345678\u0000abc","name":"Nul"}'
check "register: a NUL inside a string is 400, not a shortened password" '[ "$STATUS" = 400 ]'
CONTENT_TYPE=application/jsonx cgi login POST '{"email":"anna@example.com","password":"x"}'
check "login: a content type that only starts like JSON is 415" '[ "$STATUS" = 415 ]'

echo "# checkout"
PRICE1=$(stripe GET "/v1/products/prod_demo_mug?expand%5B%5D=default_price" | jq -r .default_price.id)
PRICE2=$(stripe GET "/v1/products/prod_demo_bowl?expand%5B%5D=default_price" | jq -r .default_price.id)
CART="{\"items\":[{\"price\":\"$PRICE1\",\"quantity\":2},{\"price\":\"$PRICE2\",\"quantity\":1}]"
sessions() { stripe GET "/v1/checkout/sessions?limit=100" | jq '.data | length'; }
n0=$(sessions)
cgi checkout POST "$CART}"
check "checkout: logged out is 401 …" '[ "$STATUS" = 401 ]'
check "checkout: … and creates no Checkout Session" '[ "$(sessions)" = "$n0" ]'
COOKIE=$ANNA cgi checkout POST "{\"items\":[{\"price\":\"$PRICE1\",\"quantity\":0}]}"
check "checkout: quantity 0 is 400 naming items[0].quantity" \
    '[ "$STATUS" = 400 ] && jqt ".error.param == \"items[0].quantity\""'
COOKIE=$ANNA cgi checkout POST "{\"items\":[{\"price\":\"$PRICE1\",\"quantity\":100}]}"
check "checkout: quantity 100 is 400" '[ "$STATUS" = 400 ]'
COOKIE=$ANNA cgi checkout POST "{\"items\":[{\"price\":\"$PRICE1\",\"quantity\":1.5}]}"
check "checkout: a fractional quantity is 400" '[ "$STATUS" = 400 ]'
COOKIE=$ANNA cgi checkout POST "{\"items\":[{\"price\":\"$PRICE1\",\"quantity\":\"2\"}]}"
check "checkout: a quantity in a string is 400" '[ "$STATUS" = 400 ]'
COOKIE=$ANNA cgi checkout POST '{"items":[{"price":"price_doesnotexist","quantity":1}]}'
check "checkout: an unknown price is 409 price_unavailable naming the line" \
    '[ "$STATUS" = 409 ] && jqt ".error.code == \"price_unavailable\" and .error.param == \"items[0].price\""'
cgi checkout POST "$CART,\"promotion_code\":\"save10\",\"preview\":true}"
check "checkout: preview of save10 finds SAVE10 and takes 10 % off the server's subtotal" \
    '[ "$STATUS" = 200 ] && jqt ".preview.subtotal == 54700 and .preview.discount == 5470 and .preview.total == 49230 and .preview.code == \"SAVE10\""'
cgi checkout POST "{\"items\":[{\"price\":\"$PRICE1\",\"quantity\":1}],\"promotion_code\":\"BIG100\",\"preview\":true}"
check "checkout: preview of BIG100 under its minimum is 422 with the reason" \
    '[ "$STATUS" = 422 ] && jqt ".error.message | test(\"at least 500.00 SEK\")"'
cgi checkout POST "$CART,\"promotion_code\":\"NOPE\",\"preview\":true}"
check "checkout: an unknown code is 404 promotion_code_not_found" '[ "$STATUS" = 404 ]'
COOKIE=$ANNA cgi checkout POST "$CART,\"preview\":\"true\"}"
check "checkout: preview given as a string is 400, never a real session" \
    '[ "$STATUS" = 400 ] && [ "$(sessions)" = "$n0" ]'
COOKIE=$ANNA cgi checkout POST "$CART,\"promotion_code\":\"SAVE10\"}"
check "checkout: logged in is 200 with the session's url" \
    '[ "$STATUS" = 200 ] && jqt "(.id | startswith(\"cs_test_\")) and (.url | startswith(\"http\"))"'
SID=$(printf '%s' "$BODY" | jq -r .id)
URL=$(printf '%s' "$BODY" | jq -r .url)
ANNA_CUS=$(jq -r '.[] | select(.email == "anna@example.com") | .stripe_customer' "$USERS")
check "checkout: the session carries Anna's customer and Stripe's discount" \
    'stripe GET "/v1/checkout/sessions/$SID" | jq -e ".customer == \"$ANNA_CUS\" and .total_details.amount_discount == 5470 and .amount_total == 49230"'
COOKIE=$ANNA cgi checkout GET "" "session_id=$SID"
check "checkout: the return of an unpaid session is 409 …" \
    '[ "$STATUS" = 409 ] && jqt ".error.code == \"payment_not_confirmed\""'
check "checkout: … and writes no order" '[ "$(count_json "$ORDERS")" = 0 ]'
check "checkout: a declined card leaves the session open and unpaid" \
    'pay "$URL" "4000 0000 0000 0002" >/dev/null; stripe GET "/v1/checkout/sessions/$SID" | jq -e ".status == \"open\" and .payment_status == \"unpaid\""'
COOKIE=$ANNA cgi checkout GET "" "session_id=$SID"
check "checkout: a declined card writes no order" \
    '[ "$STATUS" = 409 ] && [ "$(count_json "$ORDERS")" = 0 ]'
check "checkout: card 4242 pays and returns to success_url with the session id" \
    'pay "$URL" "4242 4242 4242 4242" | grep -q "^303 .*success.html?session_id=$SID"'
cgi login POST '{"email":"twice@example.com","password":"password1"}'
TWICE=$(cookie_from_headers)
COOKIE=$TWICE cgi checkout GET "" "session_id=$SID"
check "checkout: someone else's paid session gives nothing" \
    '[ "$STATUS" = 404 ] && [ "$(count_json "$ORDERS")" = 0 ]'
COOKIE=$ANNA cgi checkout GET "" "session_id=$SID"
check "checkout: the return of the paid session is the order, with Stripe's amounts" \
    '[ "$STATUS" = 200 ] && jqt ".order.id == \"$SID\" and .order.total == 49230 and .order.discount == 5470 and .order.promotion_code == \"SAVE10\" and (.order.items | length) == 2"'
COOKIE=$ANNA cgi checkout GET "" "session_id=$SID"
check "checkout: a reload gives the same single order" \
    '[ "$STATUS" = 200 ] && [ "$(count_json "$ORDERS")" = 1 ]'
COOKIE=$ANNA cgi checkout GET "" "session_id=cs_test_%3Cscript%3E"
check "checkout: a malformed session id is 400" '[ "$STATUS" = 400 ]'

echo "# webhook"
EVENT=$(stripe GET "/v1/events?type=checkout.session.completed" | jq -c '.data[0]')
cgi webhook POST "$EVENT"
check "webhook: no signature is 400" '[ "$STATUS" = 400 ]'
SIGNATURE="t=$(date +%s),v1=$(printf '%064d' 0)" cgi webhook POST "$EVENT"
check "webhook: a wrong signature is 400" '[ "$STATUS" = 400 ]'
SIGNATURE=$(sign "$EVENT" $(($(date +%s) - 600))) cgi webhook POST "$EVENT"
check "webhook: a signature older than 5 minutes is 400" '[ "$STATUS" = 400 ]'
SIGNATURE=$(sign "$EVENT") cgi webhook POST "$EVENT "
check "webhook: a body changed after signing is 400" '[ "$STATUS" = 400 ]'
SIGNATURE=$(sign "$EVENT") cgi webhook POST "$EVENT"
check "webhook: a signed completed event is 200" '[ "$STATUS" = 200 ]'
SIGNATURE=$(sign "$EVENT") cgi webhook POST "$EVENT"
check "webhook: the same paid session by webhook and return page, twice each, is one order" \
    '[ "$STATUS" = 200 ] && [ "$(jq "[.[] | select(.id == \"$SID\")] | length" "$ORDERS")" = 1 ]'

echo "# orders"
cgi orders GET
check "orders: logged out is 401" '[ "$STATUS" = 401 ]'
COOKIE=$ANNA cgi orders GET
check "orders: Anna sees her order, without internal fields" \
    '[ "$STATUS" = 200 ] && jqt "(.orders | length) == 1 and .orders[0].id == \"$SID\" and (.orders[0] | has(\"customer\") | not)"'
COOKIE=$TWICE cgi orders GET
check "orders: another user sees none of Anna's" '[ "$STATUS" = 200 ] && jqt ".orders == []"'
check "orders: orders.json is mode 0600" '[ "$(stat -c %a "$ORDERS")" = 600 ]'
printf '[{"broken":' > "$ORDERS"
COOKIE=$ANNA cgi orders GET
check "orders: a damaged orders.json is a 500 JSON error and is left as it was" \
    '[ "$STATUS" = 500 ] && [ "$(cat "$ORDERS")" = "[{\"broken\":" ]'

finish
