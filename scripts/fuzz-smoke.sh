#!/usr/bin/env bash
# fuzz-smoke: run every Go fuzz target for a bounded time.
#   FUZZTIME   time per target (default 5s; e.g. 60s for a longer local pass)
#   FUZZ_PKGS  packages to search (default ./...)
#   FUZZ_PARALLEL  fuzzing workers per target (default 2)
# A crash fails the script; the failing input is saved under the package's
# testdata/fuzz/FuzzXxx/ and replays in every later `go test`.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-5s}
FUZZ_PARALLEL=${FUZZ_PARALLEL:-2}
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
		if out=$($GO test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime 2s \
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
		echo "--- $pkg $target ($FUZZTIME)"
		if ! fuzz_one "$pkg" "$target"; then
			failed+=("$pkg $target")
		fi
	done
done
echo "--- fuzz-smoke: $total targets, ${#failed[@]} failed"
if [ ${#failed[@]} -gt 0 ]; then
	printf '  %s\n' "${failed[@]}"
	exit 1
fi
