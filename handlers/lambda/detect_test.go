package lambda_test

import (
	"errors"
	"testing"

	"github.com/leadhook/leadhook/handlers/lambda"
)

func TestDetect(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
		want    lambda.Trigger
		wantErr bool
	}{
		{name: "rest v1", payload: fixture(t, "apigw-v1-request.json"), want: lambda.TriggerAPIGatewayV1},
		{name: "http api v2", payload: fixture(t, "apigw-v2-request.json"), want: lambda.TriggerAPIGatewayV2},
		{name: "http api v2 base64", payload: fixture(t, "apigw-v2-base64-request.json"), want: lambda.TriggerAPIGatewayV2},
		{name: "function url", payload: fixture(t, "lambda-url-request.json"), want: lambda.TriggerFunctionURL},
		{name: "sqs", payload: fixture(t, "sqs-event.json"), want: lambda.TriggerSQS},
		{name: "sqs holding sns", payload: fixture(t, "sqs-sns-event.json"), want: lambda.TriggerSQS},
		{name: "sns", payload: fixture(t, "sns-event.json"), want: lambda.TriggerSNS},
		{name: "ses", payload: fixture(t, "ses-lambda-event.json"), want: lambda.TriggerSES},
		{name: "scheduled", payload: fixture(t, "eventbridge-scheduled.json"), want: lambda.TriggerSchedule},
		{name: "http api payload 1.0", payload: []byte(`{"version":"1.0","httpMethod":"POST","path":"/hooks/x"}`), want: lambda.TriggerAPIGatewayV1},
		{name: "other eventbridge event", payload: []byte(`{"version":"0","detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","detail":{}}`), wantErr: true},
		{name: "kinesis records", payload: []byte(`{"Records":[{"eventSource":"aws:kinesis"}]}`), wantErr: true},
		{name: "empty object", payload: []byte(`{}`), wantErr: true},
		{name: "not json", payload: []byte(`hello`), wantErr: true},
		{name: "v2 without http context", payload: []byte(`{"version":"2.0","rawPath":"/hooks/x"}`), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := lambda.Detect(tt.payload)
			if tt.wantErr {
				if !errors.Is(err, lambda.ErrUnrecognised) {
					t.Fatalf("Detect = %q, %v; want ErrUnrecognised", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Detect = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
