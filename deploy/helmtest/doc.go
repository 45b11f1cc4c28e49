// Package helmtest checks the Helm chart, deploy/helm/leadhook: it
// renders the chart with the Helm SDK (as `helm template` would; Debian
// packages no helm) and compares every object, strictly decoded into its
// k8s.io/api type, with what deploy/kubernetes renders under kustomize,
// with and without the shared store; it also runs Helm's linter. It has
// no runtime code, and its own package keeps the Helm SDK out of the
// other deploy tests' build (and out of the leadhook binary).
package helmtest
