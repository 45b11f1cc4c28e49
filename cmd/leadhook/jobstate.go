package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/leadhook/leadhook/internal/atomicfile"
	"github.com/leadhook/leadhook/rules/engine"
)

// jobState is the small file under LEADHOOK_DATA_DIR through which a sweep
// or reassign that failed half way is resumed (--resume): which job it
// was, with which parameters, and its last checkpoint.
type jobState struct {
	path string // "" when no data directory is configured: nothing kept
	job  string // e.g. "leadhook reassign --from-owner 5555 --pool sales"
}

// jobStateFile is what the file holds.
type jobStateFile struct {
	Job        string                  `json:"job"`
	Checkpoint *engine.SweepCheckpoint `json:"checkpoint"`
}

// newJobState names the state file of a command ("sweep", "reassign") in
// dir ("" keeps none). job describes the run so that --resume refuses a
// state left by a run with other parameters.
func newJobState(dir, command, job string) *jobState {
	if dir == "" {
		return &jobState{job: job}
	}
	return &jobState{path: filepath.Join(dir, "leadhook-"+command+".state.json"), job: job}
}

// errOtherJob: the state file was left by a run with other parameters.
var errOtherJob = errors.New("state file belongs to another run")

// load returns the checkpoint to resume (nil when there is no state).
func (s *jobState) load() (*engine.SweepCheckpoint, error) {
	if s.path == "" {
		return nil, errors.New("--resume needs LEADHOOK_DATA_DIR (--data-dir), where the state of the failed run is kept")
	}
	b, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	var f jobStateFile
	if err := json.Unmarshal(b, &f); err != nil || f.Checkpoint == nil {
		return nil, fmt.Errorf("state file %q is not a leadhook job state (remove it to start over)", s.path)
	}
	if f.Job != s.job {
		return nil, fmt.Errorf("%w: %q is of `%s`, not `%s` (resume that run, or run without --resume to start over)", errOtherJob, s.path, f.Job, s.job)
	}
	return f.Checkpoint, nil
}

// save writes a checkpoint atomically (a temporary file renamed over the
// state), mode 0600. No data directory: nothing is written.
func (s *jobState) save(cp *engine.SweepCheckpoint) error {
	if s.path == "" {
		return nil
	}
	b, err := json.Marshal(jobStateFile{Job: s.job, Checkpoint: cp})
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	if err := atomicfile.WritePrivate(s.path, b); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	return nil
}

// done removes the state of a run that completed.
func (s *jobState) done() error {
	if s.path == "" {
		return nil
	}
	if err := os.Remove(s.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove state: %w", err)
	}
	return nil
}
