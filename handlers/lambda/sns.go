package lambda

import (
	"encoding/json"
	"net/http"
)

// SNS message types, as in an SNS envelope's Type field.
const (
	snsNotification = "Notification"
)

// snsEnvelope is the JSON SNS delivers over HTTP and, without raw message
// delivery, puts in the body of the SQS messages it fans out to.
type snsEnvelope struct {
	Type              string                  `json:"Type"`
	MessageID         string                  `json:"MessageId"`
	TopicArn          string                  `json:"TopicArn"`
	Subject           string                  `json:"Subject,omitempty"`
	Message           string                  `json:"Message"`
	Timestamp         string                  `json:"Timestamp"`
	MessageAttributes map[string]snsAttribute `json:"MessageAttributes,omitempty"`
}

type snsAttribute struct {
	Type  string `json:"Type"`
	Value string `json:"Value"`
}

// parseSNSEnvelope returns the envelope when body is one (a JSON object
// with a known Type, a MessageId and a TopicArn), else nil.
func parseSNSEnvelope(body []byte) *snsEnvelope {
	if len(body) == 0 || body[0] != '{' {
		return nil
	}
	var env snsEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil
	}
	switch env.Type {
	case snsNotification, "SubscriptionConfirmation", "UnsubscribeConfirmation":
	default:
		return nil
	}
	if env.MessageID == "" || env.TopicArn == "" {
		return nil
	}
	return &env
}

// attribute returns the string value of a message attribute.
func (e *snsEnvelope) attribute(name string) string {
	a, ok := e.MessageAttributes[name]
	if !ok || a.Type == "Binary" {
		return ""
	}
	return a.Value
}

// snsHeaders are the headers SNS sends with an HTTP delivery of env; a
// source whose parser understands SNS (format ses) gets the envelope with
// them, as if SNS had posted it.
func snsHeaders(env *snsEnvelope) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "text/plain; charset=UTF-8")
	h.Set("X-Amz-Sns-Message-Type", env.Type)
	h.Set("X-Amz-Sns-Message-Id", env.MessageID)
	h.Set("X-Amz-Sns-Topic-Arn", env.TopicArn)
	h.Set("User-Agent", "Amazon Simple Notification Service Agent")
	return h
}
