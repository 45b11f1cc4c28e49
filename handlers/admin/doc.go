// Package admin serves the delivery history to operators: a JSON API
// under /admin/deliveries (list with filters, one record, replay) and a
// small server-rendered HTML page at /admin/ listing recent deliveries
// with their outcome, score and matched rules, each opening a page that
// shows why. Every request needs the admin token: as a bearer token
// (Authorization: Bearer ...) or, for the HTML pages, a cookie set by the
// page's sign-in form. Without a token the admin API is not served at all.
package admin
