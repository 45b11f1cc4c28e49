package webhook

import (
	"strconv"
	"testing"

	"github.com/leadhook/leadhook/rules"
)

func TestProvSplitAddress(t *testing.T) {
	cases := []struct{ in, addr, name string }{
		{"Bob <Bob@Example.com>", "bob@example.com", "Bob"},
		{`"Lee, Ann" <ann@x.io>`, "ann@x.io", "Lee, Ann"},
		{"=?UTF-8?Q?J=C3=B6rg?= <j@x.io>", "j@x.io", "Jörg"},
		{"plain@x.io", "plain@x.io", ""},
		{"Broken Name <broken@x.io", "", ""},
		{"Weird [x] <w@x.io>", "w@x.io", "Weird [x]"},
		{"not an address", "", ""},
		{"", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			addr, name := provSplitAddress(tc.in)
			if addr != tc.addr || name != tc.name {
				t.Errorf("provSplitAddress(%q) = %q, %q; want %q, %q", tc.in, addr, name, tc.addr, tc.name)
			}
		})
	}
}

// TestNormalizeProviderFields: the cases of the former provPick, now
// through the one normaliser. Two assertions changed with it: a
// non-address email is a 400 naming its field (provPick dropped it), and
// a list takes its first element, as Normalize always did.
func TestNormalizeProviderFields(t *testing.T) {
	cases := []struct {
		name   string
		fields map[string]any
		want   rules.Event
	}{
		{"WellKnownKeys", map[string]any{"E-mail": " Ann@X.io ", "Full Name": "Ann Lee", "Phone Number": "+1 555", "Company Name": "Acme"},
			rules.Event{Email: "ann@x.io", Name: "Ann Lee", Phone: "+1 555", Company: "Acme"}},
		{"FirstAndLast", map[string]any{"first_name": "Ann", "last_name": "Lee"}, rules.Event{Name: "Ann Lee"}},
		{"ContainsFallback", map[string]any{"primary_email_addr": "a@x.io", "home_phone_no": float64(5550100)},
			rules.Event{Email: "a@x.io", Phone: "5550100"}},
		{"NotAnEmail", map[string]any{"email": "n/a"}, rules.Event{Kind: "400"}},
		// issue 14: "Company size: 51-200" became organization_name.
		{"CompanySizeIsNotTheCompany", map[string]any{"Company size": "51-200"}, rules.Event{}},
		{"CompanyDetailsIgnored", map[string]any{"Company type": "B2B", "Size of company": "10", "Business": "SaaS",
			"Company website": "acme.io"}, rules.Event{}},
		{"CompanyNextToItsSize", map[string]any{"Company size": "51-200", "Company": "Acme"}, rules.Event{Company: "Acme"}},
		{"CurrentCompanySuffix", map[string]any{"Company size": "51-200", "Current company": "Acme"}, rules.Event{Company: "Acme"}},
		{"OrganisationName", map[string]any{"Organisation name": "Acme Ltd"}, rules.Event{Company: "Acme Ltd"}},
		{"ListValue", map[string]any{"email": []any{"first@x.io", "second@x.io"}}, rules.Event{Email: "first@x.io"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev := rules.Event{Fields: tc.fields}
			err := Normalize(&ev)
			if tc.want.Kind == "400" {
				provWantError(t, err, 400, "email")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ev.Email != tc.want.Email || ev.Name != tc.want.Name || ev.Phone != tc.want.Phone || ev.Company != tc.want.Company {
				t.Errorf("got %q %q %q %q, want %q %q %q %q", ev.Email, ev.Name, ev.Phone, ev.Company,
					tc.want.Email, tc.want.Name, tc.want.Phone, tc.want.Company)
			}
		})
	}
}

func TestProvParseMIME(t *testing.T) {
	nest := func(levels int) string {
		body := "Content-Type: text/plain\r\n\r\ndeep"
		for i := levels; i > 0; i-- {
			b := "b" + strconv.Itoa(i)
			body = "Content-Type: multipart/mixed; boundary=" + b + "\r\n\r\n--" + b + "\r\n" + body + "\r\n--" + b + "--\r\n"
		}
		return body
	}
	cases := []struct {
		name    string
		raw     string
		want    rules.Mail
		wantErr bool
	}{
		{"PlainDefault", "From: A <a@x.io>\r\nSubject: Hi\r\nMessage-ID: <1@x>\r\n\r\nbody",
			rules.Mail{From: "a@x.io", FromName: "A", Subject: "Hi", MessageID: "<1@x>", Text: "body"}, false},
		{"Base64Text", "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\naGVs\r\nbG8=\r\n",
			rules.Mail{Text: "hello"}, false},
		{"InlineImageCounted", "Content-Type: multipart/related; boundary=r\r\n\r\n--r\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--r\r\nContent-Type: image/png\r\n\r\nPNG\r\n--r--\r\n",
			rules.Mail{HTML: "<p>x</p>", Attachments: 1}, false},
		{"AttachedTextCounted", "Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\nContent-Type: text/plain\r\n\r\nbody\r\n--m\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=a.txt\r\n\r\nfile\r\n--m--\r\n",
			rules.Mail{Text: "body", Attachments: 1}, false},
		{"NestedWithinLimit", nest(provMaxMIMEDepth), rules.Mail{Text: "deep"}, false},
		{"TooDeep", nest(provMaxMIMEDepth + 2), rules.Mail{}, true},
		{"NoHeaders", "no colon here", rules.Mail{}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var m rules.Mail
			err := provParseMIME([]byte(tc.raw), &m)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			provCheckMail(t, m, tc.want)
		})
	}
}

func TestDecodeCharset(t *testing.T) {
	cases := []struct{ name, in, charset, want string }{
		{"Latin1", "Caf\xe9", "iso-8859-1", "Café"},
		{"Latin1ASCII", "plain", "ISO-8859-1", "plain"},
		{"UTF8", "Café", "UTF-8", "Café"},
		{"UnknownInvalidBytesReplaced", "a\xffb", "x-unknown", "a\uFFFDb"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := decodeCharset(tc.in, tc.charset); got != tc.want {
				t.Errorf("decodeCharset(%q, %q) = %q, want %q", tc.in, tc.charset, got, tc.want)
			}
		})
	}
}
