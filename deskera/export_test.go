package deskera

// EncodeListQuery returns the query ListContacts sends for o (Query: the
// direct encoding when it applies) and url.Values' encoding of it.
func EncodeListQuery(o *ListContactsOptions) (got, want string) {
	return o.Query(), o.values().Encode()
}

// QueryEscape is appendQueryEscape as a string.
func QueryEscape(s string) string { return string(appendQueryEscape(nil, s)) }
