# lib.sh — shell functions shared by run.sh, stop.sh and the tests: waiting for a service
# and stopping everything a shop started (its pid files live in DATA/run).

# wait_http URL [curl options…]: waits up to 15 s for URL to answer at all.
wait_http() {
	url=$1
	shift
	i=0
	while ! curl -s -o /dev/null --max-time 2 "$@" "$url"; do
		i=$((i + 1))
		if [ "$i" -ge 150 ]; then
			echo "timed out waiting for $url" >&2
			return 1
		fi
		sleep 0.1
	done
}

# pids_of FILE…: the pids in those pid files that exist, one a line (awk: spawn-fcgi ends
# its pid files without a newline).
pids_of() {
	for f in "$@"; do
		if [ -s "$f" ]; then
			awk 1 "$f"
		fi
	done
}

# any_alive FILE…: true when a pid in the files is alive (a zombie counts as dead).
any_alive() {
	for pid in $(pids_of "$@"); do
		state=$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$pid/status" 2>/dev/null)
		[ -n "$state" ] && [ "$state" != Z ] && return 0
	done
	return 1
}

# kill_pidfiles FILE…: TERM to every pid in the files, up to 5 s for all of them, then KILL.
kill_pidfiles() {
	pids=$(pids_of "$@")
	if [ -n "$pids" ]; then
		# shellcheck disable=SC2086
		kill -TERM $pids 2>/dev/null || true
		i=0
		while any_alive "$@" && [ "$i" -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		# shellcheck disable=SC2086
		kill -KILL $pids 2>/dev/null || true
	fi
	rm -f "$@"
}

# shop_stop RUN_DIR: stops nginx, the FastCGI processes and the emulator of one shop.
shop_stop() {
	kill_pidfiles "$1/nginx.pid" "$1"/products.pid "$1"/register.pid "$1"/login.pid \
	    "$1"/checkout.pid "$1"/webhook.pid "$1"/orders.pid "$1/stripe-emu.pid"
	rm -f "$1"/*.sock
	return 0
}
