#!/bin/sh
# bench.sh — `make bench`: speed figures, printed, never asserted.
# 1. GET /api/products with a warm cache, against nginx serving the same bytes as a static
#    file, in the same run (goal: ratio ≥ 0.25 on a 2-core machine).
# 2. The median time of a login through nginx (argon2id; goal ≤ 150 ms).
set -eu
cd "$(dirname "$0")/.."
. tests/lib.sh
command -v wrk > /dev/null || { echo "bench: wrk is missing (make deps)"; exit 1; }

STATIC=public/bench-products.json
export SHOP_PRODUCTS_TTL=60
trap 'rm -f "$STATIC"; cleanup' EXIT
start_shop

curl -s "$BASE/api/products" > "$STATIC"	# warms the cache; the same bytes, static
rps() {
	wrk -t2 -c16 -d5s "$1" | sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p'
}
api=$(rps "$BASE/api/products")
static=$(rps "$BASE/bench-products.json")
echo "catalogue: /api/products $api req/s, static file $static req/s ($(wc -c < "$STATIC") bytes)"
echo "catalogue: ratio $(echo "$api $static" | awk '{printf "%.2f", $1 / $2}') (goal ≥ 0.25)"

body='{"email":"bench@example.com","password":"bench password","name":"Bench"}'
curl -s -o /dev/null -H 'Content-Type: application/json' -d "$body" "$BASE/api/register"
for i in $(seq 1 15); do
	curl -s -o /dev/null -w '%{time_total}\n' -H 'Content-Type: application/json' \
	    -d '{"email":"bench@example.com","password":"bench password"}' "$BASE/api/login"
	sleep 0.5	# under nginx's login rate limit (2/s)
done | sort -n > "$TMP/login.times"
median=$(sed -n 8p "$TMP/login.times" | awk '{printf "%.0f", $1 * 1000}')
echo "login: median ${median} ms over 15 logins (goal ≤ 150 ms)"
