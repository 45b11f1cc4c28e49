package lambda_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/deskera/deskeratest"
	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/handlerstest"
	"github.com/leadhook/leadhook/handlers/lambda"
	"github.com/leadhook/leadhook/rules"
)

// exampleLambda is rules.example.yaml's service behind the Lambda handler,
// on a fake Deskera over HTTP.
func exampleLambda(t *testing.T) (*lambda.Handler, *rules.Set, *deskeratest.Server) {
	t.Helper()
	svc, set, fake := handlerstest.ExampleService(t, handlers.Config{})
	h, err := lambda.New(lambda.Config{Core: svc})
	if err != nil {
		t.Fatal(err)
	}
	return h, set, fake
}

// deskeraRecord is an SQS record holding a Deskera webhook about one
// contact, with the source's token as a message attribute (a header).
func deskeraRecord(msgID string, contact deskera.ID, extra string, arn string) events.SQSMessage {
	rec := sqsRecord(msgID, fmt.Sprintf(`{"event":"UPDATE_CRM_CONTACT","eventId":"%s","data":{"id":%d%s}}`, msgID, contact, extra), "deskera", arn)
	tok, ct := "dev-deskera-token", "application/json"
	rec.MessageAttributes["X-Leadhook-Token"] = events.SQSMessageAttribute{StringValue: &tok, DataType: "String"}
	rec.MessageAttributes["content_type"] = events.SQSMessageAttribute{StringValue: &ct, DataType: "String"}
	return rec
}

// TestSQSBatchGroupsChanges: an SQS batch of 4 Deskera webhooks, one
// contact each, is processed together: one POST /v1/crm/contacts/multiple
// for the 4 contacts and one bulk PATCH per distinct (label, owner)
// change, not 4 GETs and 4 PATCHes; every record succeeds. A replay of
// the same batch is answered from the idempotency store without a call;
// a FIFO queue keeps its record-by-record order.
func TestSQSBatchGroupsChanges(t *testing.T) {
	h, set, fake := exampleLambda(t)
	var sales []rules.Owner
	for _, p := range set.Pools() {
		if p.Name == "sales" {
			sales = p.Owners
		}
	}
	var recs []events.SQSMessage
	owners := map[deskera.ID]bool{}
	for i := range 4 {
		email := fmt.Sprintf("q%d@acme.io", i)
		c := fake.AddContact(deskera.Contact{Name: "Q", Email: email, OwnerID: 99999, CustomField: storedScore()})
		extra := ""
		if i >= 2 {
			extra = `,"deal_status":"won"`
			owners[17826] = true
		} else {
			owners[deskera.ID(rules.Route(sales, email))] = true
		}
		recs = append(recs, deskeraRecord(fmt.Sprintf("m-%d", i), c.ID, extra, "arn:aws:sqs:eu-west-1:123456789012:leads"))
	}
	fake.ResetCounts()
	var resp events.SQSEventResponse
	mustInvoke(t, h.Invoke, sqsPayload(recs...), &resp)
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures %v", failedIDs(resp))
	}
	counts := fake.Counts()
	if counts["contacts.multiple"] != 1 || counts["contacts.get"] != 0 || counts["contacts.update"] != 0 {
		t.Errorf("calls %v: want one contacts.multiple, no GET, no single PATCH", counts)
	}
	if got := counts["contacts.bulk_update"]; got < 1 || got > len(owners) {
		t.Errorf("bulk PATCHes %d, want at most one per distinct change (%d)", got, len(owners))
	}
	for _, c := range fake.Contacts() {
		if c.OwnerID == 99999 {
			t.Errorf("contact %d kept the departed owner", c.ID)
		}
	}
	fake.ResetCounts()
	mustInvoke(t, h.Invoke, sqsPayload(recs...), &resp)
	if len(resp.BatchItemFailures) != 0 || fake.Total() != 0 {
		t.Errorf("replayed batch: failures %v, calls %v", failedIDs(resp), fake.Counts())
	}

	// FIFO: record by record (a GET each), the order kept.
	var fifo []events.SQSMessage
	for i := range 2 {
		c := fake.AddContact(deskera.Contact{Name: "F", Email: fmt.Sprintf("f%d@acme.io", i), OwnerID: 99999})
		fifo = append(fifo, deskeraRecord(fmt.Sprintf("f-%d", i), c.ID, "", "arn:aws:sqs:eu-west-1:123456789012:leads.fifo"))
	}
	fake.ResetCounts()
	mustInvoke(t, h.Invoke, sqsPayload(fifo...), &resp)
	if len(resp.BatchItemFailures) != 0 || fake.Count("contacts.get") != 2 || fake.Count("contacts.multiple") != 0 {
		t.Errorf("fifo: failures %v, calls %v", failedIDs(resp), fake.Counts())
	}
}

// TestSQSBatchFailuresPerRecord: in a batch processed together, a record
// whose source is unknown or whose bulk PATCH Deskera refuses is reported
// failed alone; the others succeed.
func TestSQSBatchFailuresPerRecord(t *testing.T) {
	h, _, fake := exampleLambda(t)
	a := fake.AddContact(deskera.Contact{Name: "A", Email: "a@acme.io", OwnerID: 99999, CustomField: storedScore()})
	b := fake.AddContact(deskera.Contact{Name: "B", Email: "b@acme.io", OwnerID: 5, CustomField: storedScore()})
	recs := []events.SQSMessage{
		deskeraRecord("ok-1", a.ID, "", "arn:aws:sqs:eu-west-1:1:q"),
		deskeraRecord("won-1", b.ID, `,"deal_status":"won"`, "arn:aws:sqs:eu-west-1:1:q"),
		sqsRecord("nosrc-1", `{}`, "nope", "arn:aws:sqs:eu-west-1:1:q"),
	}
	// The first bulk PATCH (a's owner change) succeeds, the second (b's
	// Customer label and owner) is refused every time.
	fake.FailOpAfter("contacts.bulk_update", 1, 10, 400)
	var resp events.SQSEventResponse
	mustInvoke(t, h.Invoke, sqsPayload(recs...), &resp)
	got := failedIDs(resp)
	if len(got) != 2 || got[0] != "nosrc-1" && got[1] != "nosrc-1" {
		t.Fatalf("failed %v, want won-1 and nosrc-1", got)
	}
	for _, id := range got {
		if id == "ok-1" {
			t.Errorf("the record whose PATCH succeeded is reported failed: %v", got)
		}
	}
	if c, _ := fake.Contact(a.ID); c.OwnerID == 99999 {
		t.Error("a's owner change was not applied")
	}
}

// TestSQSBatchDuplicateDelivery: a batch holding the same message twice
// (same message id: SQS delivers at least once) acts once: the second
// record is answered as a replay of the first, after it (no claim waits
// for itself), and both succeed.
func TestSQSBatchDuplicateDelivery(t *testing.T) {
	h, _, fake := exampleLambda(t)
	a := fake.AddContact(deskera.Contact{Name: "A", Email: "a@acme.io", OwnerID: 99999, CustomField: storedScore()})
	b := fake.AddContact(deskera.Contact{Name: "B", Email: "b@acme.io", OwnerID: 99999, CustomField: storedScore()})
	first := deskeraRecord("dup", a.ID, "", "arn:aws:sqs:eu-west-1:1:q")
	again := first
	recs := []events.SQSMessage{first, deskeraRecord("other", b.ID, "", "arn:aws:sqs:eu-west-1:1:q"), again}
	fake.ResetCounts()
	var resp events.SQSEventResponse
	mustInvoke(t, h.Invoke, sqsPayload(recs...), &resp)
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures %v", failedIDs(resp))
	}
	if fake.Count("contacts.multiple") != 1 || fake.Count("contacts.get") != 0 {
		t.Errorf("calls %v: the duplicate should be a replay, not a lookup", fake.Counts())
	}
}

// storedScore is the custom fields of a score the contact has stored
// (issue 14 part 1: Lead score, raised now) above what a CRM event scores:
// the batch's plans then change the owner or label only, which a bulk
// PATCH can do.
func storedScore() []deskera.CustomField {
	return []deskera.CustomField{{Label: "Lead score", Value: "30"}, {Label: "Lead score at", Value: time.Now().UTC().Format(time.RFC3339)}}
}
