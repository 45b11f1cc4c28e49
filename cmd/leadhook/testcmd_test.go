package main

import "testing"

func TestTestCommand(t *testing.T) {
	runGolden(t, []cliCase{
		{name: "shipped example passes", args: []string{"test", "rules.example.test.yaml"}, golden: "test-example", code: 0},
		{name: "verbose lists every case", args: []string{"test", "-v", "rules.example.test.yaml"}, golden: "test-example-verbose", code: 0},
		{name: "default finds the tests beside the rules file", args: []string{"test"},
			vars: map[string]string{"LEADHOOK_RULES": "rules.example.yaml"}, golden: "test-default", code: 0},
		{name: "-run selects cases", args: []string{"test", "-run", "sweep|spam", "rules.example.test.yaml"}, golden: "test-run", code: 0},
		{name: "failures show a diff", args: []string{"test", "cmd/leadhook/testdata/ruletest/failing_test.yaml"}, golden: "test-failing", code: 1},
		{name: "a folder and a broken file", args: []string{"test", "cmd/leadhook/testdata/ruletest"}, golden: "test-folder", code: 1},
		{name: "a folder without tests", args: []string{"test", "cmd/leadhook/testdata/empty"}, golden: "test-no-files", code: 2},
		{name: "rules file with problems", args: []string{"test", "cmd/leadhook/testdata/ruletest/bad-rules.test.yml"}, golden: "test-bad-rules", code: 1},
	})
}
