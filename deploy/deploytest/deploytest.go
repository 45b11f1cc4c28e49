// Package deploytest holds what the deploy tests (deploy and
// deploy/helmtest) share: strict YAML decoding into k8s.io/api types and
// the kustomization: its optional components, read and rendered as kubectl
// kustomize renders it.
package deploytest

import (
	"errors"
	"fmt"
	"strings"

	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// DecodeStrict decodes YAML the way the API server reads JSON: field
// names case-sensitive, unknown and duplicate fields are errors.
func DecodeStrict(data []byte, v any) error {
	j, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return err
	}
	strict, err := kjson.UnmarshalStrict(j, v)
	if err != nil {
		return err
	}
	return errors.Join(strict...)
}

// componentsLine starts the commented-out list of optional components in
// deploy/kubernetes/kustomization.yaml.
const componentsLine = "# components:\n"

// EnableComponents uncomments kustomization.yaml's `# components:` line
// and the `#   - ...` lines under it (shared-store and postgres-store, the
// components of several replicas).
func EnableComponents(data string) (string, error) {
	i := strings.Index(data, componentsLine)
	if i < 0 {
		return "", fmt.Errorf("kustomization.yaml lacks the commented-out lines that enable the shared store (%q and its list)", componentsLine)
	}
	head, rest := data[:i], data[i+len(componentsLine):]
	var b strings.Builder
	b.WriteString(head + "components:\n")
	for rest != "" {
		line, tail, _ := strings.Cut(rest, "\n")
		item, ok := strings.CutPrefix(line, "#   - ")
		if !ok {
			break
		}
		b.WriteString("  - " + item + "\n")
		rest = tail
	}
	b.WriteString(rest)
	return b.String(), nil
}
