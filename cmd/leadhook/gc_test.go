package main

import (
	"runtime/debug"
	"testing"
)

func TestTuneGC(t *testing.T) {
	tests := []struct {
		name      string
		env       map[string]string
		wantGOGC  string
		wantFrom  string
		wantSetTo int // the percent in effect afterwards
	}{
		{name: "unset: leadhook's default", env: map[string]string{}, wantGOGC: "200", wantFrom: "leadhook's default", wantSetTo: defaultGCPercent},
		{name: "empty counts as unset", env: map[string]string{"GOGC": ""}, wantGOGC: "200", wantFrom: "leadhook's default", wantSetTo: defaultGCPercent},
		{name: "GOGC wins", env: map[string]string{"GOGC": "50"}, wantGOGC: "50", wantFrom: "GOGC", wantSetTo: 77},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := debug.SetGCPercent(77) // a marker: tuneGC must leave it when GOGC is set
			t.Cleanup(func() { debug.SetGCPercent(before) })
			env := &Env{LookupEnv: func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }}
			gogc, from := tuneGC(env)
			if gogc != tc.wantGOGC || from != tc.wantFrom {
				t.Errorf("tuneGC = %q, %q; want %q, %q", gogc, from, tc.wantGOGC, tc.wantFrom)
			}
			if got := debug.SetGCPercent(77); got != tc.wantSetTo {
				t.Errorf("GC percent after tuneGC = %d, want %d", got, tc.wantSetTo)
			}
		})
	}
}
