package engine

// Waiting is how many deliveries for the contact key have joined the
// engine's handoff (waiting for or holding the key's lock).
func (e *Engine) Waiting(key string) int { return e.hand.waiting(key) }

// Lingers reports whether the contact key's handoff lingers after a burst.
func (e *Engine) Lingers(key string) bool { return e.hand.lingers(key) }

// BurstLinger is how long a burst's contact lingers.
const BurstLinger = burstLinger
