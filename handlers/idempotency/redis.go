package idempotency

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultRedisPrefix namespaces leadhook's keys in a shared Redis.
const DefaultRedisPrefix = "leadhook:idem:"

// pendingPrefix marks a value that is an in-flight claim, not an answer
// (answers are JSON objects and start with '{').
const pendingPrefix = "pending:"

// releaseScript deletes a claim only while it is still ours, so a replica
// whose claim expired never deletes another replica's claim or answer.
var releaseScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`)

// Redis is a Store and Claimer shared by every replica: one key per
// delivery holds either an expiring "pending" claim (SET NX PX) or the
// stored answer. Keys are the SHA-256 of the delivery key under a prefix,
// so ids of any shape give bounded, opaque key names.
type Redis struct {
	client redis.UniversalClient
	prefix string
}

// RedisOption configures a Redis store.
type RedisOption func(*Redis) error

// WithRedisPrefix replaces DefaultRedisPrefix (e.g. one per environment
// sharing a Redis).
func WithRedisPrefix(p string) RedisOption {
	return setIf(p != "", "empty redis key prefix", func(r *Redis) { r.prefix = p })
}

// setIf is the option of a T (a Redis or a ContactState) that applies set
// when ok and else fails with "idempotency: " + why: the one check-then-set
// that the options refusing an unusable value (empty, not positive) share.
func setIf[T any](ok bool, why string, set func(*T)) func(*T) error {
	return func(v *T) error {
		if !ok {
			return errors.New("idempotency: " + why)
		}
		set(v)
		return nil
	}
}

// NewRedis returns a store on client. It does not contact Redis: an
// unreachable Redis shows up as errors from Get, Put and Claim, which the
// Deduper turns into ErrUnavailable.
func NewRedis(client redis.UniversalClient, opts ...RedisOption) (*Redis, error) {
	if client == nil {
		return nil, errors.New("idempotency: nil redis client")
	}
	r := &Redis{client: client, prefix: DefaultRedisPrefix}
	for _, o := range opts {
		if err := o(r); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func (r *Redis) key(k string) string {
	sum := sha256.Sum256([]byte(k))
	return r.prefix + hex.EncodeToString(sum[:])
}

// Get implements Store. A pending claim is not an answer (false).
func (r *Redis) Get(ctx context.Context, key string) (Answer, bool, error) {
	v, err := r.client.Get(ctx, r.key(key)).Result()
	if errors.Is(err, redis.Nil) {
		return Answer{}, false, nil
	}
	if err != nil {
		return Answer{}, false, fmt.Errorf("idempotency: redis get: %w", err)
	}
	if strings.HasPrefix(v, pendingPrefix) {
		return Answer{}, false, nil
	}
	var a Answer
	if err := json.Unmarshal([]byte(v), &a); err != nil {
		return Answer{}, false, fmt.Errorf("idempotency: redis value of %q is not an answer: %w", r.key(key), err)
	}
	return a, true, nil
}

// Put implements Store: the answer replaces the claim (or any earlier
// answer) and lives for ttl.
func (r *Redis) Put(ctx context.Context, key string, a Answer, ttl time.Duration) error {
	if ttl <= 0 {
		return errors.New("idempotency: ttl must be positive")
	}
	b, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("idempotency: encode answer: %w", err)
	}
	if err := r.client.Set(ctx, r.key(key), b, ttl).Err(); err != nil {
		return fmt.Errorf("idempotency: redis set: %w", err)
	}
	return nil
}

// Claim implements Claimer with SET NX PX: it succeeds only when the key
// holds neither a claim nor an answer.
func (r *Redis) Claim(ctx context.Context, key string, ttl time.Duration) (string, bool, error) {
	if ttl <= 0 {
		return "", false, errors.New("idempotency: claim ttl must be positive")
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	token := pendingPrefix + hex.EncodeToString(b[:])
	ok, err := r.client.SetNX(ctx, r.key(key), token, ttl).Result()
	if err != nil {
		return "", false, fmt.Errorf("idempotency: redis claim: %w", err)
	}
	if !ok {
		return "", false, nil
	}
	return token, true, nil
}

// Release implements Claimer: it deletes the claim if it is still token's.
func (r *Redis) Release(ctx context.Context, key, token string) error {
	if err := releaseScript.Run(ctx, r.client, []string{r.key(key)}, token).Err(); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("idempotency: redis release: %w", err)
	}
	return nil
}

// Ping checks that Redis answers (readiness, start-up logs).
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("idempotency: redis ping: %w", err)
	}
	return nil
}
