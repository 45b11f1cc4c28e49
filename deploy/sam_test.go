package deploy

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// samTemplate is template.yaml with what the checks look up.
type samTemplate struct {
	root      *yaml.Node
	params    *yaml.Node
	resources *yaml.Node
	globals   *yaml.Node // Globals.Function
}

// resourcesOfType returns the logical ids of resources of a type.
func (s *samTemplate) resourcesOfType(typ string) []string {
	var out []string
	for _, r := range pairs(s.resources) {
		if str(get(r.value, "Type")) == typ {
			out = append(out, r.key)
		}
	}
	return out
}

// prop returns a function property, Globals.Function's when the function
// does not set it (SAM merges Globals; maps merge key by key).
func (s *samTemplate) prop(fn string, keys ...string) *yaml.Node {
	if v := get(s.resources, append([]string{fn, "Properties"}, keys...)...); v != nil {
		return v
	}
	return get(s.globals, keys...)
}

// number resolves a number: a literal, or a !Ref to a parameter's default
// (and, with useMax, its MaxValue when it has one).
func (s *samTemplate) number(n *yaml.Node, useMax bool) (int, bool) {
	if isTag(n, "!Ref") {
		p := get(s.params, n.Value)
		if m := str(get(p, "MaxValue")); useMax && m != "" {
			n = get(p, "MaxValue")
		} else {
			n = get(p, "Default")
		}
	}
	v, err := strconv.Atoi(str(n))
	return v, err == nil
}

// envVars returns a function's environment, Globals' merged under its own.
func (s *samTemplate) envVars(fn string) []pair {
	vars := pairs(get(s.globals, "Environment", "Variables"))
	for _, p := range pairs(get(s.resources, fn, "Properties", "Environment", "Variables")) {
		vars = slices.DeleteFunc(vars, func(q pair) bool { return q.key == p.key })
		vars = append(vars, p)
	}
	return vars
}

// samContext is what template.yaml is checked against.
type samContext struct {
	bin         binary
	rulesVars   map[string]bool // ${VAR}s of the rules file the function bundles
	makeTargets func(target string) (string, error)
}

func checkTemplate(src string, sc samContext) problems {
	var p problems
	root, err := parseYAML(src)
	if err != nil {
		p.addf("parse template: %v", err)
		return p
	}
	s := &samTemplate{root: root, params: get(root, "Parameters"), resources: get(root, "Resources"), globals: get(root, "Globals", "Function")}
	if str(get(root, "Transform")) != "AWS::Serverless-2016-10-31" {
		p.addf("Transform is not AWS::Serverless-2016-10-31")
	}
	fns := s.resourcesOfType("AWS::Serverless::Function")
	if len(fns) == 0 {
		p.addf("no AWS::Serverless::Function")
	}
	for _, fn := range fns {
		checkFunction(&p, s, fn, sc)
	}
	checkEvents(&p, s, fns)
	checkParameters(&p, s)
	checkPolicies(&p, s)
	checkReferences(&p, s)
	checkOutputs(&p, s)
	checkRetain(&p, s)
	return p
}

// checkRetain: the queues (unprocessed leads) and the log groups survive a
// stack deletion or replacement (cfn-lint informational I3011).
func checkRetain(p *problems, s *samTemplate) {
	var kept []string
	for _, typ := range []string{"AWS::SQS::Queue", "AWS::Logs::LogGroup"} {
		kept = append(kept, s.resourcesOfType(typ)...)
	}
	if len(kept) == 0 {
		p.addf("no queue or log group to retain")
	}
	for _, r := range kept {
		for _, policy := range []string{"DeletionPolicy", "UpdateReplacePolicy"} {
			if v := str(get(s.resources, r, policy)); v != "Retain" {
				p.addf("%s: %s %q, want Retain (deleting the stack would drop what it holds)", r, policy, v)
			}
		}
	}
}

func checkFunction(p *problems, s *samTemplate, fn string, sc samContext) {
	if v := str(s.prop(fn, "Runtime")); v != "provided.al2023" {
		p.addf("%s: Runtime %q, want provided.al2023", fn, v)
	}
	arch := strs(s.prop(fn, "Architectures"))
	if !slices.Equal(arch, []string{"arm64"}) {
		p.addf("%s: Architectures %v, want [arm64]", fn, arch)
	}
	if v := str(s.prop(fn, "Handler")); v != "bootstrap" {
		p.addf("%s: Handler %q, want bootstrap", fn, v)
	}
	if t, ok := s.number(s.prop(fn, "Timeout"), true); !ok || t < 1 || t > 900 {
		p.addf("%s: Timeout missing or outside 1..900 s", fn)
	}
	if m, ok := s.number(s.prop(fn, "MemorySize"), false); !ok || m < 128 {
		p.addf("%s: MemorySize missing or below 128 MB", fn)
	}
	checkLogGroup(p, s, fn)
	checkEnv(p, s, fn, sc)
	switch method := str(get(s.resources, fn, "Metadata", "BuildMethod")); method {
	case "go1.x":
	case "makefile":
		checkMakeTarget(p, fn, arch, sc)
	default:
		p.addf("%s: Metadata BuildMethod %q, want go1.x or makefile", fn, method)
	}
}

// checkMakeTarget checks the Makefile target `sam build` runs for a
// function (BuildMethod: makefile): build-<LogicalId>, writing a static,
// stripped bootstrap for the function's architecture and the rules file
// LEADHOOK_RULES names.
func checkMakeTarget(p *problems, fn string, arch []string, sc samContext) {
	out, err := sc.makeTargets("build-" + fn)
	if err != nil {
		p.addf("%s: BuildMethod makefile but make build-%s fails: %v", fn, fn, err)
		return
	}
	var build string
	for line := range strings.Lines(out) {
		if strings.Contains(line, "go build") {
			build = line
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "GOOS=linux", "-trimpath", "-s -w", "-X main.version=", "-o " + samArtifactsDir + "/bootstrap"} {
		if !strings.Contains(build, want) {
			p.addf("make build-%s: go build lacks %s: %q", fn, want, build)
		}
	}
	if len(arch) == 1 && !strings.Contains(build, "GOARCH="+arch[0]) {
		p.addf("make build-%s does not build for %s (Architectures): %q", fn, arch[0], build)
	}
	for _, tag := range strings.Split(lambdaTags, ",") {
		if !hasTag(build, tag) {
			p.addf("make build-%s: go build lacks -tags %s", fn, tag)
		}
	}
	if !strings.Contains(out, samArtifactsDir+"/rules.yaml") {
		p.addf("make build-%s does not bundle rules.yaml", fn)
	}
}

func checkLogGroup(p *problems, s *samTemplate, fn string) {
	lg := s.prop(fn, "LoggingConfig", "LogGroup")
	if !isTag(lg, "!Ref") {
		p.addf("%s: LoggingConfig.LogGroup is not a !Ref to a log group with retention", fn)
		return
	}
	g := get(s.resources, lg.Value)
	if str(get(g, "Type")) != "AWS::Logs::LogGroup" || get(g, "Properties", "RetentionInDays") == nil {
		p.addf("%s: log group %s has no RetentionInDays", fn, lg.Value)
	}
}

var resolveRe = regexp.MustCompile(`^\{\{resolve:secretsmanager:\$\{[A-Za-z0-9]+\}:SecretString:([A-Za-z0-9_]+)\}\}$`)

// checkEnv checks a function's variables: each one the binary or the
// bundled rules file reads, credentials only from Secrets Manager, every
// secret the rules file reads set, and the rules path the Makefile
// bundles.
func checkEnv(p *problems, s *samTemplate, fn string, sc samContext) {
	vars := s.envVars(fn)
	names := make([]string, 0, len(vars))
	for _, v := range vars {
		names = append(names, v.key)
		text, _ := subText(v.value)
		m := resolveRe.FindStringSubmatch(text)
		switch {
		case m == nil && secretVar(v.key):
			p.addf("%s: %s is not a Secrets Manager dynamic reference ({{resolve:secretsmanager:...}})", fn, v.key)
		case m != nil && m[1] != v.key:
			p.addf("%s: %s resolves secret key %q; keys are named after their variable", fn, v.key, m[1])
		}
	}
	for _, v := range unknownVars(names, sc.bin, sc.rulesVars) {
		p.addf("%s: environment variable %s is not one leadhook reads (leadhook --help) nor the bundled rules file", fn, v)
	}
	for v := range sc.rulesVars {
		if secretVar(v) && !slices.Contains(names, v) {
			p.addf("%s: the bundled rules file reads secret ${%s} but the function does not set it (it would run on the dev default)", fn, v)
		}
	}
	rules := ""
	for _, v := range vars {
		if v.key == "LEADHOOK_RULES" {
			rules = str(v.value)
		}
	}
	if rules != "/var/task/rules.yaml" {
		p.addf("%s: LEADHOOK_RULES %q, want /var/task/rules.yaml (bundled by the build)", fn, rules)
	}
}

// checkEvents checks the triggers: the webhook route, the queue with its
// dead-letter queue and partial batch failures, and the sweep schedule.
func checkEvents(p *problems, s *samTemplate, fns []string) {
	var route, queue, schedule bool
	maxTimeout := 0
	for _, fn := range fns {
		t, _ := s.number(s.prop(fn, "Timeout"), true)
		for _, ev := range pairs(get(s.resources, fn, "Properties", "Events")) {
			props := get(ev.value, "Properties")
			switch str(get(ev.value, "Type")) {
			case "HttpApi":
				route = route || strings.EqualFold(str(get(props, "Method")), "POST") && str(get(props, "Path")) == "/hooks/{source}"
			case "SQS":
				queue = true
				maxTimeout = max(maxTimeout, t)
				checkQueueEvent(p, s, fn, props)
			case "Schedule", "ScheduleV2":
				schedule = schedule || get(props, "Schedule") != nil || get(props, "ScheduleExpression") != nil
			}
		}
	}
	if !route {
		p.addf("no HttpApi event for POST /hooks/{source}")
	}
	if !queue {
		p.addf("no SQS event")
	}
	if !schedule {
		p.addf("no schedule (EventBridge) event for the sweep")
	}
	checkQueues(p, s, maxTimeout)
	checkSES(p, s)
}

func checkQueueEvent(p *problems, s *samTemplate, fn string, props *yaml.Node) {
	if !slices.Contains(strs(get(props, "FunctionResponseTypes")), "ReportBatchItemFailures") {
		p.addf("%s: SQS event without FunctionResponseTypes [ReportBatchItemFailures]", fn)
	}
	q, attr, ok := getAttTarget(get(props, "Queue"))
	if !ok || attr != "Arn" || str(get(s.resources, q, "Type")) != "AWS::SQS::Queue" {
		p.addf("%s: SQS event Queue is not !GetAtt <queue>.Arn of a queue in the template", fn)
		return
	}
	checkQueuedTo(p, s, fn, q)
}

// checkQueuedTo: the function consuming a queue puts the deliveries of
// queued sources on it (LEADHOOK_SQS_QUEUE_URL: !Ref the queue, else
// they are processed at once) and its role may send to it.
func checkQueuedTo(p *problems, s *samTemplate, fn, queue string) {
	var url *yaml.Node
	for _, v := range s.envVars(fn) {
		if v.key == "LEADHOOK_SQS_QUEUE_URL" {
			url = v.value
		}
	}
	if !isTag(url, "!Ref") || url.Value != queue {
		p.addf("%s: LEADHOOK_SQS_QUEUE_URL is not !Ref %s, the queue its trigger consumes", fn, queue)
	}
	role, _, _ := getAttTarget(s.prop(fn, "Role"))
	send := false
	walk(get(s.resources, role, "Properties", "Policies"), role, func(n *yaml.Node, _ string) {
		if n.Kind == yaml.MappingNode && slices.Contains(strs(get(n, "Action")), "sqs:SendMessage") {
			r, _, _ := getAttTarget(get(n, "Resource"))
			send = send || r == queue
		}
	})
	if !send {
		p.addf("%s: role %q does not allow sqs:SendMessage on %s", fn, role, queue)
	}
}

// checkQueues checks every queue a function consumes: a redrive policy to
// another queue of the template, and a visibility timeout of at least six
// times the longest consumer timeout (AWS's guidance).
func checkQueues(p *problems, s *samTemplate, maxTimeout int) {
	dlqs := map[string]bool{}
	for _, q := range s.resourcesOfType("AWS::SQS::Queue") {
		if d, _, ok := getAttTarget(get(s.resources, q, "Properties", "RedrivePolicy", "deadLetterTargetArn")); ok {
			dlqs[d] = true
		}
	}
	for _, q := range s.resourcesOfType("AWS::SQS::Queue") {
		if dlqs[q] {
			continue
		}
		props := get(s.resources, q, "Properties")
		dlq, _, ok := getAttTarget(get(props, "RedrivePolicy", "deadLetterTargetArn"))
		if !ok || str(get(s.resources, dlq, "Type")) != "AWS::SQS::Queue" {
			p.addf("queue %s has no RedrivePolicy to a dead-letter queue", q)
		}
		if n, _ := strconv.Atoi(str(get(props, "RedrivePolicy", "maxReceiveCount"))); n < 1 {
			p.addf("queue %s: RedrivePolicy maxReceiveCount missing", q)
		}
		if v, _ := strconv.Atoi(str(get(props, "VisibilityTimeout"))); v < 6*maxTimeout {
			p.addf("queue %s: VisibilityTimeout %d < 6 x the consumer's largest Timeout (%d)", q, v, maxTimeout)
		}
	}
	if len(dlqs) == 0 {
		p.addf("no dead-letter queue")
	}
}

// checkSES checks the optional SES receipt permission: conditional, and
// scoped to this account.
func checkSES(p *problems, s *samTemplate) {
	for _, id := range s.resourcesOfType("AWS::Lambda::Permission") {
		r := get(s.resources, id)
		if str(get(r, "Properties", "Principal")) != "ses.amazonaws.com" {
			continue
		}
		if str(get(r, "Condition")) == "" {
			p.addf("SES permission %s is not optional (no Condition)", id)
		}
		if !isTag(get(r, "Properties", "SourceAccount"), "!Ref") {
			p.addf("SES permission %s is not limited to this account (SourceAccount: !Ref AWS::AccountId)", id)
		}
		return
	}
	p.addf("no SES receipt permission (AWS::Lambda::Permission for ses.amazonaws.com)")
}

// checkParameters: every parameter documented, none holding a secret.
func checkParameters(p *problems, s *samTemplate) {
	for _, prm := range pairs(s.params) {
		if str(get(prm.value, "Description")) == "" {
			p.addf("parameter %s has no Description", prm.key)
		}
		upper := strings.ToUpper(prm.key)
		ref := strings.HasSuffix(upper, "ID") || strings.HasSuffix(upper, "ARN") || strings.HasSuffix(upper, "NAME")
		if str(get(prm.value, "NoEcho")) == "true" || secretVar(upper) && !ref || strings.Contains(upper, "KEY") && !ref {
			p.addf("parameter %s passes a secret as a plain parameter; resolve it from Secrets Manager", prm.key)
		}
	}
}

// checkPolicies: least privilege in every role and function policy: no
// admin or *FullAccess managed policies, no "*" actions or resources.
func checkPolicies(p *problems, s *samTemplate) {
	for _, r := range pairs(s.resources) {
		props := get(r.value, "Properties")
		for _, arn := range strs(get(props, "ManagedPolicyArns")) {
			if strings.Contains(arn, "FullAccess") || strings.Contains(arn, "AdministratorAccess") {
				p.addf("%s: managed policy %s is not least privilege", r.key, arn)
			}
		}
		walk(props, r.key, func(n *yaml.Node, path string) {
			if n.Kind != yaml.MappingNode || get(n, "Effect") == nil || str(get(n, "Effect")) != "Allow" {
				return
			}
			if strings.Contains(path, "AssumeRolePolicyDocument") {
				return
			}
			for _, a := range strs(get(n, "Action")) {
				if a == "*" || strings.HasSuffix(a, ":*") {
					p.addf("%s: action %q is a wildcard", path, a)
				}
			}
			res := get(n, "Resource")
			if res == nil || slices.Contains(strs(res), "*") {
				p.addf("%s: Resource \"*\" (or none): scope it to the template's resources", path)
			}
		})
	}
}

var subVarRe = regexp.MustCompile(`\$\{([^}!]+)\}`)

// checkReferences: every !Ref, !GetAtt, !Sub variable, !If and Condition
// names something the template defines.
func checkReferences(p *problems, s *samTemplate) {
	defined := func(name string) bool {
		return get(s.params, name) != nil || get(s.resources, name) != nil || strings.HasPrefix(name, "AWS::")
	}
	conds := get(s.root, "Conditions")
	walk(s.root, "", func(n *yaml.Node, path string) {
		switch {
		case isTag(n, "!Ref") && !defined(n.Value):
			p.addf("%s: !Ref %s names nothing in the template", path, n.Value)
		case isTag(n, "!GetAtt"):
			if r, _, ok := getAttTarget(n); !ok || get(s.resources, r) == nil {
				p.addf("%s: !GetAtt %s names no resource", path, n.Value)
			}
		case isTag(n, "!If") && (len(n.Content) != 3 || get(conds, n.Content[0].Value) == nil):
			p.addf("%s: !If names no condition", path)
		}
		if text, ok := subText(n); ok {
			for _, m := range subVarRe.FindAllStringSubmatch(text, -1) {
				name, _, _ := strings.Cut(m[1], ".")
				if !defined(name) {
					p.addf("%s: !Sub ${%s} names nothing in the template", path, m[1])
				}
			}
		}
	})
	for _, r := range pairs(s.resources) {
		if c := str(get(r.value, "Condition")); c != "" && get(conds, c) == nil {
			p.addf("%s: Condition %s is not defined", r.key, c)
		}
	}
}

func checkOutputs(p *problems, s *samTemplate) {
	for _, o := range pairs(get(s.root, "Outputs")) {
		if text, ok := subText(get(o.value, "Value")); ok && strings.HasPrefix(text, "https://") && strings.Contains(text, "execute-api") {
			return
		}
	}
	p.addf("Outputs has no endpoint URL (!Sub https://${HttpApi}.execute-api...)")
}

// samArtifactsDir stands for the ARTIFACTS_DIR `sam build` passes.
const samArtifactsDir = "/sam-artifacts"

// makeDryRun prints the commands of a Makefile target (make -n).
func makeDryRun(mf string) func(target string) (string, error) {
	return func(target string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "make", "-s", "-n", "-f", mf, target, "ARTIFACTS_DIR="+samArtifactsDir, "VERSION="+testVersion)
		cmd.Dir = repoRoot
		cmd.Env = makeEnv()
		out, err := cmd.CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("%w: %s", err, bytes.TrimSpace(out))
		}
		return string(out), nil
	}
}

// makeEnv is the environment for a nested make: without the outer make's
// jobserver flags (make test runs these tests).
func makeEnv() []string {
	return slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "MAKEFLAGS=") || strings.HasPrefix(kv, "MFLAGS=") || strings.HasPrefix(kv, "MAKELEVEL=")
	})
}

func TestSAMTemplate(t *testing.T) {
	src := readRepoFile(t, "template.yaml")
	absMakefile, err := filepath.Abs(filepath.Join(repoRoot, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	sc := samContext{
		bin:         built.lambda,
		rulesVars:   rulesFileVars(t, filepath.Join(repoRoot, "rules.example.yaml")),
		makeTargets: makeDryRun(absMakefile),
	}
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{name: "shipped template", src: src},
		{name: "old runtime", src: mutate(t, src, "Runtime: provided.al2023", "Runtime: go1.x"), want: []string{"Runtime \"go1.x\""}},
		{name: "x86", src: mutate(t, src, "Architectures: [arm64]", "Architectures: [x86_64]"), want: []string{"Architectures [x86_64]", "does not build for x86_64"}},
		{name: "handler", src: mutate(t, src, "Handler: bootstrap", "Handler: main"), want: []string{"Handler \"main\""}},
		{name: "no build method", src: mutate(t, src, "      BuildMethod: makefile\n    Properties:\n      Description: leadhook webhooks", "      Other: x\n    Properties:\n      Description: leadhook webhooks"), want: []string{"BuildMethod \"\""}},
		{name: "renamed function has no make target", src: strings.ReplaceAll(src, "LeadhookSweepFunction:", "SweeperFunction:"), want: []string{"make build-SweeperFunction fails"}},
		{name: "route renamed", src: mutate(t, src, "Path: /hooks/{source}", "Path: /leads/{source}"), want: []string{"POST /hooks/{source}"}},
		{name: "no partial batch failures", src: mutate(t, src, "FunctionResponseTypes: [ReportBatchItemFailures]", "FunctionResponseTypes: []"), want: []string{"ReportBatchItemFailures"}},
		{name: "no dead-letter queue", src: mutate(t, src, "      RedrivePolicy:\n        deadLetterTargetArn: !GetAtt LeadDeadLetterQueue.Arn\n        maxReceiveCount: 5\n", ""), want: []string{"no RedrivePolicy", "no dead-letter queue"}},
		{name: "queued deliveries not sent to the queue", src: mutate(t, src, "LEADHOOK_SQS_QUEUE_URL: !Ref LeadQueue", "LEADHOOK_SQS_QUEUE_URL: \"\""), want: []string{"LEADHOOK_SQS_QUEUE_URL is not !Ref LeadQueue"}},
		{name: "no send permission", src: mutate(t, src, "Action: [sqs:SendMessage, ", "Action: ["), want: []string{"does not allow sqs:SendMessage on LeadQueue"}},
		{name: "short visibility timeout", src: mutate(t, src, "VisibilityTimeout: 180", "VisibilityTimeout: 30"), want: []string{"VisibilityTimeout 30"}},
		{name: "no schedule", src: mutate(t, src, "Type: Schedule\n", "Type: Api\n"), want: []string{"no schedule"}},
		{name: "plain secret", src: mutate(t, src, `DESKERA_CLIENT_SECRET: !Sub "{{resolve:secretsmanager:${CredentialsSecretId}:SecretString:DESKERA_CLIENT_SECRET}}"`, "DESKERA_CLIENT_SECRET: !Ref DeskeraClientSecret"), want: []string{"DESKERA_CLIENT_SECRET is not a Secrets Manager", "!Ref DeskeraClientSecret names nothing"}},
		{name: "secret parameter", src: mutate(t, src, "Parameters:\n", "Parameters:\n  DeskeraClientSecret:\n    Type: String\n    NoEcho: true\n    Description: the secret\n"), want: []string{"parameter DeskeraClientSecret passes a secret"}},
		{name: "wrong secret key", src: mutate(t, src, "SecretString:DESKERA_CLIENT_ID}}", "SecretString:client_id}}"), want: []string{"resolves secret key \"client_id\""}},
		{name: "unknown variable", src: mutate(t, src, "LEADHOOK_LOG_LEVEL: !Ref LogLevel", "LEADHOOK_LOGLEVEL: !Ref LogLevel"), want: []string{"LEADHOOK_LOGLEVEL is not one leadhook reads"}},
		{name: "rules secret missing", src: mutate(t, src, `        WEBSITE_SECRET: !Sub "{{resolve:secretsmanager:${CredentialsSecretId}:SecretString:WEBSITE_SECRET}}"`+"\n", ""), want: []string{"reads secret ${WEBSITE_SECRET}"}},
		{name: "rules path", src: mutate(t, src, "LEADHOOK_RULES: /var/task/rules.yaml", "LEADHOOK_RULES: rules.example.yaml"), want: []string{"LEADHOOK_RULES \"rules.example.yaml\""}},
		{name: "wildcard resource", src: mutate(t, src, "Resource: !GetAtt LeadQueue.Arn", `Resource: "*"`), want: []string{"Resource \"*\""}},
		{name: "wildcard action", src: mutate(t, src, "Action: [logs:CreateLogStream, logs:PutLogEvents]", "Action: [logs:*]"), want: []string{"action \"logs:*\""}},
		{name: "admin policy", src: mutate(t, src, "      Policies:\n        - PolicyName: logs", "      ManagedPolicyArns: [arn:aws:iam::aws:policy/AdministratorAccess]\n      Policies:\n        - PolicyName: logs"), want: []string{"AdministratorAccess is not least privilege"}},
		{name: "no retention", src: mutate(t, src, "      LogGroupName: !Sub /aws/lambda/${AWS::StackName}-leadhook\n      RetentionInDays: !Ref LogRetentionDays\n", "      LogGroupName: !Sub /aws/lambda/${AWS::StackName}-leadhook\n"), want: []string{"has no RetentionInDays"}},
		{name: "queue deleted with the stack", src: mutate(t, src, "  LeadQueue:\n    Type: AWS::SQS::Queue\n    # Retain: deleting or replacing the stack must not drop unprocessed leads\n    # (or the logs that explain them); remove it by hand once drained.\n    DeletionPolicy: Retain\n", "  LeadQueue:\n    Type: AWS::SQS::Queue\n"), want: []string{"LeadQueue: DeletionPolicy \"\", want Retain"}},
		{name: "dead-letter queue replaced", src: mutate(t, src, "  LeadDeadLetterQueue:\n    Type: AWS::SQS::Queue\n    DeletionPolicy: Retain\n    UpdateReplacePolicy: Retain\n", "  LeadDeadLetterQueue:\n    Type: AWS::SQS::Queue\n    DeletionPolicy: Retain\n    UpdateReplacePolicy: Delete\n"), want: []string{"LeadDeadLetterQueue: UpdateReplacePolicy \"Delete\", want Retain"}},
		{name: "log group deleted", src: mutate(t, src, "  ApiAccessLogGroup:\n    Type: AWS::Logs::LogGroup\n    DeletionPolicy: Retain\n", "  ApiAccessLogGroup:\n    Type: AWS::Logs::LogGroup\n    DeletionPolicy: Delete\n"), want: []string{"ApiAccessLogGroup: DeletionPolicy \"Delete\", want Retain"}},
		{name: "ses always on", src: mutate(t, src, "    Condition: SesEnabled\n", ""), want: []string{"not optional"}},
		{name: "dangling getatt", src: mutate(t, src, "Queue: !GetAtt LeadQueue.Arn", "Queue: !GetAtt LeadsQueue.Arn"), want: []string{"!GetAtt LeadsQueue.Arn names no resource"}},
		{name: "dangling sub", src: mutate(t, src, "https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/\"", "https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}/\""), want: []string{"${Api} names nothing"}},
		{name: "undocumented parameter", src: mutate(t, src, "    Description: HTTP API burst.\n", ""), want: []string{"parameter ApiThrottleBurst has no Description"}},
		{name: "no url output", src: strings.ReplaceAll(src, "execute-api", "example"), want: []string{"no endpoint URL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assertProblems(t, checkTemplate(tt.src, sc), tt.want)
		})
	}
}

// TestSAMBuildHookNeedsArtifactsDir: the sam build hooks run by hand
// without ARTIFACTS_DIR refuse with a message instead of writing
// /bootstrap into the filesystem root (make -n: nothing is built).
func TestSAMBuildHookNeedsArtifactsDir(t *testing.T) {
	tests := []struct {
		name, target string
		vars         []string
		ok           bool
		want         string
	}{
		{name: "function without ARTIFACTS_DIR", target: "build-LeadhookFunction", want: "ARTIFACTS_DIR is not set"},
		{name: "sweep function without ARTIFACTS_DIR", target: "build-LeadhookSweepFunction", want: "ARTIFACTS_DIR is not set"},
		{name: "empty ARTIFACTS_DIR", target: "build-LeadhookFunction", vars: []string{"ARTIFACTS_DIR="}, want: "ARTIFACTS_DIR is not set"},
		{name: "with ARTIFACTS_DIR", target: "build-LeadhookFunction", vars: []string{"ARTIFACTS_DIR=" + samArtifactsDir}, ok: true, want: "-o " + samArtifactsDir + "/bootstrap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, "make", append([]string{"-s", "-n", tt.target}, tt.vars...)...)
			cmd.Dir = repoRoot
			cmd.Env = slices.DeleteFunc(makeEnv(), func(kv string) bool { return strings.HasPrefix(kv, "ARTIFACTS_DIR=") })
			out, err := cmd.CombinedOutput()
			if (err == nil) != tt.ok {
				t.Fatalf("make %s: err %v, want ok %v\n%s", tt.target, err, tt.ok, out)
			}
			if !strings.Contains(string(out), tt.want) {
				t.Errorf("make %s output lacks %q:\n%s", tt.target, tt.want, out)
			}
			if !tt.ok && strings.Contains(string(out), "go build") {
				t.Errorf("make %s would still build:\n%s", tt.target, out)
			}
		})
	}
}
