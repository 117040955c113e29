#!/bin/sh
# stop.sh — `make stop`: stops a shop started in the background by `make run`.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
. src/scripts/lib.sh
RUN=${SHOP_DATA_DIR:-$ROOT/data}/run
if [ -s "$RUN/run.pid" ] && kill -TERM "$(cat "$RUN/run.pid")" 2>/dev/null; then
	kill_pidfile "$RUN/run.pid"	# run.sh stops its parts as it exits
fi
shop_stop "$RUN"
echo "stop: the shop is stopped"
