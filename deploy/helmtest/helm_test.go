package helmtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/leadhook/leadhook/deploy/deploytest"
)

const (
	chartDir = "../helm/leadhook"
	k8sDir   = "../kubernetes"
	// The release the chart is compared under: its names are then the
	// kustomize ones.
	release   = "leadhook"
	namespace = "leadhook"
)

// helmLabels are the labels the chart adds for Helm (releases side by
// side, `helm list`); the comparison with kustomize ignores them.
var helmLabels = []string{"app.kubernetes.io/instance", "app.kubernetes.io/managed-by", "helm.sh/chart"}

// object is one rendered object, strictly decoded into its k8s.io/api
// type and back to JSON (defaults and field order normalised).
type object struct {
	kind, name string
	json       map[string]any
}

// kinds are the objects either rendering may contain.
var kinds = map[string]func() any{
	"apps/v1/Deployment":                      func() any { return new(appsv1.Deployment) },
	"apps/v1/StatefulSet":                     func() any { return new(appsv1.StatefulSet) },
	"v1/Service":                              func() any { return new(corev1.Service) },
	"v1/ConfigMap":                            func() any { return new(corev1.ConfigMap) },
	"v1/ServiceAccount":                       func() any { return new(corev1.ServiceAccount) },
	"v1/PersistentVolumeClaim":                func() any { return new(corev1.PersistentVolumeClaim) },
	"v1/Namespace":                            func() any { return new(corev1.Namespace) },
	"batch/v1/CronJob":                        func() any { return new(batchv1.CronJob) },
	"autoscaling/v2/HorizontalPodAutoscaler":  func() any { return new(autoscalingv2.HorizontalPodAutoscaler) },
	"policy/v1/PodDisruptionBudget":           func() any { return new(policyv1.PodDisruptionBudget) },
	"networking.k8s.io/v1/NetworkPolicy":      func() any { return new(networkingv1.NetworkPolicy) },
	"monitoring.coreos.com/v1/ServiceMonitor": func() any { return new(map[string]any) },
}

// decodeStrict is deploytest.DecodeStrict.
var decodeStrict = deploytest.DecodeStrict

// decodeObjects strictly decodes a multi-document YAML stream.
func decodeObjects(what string, stream string) ([]object, error) {
	var out []object
	for _, doc := range strings.Split("\n"+stream, "\n---") {
		if strings.TrimSpace(doc) == "" || strings.TrimSpace(stripComments(doc)) == "" {
			continue
		}
		var head struct {
			metav1.TypeMeta `json:",inline"`
			Metadata        metav1.ObjectMeta `json:"metadata"`
		}
		if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
			return nil, fmt.Errorf("%s: %w\n%s", what, err, doc)
		}
		gvk := head.APIVersion + "/" + head.Kind
		mk, ok := kinds[gvk]
		if !ok {
			return nil, fmt.Errorf("%s: unexpected kind %s", what, gvk)
		}
		typed := mk()
		if err := decodeStrict([]byte(doc), typed); err != nil {
			return nil, fmt.Errorf("%s: %s %s: %w", what, head.Kind, head.Metadata.Name, err)
		}
		j, err := json.Marshal(typed)
		if err != nil {
			return nil, err
		}
		var m map[string]any
		if err := json.Unmarshal(j, &m); err != nil {
			return nil, err
		}
		out = append(out, object{kind: head.Kind, name: head.Metadata.Name, json: m})
	}
	return out, nil
}

func stripComments(doc string) string {
	var b strings.Builder
	for line := range strings.Lines(doc) {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line)
		}
	}
	return b.String()
}

// renderChart renders the chart with the Helm SDK as `helm template
// --namespace leadhook <name> deploy/helm/leadhook` would.
func renderChart(name string, values map[string]any) ([]object, error) {
	ch, err := loader.Load(chartDir)
	if err != nil {
		return nil, err
	}
	opts := chartutil.ReleaseOptions{Name: name, Namespace: namespace, Revision: 1, IsInstall: true}
	vals, err := chartutil.ToRenderValues(ch, values, opts, chartutil.DefaultCapabilities.Copy())
	if err != nil {
		return nil, err
	}
	files, err := engine.Render(ch, vals)
	if err != nil {
		return nil, err
	}
	var out []object
	for _, f := range slices.Sorted(maps.Keys(files)) {
		if strings.HasSuffix(f, "NOTES.txt") {
			continue
		}
		objs, err := decodeObjects(f, files[f])
		if err != nil {
			return nil, err
		}
		out = append(out, objs...)
	}
	return out, nil
}

// severalReplicas are the values of the kustomize components.
func severalReplicas() map[string]any {
	return map[string]any{"sharedStore": map[string]any{"enabled": true}, "postgresStore": map[string]any{"enabled": true}}
}

// renderKustomize renders deploy/kubernetes (with the shared-store
// component or not), plus servicemonitor.yaml given the namespace.
func renderKustomize(t *testing.T, withStore bool) []object {
	t.Helper()
	files, err := deploytest.ReadTree(filepath.FromSlash(k8sDir))
	if err != nil {
		t.Fatal(err)
	}
	out, err := deploytest.RenderKustomize(files, withStore)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := decodeObjects("kustomize", string(out))
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// normalise drops the Helm-only labels from every label map and selector.
func normalise(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			if m, ok := val.(map[string]any); ok && (k == "labels" || k == "matchLabels" || k == "selector") {
				m = maps.Clone(m)
				for _, l := range helmLabels {
					delete(m, l)
				}
				val = m
			}
			out[k] = normalise(val)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalise(e)
		}
		return out
	}
	return v
}

// byKey indexes objects by kind/name, normalised.
func byKey(objs []object) map[string]any {
	out := map[string]any{}
	for _, o := range objs {
		out[o.kind+"/"+o.name] = normalise(o.json)
	}
	return out
}

// differences lists how the chart's objects differ from kustomize's
// (the Namespace only kustomize creates: helm install --create-namespace).
func differences(chart, kust []object) []string {
	c, k := byKey(chart), byKey(kust)
	delete(k, "Namespace/"+namespace)
	var out []string
	for _, key := range slices.Sorted(maps.Keys(k)) {
		cv, ok := c[key]
		switch {
		case !ok:
			out = append(out, "the chart does not render "+key)
		case !reflect.DeepEqual(cv, k[key]):
			cj, _ := json.MarshalIndent(cv, "", " ")
			kj, _ := json.MarshalIndent(k[key], "", " ")
			out = append(out, fmt.Sprintf("%s differs:\nchart:     %s\nkustomize: %s", key, firstDiff(string(cj), string(kj)), firstDiff(string(kj), string(cj))))
		}
	}
	for _, key := range slices.Sorted(maps.Keys(c)) {
		if _, ok := k[key]; !ok {
			out = append(out, "the chart renders "+key+", kustomize does not")
		}
	}
	return out
}

// firstDiff returns a's lines from the first one that differs from b's.
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range al {
		if i >= len(bl) || al[i] != bl[i] {
			return strings.Join(al[max(0, i-3):min(len(al), i+4)], "\n")
		}
	}
	return "(same lines)"
}

// TestChartRendersTheKustomizeObjects: with default values the chart
// renders, object for object and field for field, what deploy/kubernetes
// renders (which deploy/kubernetes_test.go checks in detail: probes,
// securityContext, the rules mount, Secret references, the CronJob, the
// store's NetworkPolicy), with the shared store and without.
func TestChartRendersTheKustomizeObjects(t *testing.T) {
	tests := []struct {
		name   string
		values map[string]any
		store  bool
		want   []string // expected differences (substrings); none: equal
	}{
		{name: "defaults"},
		{name: "shared store", values: severalReplicas(), store: true},
		{name: "a changed value shows", values: map[string]any{"deskera": map[string]any{"rateLimit": "9"}}, want: []string{"Deployment/leadhook differs"}},
		{name: "the store off shows", values: map[string]any{}, store: true, want: []string{"the chart does not render StatefulSet/leadhook-store", "Deployment/leadhook differs"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chart, err := renderChart(release, tt.values)
			if err != nil {
				t.Fatal(err)
			}
			kust := renderKustomize(t, tt.store)
			if len(chart) < 5 || len(kust) < 6 { // base: SA, ConfigMap, Service, Deployment, CronJob (+ Namespace)
				t.Fatalf("rendered %d chart and %d kustomize objects: too few to compare", len(chart), len(kust))
			}
			diffs := differences(chart, kust)
			if len(tt.want) == 0 {
				for _, d := range diffs {
					t.Error(d)
				}
			}
			for _, w := range tt.want {
				if !slices.ContainsFunc(diffs, func(d string) bool { return strings.Contains(d, w) }) {
					t.Errorf("no difference mentions %q: %q", w, diffs)
				}
			}
		})
	}
}

// TestChartValues: what the values change, and what the chart refuses.
func TestChartValues(t *testing.T) {
	t.Run("replicas without a store are refused", func(t *testing.T) {
		_, err := renderChart(release, map[string]any{"replicaCount": 3})
		if err == nil || !strings.Contains(err.Error(), "replicaCount > 1 needs sharedStore.enabled") {
			t.Errorf("render with replicaCount 3 and no store: %v", err)
		}
	})
	t.Run("replicas on the embedded delivery store are refused", func(t *testing.T) {
		_, err := renderChart(release, map[string]any{"sharedStore": map[string]any{"enabled": true}})
		if err == nil || !strings.Contains(err.Error(), "replicaCount > 1 needs postgresStore.enabled") {
			t.Errorf("render with the shared store and the embedded delivery store: %v", err)
		}
	})
	t.Run("embedded store on an existing claim", func(t *testing.T) {
		objs, err := renderChart(release, map[string]any{"persistence": map[string]any{"existingClaim": "mine"}})
		if err != nil {
			t.Fatal(err)
		}
		o := byKey(objs)
		if _, ok := o["PersistentVolumeClaim/leadhook-data"]; ok {
			t.Error("persistence.existingClaim still renders the chart's claim")
		}
		raw, _ := json.Marshal(o["Deployment/leadhook"])
		if !strings.Contains(string(raw), `"persistentVolumeClaim":{"claimName":"mine"}`) {
			t.Errorf("the data volume is not the existing claim: %s", raw)
		}
	})
	// values.schema.json: a misspelt or mistyped value fails the render
	// instead of being ignored.
	for name, vals := range map[string]map[string]any{
		"misspelt sharedStore": {"sharedstore": map[string]any{"enabled": true}},
		"unknown store key":    {"sharedStore": map[string]any{"enable": true}},
		"bad log level":        {"logLevel": "verbose"},
		"schedule of 4 fields": {"sweep": map[string]any{"schedule": "0 3 * *"}},
		"replicas as a string": {"replicaCount": "two"},
	} {
		t.Run("values schema: "+name, func(t *testing.T) {
			_, err := renderChart(release, vals)
			if err == nil || !strings.Contains(err.Error(), "values don't meet the specifications of the schema") {
				t.Errorf("render with %v: %v, want a values schema error", vals, err)
			}
		})
	}
	t.Run("replicas with the store", func(t *testing.T) {
		vals := severalReplicas()
		vals["replicaCount"] = 3
		objs, err := renderChart(release, vals)
		if err != nil {
			t.Fatal(err)
		}
		o := byKey(objs)
		if r := o["Deployment/leadhook"].(map[string]any)["spec"].(map[string]any)["replicas"]; r != 3.0 {
			t.Errorf("replicas %v, want 3", r)
		}
		if r := o["HorizontalPodAutoscaler/leadhook"].(map[string]any)["spec"].(map[string]any)["minReplicas"]; r != 3.0 {
			t.Errorf("HPA minReplicas %v, want 3", r)
		}
	})
	t.Run("no sweep", func(t *testing.T) {
		objs, err := renderChart(release, map[string]any{"sweep": map[string]any{"enabled": false}})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := byKey(objs)["CronJob/leadhook-sweep"]; ok {
			t.Error("sweep.enabled false still renders the CronJob")
		}
	})
	t.Run("own rules", func(t *testing.T) {
		rules := "# mine\nrules: []\n"
		objs, err := renderChart(release, map[string]any{"rules": rules})
		if err != nil {
			t.Fatal(err)
		}
		cm := byKey(objs)["ConfigMap/leadhook-rules"].(map[string]any)
		if got := cm["data"].(map[string]any)["rules.yaml"]; got != rules {
			t.Errorf("ConfigMap rules.yaml = %q, want %q", got, rules)
		}
	})
	t.Run("another release name", func(t *testing.T) {
		objs, err := renderChart("crm", severalReplicas())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			if !strings.HasPrefix(o.name, "crm-leadhook") {
				t.Errorf("%s %s: not named after the release", o.kind, o.name)
			}
		}
		np := byKey(objs)["NetworkPolicy/crm-leadhook-store"]
		raw, _ := json.Marshal(np)
		if !strings.Contains(string(raw), `"matchLabels":{"app.kubernetes.io/name":"leadhook"}`) {
			t.Errorf("NetworkPolicy %s", raw) // normalised: instance dropped
		}
		for _, o := range objs {
			if o.kind != "NetworkPolicy" {
				continue
			}
			from := o.json["spec"].(map[string]any)["ingress"].([]any)[0].(map[string]any)["from"].([]any)[0].(map[string]any)
			sel := from["podSelector"].(map[string]any)["matchLabels"].(map[string]any)
			if sel["app.kubernetes.io/instance"] != "crm" {
				t.Errorf("the store's NetworkPolicy lets in leadhook pods of other releases: %v", sel)
			}
		}
	})
	t.Run("service monitor", func(t *testing.T) {
		objs, err := renderChart(release, map[string]any{"serviceMonitor": map[string]any{"enabled": true}})
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(k8sDir, "servicemonitor.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		want, err := decodeObjects("servicemonitor.yaml", string(data))
		if err != nil {
			t.Fatal(err)
		}
		want[0].json["metadata"].(map[string]any)["namespace"] = namespace
		want[0].json["metadata"].(map[string]any)["labels"].(map[string]any)["app.kubernetes.io/part-of"] = "leadhook"
		got := byKey(objs)["ServiceMonitor/leadhook"]
		if !reflect.DeepEqual(got, byKey(want)["ServiceMonitor/leadhook"]) {
			t.Errorf("ServiceMonitor %v, want deploy/kubernetes/servicemonitor.yaml's %v", got, byKey(want)["ServiceMonitor/leadhook"])
		}
	})
}

// TestChartLint runs Helm's chart linter (helm lint): no errors or
// warnings, with the store and without.
func TestChartLint(t *testing.T) {
	for _, vals := range []map[string]any{nil, {"sharedStore": map[string]any{"enabled": true}, "postgresStore": map[string]any{"enabled": true}, "serviceMonitor": map[string]any{"enabled": true}}} {
		l := lint.All(chartDir, vals, namespace, false)
		for _, m := range l.Messages {
			if m.Severity >= support.WarningSev {
				t.Errorf("helm lint %v: %s", vals, m)
			}
		}
	}
}

// TestChartRulesAreTheExample: the chart's default rules file is the
// example that rules.example.test.yaml proves, byte for byte.
func TestChartRulesAreTheExample(t *testing.T) {
	example, err := os.ReadFile("../../rules.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	chart, err := os.ReadFile(filepath.Join(chartDir, "files/rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(example, chart) {
		t.Errorf("deploy/helm/leadhook/files/rules.yaml differs from rules.example.yaml: cp rules.example.yaml deploy/helm/leadhook/files/rules.yaml")
	}
}
