#!/usr/bin/env bash
# Benchmarks leadhook beside a bare-Gin baseline and writes BENCHMARKS.md.
#
#   scripts/bench.sh            full run (make bench): ~6 minutes, run it on
#                               an otherwise idle machine
#   scripts/bench.sh --smoke    the same machinery on a tiny size (make
#                               bench-smoke, CI): < 1 minute; writes
#                               .bench/BENCHMARKS.smoke.md, never BENCHMARKS.md
#
# Needs Go and Debian's wrk; the Lambda init time also needs aws-lambda-rie
# (see .ci/run). Everything listens on 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
MAKE=${MAKE:-make}
WORK=.bench
mode=full
case "${1:-}" in
  "") ;;
  --smoke) mode=smoke ;;
  *) echo "usage: $0 [--smoke]" >&2; exit 2 ;;
esac

command -v wrk >/dev/null || { echo "bench: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
mkdir -p "$WORK" bin

echo "--- build: leadhook (make build), the bare-Gin baseline, the CRM stub and the harness"
$MAKE --no-print-directory build
CGO_ENABLED=0 $GO build -trimpath -tags nomsgpack -ldflags '-s -w' -o bin/bench-baseline ./bench/baseline
CGO_ENABLED=0 $GO build -trimpath -ldflags '-s -w' -o bin/crmstub ./bench/cmd/crmstub
$GO build -trimpath -o bin/loadbench ./bench/cmd/loadbench

if [ "$mode" = smoke ]; then
  echo "--- load benchmark (smoke)"
  ./bin/loadbench -smoke -command "make bench-smoke" -rounds 1 -d 1s -warmup 0 -rate-d 1s \
    -fixed-rate 100 -startups 1 -leads 3000 -work "$WORK" -out "$WORK/BENCHMARKS.smoke.md"
  for want in '| bare Gin baseline' '| Gin + HMAC' '| leadhook dry run' '| leadhook end to end' '| leadhook duplicate burst' \
      'concurrent deliveries of one new email' '## Goals of issue 18' '## CRM call economy' '## Targets' '## Closing note'; do
    grep -qF -- "$want" "$WORK/BENCHMARKS.smoke.md" || { echo "bench-smoke: no '$want' in the report" >&2; exit 1; }
  done
  echo "bench-smoke: ok ($WORK/BENCHMARKS.smoke.md)"
  exit 0
fi

extra=()
echo "--- Lambda bootstrap (linux/arm64, as deployed)"
if $MAKE --no-print-directory dist/leadhook-lambda-arm64.zip; then
  extra+=(-bootstrap dist/lambda-arm64/bootstrap -lambda-zip dist/leadhook-lambda-arm64.zip)
else
  echo "bench: building the Lambda bootstrap failed; its size is left out" >&2
fi

echo "--- micro-benchmarks (go test -bench -benchmem -count 3; the report takes medians)"
$GO test -run '^$' -bench . -benchmem -count 3 ./bench/baseline/ ./handlers/webhook/ ./rules/ ./deskera/ ./handlers/ | tee "$WORK/micro.txt"
extra+=(-micro "$WORK/micro.txt")

echo "--- CPU profile of Service.Handle end to end"
if $GO test -run '^$' -bench 'BenchmarkServiceHandle/e2e' -benchtime 5000x -cpuprofile "$WORK/e2e.prof" \
     -o "$WORK/handlers.test" ./handlers/ >/dev/null &&
   $GO tool pprof -top -cum -nodecount 45 -ignore deskeratest -hide '^testing\.|^runtime\.(goexit|main)$' "$WORK/handlers.test" "$WORK/e2e.prof" > "$WORK/e2e.top" 2>/dev/null; then
  extra+=(-profile "$WORK/e2e.top")
fi

echo "--- Lambda init under aws-lambda-rie (handlers/lambda TestBootstrapUnderRIE, 3 runs)"
if command -v aws-lambda-rie >/dev/null || [ -x "$($GO env GOPATH)/bin/aws-lambda-rie" ]; then
  PATH="$PATH:$($GO env GOPATH)/bin" $GO test -count 3 -run '^TestBootstrapUnderRIE$' -v ./handlers/lambda/ > "$WORK/lambda.txt" 2>&1 ||
    echo "bench: the RIE test failed; see $WORK/lambda.txt" >&2
  extra+=(-lambda-log "$WORK/lambda.txt")
else
  echo "bench: aws-lambda-rie is not installed; Lambda init is left out" >&2
fi

echo "--- load benchmark"
./bin/loadbench -command "make bench" -work "$WORK" -out BENCHMARKS.md -notes bench/NOTES.md "${extra[@]}"
