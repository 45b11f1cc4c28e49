// Command gendoc writes docs/rules-reference.md and the rules file's JSON
// Schema, docs/rules.schema.json, from the rules package's spec.
//
//	go run ./rules/internal/gendoc [-o docs/rules-reference.md] [-schema docs/rules.schema.json]
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/leadhook/leadhook/rules"
)

func main() { os.Exit(run()) }

func run() int {
	out := flag.String("o", "docs/rules-reference.md", "reference output file (empty: skip)")
	schema := flag.String("schema", "docs/rules.schema.json", "JSON Schema output file (empty: skip)")
	flag.Parse()
	if *out != "" {
		if err := os.WriteFile(*out, []byte(rules.Reference()), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "gendoc:", err)
			return 1
		}
	}
	if *schema != "" {
		s, err := rules.Schema()
		if err == nil {
			err = os.WriteFile(*schema, s, 0o644)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "gendoc:", err)
			return 1
		}
	}
	return 0
}
