// Command gendoc writes docs/rules-reference.md from the rules package.
//
//	go run ./rules/internal/gendoc [-o docs/rules-reference.md]
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/leadhook/leadhook/rules"
)

func main() { os.Exit(run()) }

func run() int {
	out := flag.String("o", "docs/rules-reference.md", "output file")
	flag.Parse()
	if err := os.WriteFile(*out, []byte(rules.Reference()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gendoc:", err)
		return 1
	}
	return 0
}
