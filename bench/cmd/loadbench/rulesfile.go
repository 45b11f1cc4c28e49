package main

import (
	"bytes"
	"fmt"
	"os"

	"go.yaml.in/yaml/v3"
)

// websiteSecret is rules.example.yaml's default for ${WEBSITE_SECRET};
// the servers run without that variable set.
const websiteSecret = "dev-website-secret"

// jsonRules returns rules.example.yaml with sources.website.format set to
// json (everything else unchanged), so that leadhook parses the same JSON
// body as the baseline. A delivery other than "" sets
// sources.website.delivery too (the example's is sync).
func jsonRules(example []byte, delivery string) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(example, &doc); err != nil {
		return nil, fmt.Errorf("parse rules: %w", err)
	}
	format := mapValue(mapValue(mapValue(docRoot(&doc), "sources"), "website"), "format")
	if format == nil {
		return nil, fmt.Errorf("rules have no sources.website.format")
	}
	format.Value = string(encJSON)
	if delivery != "" {
		if d := mapValue(mapValue(mapValue(docRoot(&doc), "sources"), "website"), "delivery"); d != nil {
			d.Value = delivery
		} else {
			website := mapValue(mapValue(docRoot(&doc), "sources"), "website")
			website.Content = append(website.Content,
				&yaml.Node{Kind: yaml.ScalarNode, Value: "delivery"}, &yaml.Node{Kind: yaml.ScalarNode, Value: delivery})
		}
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("write rules: %w", err)
	}
	return out.Bytes(), enc.Close()
}

func docRoot(doc *yaml.Node) *yaml.Node {
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		return doc.Content[0]
	}
	return nil
}

// mapValue returns the value of key in mapping n (nil if absent).
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// writeJSONRules writes the JSON variant of the example rules to path
// (with sources.website.delivery set when delivery is not "").
func writeJSONRules(example, path, delivery string) error {
	b, err := os.ReadFile(example)
	if err != nil {
		return err
	}
	out, err := jsonRules(b, delivery)
	if err != nil {
		return fmt.Errorf("%s: %w", example, err)
	}
	return os.WriteFile(path, out, 0o644)
}
