#!/bin/sh
# run.sh — `make run`: the whole shop in the foreground. Starts the local Stripe emulator
# (unless STRIPE_SECRET_KEY is set), seeds an empty catalogue, spawns the FastCGI processes
# and nginx, prints the URL, and stops all it started on Ctrl-C or SIGTERM.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
. src/scripts/lib.sh

SHOP_PORT=${SHOP_PORT:-8080}
SHOP_DATA_DIR=${SHOP_DATA_DIR:-$ROOT/data}
STRIPE_EMU_PORT=${STRIPE_EMU_PORT:-12111}
SHOP_BASE_URL=${SHOP_BASE_URL:-http://127.0.0.1:$SHOP_PORT}
SHOP_FCGI_CHILDREN=${SHOP_FCGI_CHILDREN:-2}
SHOP_CGI="products register login checkout webhook orders"
mkdir -p "$SHOP_DATA_DIR"
SHOP_DATA_DIR=$(cd "$SHOP_DATA_DIR" && pwd)
RUN=$SHOP_DATA_DIR/run
export SHOP_DATA_DIR SHOP_BASE_URL

for f in cgi-bin/products build/stripe-emu build/seed; do
	[ -x "$f" ] || { echo "run: $f is missing; run make first" >&2; exit 1; }
done
if [ -s "$RUN/run.pid" ] && kill -0 "$(cat "$RUN/run.pid")" 2>/dev/null; then
	echo "run: a shop is already running from $SHOP_DATA_DIR (make stop)" >&2
	exit 1
fi
if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$SHOP_PORT/"; then
	echo "run: port $SHOP_PORT is taken; set SHOP_PORT" >&2
	exit 1
fi
if [ -z "${STRIPE_SECRET_KEY:-}" ] &&
    curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$STRIPE_EMU_PORT/"; then
	echo "run: port $STRIPE_EMU_PORT (the emulator's) is taken; set STRIPE_EMU_PORT" >&2
	exit 1
fi
umask 077	# logs, keys and data files are the owner's alone
mkdir -p "$RUN/nginx-temp"
# nginx's workers may run as another user: they may pass through to the sockets, but every
# file in data/ is 0600.
chmod 711 "$SHOP_DATA_DIR" "$RUN"
echo $$ > "$RUN/run.pid"
trap 'shop_stop "$RUN"; rm -f "$RUN/run.pid"' EXIT
STOPPING=
trap 'STOPPING=1' INT TERM

if [ -z "${STRIPE_SECRET_KEY:-}" ]; then
	STRIPE_API_BASE=http://127.0.0.1:$STRIPE_EMU_PORT
	secret_file=$SHOP_DATA_DIR/webhook-secret
	if [ ! -s "$secret_file" ]; then
		(umask 077; printf 'whsec_%s\n' "$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')" \
		    > "$secret_file")
	fi
	STRIPE_WEBHOOK_SECRET=$(cat "$secret_file")
	export STRIPE_API_BASE STRIPE_WEBHOOK_SECRET
	STRIPE_EMU_WEBHOOK_URL=$SHOP_BASE_URL/api/webhook \
	    build/stripe-emu --port "$STRIPE_EMU_PORT" --state "$SHOP_DATA_DIR/stripe-emu" \
	    >> "$RUN/stripe-emu.log" 2>&1 &
	echo $! > "$RUN/stripe-emu.pid"
	wait_http "$STRIPE_API_BASE/v1/products?limit=1"
	kill -0 "$(cat "$RUN/stripe-emu.pid")" 2>/dev/null ||
	    { echo "run: the emulator did not start; see $RUN/stripe-emu.log" >&2; exit 1; }
	echo "run: Stripe emulator at $STRIPE_API_BASE (log: $RUN/stripe-emu.log)"
else
	echo "run: using Stripe at ${STRIPE_API_BASE:-https://api.stripe.com}"
fi

build/seed --if-empty

# nginx.conf as it is; a copy only when the port or the data folder differ from it, or when
# nginx's default worker user (nobody, when started as root) cannot read public/.
conf=$ROOT/nginx.conf
prefix=
socket_owner=
if [ "$(id -u)" = 0 ]; then
	if runuser -u nobody -- sh -c 'test -r public/index.html && test -x "$1"' sh "$RUN" \
	    2>/dev/null; then
		socket_owner="-U nobody"	# only nginx's workers may talk FastCGI
	else
		echo "run: user nobody cannot reach $ROOT/public or $RUN; nginx workers run as root" >&2
		prefix='user root;'
	fi
fi

# spawn_cgi NAME: N FastCGI processes of cgi-bin/NAME on data/run/NAME.sock. spawn-fcgi
# sends the programs' stderr to /dev/null, so a shell puts it back into shop.log.
spawn_cgi() {
	rm -f "$RUN/$1.sock"
	# shellcheck disable=SC2086
	spawn-fcgi -s "$RUN/$1.sock" -M 0600 $socket_owner -F "$SHOP_FCGI_CHILDREN" \
	    -P "$RUN/$1.pid" -- /bin/sh -c 'exec "$0" 2>> "$1"' "$ROOT/cgi-bin/$1" \
	    "$RUN/shop.log" > /dev/null 2>> "$RUN/shop.log"
}
for name in $SHOP_CGI; do
	spawn_cgi "$name"
done

if [ "$SHOP_PORT" != 8080 ] || [ "$RUN" != "$ROOT/data/run" ] || [ -n "$prefix" ]; then
	conf=$RUN/nginx.conf
	{ echo "$prefix"; sed -e "s#data/run/#$RUN/#g" -e "s#127.0.0.1:8080#127.0.0.1:$SHOP_PORT#" \
	    nginx.conf; } > "$conf"
fi
nginx -p "$ROOT/" -c "$conf" -e "$RUN/nginx-error.log" &
wait_http "http://127.0.0.1:$SHOP_PORT/"
echo "run: the shop is at $SHOP_BASE_URL   (logs in $RUN; Ctrl-C stops it)"

# Stay in the foreground until stopped. A binary whose processes all died is started again;
# nginx or the emulator dying ends the shop.
while [ -z "$STOPPING" ]; do
	if ! kill -0 "$(cat "$RUN/nginx.pid" 2>/dev/null || echo 0)" 2>/dev/null; then
		echo "run: nginx stopped; see $RUN/nginx-error.log" >&2
		exit 1
	fi
	if [ -s "$RUN/stripe-emu.pid" ] && ! kill -0 "$(cat "$RUN/stripe-emu.pid")" 2>/dev/null; then
		echo "run: the Stripe emulator stopped; see $RUN/stripe-emu.log" >&2
		exit 1
	fi
	for name in $SHOP_CGI; do
		if ! any_alive "$RUN/$name.pid"; then
			echo "run: every $name process had died; starting them again" >&2
			spawn_cgi "$name"
		fi
	done
	sleep 1
done
echo "run: stopping"
