// Package engine acts on the plans package rules decides: Prepare resolves
// the declared labels, Process looks the contact up, evaluates the event and
// makes the fewest Deskera calls (a new contact gets its label, owner and
// stored score inside its POST; changes to an existing contact merge into
// one PATCH), ProcessBatch groups shared label and owner changes into bulk
// PATCHes, Sweep and Reassign relabel or hand over many contacts in bulk.
// Classify tells a caller whether an error is temporary, the delivery's
// fault or ours.
package engine
