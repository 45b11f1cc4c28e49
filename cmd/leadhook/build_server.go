//go:build !leadhook.lambda

package main

// errHistoryNotBuilt is nil in the server build: it has the delivery
// history's SQLite and PostgreSQL drivers (see build_lambda.go).
var errHistoryNotBuilt error
