package identity

// Password sign-in is limited twice, so that guessing is slow and a stranger
// who knows a user id cannot keep its user out. Both records live in the
// SIGNIN_FAILURES bucket and change only by compare-and-set on their
// revision (a request that lost the race reads again and retries), so
// concurrent requests cannot all pass a "not paused" check:
//
//   - Per account: a password check first takes one of MaxFailures slots,
//     and only then does bcrypt run; at most MaxFailures passwords of an
//     account are checked in a window, however many arrive at once. Taking
//     the last slot pauses password sign-in to the account: FirstLock (1 min)
//     the first time, doubling each time it pauses again (2, 4, 8 min) up to
//     LockFor (15 min); failures are counted within LockFor, and a quiet
//     LockFor after a pause starts again from FirstLock. While paused, even
//     the right password is refused unchecked (a stranger's browser cannot
//     lift the pause by knowing it), but a personal API token still signs
//     in and lifts the pause, and so does a new password. The right password
//     resets the account's count.
//   - Per source address (the dashboard's client address; IPv6 by its /64):
//     every refused password sign-in counts, whatever the account, paused
//     ones too. After SourceMaxFailures (10) within SourceLockFor (1 h) the
//     address may not try a password for SourceLockFor, doubling at each
//     block in a row up to 24 h. Its slot is taken before the check as well,
//     and given back when the password is right, so a burst at many accounts
//     gets no more checks than that either. Token sign-in is not limited by
//     address: people behind a blocked shared address sign in with a token.
//
// So a stranger's five guesses pause the account for a minute, not for
// good; five more from the same address pause it for two minutes and block
// that address for an hour. Each address gives at most SourceMaxFailures
// guesses an hour over all accounts, and an account gets at most
// MaxFailures guesses per pause whatever the number of addresses. Unknown
// ids have records too (any id is a key), so the answers do not tell which
// accounts exist.

import (
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"econdip/services/platform/apperr"
)

// sourceLongest is the longest block of a source address.
const sourceLongest = 24 * time.Hour

// attempts is one account's or one source address's record.
type attempts struct {
	Count int       `json:"count"` // attempts counted (or under way) in the current window
	Until time.Time `json:"until"` // the window's end; once Count reaches the limit, the pause's end
	Level int       `json:"level"` // pauses in a row before this window: each doubles the next
}

// limit is the rule of one kind of record.
type limit struct {
	prefix  string        // key prefix: "u." accounts, "s." source addresses
	max     int           // attempts per window; taking the last one pauses
	window  time.Duration // how long attempts are counted
	first   time.Duration // the first pause
	longest time.Duration // pauses double up to this
}

func (l limit) paused(a attempts, now time.Time) bool { return a.Count >= l.max && now.Before(a.Until) }

// take counts one attempt at now; false when the record is paused.
func (l limit) take(a *attempts, now time.Time) bool {
	if l.paused(*a, now) {
		return false
	}
	if !now.Before(a.Until) { // the window is over: count afresh
		switch {
		case !now.Before(a.Until.Add(l.longest)):
			a.Level = 0 // quiet for as long as the longest pause: start again from the first
		case a.Count >= l.max:
			a.Level = min(a.Level+1, 64) // paused, and back soon after: the next pause is longer
		}
		a.Count, a.Until = 0, now.Add(l.window)
	}
	a.Count++
	if a.Count >= l.max {
		a.Until = now.Add(l.pause(a.Level))
	}
	return true
}

// pause is the pause after level pauses in a row.
func (l limit) pause(level int) time.Duration {
	d := l.first
	for i := 0; i < level && d < l.longest; i++ {
		d *= 2
	}
	return min(d, l.longest)
}

// giveBack returns an attempt that turned out not to be a failure.
func (l limit) giveBack(a *attempts) { a.Count = max(a.Count-1, 0) }

func (s *Service) accountLimit() limit {
	return limit{prefix: "u.", max: s.opts.MaxFailures, window: s.opts.LockFor, first: s.opts.FirstLock, longest: s.opts.LockFor}
}

func (s *Service) sourceLimit() limit {
	return limit{prefix: "s.", max: s.opts.SourceMaxFailures, window: s.opts.SourceLockFor, first: s.opts.SourceLockFor,
		longest: max(sourceLongest, s.opts.SourceLockFor)}
}

// key is the record's key of an account id or a source address (hashed:
// any string is a valid key, and the bucket holds no addresses or ids).
func (l limit) key(of string) string { return l.prefix + hashHex(of)[:32] }

// sourceOf is what a source address is counted as: an IPv4 address whole,
// an IPv6 address by its /64 (one subscriber's network).
func sourceOf(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	if a = a.Unmap(); a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// take counts an attempt on the record of key by compare-and-set, retrying
// when another request wrote first; ok is false when the record is paused.
// It returns the record as written (or as found, when paused).
func (s *Service) take(ctx context.Context, l limit, key string, now time.Time) (attempts, bool, error) {
	var ok bool
	a, err := s.updateAttempts(ctx, key, func(a *attempts) bool {
		ok = l.take(a, now)
		return ok
	})
	return a, ok, err
}

// updateAttempts applies change to the record of key and writes it if
// change says so, by compare-and-set on the record's revision: Create when
// there is none, Update from the revision read otherwise. A request that
// lost the race reads the record again.
func (s *Service) updateAttempts(ctx context.Context, key string, change func(*attempts) bool) (attempts, error) {
	for range 100 {
		var a attempts
		var rev uint64
		e, err := s.failures.Get(ctx, key)
		switch {
		case err == nil:
			rev = e.Revision()
			_ = json.Unmarshal(e.Value(), &a) // a damaged record counts afresh
		case !errors.Is(err, jetstream.ErrKeyNotFound):
			return a, apperr.Wrap(apperr.Unavailable, err, "error.store_unavailable")
		}
		if !change(&a) {
			return a, nil
		}
		raw, _ := json.Marshal(a)
		if rev == 0 {
			_, err = s.failures.Create(ctx, key, raw)
		} else {
			_, err = s.failures.Update(ctx, key, raw, rev)
		}
		switch {
		case err == nil:
			return a, nil
		case errors.Is(err, jetstream.ErrKeyExists), errors.Is(err, jetstream.ErrKeyRevisionMismatch):
			continue // another request wrote first
		default:
			return a, apperr.Wrap(apperr.Unavailable, err, "error.store_unavailable")
		}
	}
	return attempts{}, apperr.E(apperr.Unavailable, "error.store_unavailable")
}

// minutesLeft is how many whole minutes, rounded up, until t.
func minutesLeft(t, now time.Time) int { return max(int((t.Sub(now)+time.Minute-1)/time.Minute), 1) }

// retryAfter rides on a refused sign-in's error (as its cause) and says
// how long until the next try may succeed.
type retryAfter time.Duration

func (r retryAfter) Error() string { return "retry after " + time.Duration(r).String() }

// RetryAfter is how long until a sign-in refused for too many attempts may
// be tried again; zero for any other error.
func RetryAfter(err error) time.Duration {
	var r retryAfter
	if errors.As(err, &r) {
		return time.Duration(r)
	}
	return 0
}
