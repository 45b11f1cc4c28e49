package deskera

// EncodeListQuery returns the query ListContacts sends for o (the direct
// encoding when it applies) and url.Values' encoding of it.
func EncodeListQuery(o *ListContactsOptions) (got, want string) {
	want = o.values().Encode()
	if q, ok := o.searchQuery(); ok {
		return q, want
	}
	return want, want
}
