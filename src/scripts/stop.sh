#!/bin/sh
# stop.sh — `make stop`: stops a shop started in the background by `make run`.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
. src/scripts/lib.sh
RUN=${SHOP_DATA_DIR:-$ROOT/data}/run
# run.sh stops its parts as it exits; give it the time that takes.
if [ -s "$RUN/run.pid" ] && kill -TERM "$(cat "$RUN/run.pid")" 2>/dev/null; then
	i=0
	while any_alive "$RUN/run.pid" && [ "$i" -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
fi
shop_stop "$RUN"
echo "stop: the shop is stopped"
