package deploy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

const k8sDir = "deploy/kubernetes"

// kustomization is the part of kustomization.yaml leadhook uses, decoded
// strictly (an unknown field fails).
type kustomization struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace"`
	Labels     []struct {
		Pairs            map[string]string `json:"pairs"`
		IncludeSelectors bool              `json:"includeSelectors"`
	} `json:"labels"`
	Resources          []string `json:"resources"`
	ConfigMapGenerator []struct {
		Name    string   `json:"name"`
		Files   []string `json:"files"`
		Options struct {
			DisableNameSuffixHash bool              `json:"disableNameSuffixHash"`
			Labels                map[string]string `json:"labels"`
		} `json:"options"`
	} `json:"configMapGenerator"`
	Images []struct {
		Name    string `json:"name"`
		NewName string `json:"newName"`
		NewTag  string `json:"newTag"`
	} `json:"images"`
}

// optionalManifests are applied separately (they need CRDs that not every
// cluster has); they are checked but not listed in kustomization.yaml.
var optionalManifests = []string{"servicemonitor.yaml", "reassign-cronjob.yaml"}

// manifests are the decoded objects of deploy/kubernetes.
type manifests struct {
	kust       kustomization
	deployment *appsv1.Deployment
	service    *corev1.Service
	configMaps []*corev1.ConfigMap
	hpa        *autoscalingv2.HorizontalPodAutoscaler
	pdb        *policyv1.PodDisruptionBudget
	monitor    *unstructured.Unstructured
	cronJob    *batchv1.CronJob
	others     []string // kinds decoded without further checks
}

// decodeStrict decodes YAML the way the API server reads JSON: field names
// case-sensitive, unknown and duplicate fields are errors.
func decodeStrict(data []byte, v any) error {
	j, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return err
	}
	strict, err := kjson.UnmarshalStrict(j, v)
	if err != nil {
		return err
	}
	return errors.Join(strict...)
}

// decodeObject strictly decodes one manifest into its k8s.io/api type.
func decodeObject(m *manifests, name string, data []byte) error {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(data, &tm); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	var err error
	switch gvk := tm.APIVersion + "/" + tm.Kind; gvk {
	case "apps/v1/Deployment":
		m.deployment = new(appsv1.Deployment)
		err = decodeStrict(data, m.deployment)
	case "v1/Service":
		m.service = new(corev1.Service)
		err = decodeStrict(data, m.service)
	case "v1/ConfigMap":
		cm := new(corev1.ConfigMap)
		err = decodeStrict(data, cm)
		m.configMaps = append(m.configMaps, cm)
	case "autoscaling/v2/HorizontalPodAutoscaler":
		m.hpa = new(autoscalingv2.HorizontalPodAutoscaler)
		err = decodeStrict(data, m.hpa)
	case "policy/v1/PodDisruptionBudget":
		m.pdb = new(policyv1.PodDisruptionBudget)
		err = decodeStrict(data, m.pdb)
	case "v1/Namespace":
		err = decodeStrict(data, new(corev1.Namespace))
		m.others = append(m.others, tm.Kind)
	case "v1/ServiceAccount":
		err = decodeStrict(data, new(corev1.ServiceAccount))
		m.others = append(m.others, tm.Kind)
	case "batch/v1/CronJob":
		m.cronJob = new(batchv1.CronJob)
		err = decodeStrict(data, m.cronJob)
	case "monitoring.coreos.com/v1/ServiceMonitor":
		obj := map[string]any{}
		err = yaml.Unmarshal(data, &obj)
		m.monitor = &unstructured.Unstructured{Object: obj}
	default:
		return fmt.Errorf("%s: unexpected kind %s", name, gvk)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// loadManifests decodes kustomization.yaml, its resources, the ConfigMaps
// it generates and the optional manifests from files (name -> content).
func loadManifests(files map[string]string) (*manifests, error) {
	m := &manifests{}
	if err := decodeStrict([]byte(files["kustomization.yaml"]), &m.kust); err != nil {
		return nil, fmt.Errorf("kustomization.yaml: %w", err)
	}
	for _, r := range append(slices.Clone(m.kust.Resources), optionalManifests...) {
		data, ok := files[r]
		if !ok {
			return nil, fmt.Errorf("kustomization.yaml lists %s, which does not exist", r)
		}
		if err := decodeObject(m, r, []byte(data)); err != nil {
			return nil, err
		}
	}
	for _, g := range m.kust.ConfigMapGenerator {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: g.Name}, Data: map[string]string{}}
		for _, f := range g.Files {
			key, file, ok := strings.Cut(f, "=")
			if !ok {
				file = key
				key = path.Base(f)
			}
			data, ok := files[file]
			if !ok {
				return nil, fmt.Errorf("configMapGenerator %s: no file %s", g.Name, file)
			}
			cm.Data[key] = data
		}
		if !g.Options.DisableNameSuffixHash {
			return nil, fmt.Errorf("configMapGenerator %s: the hash suffix renames the ConfigMap on every change: rules edits would roll the pods instead of reloading", g.Name)
		}
		m.configMaps = append(m.configMaps, cm)
	}
	return m, nil
}

// readK8sFiles reads every file of deploy/kubernetes.
func readK8sFiles(t *testing.T) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(repoRoot, k8sDir))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, e := range entries {
		if !e.IsDir() {
			files[e.Name()] = readRepoFile(t, k8sDir+"/"+e.Name())
		}
	}
	return files
}

// k8sContext is what the manifests are checked against.
type k8sContext struct {
	bin       binary
	imageUser int // the Dockerfile's USER uid
}

func checkManifests(files map[string]string, kc k8sContext) problems {
	var p problems
	m, err := loadManifests(files)
	if err != nil {
		p.addf("%v", err)
		return p
	}
	for name := range files {
		if strings.HasSuffix(name, ".yaml") && name != "kustomization.yaml" && !slices.Contains(m.kust.Resources, name) &&
			!slices.Contains(optionalManifests, name) && !generated(m.kust, name) {
			p.addf("%s is neither a kustomization resource nor a generator input", name)
		}
	}
	if m.deployment == nil || m.service == nil || m.hpa == nil || m.pdb == nil {
		p.addf("missing one of Deployment, Service, HorizontalPodAutoscaler, PodDisruptionBudget")
		return p
	}
	c := leadhookContainer(&p, m.deployment)
	if c == nil {
		return p
	}
	checkDeployment(&p, m, c, kc)
	checkSelectors(&p, m, c)
	checkRulesMount(&p, m, c, m.deployment.Spec.Template.Spec.Volumes)
	checkMetrics(&p, m, c)
	if m.cronJob != nil {
		checkCronJob(&p, m, kc)
	}
	return p
}

// checkCronJob: the optional reassign CronJob runs a leadhook batch
// command as the server runs (security, resources, credentials from the
// Secret, the rules ConfigMap mounted), never twice at once, and a
// --resume keeps its state where a restarted container finds it.
func checkCronJob(p *problems, m *manifests, kc k8sContext) {
	cj := m.cronJob
	pod := &cj.Spec.JobTemplate.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		p.addf("cronjob: want one container, have %d", len(pod.Containers))
		return
	}
	c := &pod.Containers[0]
	if len(c.Args) == 0 || !kc.bin.commands[c.Args[0]] || c.Args[0] != "reassign" && c.Args[0] != "sweep" {
		p.addf("cronjob: container args %q do not start with leadhook reassign or sweep", c.Args)
	}
	if cj.Spec.ConcurrencyPolicy != batchv1.ForbidConcurrent {
		p.addf("cronjob: concurrencyPolicy %q: two runs at once would reassign the same contacts twice", cj.Spec.ConcurrencyPolicy)
	}
	if slices.Contains(c.Args, "--resume") {
		dir := envValue(c, "LEADHOOK_DATA_DIR")
		i := slices.IndexFunc(c.VolumeMounts, func(vm corev1.VolumeMount) bool { return vm.MountPath == dir })
		switch {
		case dir == "":
			p.addf("cronjob: --resume without LEADHOOK_DATA_DIR")
		case i < 0 || c.VolumeMounts[i].ReadOnly:
			p.addf("cronjob: no writable volume at LEADHOOK_DATA_DIR %s (the root filesystem is read-only)", dir)
		case pod.RestartPolicy != corev1.RestartPolicyOnFailure:
			p.addf("cronjob: restartPolicy %q: a new pod starts with an empty state volume, so --resume has nothing to resume (use OnFailure)", pod.RestartPolicy)
		}
	}
	if a := pod.AutomountServiceAccountToken; a == nil || *a {
		p.addf("cronjob: pod mounts a service account token it never uses")
	}
	checkEnvK8s(p, c, kc.bin, m)
	checkSecurity(p, pod, c, kc.imageUser)
	checkResources(p, c)
	checkRulesMount(p, m, c, pod.Volumes)
}

func generated(k kustomization, name string) bool {
	for _, g := range k.ConfigMapGenerator {
		for _, f := range g.Files {
			if _, file, ok := strings.Cut(f, "="); ok && file == name || f == name {
				return true
			}
		}
	}
	return false
}

func leadhookContainer(p *problems, d *appsv1.Deployment) *corev1.Container {
	cs := d.Spec.Template.Spec.Containers
	if len(cs) != 1 {
		p.addf("deployment: want one container, have %d", len(cs))
		return nil
	}
	return &cs[0]
}

// envValue returns a literal variable of the container.
func envValue(c *corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

// containerPort resolves a probe or Service port (number or name).
func containerPort(c *corev1.Container, port intstr.IntOrString) int32 {
	if port.Type == intstr.Int {
		return port.IntVal
	}
	for _, cp := range c.Ports {
		if cp.Name == port.StrVal {
			return cp.ContainerPort
		}
	}
	return 0
}

func checkDeployment(p *problems, m *manifests, c *corev1.Container, kc k8sContext) {
	d := m.deployment
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 2 {
		p.addf("deployment: replicas is not 2")
	}
	if len(c.Args) == 0 || !kc.bin.commands[c.Args[0]] {
		p.addf("container args %q do not start with a leadhook command (commands: %v)", c.Args, keysOf(kc.bin.commands))
	}
	port := 8080
	if _, ps, err := net.SplitHostPort(envValue(c, "LEADHOOK_ADDR")); err == nil {
		port, _ = strconv.Atoi(ps)
	}
	if port != 8080 || !slices.ContainsFunc(c.Ports, func(cp corev1.ContainerPort) bool { return int(cp.ContainerPort) == port }) {
		p.addf("container ports %v: want 8080, where LEADHOOK_ADDR listens", c.Ports)
	}
	checkProbe(p, c, "liveness", c.LivenessProbe, "/healthz", port)
	checkProbe(p, c, "readiness", c.ReadinessProbe, "/readyz", port)
	if c.StartupProbe != nil {
		checkProbe(p, c, "startup", c.StartupProbe, "/healthz", port)
	}
	checkEnvK8s(p, c, kc.bin, m)
	checkSecurity(p, &d.Spec.Template.Spec, c, kc.imageUser)
	checkResources(p, c)
	checkShutdown(p, &d.Spec.Template.Spec, c)
	if a := d.Spec.Template.Spec.AutomountServiceAccountToken; a == nil || *a {
		p.addf("pod mounts a service account token it never uses")
	}
}

func checkProbe(p *problems, c *corev1.Container, name string, pr *corev1.Probe, wantPath string, port int) {
	switch {
	case pr == nil || pr.HTTPGet == nil:
		p.addf("no %s probe (httpGet %s)", name, wantPath)
	case pr.HTTPGet.Path != wantPath:
		p.addf("%s probe path %q, want %s", name, pr.HTTPGet.Path, wantPath)
	case int(containerPort(c, pr.HTTPGet.Port)) != port:
		p.addf("%s probe port %s is not the container port %d", name, pr.HTTPGet.Port.String(), port)
	}
}

// checkEnvK8s: variables the binary reads (or the mounted rules file),
// credentials only from Secrets.
func checkEnvK8s(p *problems, c *corev1.Container, bin binary, m *manifests) {
	rulesVars := map[string]bool{}
	for _, cm := range m.configMaps {
		for _, data := range cm.Data {
			for _, sm := range rulesVarRe.FindAllStringSubmatch(data, -1) {
				rulesVars[sm[1]] = true
			}
		}
	}
	names := make([]string, 0, len(c.Env))
	for _, e := range c.Env {
		names = append(names, e.Name)
		if !secretVar(e.Name) {
			continue
		}
		if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
			p.addf("env %s is not from a Secret (valueFrom.secretKeyRef)", e.Name)
		} else if e.ValueFrom.SecretKeyRef.Key != e.Name {
			p.addf("env %s reads Secret key %q; keys are named after their variable", e.Name, e.ValueFrom.SecretKeyRef.Key)
		}
	}
	for _, v := range unknownVars(names, bin, rulesVars) {
		p.addf("env %s is not a variable leadhook reads (leadhook --help)", v)
	}
}

func checkSecurity(p *problems, pod *corev1.PodSpec, c *corev1.Container, imageUser int) {
	sc := c.SecurityContext
	if sc == nil {
		p.addf("container has no securityContext")
		return
	}
	psc := pod.SecurityContext
	if psc == nil {
		psc = &corev1.PodSecurityContext{}
	}
	nonRoot := sc.RunAsNonRoot
	if nonRoot == nil {
		nonRoot = psc.RunAsNonRoot
	}
	if nonRoot == nil || !*nonRoot {
		p.addf("securityContext: runAsNonRoot is not true")
	}
	user := sc.RunAsUser
	if user == nil {
		user = psc.RunAsUser
	}
	if user != nil && int(*user) != imageUser {
		p.addf("securityContext: runAsUser %d differs from the image's USER %d", *user, imageUser)
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		p.addf("securityContext: readOnlyRootFilesystem is not true")
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		p.addf("securityContext: allowPrivilegeEscalation is not false")
	}
	if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
		p.addf("securityContext: capabilities do not drop ALL (and add none)")
	}
	seccomp := sc.SeccompProfile
	if seccomp == nil {
		seccomp = psc.SeccompProfile
	}
	if seccomp == nil || seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault {
		p.addf("securityContext: seccompProfile is not RuntimeDefault")
	}
}

func checkResources(p *problems, c *corev1.Container) {
	r := c.Resources
	if r.Requests.Cpu().IsZero() || r.Requests.Memory().IsZero() {
		p.addf("resources: cpu and memory requests are required")
	}
	if r.Limits.Memory().IsZero() {
		p.addf("resources: no memory limit")
	} else if r.Limits.Memory().Cmp(*r.Requests.Memory()) < 0 {
		p.addf("resources: memory limit below the request")
	}
}

// checkShutdown: the grace period covers the preStop sleep and the
// server's shutdown timeout.
func checkShutdown(p *problems, pod *corev1.PodSpec, c *corev1.Container) {
	shutdown := 20 * time.Second
	if v := envValue(c, "LEADHOOK_SHUTDOWN_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			p.addf("LEADHOOK_SHUTDOWN_TIMEOUT %q: %v", v, err)
		}
		shutdown = d
	}
	var sleep time.Duration
	if c.Lifecycle != nil && c.Lifecycle.PreStop != nil {
		if c.Lifecycle.PreStop.Exec != nil {
			p.addf("preStop exec %q: the image has no shell or sleep; use preStop.sleep", c.Lifecycle.PreStop.Exec.Command)
		}
		if s := c.Lifecycle.PreStop.Sleep; s != nil {
			sleep = time.Duration(s.Seconds) * time.Second
		}
	}
	grace := 30 * time.Second
	if pod.TerminationGracePeriodSeconds != nil {
		grace = time.Duration(*pod.TerminationGracePeriodSeconds) * time.Second
	}
	if grace <= shutdown+sleep {
		p.addf("terminationGracePeriodSeconds %s does not cover preStop %s + LEADHOOK_SHUTDOWN_TIMEOUT %s", grace, sleep, shutdown)
	}
}

// checkSelectors: the Service, PDB and HPA reach the Deployment's pods.
func checkSelectors(p *problems, m *manifests, c *corev1.Container) {
	d := m.deployment
	podLabels := d.Spec.Template.Labels
	matches := func(sel map[string]string) bool {
		for k, v := range sel {
			if podLabels[k] != v {
				return false
			}
		}
		return len(sel) > 0
	}
	if d.Spec.Selector == nil || !matches(d.Spec.Selector.MatchLabels) {
		p.addf("deployment selector does not match its pod labels")
	}
	if !matches(m.service.Spec.Selector) {
		p.addf("service selector %v does not match the pods %v", m.service.Spec.Selector, podLabels)
	}
	for _, sp := range m.service.Spec.Ports {
		if int(containerPort(c, sp.TargetPort)) != 8080 {
			p.addf("service port %s targets %s, not the container port 8080", sp.Name, sp.TargetPort.String())
		}
	}
	if m.pdb.Spec.Selector == nil || !matches(m.pdb.Spec.Selector.MatchLabels) {
		p.addf("PodDisruptionBudget selector does not match the pods")
	}
	if mu := m.pdb.Spec.MinAvailable; mu != nil && mu.Type == intstr.Int && d.Spec.Replicas != nil && mu.IntVal >= *d.Spec.Replicas {
		p.addf("PodDisruptionBudget minAvailable %d leaves no disruption for %d replicas (node drains block)", mu.IntVal, *d.Spec.Replicas)
	}
	h := m.hpa.Spec
	if h.ScaleTargetRef.Kind != "Deployment" || h.ScaleTargetRef.Name != d.Name {
		p.addf("HPA targets %s/%s, not Deployment/%s", h.ScaleTargetRef.Kind, h.ScaleTargetRef.Name, d.Name)
	}
	if h.MinReplicas == nil || *h.MinReplicas < 2 || h.MaxReplicas < *h.MinReplicas || len(h.Metrics) == 0 {
		p.addf("HPA: want minReplicas >= 2, maxReplicas >= minReplicas and a metric")
	}
}

// checkRulesMount: LEADHOOK_RULES is in a directory mounted from the rules
// ConfigMap without subPath (a subPath mount never sees updates; a
// directory mount gets kubelet's atomic ..data symlink swap, which the
// server's directory watch reloads on).
func checkRulesMount(p *problems, m *manifests, c *corev1.Container, vols []corev1.Volume) {
	rules := envValue(c, "LEADHOOK_RULES")
	if rules != "/etc/leadhook/rules.yaml" {
		p.addf("LEADHOOK_RULES %q, want /etc/leadhook/rules.yaml", rules)
	}
	dir, file := path.Split(rules)
	dir = path.Clean(dir)
	i := slices.IndexFunc(c.VolumeMounts, func(vm corev1.VolumeMount) bool { return vm.MountPath == dir })
	if i < 0 {
		p.addf("no volume mounted at %s (the LEADHOOK_RULES directory)", dir)
		return
	}
	vm := c.VolumeMounts[i]
	if vm.SubPath != "" || vm.SubPathExpr != "" {
		p.addf("rules volume mounted with subPath: ConfigMap updates never reach it")
	}
	if !vm.ReadOnly {
		p.addf("rules volume is not mounted readOnly")
	}
	j := slices.IndexFunc(vols, func(v corev1.Volume) bool { return v.Name == vm.Name })
	if j < 0 || vols[j].ConfigMap == nil {
		p.addf("volume %s is not a ConfigMap", vm.Name)
		return
	}
	src := vols[j].ConfigMap
	key := file
	for _, it := range src.Items {
		if it.Path == file {
			key = it.Key
		}
	}
	k := slices.IndexFunc(m.configMaps, func(cm *corev1.ConfigMap) bool { return cm.Name == src.Name })
	if k < 0 {
		p.addf("volume %s mounts ConfigMap %s, which the manifests do not define", vm.Name, src.Name)
		return
	}
	if _, ok := m.configMaps[k].Data[key]; !ok {
		p.addf("ConfigMap %s has no key %s for %s", src.Name, key, rules)
	}
}

// checkMetrics: Prometheus finds /metrics through the pod annotations, and
// the optional ServiceMonitor names a Service port.
func checkMetrics(p *problems, m *manifests, c *corev1.Container) {
	a := m.deployment.Spec.Template.Annotations
	if a["prometheus.io/scrape"] != "true" || a["prometheus.io/path"] != "/metrics" ||
		a["prometheus.io/port"] != strconv.Itoa(int(containerPort(c, intstr.FromString("http")))) {
		p.addf("pod scrape annotations (prometheus.io/scrape, path /metrics, port 8080) missing or wrong: %v", a)
	}
	if m.monitor == nil {
		return
	}
	eps, _, _ := unstructured.NestedSlice(m.monitor.Object, "spec", "endpoints")
	for _, ep := range eps {
		e, _ := ep.(map[string]any)
		port, _ := e["port"].(string)
		if !slices.ContainsFunc(m.service.Spec.Ports, func(sp corev1.ServicePort) bool { return sp.Name == port }) || e["path"] != "/metrics" {
			p.addf("ServiceMonitor endpoint %v does not scrape /metrics on a Service port", e)
		}
	}
	if len(eps) == 0 {
		p.addf("ServiceMonitor has no endpoints")
	}
}

// imageUser returns the Dockerfile's USER uid.
func imageUser(t *testing.T) int {
	t.Helper()
	df, err := parseDockerfile(readRepoFile(t, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	u, ok := lastOf[*instructions.UserCommand](&df.stages[len(df.stages)-1])
	if !ok {
		t.Fatal("Dockerfile has no USER")
	}
	uid, _, _ := strings.Cut(u.User, ":")
	n, err := strconv.Atoi(uid)
	if err != nil {
		t.Fatalf("Dockerfile USER %q: %v", u.User, err)
	}
	return n
}

func TestKubernetesManifests(t *testing.T) {
	files := readK8sFiles(t)
	kc := k8sContext{bin: built.server, imageUser: imageUser(t)}
	// edit returns the files with replacements (old, new, old, new...) in one.
	edit := func(name string, oldNew ...string) map[string]string {
		out := maps.Clone(files)
		for i := 0; i+1 < len(oldNew); i += 2 {
			out[name] = mutate(t, out[name], oldNew[i], oldNew[i+1])
		}
		return out
	}
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{name: "shipped manifests", files: files},
		{name: "one replica", files: edit("deployment.yaml", "replicas: 2", "replicas: 1"), want: []string{"replicas is not 2"}},
		{name: "liveness path", files: edit("deployment.yaml", "livenessProbe:\n            httpGet: {path: /healthz", "livenessProbe:\n            httpGet: {path: /health"), want: []string{"liveness probe path \"/health\""}},
		{name: "readiness port", files: edit("deployment.yaml", "httpGet: {path: /readyz, port: http}", "httpGet: {path: /readyz, port: 9090}"), want: []string{"readiness probe port 9090"}},
		{name: "no readiness", files: edit("deployment.yaml", "readinessProbe:\n            httpGet: {path: /readyz, port: http}\n", "readinessProbe:\n"), want: []string{"no readiness probe"}},
		{name: "container port", files: edit("deployment.yaml", "containerPort: 8080", "containerPort: 80"), want: []string{"want 8080", "service port http targets http"}},
		{name: "typo field", files: edit("deployment.yaml", "readOnlyRootFilesystem: true", "readOnlyRootFileSystem: true"), want: []string{"unknown field"}},
		{name: "writable root", files: edit("deployment.yaml", "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false"), want: []string{"readOnlyRootFilesystem is not true"}},
		{name: "escalation", files: edit("deployment.yaml", "allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true"), want: []string{"allowPrivilegeEscalation"}},
		{name: "capabilities kept", files: edit("deployment.yaml", "drop: [ALL]", "drop: [NET_RAW]"), want: []string{"drop ALL"}},
		{name: "root allowed", files: edit("deployment.yaml", "        runAsNonRoot: true\n        runAsUser: 65532\n", "        runAsUser: 65532\n", "            runAsNonRoot: true\n", ""), want: []string{"runAsNonRoot is not true"}},
		{name: "other uid", files: edit("deployment.yaml", "            runAsUser: 65532\n", "            runAsUser: 1000\n"), want: []string{"runAsUser 1000 differs"}},
		{name: "no limits", files: edit("deployment.yaml", "            limits:\n              memory: 256Mi\n", ""), want: []string{"no memory limit"}},
		{name: "secret literal", files: edit("deployment.yaml", "- name: DESKERA_CLIENT_SECRET\n              valueFrom:\n                secretKeyRef: {name: leadhook-credentials, key: DESKERA_CLIENT_SECRET}", "- name: DESKERA_CLIENT_SECRET\n              value: hunter2"), want: []string{"DESKERA_CLIENT_SECRET is not from a Secret"}},
		{name: "renamed variable", files: edit("deployment.yaml", "name: LEADHOOK_LOG_LEVEL", "name: LOG_LEVEL"), want: []string{"env LOG_LEVEL is not a variable"}},
		{name: "subPath mount", files: edit("deployment.yaml", "mountPath: /etc/leadhook\n", "mountPath: /etc/leadhook\n              subPath: rules.yaml\n"), want: []string{"subPath"}},
		{name: "rules elsewhere", files: edit("deployment.yaml", "value: /etc/leadhook/rules.yaml", "value: /config/rules.yaml"), want: []string{"no volume mounted at /config"}},
		{name: "hashed configmap", files: edit("kustomization.yaml", "disableNameSuffixHash: true", "disableNameSuffixHash: false"), want: []string{"hash suffix"}},
		{name: "unknown command", files: edit("deployment.yaml", `args: ["serve"]`, `args: ["server"]`), want: []string{"do not start with a leadhook command"}},
		{name: "short grace", files: edit("deployment.yaml", "terminationGracePeriodSeconds: 30", "terminationGracePeriodSeconds: 20"), want: []string{"does not cover"}},
		{name: "shell preStop", files: edit("deployment.yaml", "sleep: {seconds: 5}", "exec: {command: [sh, -c, sleep 5]}"), want: []string{"no shell"}},
		{name: "service selector", files: edit("service.yaml", "    app.kubernetes.io/component: server\n  ports:", "    app.kubernetes.io/component: web\n  ports:"), want: []string{"service selector"}},
		{name: "pdb blocks drains", files: edit("pdb.yaml", "minAvailable: 1", "minAvailable: 2"), want: []string{"leaves no disruption"}},
		{name: "hpa target", files: edit("hpa.yaml", "name: leadhook\n  minReplicas", "name: leadhook-server\n  minReplicas"), want: []string{"HPA targets"}},
		{name: "hpa one replica", files: edit("hpa.yaml", "minReplicas: 2", "minReplicas: 1"), want: []string{"minReplicas >= 2"}},
		{name: "scrape port", files: edit("deployment.yaml", `prometheus.io/port: "8080"`, `prometheus.io/port: "9090"`), want: []string{"scrape annotations"}},
		{name: "servicemonitor port", files: edit("servicemonitor.yaml", "- port: http", "- port: metrics"), want: []string{"ServiceMonitor endpoint"}},
		{name: "missing resource", files: edit("kustomization.yaml", "  - pdb.yaml\n", "  - pdb.yaml\n  - ingress.yaml\n"), want: []string{"lists ingress.yaml"}},
		{name: "unlisted manifest", files: edit("kustomization.yaml", "  - hpa.yaml\n", ""), want: []string{"hpa.yaml is neither"}},
		{name: "cronjob overlaps", files: edit("reassign-cronjob.yaml", "concurrencyPolicy: Forbid", "concurrencyPolicy: Allow"), want: []string{"concurrencyPolicy"}},
		{name: "cronjob new pod on failure", files: edit("reassign-cronjob.yaml", "restartPolicy: OnFailure", "restartPolicy: Never"), want: []string{"--resume has nothing to resume"}},
		{name: "cronjob state on the root fs", files: edit("reassign-cronjob.yaml", "                - name: state\n                  mountPath: /var/lib/leadhook\n", ""), want: []string{"no writable volume"}},
		{name: "cronjob serves", files: edit("reassign-cronjob.yaml", `args: ["reassign",`, `args: ["serve",`), want: []string{"do not start with leadhook reassign or sweep"}},
		{name: "cronjob secret literal", files: edit("reassign-cronjob.yaml", "- name: DESKERA_CLIENT_SECRET\n                  valueFrom:\n                    secretKeyRef: {name: leadhook-credentials, key: DESKERA_CLIENT_SECRET}", "- name: DESKERA_CLIENT_SECRET\n                  value: hunter2"), want: []string{"DESKERA_CLIENT_SECRET is not from a Secret"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assertProblems(t, checkManifests(tt.files, kc), tt.want)
		})
	}
}

// TestKustomizeBuild renders deploy/kubernetes with kubectl's built-in
// kustomize (when kubectl is installed) and decodes every object strictly.
func TestKustomizeBuild(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl not installed; the manifests are still checked file by file")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, kubectl, "kustomize", filepath.Join(repoRoot, k8sDir))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kubectl kustomize: %v", err)
	}
	m := &manifests{}
	var kinds []string
	for _, doc := range bytes.Split(out, []byte("\n---\n")) {
		if err := decodeObject(m, "kustomize output", doc); err != nil {
			t.Fatal(err)
		}
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, tm.Kind)
	}
	slices.Sort(kinds)
	want := []string{"ConfigMap", "Deployment", "HorizontalPodAutoscaler", "Namespace", "PodDisruptionBudget", "Service", "ServiceAccount"}
	if !slices.Equal(kinds, want) {
		t.Errorf("kustomize renders %v, want %v", kinds, want)
	}
	if m.deployment == nil || m.deployment.Namespace != "leadhook" {
		t.Fatalf("deployment not rendered into namespace leadhook")
	}
	if img := m.deployment.Spec.Template.Spec.Containers[0].Image; !strings.HasPrefix(img, "ghcr.io/leadhook/leadhook:") {
		t.Errorf("image %q: the images transformer did not apply", img)
	}
	if len(m.configMaps) != 1 || m.configMaps[0].Name != "leadhook-rules" || m.configMaps[0].Data["rules.yaml"] == "" {
		t.Errorf("rules ConfigMap not rendered as leadhook-rules with rules.yaml")
	}
}

// rulesCopyDrift is "" when the Kubernetes rules are the example byte for
// byte, else the first line where they differ.
func rulesCopyDrift(example, k8s string) string {
	if example == k8s {
		return ""
	}
	a, b := strings.Split(example, "\n"), strings.Split(k8s, "\n")
	for i := 0; i < max(len(a), len(b)); i++ {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return fmt.Sprintf("%s/rules.yaml differs from rules.example.yaml at line %d: %q, example %q (cp rules.example.yaml %s/rules.yaml)", k8sDir, i+1, y, x, k8sDir)
		}
	}
	return fmt.Sprintf("%s/rules.yaml differs from rules.example.yaml", k8sDir)
}

// TestKubernetesRulesAreTheExample: the ConfigMap's rules file is the
// example that rules.example.test.yaml proves, byte for byte. A drifted
// copy once ran gdpr-erasure last, so an erasure request for an unknown
// email created a contact.
func TestKubernetesRulesAreTheExample(t *testing.T) {
	example := readRepoFile(t, "rules.example.yaml")
	tests := []struct {
		name, k8s, want string
	}{
		{name: "shipped copy", k8s: readRepoFile(t, path.Join(k8sDir, "rules.yaml"))},
		{name: "gdpr-erasure renamed", k8s: strings.Replace(example, "  - name: gdpr-erasure\n", "  - name: erasure\n", 1), want: `: "  - name: erasure", example "  - name: gdpr-erasure"`},
		{name: "trailing line", k8s: example + "# local edit\n", want: `"# local edit", example ""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rulesCopyDrift(example, tt.k8s)
			if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
				t.Errorf("drift = %q, want %q", got, tt.want)
			}
		})
	}
	// The kustomization must ship that file, not another one.
	files := readK8sFiles(t)
	var k kustomization
	if err := decodeStrict([]byte(files["kustomization.yaml"]), &k); err != nil {
		t.Fatal(err)
	}
	if len(k.ConfigMapGenerator) != 1 || !slices.Equal(k.ConfigMapGenerator[0].Files, []string{"rules.yaml"}) {
		t.Errorf("configMapGenerator = %+v, want one ConfigMap from rules.yaml", k.ConfigMapGenerator)
	}
}
