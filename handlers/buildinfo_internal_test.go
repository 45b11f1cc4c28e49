package handlers

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestBuildRevision(t *testing.T) {
	info := func(settings ...debug.BuildSetting) func() (*debug.BuildInfo, bool) {
		return func() (*debug.BuildInfo, bool) { return &debug.BuildInfo{Settings: settings}, true }
	}
	tests := []struct {
		name string
		read func() (*debug.BuildInfo, bool)
		want string
	}{
		{name: "no build info", read: func() (*debug.BuildInfo, bool) { return nil, false }, want: "unknown"},
		{name: "no vcs stamp", read: info(debug.BuildSetting{Key: "GOOS", Value: "linux"}), want: "unknown"},
		{name: "clean checkout", read: info(debug.BuildSetting{Key: "vcs.revision", Value: "abc123"}, debug.BuildSetting{Key: "vcs.modified", Value: "false"}), want: "abc123"},
		{name: "modified tree", read: info(debug.BuildSetting{Key: "vcs.revision", Value: "abc123"}, debug.BuildSetting{Key: "vcs.modified", Value: "true"}), want: "abc123-dirty"},
		{name: "modified without revision", read: info(debug.BuildSetting{Key: "vcs.modified", Value: "true"}), want: "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := buildRevision(tt.read); got != tt.want {
				t.Errorf("buildRevision = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestBuildInfoGauge(t *testing.T) {
	m := NewMetrics()
	m.SetBuildInfo("v1.2.3")
	m.SetBuildInfo("v1.2.3") // a second call keeps the one series
	want := `# HELP leadhook_build_info Always 1; the labels say which build is running.
# TYPE leadhook_build_info gauge
leadhook_build_info{goversion="` + runtime.Version() + `",revision="` + buildRevision(debug.ReadBuildInfo) + `",version="v1.2.3"} 1
`
	if err := testutil.GatherAndCompare(m.Registry, strings.NewReader(want), "leadhook_build_info"); err != nil {
		t.Error(err)
	}
}
