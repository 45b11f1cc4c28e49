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
