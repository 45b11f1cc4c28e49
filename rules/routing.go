package rules

import (
	"encoding/binary"
	"hash/fnv"
	"math"
)

// Route picks an owner for key from the pool by weighted rendezvous
// (highest random weight) hashing: every owner gets score
// -weight/ln(u), u = hash(key, owner) in (0,1), and the highest wins.
// The choice depends only on the key and the pool, so retries and
// replicas agree; adding an owner with weight w to a pool of total weight
// W moves about w/(W+w) of the keys, all of them to the new owner.
// Route returns 0 for an empty pool.
func Route(owners []Owner, key string) int64 {
	var best int64
	bestScore := math.Inf(-1)
	for _, o := range owners {
		w := o.Weight
		if w <= 0 {
			w = 1
		}
		u := unitHash(key, o.ID)
		score := -w / math.Log(u)
		if score > bestScore || score == bestScore && o.ID < best {
			best, bestScore = o.ID, score
		}
	}
	return best
}

// unitHash maps (key, id) to a float in (0, 1).
func unitHash(key string, id int64) float64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(key))
	var buf [8]byte
	binary.LittleEndian.PutUint64(buf[:], uint64(id))
	_, _ = h.Write(buf[:])
	x := mix64(h.Sum64())
	// 53 random bits, never 0 or 1.
	return (float64(x>>11) + 0.5) / (1 << 53)
}

// mix64 is the splitmix64 finaliser (FNV alone mixes its last bytes poorly).
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
