package deskera

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/leadhook/leadhook/internal/atomicfile"
)

// StoredToken is a rotated OAuth refresh token as kept by a TokenStore.
// Seed identifies (by hash, never the value) the refresh token leadhook
// was started with: when the operator supplies a new one, the stored
// token rotated from the old one is ignored.
type StoredToken struct {
	Seed         string `json:"seed"`
	RefreshToken string `json:"refresh_token"`
}

// TokenStore keeps the current refresh token across restarts (and, when
// shared, across replicas). Load returns a zero StoredToken when none is
// stored.
type TokenStore interface {
	Load(ctx context.Context) (StoredToken, error)
	Save(ctx context.Context, t StoredToken) error
}

// seedHash names a seed refresh token without revealing it.
func seedHash(s secret) string {
	sum := sha256.Sum256([]byte("leadhook-refresh-seed\x00" + s.reveal()))
	return hex.EncodeToString(sum[:8])
}

// TokenFileName is the file a FileTokenStore keeps in its directory.
const TokenFileName = "deskera-refresh-token.json"

// FileTokenStore keeps the token in Dir/TokenFileName with mode 0600,
// replaced atomically (write to a temporary file, then rename).
type FileTokenStore struct {
	Dir string
}

// Load reads the stored token (zero when the file does not exist).
func (s FileTokenStore) Load(_ context.Context) (StoredToken, error) {
	var t StoredToken
	b, err := os.ReadFile(filepath.Join(s.Dir, TokenFileName))
	if errors.Is(err, fs.ErrNotExist) {
		return t, nil
	}
	if err != nil {
		return t, fmt.Errorf("deskera: read token file: %w", err)
	}
	if err := json.Unmarshal(b, &t); err != nil {
		return StoredToken{}, fmt.Errorf("deskera: token file %q is not valid json: %w", filepath.Join(s.Dir, TokenFileName), err)
	}
	return t, nil
}

// Save writes t with mode 0600 (the directory is created with 0700).
func (s FileTokenStore) Save(_ context.Context, t StoredToken) error {
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return fmt.Errorf("deskera: token directory: %w", err)
	}
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	if err := atomicfile.WritePrivate(filepath.Join(s.Dir, TokenFileName), b); err != nil {
		return fmt.Errorf("deskera: token file: %w", err)
	}
	return nil
}
