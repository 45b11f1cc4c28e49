// Package deploy holds the deployment artefacts' drift tests; it has no
// runtime code.
//
// The artefacts live elsewhere in the repository: Dockerfile and
// .dockerignore (container image), template.yaml (AWS SAM), the Makefile's
// build targets, deploy/kubernetes (kustomize, with its optional
// shared-store and postgres-store components) and, in deploy/helmtest,
// the Helm chart (deploy/deploytest holds what both tests share). The tests build
// ./cmd/leadhook, ask the binary for its commands and environment variables
// (leadhook --help), and check each artefact against them and against the
// structure an operator expects:
//
//   - dockerfile_test.go parses the Dockerfile with BuildKit's parser;
//   - sam_test.go parses template.yaml as a yaml.Node tree, keeping the
//     !Ref/!GetAtt/!Sub tags, and checks the Makefile's SAM build target;
//   - kubernetes_test.go renders the kustomization with the kustomize
//     library (with and without components/shared-store and
//     components/postgres-store) and decodes the objects into k8s.io/api
//     types, and refuses queued leads on a volume that dies with the pod;
//   - tools_test.go runs cfn-lint on template.yaml and promtool check
//     metrics on a scraped /metrics, when they are installed;
//   - binary_test.go runs the commands the artefacts run (serve,
//     healthcheck, version) and checks the Lambda bootstrap's ELF.
//
// Run them with `make test-deploy` or `go test -race ./deploy/...`.
package deploy
