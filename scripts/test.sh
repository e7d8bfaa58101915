#!/usr/bin/env bash
# The README's second command: install what is needed, build, and run every test.
#   1. ASan+UBSan build: the whole suite (unit and integration) under the sanitizers;
#   2. the libFuzzer harness for the parser, a fixed number of runs over the committed corpus;
#   3. the normal -Werror build, whose ./tally is left in place: the whole suite again;
# plus a clang-format check of every C file.
# Ends with one line "N passed, N failed" counted from automake's test-suite.log files.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --test || exit 1

PASSED=0
FAILED=0
JOBS=$(nproc)
FUZZ_RUNS=${FUZZ_RUNS:-200000}

count_suite() { # $1: label
	local p f e
	p=$(sed -n 's/^# PASS: *//p' test-suite.log | head -1)
	f=$(sed -n 's/^# FAIL: *//p' test-suite.log | head -1)
	e=$(sed -n 's/^# ERROR: *//p' test-suite.log | head -1)
	PASSED=$((PASSED + ${p:-0}))
	FAILED=$((FAILED + ${f:-0} + ${e:-0}))
	echo "== $1: pass=${p:-0} fail=${f:-0} error=${e:-0}"
}

show_failures() {
	for log in $(grep -l -E '^:test-result: (FAIL|ERROR)' tests/*/*.trs 2>/dev/null); do
		echo "---- ${log%.trs}.log"
		tail -n 60 "${log%.trs}.log"
	done
}

configure_tree() { # configure args...
	[ -f Makefile ] && make -s distclean >/dev/null 2>&1
	./autogen.sh >/dev/null 2>&1 || { echo "autogen failed"; return 1; }
	# configure's own probes try to remove a file named "core"; ours is a folder.
	./configure -q "$@" 2>&1 | grep -v "cannot remove 'core'"
	return "${PIPESTATUS[0]}"
}

build() { # configure args...
	configure_tree "$@" || return 1
	make -s -j"$JOBS" || return 1
}

suite() { # $1: label
	make -s -j"$JOBS" check >/dev/null 2>&1
	show_failures
	count_suite "$1"
}

echo "== formatting (clang-format, .clang-format)"
if git ls-files '*.c' '*.h' | xargs clang-format --dry-run --Werror >format.log 2>&1; then
	PASSED=$((PASSED + 1)); echo "== format: ok"
else
	FAILED=$((FAILED + 1)); echo "== format: FAILED (run make format)"; head -n 20 format.log
fi

echo "== pass 1: sanitizers (ASan+UBSan)"
if build --enable-werror --enable-sanitizers; then
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 suite sanitizers
else
	echo "sanitizer build failed"; FAILED=$((FAILED + 1))
fi

echo "== pass 2: parser fuzzing ($FUZZ_RUNS runs)"
if configure_tree --enable-werror --enable-fuzzing CC=clang && make -s tests/fuzz/fuzz_parse; then
	corpus=$(mktemp -d)
	cp tests/fuzz/corpus/parse/* "$corpus"/
	if ./tests/fuzz/fuzz_parse -runs="$FUZZ_RUNS" -max_len=9000 -dict=tests/fuzz/parse.dict "$corpus" >fuzz.log 2>&1; then
		PASSED=$((PASSED + 1)); echo "== fuzz: ok"
	else
		FAILED=$((FAILED + 1)); echo "== fuzz: FAILED"; tail -n 40 fuzz.log
	fi
	rm -rf "$corpus"
else
	echo "fuzz build failed"; FAILED=$((FAILED + 1))
fi

echo "== pass 3: release build (-Werror)"
if build --enable-werror; then
	suite release
else
	echo "release build failed"; FAILED=$((FAILED + 1))
fi

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ] && [ "$PASSED" -gt 0 ]
