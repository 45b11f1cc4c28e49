package main

import (
	"context"
	"strings"
	"testing"
)

func TestLambdaCommandOutsideLambda(t *testing.T) {
	env, _, errw := testEnv(map[string]string{"LEADHOOK_RULES": "../../rules.example.yaml"})
	if code := run(context.Background(), []string{"lambda"}, env); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	if !strings.Contains(errw.String(), "AWS_LAMBDA_RUNTIME_API is not set") {
		t.Errorf("stderr = %q, want it to name AWS_LAMBDA_RUNTIME_API", errw.String())
	}
}

func TestLambdaIsTheDefaultInsideLambda(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		want string
	}{
		{name: "inside lambda", vars: map[string]string{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001"}, want: "lambda"},
		{name: "elsewhere", vars: nil, want: "serve"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, _, _ := testEnv(tt.vars)
			if got := defaultCommand(commands(), env); got != tt.want {
				t.Fatalf("defaultCommand = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLambdaEnvDefaultsRulesToTaskRoot(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		want string
		set  bool
	}{
		{name: "bundled rules.yaml", vars: map[string]string{"LAMBDA_TASK_ROOT": "/var/task"}, want: "/var/task/rules.yaml", set: true},
		{name: "explicit rules win", vars: map[string]string{"LAMBDA_TASK_ROOT": "/var/task", "LEADHOOK_RULES": "/opt/r.yaml"}, want: "/opt/r.yaml", set: true},
		{name: "not in lambda", vars: map[string]string{}, want: "", set: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, _, _ := testEnv(tt.vars)
			got, ok := lambdaEnv(env).LookupEnv("LEADHOOK_RULES")
			if got != tt.want || ok != tt.set {
				t.Fatalf("LEADHOOK_RULES = %q, %v; want %q, %v", got, ok, tt.want, tt.set)
			}
		})
	}
}

// TestLambdaFailsClosedWithoutCredentials: inside Lambda, no Deskera
// credentials is a start-up error (not a sandbox answering 200 and losing
// every lead) unless LEADHOOK_SANDBOX=1 asks for the sandbox.
func TestLambdaFailsClosedWithoutCredentials(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		want string
	}{
		{name: "no credentials", vars: map[string]string{}, want: "no Deskera credentials: set DESKERA_ACCESS_TOKEN"},
		{name: "sandbox off", vars: map[string]string{"LEADHOOK_SANDBOX": "0"}, want: "or LEADHOOK_SANDBOX=1 to run on the in-memory sandbox"},
		{name: "bad sandbox value", vars: map[string]string{"LEADHOOK_SANDBOX": "yes please"}, want: `--sandbox/LEADHOOK_SANDBOX "yes please": want 1 or 0`},
		{name: "sandbox and credentials", vars: map[string]string{"LEADHOOK_SANDBOX": "1", "DESKERA_ACCESS_TOKEN": "tok"}, want: "set together with Deskera credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.vars["AWS_LAMBDA_RUNTIME_API"] = "127.0.0.1:1"
			tt.vars["LEADHOOK_RULES"] = "../../rules.example.yaml"
			env, out, errw := testEnv(tt.vars)
			if code := run(context.Background(), []string{"lambda"}, env); code != 2 {
				t.Fatalf("exit %d, want 2; stderr %q", code, errw.String())
			}
			if !strings.Contains(errw.String(), tt.want) {
				t.Errorf("stderr = %q, want it to contain %q", errw.String(), tt.want)
			}
			if strings.Contains(out.String(), "lambda ready") {
				t.Errorf("the handler started: %s", out)
			}
		})
	}
}

// TestLambdaExplicitSandboxStarts: with LEADHOOK_SANDBOX=1 the bootstrap
// wires the sandbox (and says so) instead of refusing.
func TestLambdaExplicitSandboxStarts(t *testing.T) {
	env, _, _ := testEnv(map[string]string{"LEADHOOK_SANDBOX": "1", "LEADHOOK_RULES": "../../rules.example.yaml"})
	cfg, err := parseConfig("lambda", nil, env)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.requireCredentials(); err != nil {
		t.Fatalf("explicit sandbox refused: %v", err)
	}
	env, _, _ = testEnv(map[string]string{"LEADHOOK_RULES": "../../rules.example.yaml"})
	cfg, err = parseConfig("lambda", []string{"--sandbox"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.SandboxRequested || cfg.requireCredentials() != nil {
		t.Fatalf("bare --sandbox not taken as true: %+v", cfg)
	}
}
