# leadhook build and test targets. `make help` lists them.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)

.PHONY: help test vet run build

help: ## list targets
	@grep -E '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

test: vet ## vet and run every test with the race detector (what CI runs)
	$(GO) test -race -count=1 ./...

vet: ## go vet
	$(GO) vet ./...

run: ## serve on the embedded sandbox with rules.example.yaml
	$(GO) run ./cmd/leadhook

build: ## static, stripped binary in bin/leadhook
	CGO_ENABLED=0 $(GO) build -trimpath -tags nomsgpack -ldflags '$(LDFLAGS)' -o bin/leadhook ./cmd/leadhook
