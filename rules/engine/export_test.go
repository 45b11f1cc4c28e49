package engine

// Waiting is how many deliveries for the contact key have joined the
// engine's handoff (waiting for or holding the key's lock).
func (e *Engine) Waiting(key string) int { return e.hand.waiting(key) }
