package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	lambdah "github.com/leadhook/leadhook/handlers/lambda"
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

// sqsSeen is what a SendMessage call to the SQS endpoint carried.
type sqsSeen struct{ target, auth, token string }

// lambdaWithSQS wires the lambda command's handler as runLambda does,
// with vars, and an SQS endpoint that records its calls.
func lambdaWithSQS(t *testing.T, vars map[string]string) (*lambdah.Handler, *[]sqsSeen, error) {
	t.Helper()
	var mu sync.Mutex
	seen := &[]sqsSeen{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		*seen = append(*seen, sqsSeen{r.Header.Get("X-Amz-Target"), r.Header.Get("Authorization"), r.Header.Get("X-Amz-Security-Token")})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = io.WriteString(w, `{"MessageId":"m-1"}`)
	}))
	t.Cleanup(srv.Close)
	vars["LEADHOOK_SANDBOX"] = "1"
	vars["LEADHOOK_RULES"] = "../../handlers/lambda/testdata/rules.yaml"
	vars["AWS_ENDPOINT_URL_SQS"] = srv.URL
	env, _, _ := testEnv(vars)
	cfg, err := parseConfig("lambda", nil, env)
	if err != nil {
		t.Fatal(err)
	}
	if err := useSQSQueue(env, cfg); err != nil {
		return nil, seen, err
	}
	log := slog.New(slog.DiscardHandler)
	a, err := newApp(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.close)
	h, err := newLambdaHandler(a, log)
	if err != nil {
		t.Fatal(err)
	}
	return h, seen, nil
}

// TestLambdaQueuedSourcesGoToSQS: with LEADHOOK_SQS_QUEUE_URL a queued
// source's delivery is sent to SQS with the function's credentials from
// its environment and answered 202; without it, it is processed at once.
func TestLambdaQueuedSourcesGoToSQS(t *testing.T) {
	form := events.APIGatewayV2HTTPRequest{Version: "2.0", RawPath: "/hooks/contact-form", Body: "email=ada%40analytical.example&name=Ada",
		Headers:        map[string]string{"content-type": "application/x-www-form-urlencoded"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{DomainName: "api.example", HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", SourceIP: "192.0.2.1"}}}
	payload, _ := json.Marshal(form)
	tests := []struct {
		name       string
		vars       map[string]string
		wantStatus int
		wantCalls  int
	}{
		{name: "queue url set", wantStatus: http.StatusAccepted, wantCalls: 1, vars: map[string]string{
			"LEADHOOK_SQS_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/leads", "AWS_REGION": "eu-west-1",
			"AWS_ACCESS_KEY_ID": "AKIDLAMBDA", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "session-token"}},
		{name: "no queue url", wantStatus: http.StatusOK, wantCalls: 0, vars: map[string]string{"AWS_REGION": "eu-west-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, seen, err := lambdaWithSQS(t, tt.vars)
			if err != nil {
				t.Fatal(err)
			}
			out, err := h.Invoke(context.Background(), payload)
			if err != nil {
				t.Fatal(err)
			}
			var resp events.APIGatewayV2HTTPResponse
			if err := json.Unmarshal(out.(json.RawMessage), &resp); err != nil || resp.StatusCode != tt.wantStatus {
				t.Fatalf("answer %+v (%v), want %d", resp, err, tt.wantStatus)
			}
			if len(*seen) != tt.wantCalls {
				t.Fatalf("%d SQS calls, want %d", len(*seen), tt.wantCalls)
			}
			for _, s := range *seen {
				if s.target != "AmazonSQS.SendMessage" || !strings.Contains(s.auth, "Credential=AKIDLAMBDA/") || s.token != "session-token" {
					t.Errorf("SQS call %+v, want SendMessage signed with the environment's credentials", s)
				}
			}
		})
	}
}

func TestLambdaSQSQueueNeedsRegion(t *testing.T) {
	_, _, err := lambdaWithSQS(t, map[string]string{"LEADHOOK_SQS_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/1/leads"})
	if err == nil || !strings.Contains(err.Error(), "AWS_REGION") {
		t.Fatalf("err = %v, want it to name AWS_REGION", err)
	}
}
