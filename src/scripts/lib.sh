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

# kill_pidfile FILE: sends TERM to every pid in FILE, waits up to 5 s, then KILL.
kill_pidfile() {
	[ -s "$1" ] || { rm -f "$1"; return 0; }
	pids=$(tr -s ' \n' '  ' < "$1")
	# shellcheck disable=SC2086
	kill -TERM $pids 2>/dev/null || true
	i=0
	for pid in $pids; do
		while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "$pid" 2>/dev/null || true
	done
	rm -f "$1"
}

# shop_stop RUN_DIR: stops nginx, the FastCGI processes and the emulator of one shop.
shop_stop() {
	kill_pidfile "$1/nginx.pid"
	for name in products register login checkout webhook orders; do
		kill_pidfile "$1/$name.pid"
		rm -f "$1/$name.sock"
	done
	kill_pidfile "$1/stripe-emu.pid"
}
