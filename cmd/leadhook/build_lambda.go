//go:build leadhook.lambda

package main

import "errors"

// errHistoryNotBuilt: the Lambda build (tag leadhook.lambda, the
// Makefile's LAMBDA_TAGS) has no database/sql driver, so no delivery
// history, no /admin/ page and no deliveries or rules diff --deliveries
// commands reading it: the drivers, the queue store and the OTLP
// exporter would take the zip over its 10 MB (see the README's Lambda
// section).
var errHistoryNotBuilt = errors.New("the Lambda build has no delivery history store (LEADHOOK_STORE_URL is ignored; LEADHOOK_DATA_DIR keeps only the reassign checkpoints); the server binary keeps it")
