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
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"github.com/leadhook/leadhook/deploy/deploytest"
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
	Components         []string `json:"components"`
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
var optionalManifests = []string{"servicemonitor.yaml"}

// reassignManifest is the optional reassign CronJob, applied on its own
// (suspended: an operator's one-off job), checked but not listed.
const reassignManifest = "reassign-cronjob.yaml"

// storeComponent and pgComponent are the optional components of several
// replicas (Redis; the queue and history on PostgreSQL), listed on the
// commented-out lines of kustomization.yaml that enable them.
const (
	storeComponent = "components/shared-store"
	pgComponent    = "components/postgres-store"
)

// components are the optional components, each checked by checkListed.
var components = []string{storeComponent, pgComponent}

// manifests are the decoded objects kustomize renders from deploy/kubernetes.
type manifests struct {
	kust         kustomization
	deployment   *appsv1.Deployment
	service      *corev1.Service
	configMaps   []*corev1.ConfigMap
	cronJob      *batchv1.CronJob
	hpa          *autoscalingv2.HorizontalPodAutoscaler
	pdb          *policyv1.PodDisruptionBudget
	store        *appsv1.StatefulSet // shared-store component
	pvcs         []*corev1.PersistentVolumeClaim
	storeService *corev1.Service
	netpol       *networkingv1.NetworkPolicy
	monitor      *unstructured.Unstructured
	reassignJob  *batchv1.CronJob // reassign-cronjob.yaml, decoded on its own
	kinds        []string         // every rendered kind, sorted
}

// decodeStrict is deploytest.DecodeStrict.
var decodeStrict = deploytest.DecodeStrict

// enableComponents is deploytest.EnableComponents.
var enableComponents = deploytest.EnableComponents

// decodeInto strictly decodes data into a new T, stored in *dst (a
// second object of the kind is an error).
func decodeInto[T any](dst **T, data []byte) error {
	if *dst != nil {
		return errors.New("a second object of this kind")
	}
	*dst = new(T)
	return decodeStrict(data, *dst)
}

// decodeAppend strictly decodes data into a new T appended to *dst (a
// kind that may come several times).
func decodeAppend[T any](dst *[]*T, data []byte) error {
	v := new(T)
	*dst = append(*dst, v)
	return decodeStrict(data, v)
}

// decodeObject strictly decodes one manifest into its k8s.io/api type.
func decodeObject(m *manifests, name string, data []byte) error {
	var obj struct {
		metav1.TypeMeta `json:",inline"`
		Metadata        metav1.ObjectMeta `json:"metadata"`
	}
	if err := yaml.Unmarshal(data, &obj); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	store := obj.Metadata.Labels["app.kubernetes.io/component"] == "shared-store"
	var err error
	switch gvk := obj.APIVersion + "/" + obj.Kind; gvk {
	case "apps/v1/Deployment":
		err = decodeInto(&m.deployment, data)
	case "v1/Service":
		if store {
			err = decodeInto(&m.storeService, data)
		} else {
			err = decodeInto(&m.service, data)
		}
	case "v1/ConfigMap":
		err = decodeAppend(&m.configMaps, data)
	case "batch/v1/CronJob":
		err = decodeInto(&m.cronJob, data)
	case "autoscaling/v2/HorizontalPodAutoscaler":
		err = decodeInto(&m.hpa, data)
	case "policy/v1/PodDisruptionBudget":
		err = decodeInto(&m.pdb, data)
	case "apps/v1/StatefulSet":
		err = decodeInto(&m.store, data)
	case "networking.k8s.io/v1/NetworkPolicy":
		err = decodeInto(&m.netpol, data)
	case "v1/PersistentVolumeClaim":
		err = decodeAppend(&m.pvcs, data)
	case "v1/Namespace":
		err = decodeStrict(data, new(corev1.Namespace))
	case "v1/ServiceAccount":
		err = decodeStrict(data, new(corev1.ServiceAccount))
	case "monitoring.coreos.com/v1/ServiceMonitor":
		o := map[string]any{}
		err = yaml.Unmarshal(data, &o)
		m.monitor = &unstructured.Unstructured{Object: o}
	default:
		return fmt.Errorf("%s: unexpected kind %s", name, gvk)
	}
	if err != nil {
		return fmt.Errorf("%s: %s %s: %w", name, obj.Kind, obj.Metadata.Name, err)
	}
	m.kinds = append(m.kinds, obj.Kind)
	return nil
}

// decodeRendered decodes every object of a multi-document YAML stream.
func decodeRendered(m *manifests, what string, out []byte) error {
	for _, doc := range bytes.Split(out, []byte("\n---\n")) {
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		if err := decodeObject(m, what, doc); err != nil {
			return err
		}
	}
	slices.Sort(m.kinds)
	return nil
}

// loadManifests decodes kustomization.yaml strictly, renders the
// kustomization (withStore: with the shared-store component) and decodes
// every object and the optional manifests.
func loadManifests(files map[string]string, withStore bool) (*manifests, error) {
	m := &manifests{}
	if err := decodeStrict([]byte(files["kustomization.yaml"]), &m.kust); err != nil {
		return nil, fmt.Errorf("kustomization.yaml: %w", err)
	}
	for _, g := range m.kust.ConfigMapGenerator {
		if !g.Options.DisableNameSuffixHash {
			return nil, fmt.Errorf("configMapGenerator %s: the hash suffix renames the ConfigMap on every change: rules edits would roll the pods instead of reloading", g.Name)
		}
	}
	for _, r := range m.kust.Resources {
		if _, ok := files[r]; !ok {
			return nil, fmt.Errorf("kustomization.yaml lists %s, which does not exist", r)
		}
	}
	out, err := deploytest.RenderKustomize(files, withStore)
	if err != nil {
		return nil, err
	}
	if err := decodeRendered(m, "kustomize output", out); err != nil {
		return nil, err
	}
	for _, r := range optionalManifests {
		if err := decodeObject(m, r, []byte(files[r])); err != nil {
			return nil, err
		}
	}
	if data, ok := files[reassignManifest]; ok {
		var rm manifests
		if err := decodeObject(&rm, reassignManifest, []byte(data)); err != nil {
			return nil, err
		}
		m.reassignJob = rm.cronJob
	}
	return m, nil
}

// readK8sFiles reads every file under deploy/kubernetes, by path relative
// to it.
func readK8sFiles(t *testing.T) map[string]string {
	t.Helper()
	files, err := deploytest.ReadTree(filepath.Join(repoRoot, k8sDir))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// k8sContext is what the manifests are checked against.
type k8sContext struct {
	bin       binary
	imageUser int // the Dockerfile's USER uid
}

func checkManifests(files map[string]string, kc k8sContext, withStore bool) problems {
	var p problems
	m, err := loadManifests(files, withStore)
	if err != nil {
		p.addf("%v", err)
		return p
	}
	checkListed(&p, m.kust, files)
	if m.deployment == nil || m.service == nil || m.cronJob == nil {
		p.addf("missing one of Deployment, Service, CronJob (the sweep); rendered %v", m.kinds)
		return p
	}
	c := leadhookContainer(&p, m.deployment)
	if c == nil {
		return p
	}
	checkDeployment(&p, m, c, kc)
	checkSelectors(&p, m, c)
	checkRulesMount(&p, m, &m.deployment.Spec.Template.Spec, c, "deployment")
	checkMetrics(&p, m, c)
	checkSweepJob(&p, m, kc)
	checkDeliveryStore(&p, m, c)
	if m.reassignJob != nil {
		checkReassignJob(&p, m, kc)
	}
	if withStore {
		checkSharedStore(&p, m, c)
	} else {
		checkNoStore(&p, m, c)
	}
	return p
}

// component is the part of a kustomize Component leadhook uses.
type component struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Resources  []string `json:"resources"`
	Patches    []struct {
		Path string `json:"path"`
	} `json:"patches"`
}

// checkListed: every manifest of deploy/kubernetes is a resource, a
// generator input or an optional manifest, and every file of the
// shared-store component is one of its resources or patches.
func checkListed(p *problems, k kustomization, files map[string]string) {
	comps := map[string]component{}
	for _, dir := range components {
		var comp component
		if err := decodeStrict([]byte(files[dir+"/kustomization.yaml"]), &comp); err != nil {
			p.addf("%s/kustomization.yaml: %v", dir, err)
		}
		if comp.Kind != "Component" {
			p.addf("%s is a %q, not a kustomize Component", dir, comp.Kind)
		}
		comps[dir+"/"] = comp
	}
	for name := range files {
		if !strings.HasSuffix(name, ".yaml") || path.Base(name) == "kustomization.yaml" {
			continue
		}
		dir, base := path.Split(name)
		if comp, ok := comps[dir]; ok {
			if !slices.Contains(comp.Resources, base) && !slices.ContainsFunc(comp.Patches, func(pt struct {
				Path string `json:"path"`
			}) bool {
				return pt.Path == base
			}) {
				p.addf("%s is neither a resource nor a patch of the component", name)
			}
			continue
		}
		if !slices.Contains(k.Resources, name) && !slices.Contains(optionalManifests, name) && name != reassignManifest && !generated(k, name) {
			p.addf("%s is neither a kustomization resource nor a generator input", name)
		}
	}
}

// checkReassignJob: the optional reassign CronJob runs a leadhook batch
// command as the server runs (security, resources, credentials from the
// Secret, the rules ConfigMap mounted), never twice at once, and a
// --resume keeps its state where a restarted container finds it.
func checkReassignJob(p *problems, m *manifests, kc k8sContext) {
	cj := m.reassignJob
	pod := &cj.Spec.JobTemplate.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		p.addf("reassign cronjob: want one container, have %d", len(pod.Containers))
		return
	}
	c := &pod.Containers[0]
	if len(c.Args) == 0 || !kc.bin.commands[c.Args[0]] || c.Args[0] != "reassign" && c.Args[0] != "sweep" {
		p.addf("reassign cronjob: container args %q do not start with leadhook reassign or sweep", c.Args)
	}
	if cj.Spec.ConcurrencyPolicy != batchv1.ForbidConcurrent {
		p.addf("reassign cronjob: concurrencyPolicy %q: two runs at once would reassign the same contacts twice", cj.Spec.ConcurrencyPolicy)
	}
	if slices.Contains(c.Args, "--resume") {
		dir := envValue(c, "LEADHOOK_DATA_DIR")
		i := slices.IndexFunc(c.VolumeMounts, func(vm corev1.VolumeMount) bool { return vm.MountPath == dir })
		switch {
		case dir == "":
			p.addf("reassign cronjob: --resume without LEADHOOK_DATA_DIR")
		case i < 0 || c.VolumeMounts[i].ReadOnly:
			p.addf("reassign cronjob: no writable volume at LEADHOOK_DATA_DIR %s (the root filesystem is read-only)", dir)
		case pod.RestartPolicy != corev1.RestartPolicyOnFailure:
			p.addf("reassign cronjob: restartPolicy %q: a new pod starts with an empty state volume, so --resume has nothing to resume (use OnFailure)", pod.RestartPolicy)
		}
	}
	if a := pod.AutomountServiceAccountToken; a == nil || *a {
		p.addf("reassign cronjob: pod mounts a service account token it never uses")
	}
	checkEnvK8s(p, c, kc.bin, m)
	checkSecurity(p, pod, c, kc.imageUser)
	checkResources(p, c)
	checkRulesMount(p, m, pod, c, "reassign cronjob")
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
	if len(c.Args) == 0 || !kc.bin.commands[c.Args[0]] {
		p.addf("container args %q do not start with a leadhook command (commands: %v)", c.Args, slices.Sorted(maps.Keys(kc.bin.commands)))
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

// matchesLabels reports whether a non-empty selector selects labels.
func matchesLabels(sel, labels map[string]string) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return len(sel) > 0
}

// checkSelectors: the Service reaches the Deployment's pods (and not the
// sweep's).
func checkSelectors(p *problems, m *manifests, c *corev1.Container) {
	d := m.deployment
	podLabels := d.Spec.Template.Labels
	if d.Spec.Selector == nil || !matchesLabels(d.Spec.Selector.MatchLabels, podLabels) {
		p.addf("deployment selector does not match its pod labels")
	}
	if !matchesLabels(m.service.Spec.Selector, podLabels) {
		p.addf("service selector %v does not match the pods %v", m.service.Spec.Selector, podLabels)
	}
	if m.cronJob != nil && matchesLabels(m.service.Spec.Selector, m.cronJob.Spec.JobTemplate.Spec.Template.Labels) {
		p.addf("service selector %v also selects the sweep's pods", m.service.Spec.Selector)
	}
	for _, sp := range m.service.Spec.Ports {
		if int(containerPort(c, sp.TargetPort)) != 8080 {
			p.addf("service port %s targets %s, not the container port 8080", sp.Name, sp.TargetPort.String())
		}
	}
}

// checkScaling: with the shared store, the PDB and HPA reach the
// Deployment's pods and leave room for drains.
func checkScaling(p *problems, m *manifests) {
	d := m.deployment
	if m.pdb == nil || m.hpa == nil {
		p.addf("shared store: no PodDisruptionBudget or HorizontalPodAutoscaler for the replicas")
		return
	}
	if m.pdb.Spec.Selector == nil || !matchesLabels(m.pdb.Spec.Selector.MatchLabels, d.Spec.Template.Labels) {
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

// checkNoStore: without the shared store nothing claims cross-replica
// dedupe: one replica, no autoscaler, no PDB, no store variable.
func checkNoStore(p *problems, m *manifests, c *corev1.Container) {
	if r := m.deployment.Spec.Replicas; r == nil || *r != 1 {
		p.addf("deployment: replicas is not 1 without the shared store (each pod dedupes only its own deliveries: a redelivery reaching another replica runs again)")
	}
	if m.hpa != nil || m.pdb != nil {
		p.addf("HPA or PDB without the shared store: they scale to replicas that do not share delivery ids")
	}
	if m.store != nil || m.netpol != nil || m.storeService != nil {
		p.addf("shared-store objects rendered without the component")
	}
	for _, cc := range []*corev1.Container{c, sweepContainer(m)} {
		if cc != nil && slices.ContainsFunc(cc.Env, func(e corev1.EnvVar) bool { return e.Name == "LEADHOOK_REDIS_URL" }) {
			p.addf("container %s sets LEADHOOK_REDIS_URL without the shared store", cc.Name)
		}
	}
}

// checkDeliveryStore: a lead answered 202 outlives the pod. With
// LEADHOOK_STORE_URL required from the Secret the queue is on PostgreSQL
// and any number of replicas share it; otherwise it is the embedded file
// under LEADHOOK_DATA_DIR, which must be on a PersistentVolumeClaim the
// rendering declares (an emptyDir is lost with the pod), written by one
// replica (one process per file), replaced with Recreate (a surge pod
// would find it locked and never become ready).
func checkDeliveryStore(p *problems, m *manifests, c *corev1.Container) {
	i := slices.IndexFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == "LEADHOOK_STORE_URL" })
	if i >= 0 {
		ref := c.Env[i].ValueFrom
		switch {
		case ref == nil || ref.SecretKeyRef == nil:
			p.addf("LEADHOOK_STORE_URL not set from a Secret (its password is in it)")
		case ref.SecretKeyRef.Optional != nil && *ref.SecretKeyRef.Optional:
			p.addf("LEADHOOK_STORE_URL optional: a pod without it would keep queued leads in an embedded file of its own")
		}
		return
	}
	d := m.deployment
	if r := d.Spec.Replicas; r == nil || *r != 1 {
		p.addf("deployment: %d replicas on the embedded store: each pod would queue leads in its own file (set LEADHOOK_STORE_URL: components/postgres-store)", ptrOr(r, 1))
	}
	if d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
		p.addf("deployment: strategy %q on the embedded store: the surge pod finds leadhook.db locked by the old one (use Recreate)", d.Spec.Strategy.Type)
	}
	dir := envValue(c, "LEADHOOK_DATA_DIR")
	if dir == "" {
		p.addf("deployment: no LEADHOOK_DATA_DIR nor LEADHOOK_STORE_URL: queued leads would go to a temporary directory, lost with the pod")
		return
	}
	vm := slices.IndexFunc(c.VolumeMounts, func(vm corev1.VolumeMount) bool { return vm.MountPath == dir })
	if vm < 0 || c.VolumeMounts[vm].ReadOnly {
		p.addf("deployment: no writable volume at LEADHOOK_DATA_DIR %s", dir)
		return
	}
	pod := &d.Spec.Template.Spec
	v := slices.IndexFunc(pod.Volumes, func(v corev1.Volume) bool { return v.Name == c.VolumeMounts[vm].Name })
	if v < 0 || pod.Volumes[v].PersistentVolumeClaim == nil {
		p.addf("deployment: LEADHOOK_DATA_DIR %s is not on a PersistentVolumeClaim: the embedded store (queued leads not yet delivered) would be lost with the pod", dir)
		return
	}
	claim := pod.Volumes[v].PersistentVolumeClaim.ClaimName
	if !slices.ContainsFunc(m.pvcs, func(pvc *corev1.PersistentVolumeClaim) bool { return pvc.Name == claim }) {
		p.addf("deployment: the PersistentVolumeClaim %q of LEADHOOK_DATA_DIR is not rendered", claim)
	}
}

func ptrOr[T any](v *T, def T) T {
	if v == nil {
		return def
	}
	return *v
}

// sweepContainer is the CronJob's one container (nil otherwise).
func sweepContainer(m *manifests) *corev1.Container {
	if m.cronJob == nil || len(m.cronJob.Spec.JobTemplate.Spec.Template.Spec.Containers) != 1 {
		return nil
	}
	return &m.cronJob.Spec.JobTemplate.Spec.Template.Spec.Containers[0]
}

// checkSweepJob: the CronJob runs `leadhook sweep` one at a time, on a
// valid schedule, with the server's security, rules mount and
// credentials from the Secret.
func checkSweepJob(p *problems, m *manifests, kc k8sContext) {
	cj := m.cronJob
	c := sweepContainer(m)
	if c == nil {
		p.addf("cronjob: want one container")
		return
	}
	if len(c.Args) == 0 || c.Args[0] != "sweep" || !kc.bin.commands["sweep"] {
		p.addf("cronjob: args %q do not run leadhook sweep (commands: %v)", c.Args, slices.Sorted(maps.Keys(kc.bin.commands)))
	}
	if f := strings.Fields(cj.Spec.Schedule); len(f) != 5 {
		p.addf("cronjob: schedule %q is not five cron fields", cj.Spec.Schedule)
	}
	if cj.Spec.ConcurrencyPolicy != batchv1.ForbidConcurrent {
		p.addf("cronjob: concurrencyPolicy %q, want Forbid (two sweeps at once patch the same contacts)", cj.Spec.ConcurrencyPolicy)
	}
	if cj.Spec.TimeZone == nil {
		p.addf("cronjob: no timeZone (the schedule would follow the controller's clock)")
	}
	job := cj.Spec.JobTemplate.Spec
	if job.ActiveDeadlineSeconds == nil {
		p.addf("cronjob: no activeDeadlineSeconds: a hung sweep would block every later one (Forbid)")
	}
	pod := &job.Template.Spec
	if pod.RestartPolicy != corev1.RestartPolicyNever && pod.RestartPolicy != corev1.RestartPolicyOnFailure {
		p.addf("cronjob: restartPolicy %q", pod.RestartPolicy)
	}
	if a := pod.AutomountServiceAccountToken; a == nil || *a {
		p.addf("cronjob: pod mounts a service account token it never uses")
	}
	if envValue(c, "LEADHOOK_SANDBOX") != "" {
		p.addf("cronjob: LEADHOOK_SANDBOX set: the sweep would relabel the in-memory sandbox")
	}
	var sp problems
	checkEnvK8s(&sp, c, kc.bin, m)
	checkSecurity(&sp, pod, c, kc.imageUser)
	checkResources(&sp, c)
	for _, s := range sp {
		p.addf("cronjob: %s", s)
	}
	checkRulesMount(p, m, pod, c, "cronjob")
	d := m.deployment.Spec.Template.Spec.Containers[0]
	if c.Image != d.Image {
		p.addf("cronjob image %q differs from the deployment's %q", c.Image, d.Image)
	}
}

// checkSharedStore: two replicas and the sweep reach the store through
// LEADHOOK_REDIS_URL from the Secret; the store is a persistent,
// password-protected Redis behind its Service, reachable only from
// leadhook's pods.
func checkSharedStore(p *problems, m *manifests, c *corev1.Container) {
	if r := m.deployment.Spec.Replicas; r == nil || *r != 2 {
		p.addf("deployment: replicas is not 2 with the shared store")
	}
	checkScaling(p, m)
	for _, cc := range []*corev1.Container{c, sweepContainer(m)} {
		if cc == nil {
			continue
		}
		i := slices.IndexFunc(cc.Env, func(e corev1.EnvVar) bool { return e.Name == "LEADHOOK_REDIS_URL" })
		if i < 0 || cc.Env[i].ValueFrom == nil || cc.Env[i].ValueFrom.SecretKeyRef == nil {
			p.addf("container %s: LEADHOOK_REDIS_URL not set from a Secret (the store's password is in it)", cc.Name)
		} else if o := cc.Env[i].ValueFrom.SecretKeyRef.Optional; o != nil && *o {
			p.addf("container %s: LEADHOOK_REDIS_URL optional: a pod without it would dedupe alone", cc.Name)
		}
	}
	if m.store == nil || m.storeService == nil || m.netpol == nil {
		p.addf("shared store: missing one of StatefulSet, Service, NetworkPolicy")
		return
	}
	st := m.store
	storeLabels := st.Spec.Template.Labels
	if len(st.Spec.Template.Spec.Containers) != 1 {
		p.addf("store: want one container")
		return
	}
	rc := &st.Spec.Template.Spec.Containers[0]
	args := strings.Join(rc.Args, " ")
	for _, want := range []string{"--appendonly yes", "--requirepass $(", "--maxmemory-policy noeviction"} {
		if !strings.Contains(args, want) {
			p.addf("store: args %q lack %q (persistence of the rotated refresh token, a password, no silent eviction of delivery ids)", args, want)
		}
	}
	if len(st.Spec.VolumeClaimTemplates) == 0 || !slices.ContainsFunc(rc.VolumeMounts, func(vm corev1.VolumeMount) bool { return vm.MountPath == "/data" }) {
		p.addf("store: /data is not a persistent volume")
	}
	var sp problems
	checkSecurity(&sp, &st.Spec.Template.Spec, rc, 999) // the redis image's uid
	checkResources(&sp, rc)
	for _, s := range sp {
		p.addf("store: %s", s)
	}
	for _, e := range rc.Env {
		if secretVar(e.Name) && (e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil) {
			p.addf("store: env %s is not from a Secret", e.Name)
		}
	}
	if st.Spec.Selector == nil || !matchesLabels(st.Spec.Selector.MatchLabels, storeLabels) {
		p.addf("store: selector does not match its pod labels")
	}
	svc := m.storeService
	if !matchesLabels(svc.Spec.Selector, storeLabels) || matchesLabels(svc.Spec.Selector, m.deployment.Spec.Template.Labels) {
		p.addf("store service selector %v does not select (only) the store pods %v", svc.Spec.Selector, storeLabels)
	}
	for _, sp := range svc.Spec.Ports {
		if containerPort(rc, sp.TargetPort) != 6379 {
			p.addf("store service port %s targets %s, not redis's 6379", sp.Name, sp.TargetPort.String())
		}
	}
	checkStorePolicy(p, m, rc)
}

// checkStorePolicy: the NetworkPolicy covers the store pods and lets in
// only the server's and the sweep's pods, only on the store's port.
func checkStorePolicy(p *problems, m *manifests, rc *corev1.Container) {
	np := m.netpol.Spec
	storeLabels := m.store.Spec.Template.Labels
	if !matchesLabels(np.PodSelector.MatchLabels, storeLabels) {
		p.addf("NetworkPolicy podSelector %v does not select the store pods %v", np.PodSelector.MatchLabels, storeLabels)
	}
	if !slices.Contains(np.PolicyTypes, networkingv1.PolicyTypeIngress) {
		p.addf("NetworkPolicy does not restrict Ingress")
	}
	if len(np.Ingress) == 0 {
		p.addf("NetworkPolicy has no ingress rule: nothing, not even leadhook, reaches the store")
	}
	clients := map[string]map[string]string{
		"server pods": m.deployment.Spec.Template.Labels,
		"sweep pods":  m.cronJob.Spec.JobTemplate.Spec.Template.Labels,
	}
	for i, r := range np.Ingress {
		if len(r.From) == 0 {
			p.addf("NetworkPolicy ingress rule %d has no from: every pod reaches the store", i)
		}
		for _, peer := range r.From {
			if peer.IPBlock != nil || peer.NamespaceSelector != nil || peer.PodSelector == nil {
				p.addf("NetworkPolicy ingress rule %d lets in more than leadhook's pods: %+v", i, peer)
				continue
			}
			if len(peer.PodSelector.MatchExpressions) > 0 || len(peer.PodSelector.MatchLabels) == 0 {
				p.addf("NetworkPolicy ingress rule %d: podSelector %v is not a label match", i, peer.PodSelector)
				continue
			}
			for what, labels := range clients {
				if !matchesLabels(peer.PodSelector.MatchLabels, labels) {
					p.addf("NetworkPolicy ingress rule %d does not let in the %s %v", i, what, labels)
				}
			}
			if matchesLabels(peer.PodSelector.MatchLabels, storeLabels) {
				p.addf("NetworkPolicy ingress rule %d also matches the store's own pods", i)
			}
		}
		if len(r.Ports) == 0 {
			p.addf("NetworkPolicy ingress rule %d opens every port", i)
		}
		for _, pt := range r.Ports {
			if pt.Port == nil || containerPort(rc, *pt.Port) != 6379 {
				p.addf("NetworkPolicy ingress rule %d port %v is not the store's port", i, pt.Port)
			}
		}
	}
}

// checkRulesMount: LEADHOOK_RULES is in a directory mounted from the rules
// ConfigMap without subPath (a subPath mount never sees updates; a
// directory mount gets kubelet's atomic ..data symlink swap, which the
// server's directory watch reloads on).
func checkRulesMount(p *problems, m *manifests, pod *corev1.PodSpec, c *corev1.Container, what string) {
	rules := envValue(c, "LEADHOOK_RULES")
	if rules != "/etc/leadhook/rules.yaml" {
		p.addf("%s: LEADHOOK_RULES %q, want /etc/leadhook/rules.yaml", what, rules)
	}
	dir, file := path.Split(rules)
	dir = path.Clean(dir)
	i := slices.IndexFunc(c.VolumeMounts, func(vm corev1.VolumeMount) bool { return vm.MountPath == dir })
	if i < 0 {
		p.addf("%s: no volume mounted at %s (the LEADHOOK_RULES directory)", what, dir)
		return
	}
	vm := c.VolumeMounts[i]
	if vm.SubPath != "" || vm.SubPathExpr != "" {
		p.addf("rules volume mounted with subPath: ConfigMap updates never reach it")
	}
	if !vm.ReadOnly {
		p.addf("rules volume is not mounted readOnly")
	}
	vols := pod.Volumes
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
	const comp = storeComponent + "/"
	const pg = pgComponent + "/"
	tests := []struct {
		name  string
		files map[string]string
		store bool // with the shared-store component
		want  []string
	}{
		{name: "shipped manifests", files: files},
		{name: "shipped manifests with the shared store", files: files, store: true},
		{name: "two replicas without a store", files: edit("deployment.yaml", "replicas: 1", "replicas: 2"), want: []string{"replicas is not 1 without the shared store"}},
		{name: "store enabling lines gone", files: edit("kustomization.yaml", "# components:\n", ""), store: true, want: []string{"lacks the commented-out lines"}},
		// Where queued leads live.
		{name: "embedded store on an emptyDir", files: edit("deployment.yaml", "          persistentVolumeClaim:\n            claimName: leadhook-data\n", "          emptyDir: {}\n"), want: []string{"is not on a PersistentVolumeClaim"}},
		{name: "embedded store rolling", files: edit("deployment.yaml", "    type: Recreate\n", "    type: RollingUpdate\n"), want: []string{"finds leadhook.db locked"}},
		{name: "embedded store in /tmp", files: edit("deployment.yaml", "            - name: LEADHOOK_DATA_DIR\n              value: /var/lib/leadhook\n", ""), want: []string{"no LEADHOOK_DATA_DIR nor LEADHOOK_STORE_URL"}},
		{name: "embedded store claim missing", files: edit("kustomization.yaml", "  - pvc.yaml\n", ""), want: []string{"is not rendered", "pvc.yaml is neither"}},
		{name: "replicas on the embedded store", store: true, files: edit("kustomization.yaml", "#   - components/postgres-store\n", ""), want: []string{"2 replicas on the embedded store"}},
		{name: "store url optional", store: true, files: edit(pg+"deployment-patch.yaml", "key: LEADHOOK_STORE_URL}", "key: LEADHOOK_STORE_URL, optional: true}"), want: []string{"LEADHOOK_STORE_URL optional"}},
		{name: "store url literal", store: true, files: edit(pg+"deployment-patch.yaml", "              valueFrom:\n                secretKeyRef: {name: leadhook-credentials, key: LEADHOOK_STORE_URL}", "              value: postgres://db/leadhook"), want: []string{"LEADHOOK_STORE_URL not set from a Secret"}},
		{name: "postgres: unlisted file", store: true, files: edit(pg+"kustomization.yaml", "  - path: pvc-delete.yaml\n", ""), want: []string{"pvc-delete.yaml is neither a resource nor a patch"}},
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
		{name: "rules elsewhere", files: edit("deployment.yaml", "value: /etc/leadhook/rules.yaml", "value: /config/rules.yaml"), want: []string{"deployment: no volume mounted at /config"}},
		{name: "hashed configmap", files: edit("kustomization.yaml", "disableNameSuffixHash: true", "disableNameSuffixHash: false"), want: []string{"hash suffix"}},
		{name: "unknown command", files: edit("deployment.yaml", `args: ["serve"]`, `args: ["server"]`), want: []string{"do not start with a leadhook command"}},
		{name: "short grace", files: edit("deployment.yaml", "terminationGracePeriodSeconds: 30", "terminationGracePeriodSeconds: 20"), want: []string{"does not cover"}},
		{name: "shell preStop", files: edit("deployment.yaml", "sleep: {seconds: 5}", "exec: {command: [sh, -c, sleep 5]}"), want: []string{"no shell"}},
		{name: "service selector", files: edit("service.yaml", "    app.kubernetes.io/component: server\n  ports:", "    app.kubernetes.io/component: web\n  ports:"), want: []string{"service selector"}},
		{name: "scrape port", files: edit("deployment.yaml", `prometheus.io/port: "8080"`, `prometheus.io/port: "9090"`), want: []string{"scrape annotations"}},
		{name: "servicemonitor port", files: edit("servicemonitor.yaml", "- port: http", "- port: metrics"), want: []string{"ServiceMonitor endpoint"}},
		{name: "missing resource", files: edit("kustomization.yaml", "  - cronjob.yaml\n", "  - cronjob.yaml\n  - ingress.yaml\n"), want: []string{"lists ingress.yaml"}},
		{name: "unlisted manifest", files: edit("kustomization.yaml", "  - cronjob.yaml\n", ""), want: []string{"cronjob.yaml is neither", "missing one of Deployment, Service, CronJob"}},
		// The sweep CronJob.
		{name: "sweep command", files: edit("cronjob.yaml", `args: ["sweep"]`, `args: ["serve"]`), want: []string{"do not run leadhook sweep"}},
		{name: "sweeps overlap", files: edit("cronjob.yaml", "  concurrencyPolicy: Forbid\n", "  concurrencyPolicy: Allow\n"), want: []string{"want Forbid"}},
		{name: "sweep schedule", files: edit("cronjob.yaml", `schedule: "0 3 * * *"`, `schedule: "@nightly 3"`), want: []string{"not five cron fields"}},
		{name: "sweep without deadline", files: edit("cronjob.yaml", "      activeDeadlineSeconds: 3600\n", ""), want: []string{"no activeDeadlineSeconds"}},
		{name: "sweep secret literal", files: edit("cronjob.yaml", "- name: DESKERA_REFRESH_TOKEN\n                  valueFrom:\n                    secretKeyRef: {name: leadhook-credentials, key: DESKERA_REFRESH_TOKEN}", "- name: DESKERA_REFRESH_TOKEN\n                  value: hunter2"), want: []string{"cronjob: env DESKERA_REFRESH_TOKEN is not from a Secret"}},
		{name: "sweep writable root", files: edit("cronjob.yaml", "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false"), want: []string{"cronjob: securityContext: readOnlyRootFilesystem"}},
		{name: "sweep rules elsewhere", files: edit("cronjob.yaml", "mountPath: /etc/leadhook\n", "mountPath: /etc/rules\n"), want: []string{"cronjob: no volume mounted at /etc/leadhook"}},
		{name: "sweep on the sandbox", files: edit("cronjob.yaml", "- name: LEADHOOK_LOG_LEVEL\n", "- name: LEADHOOK_SANDBOX\n                  value: \"1\"\n                - name: LEADHOOK_LOG_LEVEL\n"), want: []string{"LEADHOOK_SANDBOX set"}},
		{name: "service selects the sweep", files: edit("service.yaml", "    app.kubernetes.io/component: server\n  ports:", "  ports:"), want: []string{"also selects the sweep's pods"}},
		// The shared-store component.
		{name: "store: one replica", store: true, files: edit(comp+"deployment-patch.yaml", "replicas: 2", "replicas: 1"), want: []string{"replicas is not 2 with the shared store", "leaves no disruption"}},
		{name: "store: pdb blocks drains", store: true, files: edit(comp+"pdb.yaml", "minAvailable: 1", "minAvailable: 2"), want: []string{"leaves no disruption"}},
		{name: "store: hpa target", store: true, files: edit(comp+"hpa.yaml", "name: leadhook\n  minReplicas", "name: leadhook-server\n  minReplicas"), want: []string{"HPA targets"}},
		{name: "store: hpa one replica", store: true, files: edit(comp+"hpa.yaml", "minReplicas: 2", "minReplicas: 1"), want: []string{"minReplicas >= 2"}},
		{name: "store: sweep without the store", store: true, files: edit(comp+"kustomization.yaml", "  - path: cronjob-patch.yaml\n", ""), want: []string{"container sweep: LEADHOOK_REDIS_URL not set", "cronjob-patch.yaml is neither"}},
		{name: "store: url literal", store: true, files: edit(comp+"deployment-patch.yaml", "              valueFrom:\n                secretKeyRef: {name: leadhook-credentials, key: LEADHOOK_REDIS_URL}", "              value: redis://leadhook-store:6379/0"), want: []string{"container leadhook: LEADHOOK_REDIS_URL not set from a Secret"}},
		{name: "store: no password", store: true, files: edit(comp+"store-statefulset.yaml", "            - --requirepass\n            - $(REDIS_PASSWORD)\n", ""), want: []string{"lack \"--requirepass $(\""}},
		{name: "store: evicts", store: true, files: edit(comp+"store-statefulset.yaml", "- noeviction", "- allkeys-lru"), want: []string{"--maxmemory-policy noeviction"}},
		{name: "store: root", store: true, files: edit(comp+"store-statefulset.yaml", "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false"), want: []string{"store: securityContext: readOnlyRootFilesystem"}},
		{name: "store: service port", store: true, files: edit(comp+"store-service.yaml", "targetPort: redis", "targetPort: 6380"), want: []string{"not redis's 6379"}},
		{name: "store: no network policy", store: true, files: edit(comp+"kustomization.yaml", "  - store-networkpolicy.yaml\n", ""), want: []string{"missing one of StatefulSet, Service, NetworkPolicy"}},
		{name: "store: open to the namespace", store: true, files: edit(comp+"store-networkpolicy.yaml", "        - podSelector:\n            matchLabels:\n              app.kubernetes.io/name: leadhook\n", "        - namespaceSelector: {}\n"), want: []string{"lets in more than leadhook's pods"}},
		{name: "store: open to all", store: true, files: edit(comp+"store-networkpolicy.yaml", "    - from:\n        - podSelector:\n            matchLabels:\n              app.kubernetes.io/name: leadhook\n      ports:", "    - ports:"), want: []string{"has no from"}},
		{name: "store: sweep shut out", store: true, files: edit(comp+"store-networkpolicy.yaml", "              app.kubernetes.io/name: leadhook\n", "              app.kubernetes.io/name: leadhook\n              app.kubernetes.io/component: server\n"), want: []string{"does not let in the sweep pods"}},
		{name: "store: policy on other pods", store: true, files: edit(comp+"store-networkpolicy.yaml", "  podSelector:\n    matchLabels:\n      app.kubernetes.io/name: leadhook-store\n", "  podSelector:\n    matchLabels:\n      app.kubernetes.io/name: redis\n"), want: []string{"does not select the store pods"}},
		{name: "store: every port", store: true, files: edit(comp+"store-networkpolicy.yaml", "      ports:\n        - port: redis\n          protocol: TCP\n", ""), want: []string{"opens every port"}},
		{name: "store: unlisted file", store: true, files: edit(comp+"kustomization.yaml", "  - pdb.yaml\n", ""), want: []string{"pdb.yaml is neither a resource nor a patch"}},
		{name: "cronjob overlaps", files: edit("reassign-cronjob.yaml", "concurrencyPolicy: Forbid", "concurrencyPolicy: Allow"), want: []string{"concurrencyPolicy"}},
		{name: "cronjob new pod on failure", files: edit("reassign-cronjob.yaml", "restartPolicy: OnFailure", "restartPolicy: Never"), want: []string{"--resume has nothing to resume"}},
		{name: "cronjob state on the root fs", files: edit("reassign-cronjob.yaml", "                - name: state\n                  mountPath: /var/lib/leadhook\n", ""), want: []string{"no writable volume"}},
		{name: "cronjob serves", files: edit("reassign-cronjob.yaml", `args: ["reassign",`, `args: ["serve",`), want: []string{"do not start with leadhook reassign or sweep"}},
		{name: "cronjob secret literal", files: edit("reassign-cronjob.yaml", "- name: DESKERA_CLIENT_SECRET\n                  valueFrom:\n                    secretKeyRef: {name: leadhook-credentials, key: DESKERA_CLIENT_SECRET}", "- name: DESKERA_CLIENT_SECRET\n                  value: hunter2"), want: []string{"DESKERA_CLIENT_SECRET is not from a Secret"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assertProblems(t, checkManifests(tt.files, kc, tt.store), tt.want)
		})
	}
}

// TestKustomizeBuild renders deploy/kubernetes, with and without the
// shared-store component, with the kustomize library kubectl embeds, and
// checks what an apply would create: the kinds, the namespace, the image
// and the rules ConfigMap. When kubectl is installed its own
// `kubectl kustomize` must render the same objects.
func TestKustomizeBuild(t *testing.T) {
	files := readK8sFiles(t)
	common := []string{"ConfigMap", "CronJob", "Deployment", "Namespace", "Service", "ServiceAccount"}
	tests := []struct {
		name  string
		store bool
		kinds []string
	}{
		{name: "base", kinds: append(slices.Clone(common), "PersistentVolumeClaim")},
		{name: "with shared store", store: true, kinds: append(slices.Clone(common), "HorizontalPodAutoscaler", "NetworkPolicy", "PodDisruptionBudget", "Service", "StatefulSet")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := deploytest.RenderKustomize(files, tt.store)
			if err != nil {
				t.Fatal(err)
			}
			m := &manifests{}
			if err := decodeRendered(m, "kustomize output", out); err != nil {
				t.Fatal(err)
			}
			want := slices.Sorted(slices.Values(tt.kinds))
			if !slices.Equal(m.kinds, want) {
				t.Errorf("kustomize renders %v, want %v", m.kinds, want)
			}
			for _, ns := range namespacedNames(t, out) {
				if ns != "leadhook" {
					t.Errorf("an object is rendered into namespace %q, want leadhook", ns)
				}
			}
			for _, img := range []string{m.deployment.Spec.Template.Spec.Containers[0].Image, sweepContainer(m).Image} {
				if !strings.HasPrefix(img, "ghcr.io/leadhook/leadhook:") {
					t.Errorf("image %q: the images transformer did not apply", img)
				}
			}
			if len(m.configMaps) != 1 || m.configMaps[0].Name != "leadhook-rules" || m.configMaps[0].Data["rules.yaml"] != files["rules.yaml"] {
				t.Errorf("rules ConfigMap not rendered as leadhook-rules with rules.yaml")
			}
			kubectlSame(t, files, tt.store, out)
		})
	}
}

// namespacedNames returns metadata.namespace of every rendered object
// but the Namespace itself.
func namespacedNames(t *testing.T, out []byte) []string {
	t.Helper()
	var nss []string
	for _, doc := range bytes.Split(out, []byte("\n---\n")) {
		var obj struct {
			Kind     string            `json:"kind"`
			Metadata metav1.ObjectMeta `json:"metadata"`
		}
		if err := yaml.Unmarshal(doc, &obj); err != nil {
			t.Fatal(err)
		}
		if obj.Kind != "Namespace" {
			nss = append(nss, obj.Metadata.Namespace)
		}
	}
	return nss
}

// kubectlSame compares the library's rendering with `kubectl kustomize`
// on a copy of the files, when kubectl is installed.
func kubectlSame(t *testing.T, files map[string]string, withStore bool, want []byte) {
	t.Helper()
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Log("kubectl not installed: rendered with the kustomize library only")
		return
	}
	dir := t.TempDir()
	for name, data := range files {
		if name == "kustomization.yaml" && withStore {
			if data, err = enableComponents(data); err != nil {
				t.Fatal(err)
			}
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	got, err := exec.CommandContext(ctx, kubectl, "kustomize", dir).Output()
	if err != nil {
		t.Fatalf("kubectl kustomize: %v", err)
	}
	// kubectl sorts the objects its own way; compare them as a set.
	docs := func(b []byte) []string {
		var out []string
		for _, d := range bytes.Split(b, []byte("\n---\n")) {
			out = append(out, strings.TrimSpace(string(d)))
		}
		slices.Sort(out)
		return out
	}
	if !slices.Equal(docs(got), docs(want)) {
		t.Errorf("kubectl kustomize renders other objects than the kustomize library:\n%s", got)
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
