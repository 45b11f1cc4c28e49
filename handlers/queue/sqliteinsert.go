package queue

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivershared/uniquestates"
	"github.com/riverqueue/river/rivertype"
)

// insertJobSQL stores one delivery's job in the embedded store's
// river_job table as River's own insert would (the same columns, the
// args and tags as JSONB, the times in River's SQLite format), one row
// per statement. A job whose unique key is held by a live job of the
// same delivery is not stored (no row changed): it is a duplicate.
//
// River's SQLite driver inserts a batch through one statement fed a JSON
// array (json_each, a json_extract per column, RETURNING * read back):
// re-reading each job's args thirteen times, then once more for the
// result, was two thirds of an intake's CPU. This statement is prepared
// once per connection (stmtcache.go) and takes its values bound, the
// times too: River's datetime('now', 'subsec'), twice per row, parsed
// its modifiers and formatted the time again for every job.
const insertJobSQL = `INSERT INTO river_job (args, created_at, kind, max_attempts, metadata, priority, queue, scheduled_at, state, tags, unique_key, unique_states)
VALUES (jsonb(?1), ?2, ?3, ?4, jsonb('{}'), ?5, ?6, ?2, 'available', jsonb(?7), ?8, ?9)
ON CONFLICT DO NOTHING`

// sqliteInsert stores ps in tx, returning one result per job; the Job of
// a stored one holds its id and what was written, a duplicate's is nil
// (the stored job is not read back). now is the clock (the injected one,
// or time.Now): every job of the batch is created and scheduled at one
// time read from it, in River's SQLite format, as River stores a job
// inserted on its own clock (the database's clock is the same host's).
func sqliteInsert(ctx context.Context, tx *sql.Tx, now func() time.Time, ps []river.InsertManyParams) ([]*rivertype.JobInsertResult, error) {
	// The values the jobs of a batch share are boxed (and the tags
	// encoded) once, not per row: the intake's jobs differ only in their
	// args, unique key and source tag.
	var created any = riverTime(now())
	// The states in which a unique key is held: River's default, every
	// state but the dead-letter ones.
	var states any = int64(uniquestates.UniqueStatesToBitmask(rivertype.UniqueOptsByStateDefault()))
	var kind any = Kind
	var shared struct {
		tags              []string
		queue             string
		maxAttempts       int
		tagsV, queueV, mV any
	}
	res := make([]*rivertype.JobInsertResult, len(ps))
	for i, p := range ps {
		args, ok := p.Args.(deliveryArgs)
		if !ok {
			return nil, fmt.Errorf("queue: job args %T are not a delivery", p.Args)
		}
		row, err := jobRowOf(args, p.InsertOpts)
		if err != nil {
			return nil, err
		}
		var key, keyStates any
		if row.UniqueKey != nil {
			key, keyStates = row.UniqueKey, states
		}
		if shared.tagsV == nil || !slices.Equal(row.Tags, shared.tags) {
			shared.tags, shared.tagsV = row.Tags, tagsJSON(row.Tags)
		}
		if shared.queueV == nil || row.Queue != shared.queue {
			shared.queue, shared.queueV = row.Queue, row.Queue
		}
		if shared.mV == nil || row.MaxAttempts != shared.maxAttempts {
			shared.maxAttempts, shared.mV = row.MaxAttempts, row.MaxAttempts
		}
		r, err := tx.ExecContext(ctx, insertJobSQL, row.EncodedArgs, created, kind, shared.mV, row.Priority, shared.queueV, shared.tagsV, key, keyStates)
		if err != nil {
			return nil, err
		}
		n, err := r.RowsAffected()
		if err != nil {
			return nil, err
		}
		if n == 0 {
			res[i] = &rivertype.JobInsertResult{UniqueSkippedAsDuplicate: true}
			continue
		}
		if row.ID, err = r.LastInsertId(); err != nil {
			return nil, err
		}
		res[i] = &rivertype.JobInsertResult{Job: row}
	}
	return res, nil
}

// jobRowOf is the job River would store for args and o: its args encoded
// as River encodes them, and the unique key River computes for
// UniqueOpts{ByArgs: true} (TestSQLiteInsertMatchesRiver holds both to
// River's own insert).
func jobRowOf(args deliveryArgs, o *river.InsertOpts) (*rivertype.JobRow, error) {
	if err := writtenOpts(o); err != nil {
		return nil, err
	}
	enc, err := encodeArgs(args)
	if err != nil {
		return nil, fmt.Errorf("queue: encoding job args: %w", err)
	}
	row := &rivertype.JobRow{EncodedArgs: enc, Kind: Kind, MaxAttempts: o.MaxAttempts, Priority: 1, Queue: o.Queue,
		State: rivertype.JobStateAvailable, Tags: o.Tags}
	if o.UniqueOpts.ByArgs {
		row.UniqueKey, err = uniqueKey(args)
	}
	return row, err
}

// writtenOpts refuses insert options this insert does not write (it
// writes the queue, tags, max attempts and a unique key by args with
// River's default states), so that an option added to the intake's jobs
// fails loudly here instead of being dropped.
func writtenOpts(o *river.InsertOpts) error {
	u := o.UniqueOpts
	if o.Metadata != nil || o.Pending || o.Priority > 1 || !o.ScheduledAt.IsZero() ||
		u.ByPeriod != 0 || u.ByQueue || u.ByState != nil || u.ExcludeKind {
		return fmt.Errorf("queue: the embedded store's job insert does not write insert options %+v", *o)
	}
	return nil
}

// uniqueKey is River's unique key of a delivery's job by args: the
// SHA-256 of its kind and its unique-tagged fields (delivery_id, source:
// sorted by JSON name, each encoded as in the args).
func uniqueKey(args deliveryArgs) ([]byte, error) {
	// One encoding of both fields, in JSON name order: the same bytes as
	// encoding each and joining them, with one encoding's allocations.
	fields, err := json.Marshal(struct {
		DeliveryID string `json:"delivery_id"`
		Source     string `json:"source"`
	}{args.DeliveryID, args.Source})
	if err != nil {
		return nil, err
	}
	s := make([]byte, 0, 64+len(fields))
	s = append(append(s, "&kind="+Kind+"&args="...), fields...)
	sum := sha256.Sum256(s)
	return sum[:], nil
}

// tagsJSON encodes tags (source tags: no character JSON escapes).
func tagsJSON(tags []string) string {
	b, _ := json.Marshal(tags) //nolint:errchkjson // strings always encode
	return string(b)
}

// riverTime is t in River's SQLite time format.
func riverTime(t time.Time) string {
	return t.UTC().Round(time.Millisecond).Format("2006-01-02 15:04:05.000")
}
