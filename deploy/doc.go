// Package deploy holds the deployment artefacts' drift tests; it has no
// runtime code.
//
// The artefacts live elsewhere in the repository: Dockerfile and
// .dockerignore (container image), template.yaml (AWS SAM), the Makefile's
// build targets, and deploy/kubernetes (kustomize). The tests build
// ./cmd/leadhook, ask the binary for its commands and environment variables
// (leadhook --help), and check each artefact against them and against the
// structure an operator expects:
//
//   - dockerfile_test.go parses the Dockerfile with BuildKit's parser;
//   - sam_test.go parses template.yaml as a yaml.Node tree, keeping the
//     !Ref/!GetAtt/!Sub tags, and checks the Makefile's SAM build target;
//   - kubernetes_test.go decodes the manifests into k8s.io/api types;
//   - binary_test.go runs the commands the artefacts run (serve,
//     healthcheck, version) and checks the Lambda bootstrap's ELF.
//
// Run them with `make test-deploy` or `go test -race ./deploy/...`.
package deploy
