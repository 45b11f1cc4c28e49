package lambda

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Trigger names the kind of event a payload is.
type Trigger string

// The triggers the handler recognises.
const (
	TriggerAPIGatewayV1 Trigger = "apigateway-v1" // REST API proxy (and HTTP API payload 1.0)
	TriggerAPIGatewayV2 Trigger = "apigateway-v2" // HTTP API payload 2.0
	TriggerFunctionURL  Trigger = "function-url"  // Lambda Function URL
	TriggerSQS          Trigger = "sqs"
	TriggerSNS          Trigger = "sns" // SNS subscribed directly to the function
	TriggerSES          Trigger = "ses"
	TriggerSchedule     Trigger = "schedule" // EventBridge scheduled event
)

// ErrUnrecognised is returned for payloads that are none of the supported
// triggers.
var ErrUnrecognised = errors.New("unrecognised lambda event")

// probe holds the few fields that tell the triggers apart. encoding/json
// matches keys case-insensitively, so EventSource also matches SNS's
// "EventSource".
type probe struct {
	Version        string `json:"version"`
	HTTPMethod     string `json:"httpMethod"`
	RequestContext *struct {
		DomainName string `json:"domainName"`
		HTTP       *struct {
			Method string `json:"method"`
		} `json:"http"`
	} `json:"requestContext"`
	Records []struct {
		EventSource string `json:"eventSource"`
	} `json:"Records"`
	Source     string `json:"source"`
	DetailType string `json:"detail-type"`
}

// Detect tells which trigger produced payload.
func Detect(payload []byte) (Trigger, error) {
	var p probe
	if err := json.Unmarshal(payload, &p); err != nil {
		return "", fmt.Errorf("%w: %w", ErrUnrecognised, err)
	}
	switch {
	case len(p.Records) > 0:
		return detectRecords(p.Records[0].EventSource)
	case p.DetailType != "":
		if p.DetailType == "Scheduled Event" {
			return TriggerSchedule, nil
		}
		return "", fmt.Errorf("%w: eventbridge detail-type %q from %q", ErrUnrecognised, p.DetailType, p.Source)
	case p.Version == "2.0" && p.RequestContext != nil && p.RequestContext.HTTP != nil:
		if isFunctionURLDomain(p.RequestContext.DomainName) {
			return TriggerFunctionURL, nil
		}
		return TriggerAPIGatewayV2, nil
	case p.HTTPMethod != "":
		return TriggerAPIGatewayV1, nil
	}
	return "", ErrUnrecognised
}

func detectRecords(eventSource string) (Trigger, error) {
	switch eventSource {
	case "aws:sqs":
		return TriggerSQS, nil
	case "aws:sns":
		return TriggerSNS, nil
	case "aws:ses":
		return TriggerSES, nil
	}
	return "", fmt.Errorf("%w: records from event source %q", ErrUnrecognised, eventSource)
}

// isFunctionURLDomain reports whether host is <url-id>.lambda-url.<region>.on.aws.
func isFunctionURLDomain(host string) bool {
	return strings.Contains(host, ".lambda-url.") && strings.HasSuffix(host, ".on.aws")
}
