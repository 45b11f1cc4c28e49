# leadhook build and test targets. `make help` lists them.
GO       ?= go
DOCKER   ?= docker
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
LDFLAGS  := -s -w -X main.version=$(VERSION)

BIN_DIR  ?= bin
DIST_DIR ?= dist
# RULES is the rules file bundled into the Lambda package (as rules.yaml).
RULES    ?= rules.example.yaml
# IMAGE is the container image name; PLATFORMS the image-push platforms.
IMAGE    ?= leadhook
PLATFORMS ?= linux/amd64,linux/arm64

# Container/server binary: gin without msgpack. Lambda bootstrap: also no
# go1.x RPC path, and leadhook.lambda: no queue store (River, SQLite, pgx:
# queued deliveries go to SQS), no delivery history, no OTLP exporter (its
# gRPC), no CJK charsets, no /debug/pprof, so that the zip stays under 10 MB (deploy's
# TestMakeArtefacts checks). Both static (CGO_ENABLED=0), stripped
# (-s -w), -trimpath.
SERVER_TAGS := nomsgpack
LAMBDA_TAGS := lambda.norpc,nomsgpack,leadhook.lambda
# LAMBDA_ZIP_MAX is the largest Lambda zip `make sizes` accepts (bytes).
LAMBDA_ZIP_MAX := 10000000
LAMBDA_ARCHES := arm64 amd64
# LAMBDA_ARCH is what `sam build` builds; keep it equal to Architectures in
# template.yaml (deploy/sam_test.go checks).
LAMBDA_ARCH ?= arm64

.PHONY: help test vet run build binary lambda build-LeadhookFunction build-LeadhookSweepFunction image image-push sizes test-deploy clean FORCE

help: ## list targets
	@grep -E '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-28s %s\n", $$1, $$2}'

# go test -json through internal/testskips: the usual ok/FAIL lines and
# failures' output, then which tests were skipped and why (Redis, the Lambda
# emulator, kubectl...), so a green run does not pass for a full one.
# pipefail: a failing go test still fails make test.
test: vet ## vet, every test with the race detector (skips summarised), the Lambda build's own tests, and the shipped rules' validate + test (what CI runs)
	bash -o pipefail -c '$(GO) test -json -race -count=1 ./... 2>&1 | $(GO) run ./internal/testskips'
	$(GO) test -count=1 -tags $(LAMBDA_TAGS) -run Lambda ./handlers/ ./handlers/webhook/ ./internal/obs/otlp/
	$(GO) run ./cmd/leadhook validate rules.example.yaml
	$(GO) run ./cmd/leadhook test rules.example.test.yaml

vet: ## go vet
	$(GO) vet ./...

run: ## serve on the embedded sandbox with rules.example.yaml
	$(GO) run ./cmd/leadhook

build: ## static, stripped binary in bin/leadhook (GOOS/GOARCH from the environment)
	CGO_ENABLED=0 $(GO) build -trimpath -tags $(SERVER_TAGS) -ldflags '$(LDFLAGS)' -o $(BIN_DIR)/leadhook ./cmd/leadhook

binary: build ## same as build

lambda: $(foreach a,$(LAMBDA_ARCHES),$(DIST_DIR)/leadhook-lambda-$(a).zip) ## Lambda zips (bootstrap + rules.yaml) for arm64 and amd64 in dist/

# Keep the bootstraps (make would delete them as intermediate files).
.PRECIOUS: $(DIST_DIR)/lambda-%/bootstrap
$(DIST_DIR)/lambda-%/bootstrap: FORCE
	@mkdir -p $(@D)
	CGO_ENABLED=0 GOOS=linux GOARCH=$* $(GO) build -trimpath -tags $(LAMBDA_TAGS) -ldflags '$(LDFLAGS)' -o $@ ./cmd/leadhook

$(DIST_DIR)/leadhook-lambda-%.zip: $(DIST_DIR)/lambda-%/bootstrap FORCE
	cp $(RULES) $(DIST_DIR)/lambda-$*/rules.yaml
	rm -f $@
	cd $(DIST_DIR)/lambda-$* && if command -v zip >/dev/null; then zip -q -9 -X ../$(notdir $@) bootstrap rules.yaml; \
	else python3 -m zipfile -c ../$(notdir $@) bootstrap rules.yaml; fi

# sam build (Metadata BuildMethod: makefile) runs build-<LogicalId> with
# ARTIFACTS_DIR set; the function reads /var/task/rules.yaml.
# Without ARTIFACTS_DIR the hook would write /bootstrap into the filesystem
# root: refuse (sam build sets it; by hand, pass ARTIFACTS_DIR=dir).
build-LeadhookFunction: ## sam build hook: bootstrap + rules.yaml into $ARTIFACTS_DIR
	$(if $(strip $(ARTIFACTS_DIR)),,$(error ARTIFACTS_DIR is not set: sam build sets it; by hand run make build-LeadhookFunction ARTIFACTS_DIR=dir (or make lambda for the zips)))
	CGO_ENABLED=0 GOOS=linux GOARCH=$(LAMBDA_ARCH) $(GO) build -trimpath -tags $(LAMBDA_TAGS) -ldflags '$(LDFLAGS)' -o $(ARTIFACTS_DIR)/bootstrap ./cmd/leadhook
	cp $(RULES) $(ARTIFACTS_DIR)/rules.yaml

build-LeadhookSweepFunction: build-LeadhookFunction ## sam build hook of the sweep function (same binary)

image: ## container image IMAGE:VERSION for the local platform (Docker with BuildKit)
	$(DOCKER) build --build-arg VERSION=$(VERSION) --build-arg REVISION=$(REVISION) -t $(IMAGE):$(VERSION) .

image-push: ## multi-arch image IMAGE:VERSION pushed to the registry (docker buildx)
	$(DOCKER) buildx build --platform $(PLATFORMS) --build-arg VERSION=$(VERSION) --build-arg REVISION=$(REVISION) -t $(IMAGE):$(VERSION) --push .

sizes: build lambda ## build everything, print the artefact sizes; fail when the $(LAMBDA_ARCH) zip is over LAMBDA_ZIP_MAX
	@ls -l $(BIN_DIR)/leadhook $(foreach a,$(LAMBDA_ARCHES),$(DIST_DIR)/lambda-$(a)/bootstrap $(DIST_DIR)/leadhook-lambda-$(a).zip) | awk '{printf "%10d  %s\n", $$5, $$9}'
	@z=$(DIST_DIR)/leadhook-lambda-$(LAMBDA_ARCH).zip; n=$$(wc -c < $$z); if [ $$n -gt $(LAMBDA_ZIP_MAX) ]; then \
	echo "$$z: $$n bytes, over LAMBDA_ZIP_MAX=$(LAMBDA_ZIP_MAX)" >&2; exit 1; fi

test-deploy: ## drift checks of Dockerfile, template.yaml, deploy/kubernetes and the Helm chart against the binary (cfn-lint, promtool when installed)
	$(GO) test -race -count=1 ./deploy/...

.PHONY: bench bench-smoke

bench: ## load benchmark beside a bare-Gin baseline + micro-benchmarks -> BENCHMARKS.md (~6 min; idle machine)
	MAKE='$(MAKE)' GO='$(GO)' scripts/bench.sh

bench-smoke: ## the benchmark machinery on a tiny size (< 1 min, CI) -> .bench/BENCHMARKS.smoke.md
	MAKE='$(MAKE)' GO='$(GO)' scripts/bench.sh --smoke

.PHONY: fuzz-smoke

# FUZZ_REQUIRED: targets the smoke must find and run (the signature
# verifier paths of issue 13); every other Fuzz* target runs too.
FUZZ_REQUIRED ?= FuzzSESOverSNS FuzzMailgunTokenOnce FuzzVerifyHMACTimestamped FuzzVerifyMailgun FuzzVerifySNS FuzzVerifyStripe FuzzVerifyStandardWebhooks

fuzz-smoke: ## every fuzz target for FUZZTIME each (default 5s; CI; -fuzzminimizetime FUZZMINIMIZETIME, default 1x); failures are saved under testdata/fuzz
	GO='$(GO)' FUZZTIME='$(or $(FUZZTIME),5s)' FUZZMINIMIZETIME='$(or $(FUZZMINIMIZETIME),1x)' FUZZ_REQUIRED='$(FUZZ_REQUIRED)' scripts/fuzz-smoke.sh

clean: ## remove build output
	rm -rf $(BIN_DIR) $(DIST_DIR) .aws-sam

FORCE:
