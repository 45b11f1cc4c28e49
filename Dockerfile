# syntax=docker/dockerfile:1

# leadhook container image: a static, stripped Go binary on distroless
# static (CA certificates, tzdata, no shell), running as a non-root user.
#
#   docker build -t leadhook:dev --build-arg VERSION=$(git describe --tags --always) .
#   docker buildx build --platform linux/amd64,linux/arm64 -t REGISTRY/leadhook:TAG --push .
#
# deploy/dockerfile_test.go checks this file against the binary (go test ./deploy/...).

ARG GO_VERSION=1.26.8

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-trixie AS build
WORKDIR /src
ENV GOTOOLCHAIN=local
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -tags nomsgpack \
      -ldflags="-s -w -X main.version=${VERSION}" \
      -o /out/leadhook ./cmd/leadhook

FROM gcr.io/distroless/static-debian13:nonroot
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="leadhook" \
      org.opencontainers.image.description="CRM lead automation for Deskera: webhooks and email in, expr rules, contacts out" \
      org.opencontainers.image.source="https://github.com/leadhook/leadhook" \
      org.opencontainers.image.documentation="https://github.com/leadhook/leadhook/blob/main/docs/deployment.md" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
COPY --from=build /out/leadhook /usr/local/bin/leadhook
COPY rules.example.yaml /etc/leadhook/rules.yaml
ENV LEADHOOK_ADDR=:8080 \
    LEADHOOK_RULES=/etc/leadhook/rules.yaml
USER 65532:65532
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/leadhook", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/leadhook"]
CMD ["serve"]
