package identity_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"econdip/services/identity"
	"econdip/services/platform/apperr"
)

const rightPassword = "the right long password"

// outcome names what a sign-in came to.
func outcome(err error) string {
	switch {
	case err == nil:
		return "session"
	case apperr.CodeOf(err) == apperr.TooManyRequests && strings.Contains(err.Error(), "network address"):
		return "blocked"
	case apperr.CodeOf(err) == apperr.Unauthorized && strings.Contains(err.Error(), "locked"):
		return "paused"
	case apperr.CodeOf(err) == apperr.Unauthorized && strings.Contains(err.Error(), "password is wrong"):
		return "wrong"
	}
	return err.Error()
}

// TestFinding3_ParallelWrongPasswordsCheckAtMostTheAllowed: an account's
// failure count is taken by compare-and-set before bcrypt runs, so
// concurrent sign-ins cannot all pass the "not locked" check. Every check
// is held until the burst has settled (each sign-in is either held at its
// check or has answered): a read-check-write counter lets them all reach
// bcrypt; the right password sent while the allowed checks are under way
// must be refused unchecked, then signs in once the pause is over.
func TestFinding3_ParallelWrongPasswordsCheckAtMostTheAllowed(t *testing.T) {
	const maxFailures = 5
	for _, c := range []struct {
		name      string
		wrong     int
		thenRight bool
	}{
		{"30 wrong passwords at once", 30, false},
		{"29 wrong at once, then the right one while they are being checked", 29, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, _ := startWith(t, identity.Options{BcryptCost: bcrypt.MinCost, MaxFailures: maxFailures, LockFor: time.Minute})
			ctx := context.Background()
			if _, err := s.CreateUser(ctx, admin, "analyst.race", identity.Details{Name: "Race", Role: "analyst"}, rightPassword); err != nil {
				t.Fatal(err)
			}
			var checks atomic.Int32
			entered, release := make(chan struct{}, 64), make(chan struct{})
			s.OnPasswordCheck(func() {
				checks.Add(1)
				entered <- struct{}{}
				<-release
			})
			answers := make(chan error, 64)
			signIn := func(password string) {
				go func() {
					_, err := s.SignIn(ctx, "analyst.race", password)
					answers <- err
				}()
			}
			var got []error
			held := 0
			settle := func(n int) { // until n sign-ins are held at their check or have answered
				t.Helper()
				deadline := time.After(20 * time.Second)
				for held+len(got) < n {
					select {
					case <-entered:
						held++
					case err := <-answers:
						got = append(got, err)
					case <-deadline:
						close(release)
						t.Fatalf("after 20 s, %d sign-ins are held at the check and %d answered, of %d", held, len(got), n)
					}
				}
			}
			total := c.wrong
			for i := range c.wrong {
				signIn(fmt.Sprintf("wrong password %d", i))
			}
			settle(c.wrong)
			if c.thenRight {
				total++
				signIn(rightPassword)
				settle(total)
			}
			close(release)
			for len(got) < total {
				got = append(got, <-answers)
			}
			tally := map[string]int{}
			for _, err := range got {
				tally[outcome(err)]++
			}
			if n := int(checks.Load()); n > maxFailures {
				t.Errorf("%d passwords were checked, want at most %d; answers %v", n, maxFailures, tally)
			}
			if tally["session"] > 0 {
				t.Errorf("a sign-in opened a session after the %d checks allowed were taken; answers %v", maxFailures, tally)
			}
			if tally["wrong"] != int(checks.Load()) || tally["wrong"]+tally["paused"] != total {
				t.Errorf("answers %v for %d checks, want a wrong password for each check and a pause for the rest", tally, checks.Load())
			}
			// The pause runs out: the right password signs in.
			s.OnPasswordCheck(nil)
			s.SetClock(func() time.Time { return time.Now().Add(2 * time.Minute) })
			if _, err := s.SignIn(ctx, "analyst.race", rightPassword); err != nil {
				t.Errorf("the right password after the pause: %v", err)
			}
		})
	}
}

// TestFinding11_AStrangerCannotLockTheUserOut walks the rules of the
// sign-in limits (attempts.go), one step at a time on a test clock: a
// stranger's guesses pause the account's password sign-in for a while that
// doubles, not for good, and never its token sign-in, which lifts the
// pause; the stranger's own address is blocked for much longer, and
// addresses other than the stranger's (or the stranger's IPv6 /64) are not.
func TestFinding11_AStrangerCannotLockTheUserOut(t *testing.T) {
	s, _ := startWith(t, identity.Options{BcryptCost: bcrypt.MinCost, MaxFailures: 3, FirstLock: time.Minute, LockFor: 4 * time.Minute,
		SourceMaxFailures: 5, SourceLockFor: time.Hour})
	ctx := context.Background()
	const user = "analyst.target"
	if _, err := s.CreateUser(ctx, admin, user, identity.Details{Name: "Target", Role: "analyst"}, rightPassword); err != nil {
		t.Fatal(err)
	}
	token, _, err := s.CreateToken(ctx, admin, user, "laptop")
	if err != nil {
		t.Fatal(err)
	}
	var checks atomic.Int32
	s.OnPasswordCheck(func() { checks.Add(1) })
	start := time.Now()
	const (
		stranger, home      = "192.0.2.1", "198.51.100.7"
		other, another      = "203.0.113.9", "203.0.113.10"
		v6, v6Same, v6Other = "2001:db8::1", "2001:db8::2", "2001:db8:0:1::1"
		wrong               = "a wrong guess"
		viaToken            = "(token)"
	)
	for i, st := range []struct {
		at       time.Duration
		from     string
		id       string
		password string
		want     string        // session, wrong, paused (the account), blocked (the address)
		wait     time.Duration // RetryAfter of a pause or a block
		rule     string
	}{
		{0, stranger, user, wrong, "wrong", 0, "a wrong password is checked"},
		{0, stranger, user, wrong, "wrong", 0, ""},
		{0, stranger, user, wrong, "wrong", 0, "the third check pauses the account's password sign-in for FirstLock"},
		{0, home, user, rightPassword, "paused", time.Minute, "while paused, the right password is refused unchecked"},
		{0, home, user, viaToken, "session", 0, "a personal token signs in while paused, and lifts the pause"},
		{0, home, user, rightPassword, "session", 0, "the pause is lifted"},
		{0, other, user, wrong, "wrong", 0, ""},
		{0, other, user, wrong, "wrong", 0, ""},
		{0, other, user, wrong, "wrong", 0, "paused again"},
		{30 * time.Second, stranger, user, wrong, "paused", 30 * time.Second, "a paused sign-in counts against the address"},
		{61 * time.Second, home, user, rightPassword, "session", 0, "the pause ran out: the right password signs in"},
		{61 * time.Second, stranger, user, wrong, "wrong", 0, "the address's fifth refusal blocks it for SourceLockFor"},
		{61 * time.Second, stranger, user, rightPassword, "blocked", time.Hour, "a blocked address is refused, the right password too"},
		{61 * time.Second, stranger, "analyst.someone", wrong, "blocked", time.Hour, "and for every account"},
		{61 * time.Second, home, user, rightPassword, "session", 0, "another address is not blocked"},
		{2 * time.Minute, another, user, wrong, "wrong", 0, "guesses from many addresses"},
		{2 * time.Minute, another, user, wrong, "wrong", 0, ""},
		{2 * time.Minute, another, user, wrong, "wrong", 0, "pause 1: FirstLock"},
		{3*time.Minute + time.Second, v6, user, wrong, "wrong", 0, ""},
		{3*time.Minute + time.Second, v6, user, wrong, "wrong", 0, ""},
		{3*time.Minute + time.Second, v6, user, wrong, "wrong", 0, "pause 2 in a row: twice as long"},
		{4 * time.Minute, home, user, rightPassword, "paused", 61 * time.Second, ""},
		{5*time.Minute + 2*time.Second, home, user, rightPassword, "session", 0, "the longer pause ran out too"},
		{5*time.Minute + 2*time.Second, v6Same, "nobody.here", wrong, "wrong", 0, "an IPv6 address counts by its /64"},
		{5*time.Minute + 2*time.Second, v6Same, "nobody.here", wrong, "wrong", 0, "the /64's fifth refusal blocks it"},
		{5*time.Minute + 2*time.Second, v6, user, rightPassword, "blocked", time.Hour, "the whole /64 is blocked"},
		{5*time.Minute + 2*time.Second, v6Other, user, rightPassword, "session", 0, "another /64 is not"},
		{2 * time.Hour, stranger, user, rightPassword, "session", 0, "the address's block ran out"},
	} {
		s.SetClock(func() time.Time { return start.Add(st.at) })
		before := checks.Load()
		var err error
		if st.password == viaToken {
			_, err = s.SessionForToken(ctx, token)
		} else {
			_, err = s.SignInFrom(ctx, st.from, st.id, st.password)
		}
		step := fmt.Sprintf("step %d (%s from %s as %s: %s)", i+1, st.at, st.from, st.id, st.rule)
		if got := outcome(err); got != st.want {
			t.Errorf("%s: %s (%v), want %s", step, got, err, st.want)
		}
		if got := identity.RetryAfter(err); got != st.wait {
			t.Errorf("%s: retry after %s, want %s", step, got, st.wait)
		}
		wantChecks := int32(0)
		if st.password != viaToken && (st.want == "wrong" || st.want == "session") {
			wantChecks = 1
		}
		if got := checks.Load() - before; got != wantChecks {
			t.Errorf("%s: %d password checks, want %d", step, got, wantChecks)
		}
	}
}
