package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"

	awslambda "github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/leadhook/leadhook/handlers"
	lambdah "github.com/leadhook/leadhook/handlers/lambda"
	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/engine"
)

const lambdaDoc = `Serve AWS Lambda invocations (the default where AWS_LAMBDA_RUNTIME_API is set): HTTP API, REST API,
Function URL, SQS, SNS, SES and EventBridge schedule events. The rules default to rules.yaml in
$LAMBDA_TASK_ROOT. Without Deskera credentials it refuses to start unless LEADHOOK_SANDBOX=1.
With LEADHOOK_SQS_QUEUE_URL, deliveries of queued sources are answered 202 once on that queue
and run by its SQS trigger; without it they are processed at once, as sync ones.
` + tracingDoc

// runLambda is the lambda command, the default inside AWS Lambda (and the
// runtime interface emulator), where AWS_LAMBDA_RUNTIME_API is set. It
// wires the same service as serve and hands one handler for every trigger
// (HTTP API, REST API, Function URL, SQS, SNS, SES, EventBridge schedule)
// to the Lambda runtime; it returns only when it cannot start.
func runLambda(ctx context.Context, env *Env, args []string) int {
	cfg, code := loadConfig("lambda", lambdaDoc, args, lambdaEnv(env))
	if code >= 0 {
		return code
	}
	if env.Getenv("AWS_LAMBDA_RUNTIME_API") == "" {
		fmt.Fprintln(env.Stderr, "leadhook: lambda: AWS_LAMBDA_RUNTIME_API is not set; run inside AWS Lambda or aws-lambda-rie (use serve otherwise)")
		return 2
	}
	// No credentials must not mean a silent sandbox that answers 200 and
	// loses every lead: refuse to start (the init error is in the logs).
	if err := cfg.requireCredentials(); err != nil {
		fmt.Fprintf(env.Stderr, "leadhook: lambda: %v\n", err)
		return 2
	}
	log := handlers.NewLogger(env.Stdout, cfg.LogLevel)
	gogc, from := tuneGC(env)
	log.Debug("garbage collector", "gogc", gogc, "from", from)
	shutdownTracing, err := startTracing(ctx, env, cfg, log)
	if err != nil {
		fmt.Fprintf(env.Stderr, "leadhook: %v\n", err)
		return 2
	}
	defer shutdownTracing()
	if err := useSQSQueue(env, cfg); err != nil {
		fmt.Fprintf(env.Stderr, "leadhook: lambda: %v\n", err)
		return 2
	}
	a, err := newApp(ctx, cfg, log)
	if err != nil {
		fmt.Fprintf(env.Stderr, "leadhook: %v\n", err)
		return 2
	}
	h, err := newLambdaHandler(a, log)
	if err != nil {
		fmt.Fprintf(env.Stderr, "leadhook: %v\n", err)
		return 2
	}
	if a.sandbox != nil {
		log.Warn("SANDBOX MODE (LEADHOOK_SANDBOX=1): contacts go to an in-memory fake Deskera and are lost when the instance stops")
	}
	log.Info("leadhook lambda ready", "version", env.Version, "rules", cfg.Rules,
		"sources", len(a.set.Sources()), "sqs_source", cfg.SQSSource, "ses_source", cfg.SESSource,
		"queued_to", cmp.Or(cfg.SQSQueueURL, "none: queued sources are processed at once"))
	awslambda.StartWithOptions(flushAfter(h.Invoke, cfg.TracerProvider), awslambda.WithContext(ctx))
	return 1 // StartWithOptions exits the process itself on failure
}

// useSQSQueue makes the SQS queue of LEADHOOK_SQS_QUEUE_URL (if set) the
// store of queued deliveries. Region and credentials are the
// ones Lambda gives the function's role in its environment;
// AWS_ENDPOINT_URL_SQS overrides the endpoint, as for the AWS CLI.
func useSQSQueue(env *Env, cfg *Config) error {
	if cfg.SQSQueueURL == "" {
		return nil
	}
	region := cmp.Or(env.Getenv("AWS_REGION"), env.Getenv("AWS_DEFAULT_REGION"))
	if region == "" {
		return errors.New("LEADHOOK_SQS_QUEUE_URL is set but AWS_REGION is not")
	}
	opts := sqs.Options{Region: region, Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(
		env.Getenv("AWS_ACCESS_KEY_ID"), env.Getenv("AWS_SECRET_ACCESS_KEY"), env.Getenv("AWS_SESSION_TOKEN")))}
	if ep := env.Getenv("AWS_ENDPOINT_URL_SQS"); ep != "" {
		opts.BaseEndpoint = aws.String(ep)
	}
	q, err := lambdah.NewSQSQueue(sqs.New(opts), cfg.SQSQueueURL, 0)
	if err != nil {
		return err
	}
	cfg.queue = q
	return nil
}

// lambdaEnv defaults LEADHOOK_RULES to rules.yaml beside the bootstrap
// ($LAMBDA_TASK_ROOT, /var/task), where the deployment package puts it.
func lambdaEnv(env *Env) *Env {
	root := env.Getenv("LAMBDA_TASK_ROOT")
	if root == "" {
		return env
	}
	e := *env
	e.LookupEnv = func(name string) (string, bool) {
		v, ok := env.LookupEnv(name)
		if name == "LEADHOOK_RULES" && !ok {
			return filepath.Join(root, "rules.yaml"), true
		}
		return v, ok
	}
	return &e
}

// newLambdaHandler builds the handler over the app's service; the sweep
// runs the engine over the rules in force.
func newLambdaHandler(a *app, log *slog.Logger) (*lambdah.Handler, error) {
	svc := a.svc
	redeliver, _ := a.cfg.queue.(lambdah.Redeliverer) // the SQS queue backs failed deliveries off
	return lambdah.New(lambdah.Config{
		Redeliver: redeliver,
		Core:      svc,
		SQSSource: a.cfg.SQSSource,
		SESSource: a.cfg.SESSource,
		SourceFormat: func(name string) (string, bool) {
			src, ok := svc.Rules().Source(name)
			return src.Format, ok
		},
		HTTP:   a.router,
		Logger: log,
		Sweep: func(ctx context.Context, dryRun bool) (any, error) {
			res, err := a.engine.Sweep(ctx, svc.Rules(), engine.SweepOptions{DryRun: dryRun})
			if res != nil {
				res.Calls = nil // CallCount stays; the full list could exceed the response limit
				log.Info("sweep", "dry_run", dryRun, "scanned", res.Scanned, "changed", res.Changed, "calls", res.CallCount)
			}
			return res, err
		},
		Reassign: func(ctx context.Context, r lambdah.ReassignRequest) (any, error) {
			return lambdaReassign(ctx, a, log, r)
		},
	})
}

// lambdaReassign runs a scheduled reassign. With LEADHOOK_DATA_DIR set it
// checkpoints there and, as nobody can pass --resume to a schedule, a
// retry of the same reassign resumes from the state a failed attempt left
// (so its summary counts both); without one, a retry skips the contacts
// already moved and counts the rest.
func lambdaReassign(ctx context.Context, a *app, log *slog.Logger, r lambdah.ReassignRequest) (any, error) {
	f := reassignFlags{target: rules.ReassignTarget{FromOwner: r.FromOwner, Pool: r.Pool, ToOwner: r.ToOwner, When: r.When}}
	if err := f.check(); err != nil {
		return nil, err
	}
	opts := engine.SweepOptions{DryRun: r.DryRun}
	state := newJobState(a.cfg.DataDir, "reassign", f.job())
	if !r.DryRun && state.path != "" {
		cp, err := state.load()
		if err != nil && !errors.Is(err, errOtherJob) {
			return nil, err
		}
		opts.Resume, opts.Checkpoint = cp, state.save
	}
	res, err := a.engine.Reassign(ctx, a.svc.Rules(), f.target, opts)
	if res != nil {
		res.Calls = nil // CallCount stays; the full list could exceed the response limit
		log.Info("reassign", "dry_run", r.DryRun, "scanned", res.Scanned, "reassigned", res.Reassigned, "calls", res.CallCount, "resumed", opts.Resume != nil)
	}
	if err == nil && !r.DryRun {
		err = state.done()
	}
	return res, err
}
