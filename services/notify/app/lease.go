package app

import "time"

// DefaultLeaseTTL is how long a lease lasts without a renewal: the time
// another instance waits before it takes over from one that died.
//
// The lease itself (natsx.Lease) makes exactly one notifier instance of a
// cluster the evaluator; the create-only keys make a reminder or digest
// fire once even if two instances ever acted together.
const DefaultLeaseTTL = 30 * time.Second
