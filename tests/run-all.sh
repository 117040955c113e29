#!/bin/sh
# run-all.sh — `make test`: every suite, each against real processes, then one closing line.
# Suites: unit (cmocka), cgi (binaries as plain CGI), system (nginx + curl), contract (the
# official stripe SDK against the emulator), browser (chromium via playwright-core).
# `sh tests/run-all.sh cgi system` runs only the named suites.
set -u
cd "$(dirname "$0")/.."
suites=${*:-unit cgi system contract browser}
mkdir -p tests/artifacts
passed=0
failed=0
broken=""

if echo "$suites" | grep -qE 'contract|browser' && [ ! -d tests/node_modules/stripe ]; then
	(cd tests && npm ci --no-audit --no-fund) || { echo "npm ci failed"; exit 1; }
fi

for suite in $suites; do
	log=tests/artifacts/$suite.log
	echo "=== $suite"
	case $suite in
	unit) make -s unit > "$log" 2>&1 ;;
	cgi | system) sh "tests/$suite/run.sh" > "$log" 2>&1 ;;
	contract | browser) (cd tests && node --test --test-concurrency=1 "$suite/") > "$log" 2>&1 ;;
	*) echo "unknown suite $suite"; exit 2 ;;
	esac
	rc=$?
	grep -E '^(not ok|ok) |^# (pass|fail) |PASSED|FAILED|passed, ' "$log" | grep -v '^ok ' | tail -40
	case $suite in
	unit)
		p=$(sed -n 's/.*\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
		f=$(sed -n 's/.*\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}') ;;
	cgi | system)
		p=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$log" | tail -1)
		f=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$log" | tail -1) ;;
	*)
		p=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$log" | tail -1)
		f=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$log" | tail -1) ;;
	esac
	p=${p:-0}
	f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1	# the suite itself broke: count it, and show its end
		tail -20 "$log"
	fi
	[ "$f" -gt 0 ] && broken="$broken $suite"
	echo "--- $suite: $p passed, $f failed (log: $log)"
	passed=$((passed + p))
	failed=$((failed + f))
done

[ -n "$broken" ] && echo "failing suites:$broken"
echo "total: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
