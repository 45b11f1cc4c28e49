#!/usr/bin/env bash
# fuzz-smoke: run every Go fuzz target for a bounded time.
#   FUZZTIME   time per target (default 5s; e.g. 60s for a longer local pass)
#   FUZZ_PKGS  packages to search (default ./...)
#   FUZZ_PARALLEL  fuzzing workers per target (default 2)
#   FUZZMINIMIZETIME  -fuzzminimizetime per target (default 1x: a new
#              input is minimised in one run at most, so a target spends
#              its FUZZTIME fuzzing, not minimising)
#   FUZZ_REQUIRED  targets that must be among those found (the smoke
#              fails when one is missing, e.g. renamed away)
# A crash fails the script; the failing input is saved under the package's
# testdata/fuzz/FuzzXxx/ and replays in every later `go test`.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-5s}
FUZZ_PARALLEL=${FUZZ_PARALLEL:-2}
FUZZMINIMIZETIME=${FUZZMINIMIZETIME:-1x}
FUZZ_REQUIRED=${FUZZ_REQUIRED:-}
seen_targets=" "
failed=()
total=0

# fuzz_one runs one target. The Go fuzzer sometimes ends a run with a bare
# "context deadline exceeded" when -fuzztime expires while a worker is
# still busy (minimising a new input): no failing input is written, so it
# is not a crash. Such a run is tried again once; a run that writes a
# failing input, or fails any other way, fails the smoke.
fuzz_one() {
	local pkg=$1 target=$2 out try
	for try in 1 2; do
		if out=$($GO test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$FUZZMINIMIZETIME" \
			-parallel "$FUZZ_PARALLEL" "$pkg" 2>&1); then
			echo "$out" | grep -E 'elapsed: .*execs: ' | tail -1 || true
			return 0
		fi
		if grep -q 'Failing input written to' <<<"$out" || ! grep -q 'context deadline exceeded' <<<"$out"; then
			echo "$out" | tail -40
			return 1
		fi
		echo "fuzz: run $try ended with the fuzzer's deadline race (no failing input); trying again"
	done
	echo "$out" | tail -40
	return 1
}
for pkg in $($GO list ${FUZZ_PKGS:-./...}); do
	dir=$($GO list -f '{{.Dir}}' "$pkg")
	grep -qs '^func Fuzz' "$dir"/*_test.go || continue
	for target in $($GO test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
		total=$((total + 1))
		seen_targets+="$target "
		echo "--- $pkg $target ($FUZZTIME)"
		if ! fuzz_one "$pkg" "$target"; then
			failed+=("$pkg $target")
		fi
	done
done
for want in $FUZZ_REQUIRED; do
	if [[ $seen_targets != *" $want "* ]]; then
		failed+=("$want (required target not found)")
	fi
done
echo "--- fuzz-smoke: $total targets, ${#failed[@]} failed"
if [ ${#failed[@]} -gt 0 ]; then
	printf '  %s\n' "${failed[@]}"
	exit 1
fi
