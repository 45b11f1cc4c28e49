// Package reload keeps a rules file's compiled *rules.Set current while
// the service runs: it reloads on SIGHUP and when the file's folder
// changes (editors' rename-on-save, Kubernetes ConfigMap ..data symlink
// swaps), compiles the new file off the request path and swaps it in
// atomically. A bad file keeps the previous rules; every problem is
// logged and counted (leadhook_rules_reload_total{result}) and shown in
// Status for /readyz.
//
// Readers call Current once per event and keep the *rules.Set they got,
// so an event in flight finishes on the rules it started with.
package reload
