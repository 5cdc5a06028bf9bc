package stack

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"econdip/analytics/chserver"
	"econdip/services/platform/natsx"
)

// SecretsDir is the folder, under the data folder, where the local default
// (econdip up) keeps its passwords: one file per NATS user and per
// ClickHouse user, mode 0600 in a folder of mode 0700.
const SecretsDir = "secrets"

// LocalSecrets are the passwords of the local default: each service's NATS
// user (natsx.ServiceAccess, the rights production gives it) and the
// private ClickHouse's users (an administrator for migrations, ingest's
// writer, the dashboard's read-only user). They are made on the first start
// and read at every later one; deleting a file (or the folder) and starting
// again rotates those passwords.
type LocalSecrets struct {
	Dir        string
	NATS       map[string]string // NATS user (service) → password
	ClickHouse map[string]string // ClickHouse user → password
}

// NATSFile is the file holding the password of NATS user service, for
// ECONDIP_NATS_PASSWORD_FILE or the nats CLI.
func (s LocalSecrets) NATSFile(service string) string {
	return filepath.Join(s.Dir, "nats-"+service+".password")
}

// ClickHouseFile is the file holding the password of ClickHouse user, for
// ECONDIP_CLICKHOUSE_PASSWORD_FILE or clickhouse-client.
func (s LocalSecrets) ClickHouseFile(user string) string {
	return filepath.Join(s.Dir, "clickhouse-"+user+".password")
}

// clickHouseUsers are the private server's users that have passwords.
var clickHouseUsers = []string{chserver.AdminUser, chserver.WriterUser, chserver.ReadOnlyUser}

// LoadLocalSecrets reads the passwords in dir, making those that are
// missing. A file other users could read is made private again (and said
// so): the passwords are the only thing between a local user and the log.
func LoadLocalSecrets(dir string, log *slog.Logger) (LocalSecrets, error) {
	s := LocalSecrets{Dir: dir, NATS: map[string]string{}, ClickHouse: map[string]string{}}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return s, fmt.Errorf("secrets folder: %w", err)
	}
	if err := keepPrivate(dir, 0o700, log); err != nil {
		return s, err
	}
	made := 0
	load := func(path string) (string, error) {
		pw, created, err := readOrMakeSecret(path, log)
		if created {
			made++
		}
		return pw, err
	}
	for _, service := range natsx.Services() {
		pw, err := load(s.NATSFile(service))
		if err != nil {
			return s, err
		}
		s.NATS[service] = pw
	}
	for _, user := range clickHouseUsers {
		pw, err := load(s.ClickHouseFile(user))
		if err != nil {
			return s, err
		}
		s.ClickHouse[user] = pw
	}
	if made > 0 {
		log.Info("made new passwords for the local NATS and ClickHouse users", "made", made, "folder", dir)
	}
	return s, nil
}

func readOrMakeSecret(path string, log *slog.Logger) (password string, created bool, err error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		password = rand.Text() // 26 characters of base32: 130 random bits
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return "", false, fmt.Errorf("write %s: %w", path, err)
		}
		_, werr := f.WriteString(password + "\n")
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return "", false, fmt.Errorf("write %s: %w", path, werr)
		}
		return password, true, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read %s: %w", path, err)
	}
	if err := keepPrivate(path, 0o600, log); err != nil {
		return "", false, err
	}
	password = strings.TrimRight(string(raw), "\r\n")
	if password == "" {
		return "", false, fmt.Errorf("%s is empty: delete it and start again to make a new password", path)
	}
	return password, false, nil
}

// keepPrivate sets mode on path when group or others have any right on it.
func keepPrivate(path string, mode fs.FileMode, log *slog.Logger) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o077 == 0 {
		return nil
	}
	if err := os.Chmod(path, mode); err != nil {
		return fmt.Errorf("%s is readable by other users (mode %o) and could not be made private: %w; run chmod %o %s", path, fi.Mode().Perm(), err, mode, path)
	}
	log.Warn("made a file of secrets private again: other users could read it; consider rotating its passwords (README, Local credentials)",
		"path", path, "mode_was", fmt.Sprintf("%o", fi.Mode().Perm()), "mode", fmt.Sprintf("%o", mode))
	return nil
}

// PrepareDataDir creates the data folder of the local default, private to
// this user: it holds the log (NATS), the projection (ClickHouse), account
// hashes and the passwords. A folder others could enter is closed again.
func PrepareDataDir(dir string, log *slog.Logger) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("data folder: %w", err)
	}
	return keepPrivate(dir, 0o700, log)
}
