package stack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"econdip/services/cmd/econdip/stack"
	"econdip/services/platform/auth"
	"econdip/services/platform/obs"
	"econdip/services/platform/reference"
)

// TestFinding4_UnknownUserAndWrongPasswordTakeTheSameTime: with the
// production configuration's cost, a wrong password for an account that
// exists answers as slowly as any password for an id that does not, so
// timing does not tell which ids exist: the demo accounts are hashed at the
// cost of the decoy, and an account imported with a cheaper hash (a data
// folder from before, or a users file made elsewhere) is checked against
// the decoy as well. Each account is tried once (a sixth wrong password
// would meet the pause, which answers at once), unknown ids are each new,
// and the two kinds are interleaved; the medians must be within 3×.
func TestFinding4_UnknownUserAndWrongPasswordTakeTheSameTime(t *testing.T) {
	const tries = 15
	t.Setenv("ECONDIP_BCRYPT_COST", "") // the default, whatever the environment says
	cfg, err := stack.ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BcryptCost != bcrypt.DefaultCost {
		t.Fatalf("the configured cost is %d by default, want bcrypt's default %d", cfg.BcryptCost, bcrypt.DefaultCost)
	}
	cheap, err := bcrypt.GenerateFromPassword([]byte("an old demo password"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		demo bool // the local default's demo accounts; else a users file with cost-4 hashes
	}{
		{"the demo accounts of a new data folder", true},
		{"accounts imported with a cheaper hash than the configured cost", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := cfg
			cfg.DataDir, cfg.NATSPort = t.TempDir(), -1
			cfg.UsersFile = filepath.Join(cfg.DataDir, "users.json")
			if !c.demo {
				var f auth.File
				for i := range tries {
					f.Users = append(f.Users, auth.Entry{User: auth.User{ID: fmt.Sprintf("analyst.old%d", i), Name: "Old", Role: auth.Analyst},
						TokenSHA256: auth.HashToken(fmt.Sprintf("tok-%d", i)), PasswordBcrypt: string(cheap)})
				}
				raw, _ := json.Marshal(f)
				if err := os.WriteFile(cfg.UsersFile, raw, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			s := stack.New(cfg, obs.Discard(), reference.Default())
			t.Cleanup(s.Close)
			if err := s.LoadUsers(c.demo); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			t.Cleanup(cancel)
			if err := s.StartNATS(ctx, true); err != nil {
				t.Fatal(err)
			}
			accounts, err := s.Identity.Users(auth.User{ID: "admin", Role: auth.Admin})
			if err != nil || len(accounts) < tries {
				t.Fatalf("%d accounts (%v), want at least %d", len(accounts), err, tries)
			}
			if c.demo {
				if cost, err := bcrypt.Cost([]byte(accounts[0].PasswordHash)); err != nil || cost != cfg.BcryptCost {
					t.Errorf("the demo accounts are hashed at cost %d (%v), want the configured %d", cost, err, cfg.BcryptCost)
				}
			}
			timed := func(id string) time.Duration {
				t0 := time.Now()
				if _, err := s.Identity.SignIn(ctx, id, "not the password at all"); err == nil {
					t.Fatalf("%s signed in with a wrong password", id)
				}
				return time.Since(t0)
			}
			var unknown, wrong []time.Duration
			for i := range tries {
				unknown = append(unknown, timed(fmt.Sprintf("nobody.%d", i)))
				wrong = append(wrong, timed(accounts[i].ID))
			}
			mu, mw := median(unknown), median(wrong)
			t.Logf("median of %d: unknown id %s, wrong password %s", tries, mu, mw)
			if max(mu, mw) > 3*min(mu, mw) {
				t.Errorf("an unknown id answers in %s and a wrong password in %s (medians): timing tells which ids exist", mu, mw)
			}
		})
	}
}

func median(d []time.Duration) time.Duration {
	d = slices.Clone(d)
	slices.Sort(d)
	return d[len(d)/2]
}
