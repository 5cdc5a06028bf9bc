package eventstore

import "time"

// Followed is the last sequence the view's follower received.
func (v *View[T]) Followed() uint64 { return v.covered() }

// SetLockWait shortens the wait for a view's file held by another holder.
func SetLockWait(d time.Duration) (restore func()) {
	old := lockWait
	lockWait = d
	return func() { lockWait = old }
}

// SetFlushAfter changes how long an event waits for a read before it is stored.
func SetFlushAfter(d time.Duration) (restore func()) {
	old := flushAfter
	flushAfter = d
	return func() { flushAfter = old }
}
