package natsx

import (
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/nats-io/nats.go"
)

// The environment variables that carry a service's NATS credentials. A
// password comes from the variable or, better, from a file the platform
// mounts (a Kubernetes or Docker secret); a .creds file (user JWT and nkey
// seed, made with nsc) replaces both on a cluster in operator mode.
const (
	EnvUser         = "ECONDIP_NATS_USER"
	EnvPassword     = "ECONDIP_NATS_PASSWORD"
	EnvPasswordFile = "ECONDIP_NATS_PASSWORD_FILE"
	EnvCreds        = "ECONDIP_NATS_CREDS"
	// EnvCAFile names the PEM file of the certificate authority that signed
	// the NATS servers' TLS certificates (a private CA); with it the client
	// requires TLS and checks the servers against that CA only.
	EnvCAFile = "ECONDIP_NATS_CA_FILE"
)

// Credentials say how a service proves who it is to NATS. The zero value
// connects without credentials (the local embedded server without users).
type Credentials struct {
	User        string
	Password    string // never logged: see LogValue
	CredsFile   string // path of a .creds file; read by the client at each (re)connect
	InboxPrefix string // must lie inside the user's subscribe permission (InboxPrefix(service))
	CAFile      string // PEM of the CA the servers' certificates must chain to; empty: system roots (for tls:// URLs)
}

// CredentialsFromEnv reads the credentials of service from the ECONDIP_NATS_*
// variables through lookup (os.LookupEnv in main). The user defaults to the
// service's name; the inbox prefix is the service's. A password file is read
// here, so a missing file stops the start, and trimmed of its final newline.
// Errors name variables and files, never a secret.
func CredentialsFromEnv(service string, lookup func(string) (string, bool)) (Credentials, error) {
	get := func(name string) string {
		v, _ := lookup(name)
		return strings.TrimSpace(v)
	}
	var c Credentials
	if service != "" {
		c.InboxPrefix = InboxPrefix(service)
	}
	if ca := get(EnvCAFile); ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return Credentials{}, fmt.Errorf("%s: %w", EnvCAFile, err)
		}
		if !x509.NewCertPool().AppendCertsFromPEM(pem) {
			return Credentials{}, fmt.Errorf("%s: %s holds no PEM certificate (give the CA certificate, e.g. ca.pem)", EnvCAFile, ca)
		}
		c.CAFile = ca
	}
	user, passwordFile, creds := get(EnvUser), get(EnvPasswordFile), get(EnvCreds)
	password, _ := lookup(EnvPassword) // as given: a password may start or end with a space
	switch {
	case creds != "" && (password != "" || passwordFile != ""):
		return Credentials{}, fmt.Errorf("%s and a password (%s or %s) are both set: a .creds file carries the user and its key, unset the password", EnvCreds, EnvPassword, EnvPasswordFile)
	case password != "" && passwordFile != "":
		return Credentials{}, fmt.Errorf("%s and %s are both set: set one", EnvPassword, EnvPasswordFile)
	case creds != "":
		f, err := os.Open(creds)
		if err != nil {
			return Credentials{}, fmt.Errorf("%s: %w", EnvCreds, err)
		}
		f.Close()
		c.CredsFile = creds
		return c, nil
	case passwordFile != "":
		b, err := os.ReadFile(passwordFile)
		if err != nil {
			return Credentials{}, fmt.Errorf("%s: %w", EnvPasswordFile, err)
		}
		password = strings.TrimRight(string(b), "\r\n")
		if password == "" {
			return Credentials{}, fmt.Errorf("%s: %s is empty", EnvPasswordFile, passwordFile)
		}
	case password == "" && user != "":
		return Credentials{}, fmt.Errorf("%s is set but no password: set %s (a mounted secret) or %s", EnvUser, EnvPasswordFile, EnvPassword)
	case password == "":
		return c, nil // no credentials: the local embedded server
	}
	if user == "" {
		user = service
	}
	if user == "" {
		return Credentials{}, fmt.Errorf("a NATS password is set but no user: set %s", EnvUser)
	}
	c.User, c.Password = user, password
	return c, nil
}

// Options are the connect options that present the credentials; pass them
// to Connect.
func (c Credentials) Options() []nats.Option {
	var opts []nats.Option
	switch {
	case c.CredsFile != "":
		opts = append(opts, nats.UserCredentials(c.CredsFile))
	case c.User != "":
		opts = append(opts, nats.UserInfo(c.User, c.Password))
	}
	if c.InboxPrefix != "" {
		opts = append(opts, nats.CustomInboxPrefix(c.InboxPrefix))
	}
	if c.CAFile != "" {
		opts = append(opts, nats.RootCAs(c.CAFile))
	}
	return opts
}

// LogValue shows who the credentials are for, never the password.
func (c Credentials) LogValue() slog.Value {
	switch {
	case c.CredsFile != "":
		return slog.GroupValue(slog.String("creds_file", c.CredsFile))
	case c.User != "":
		return slog.GroupValue(slog.String("user", c.User), slog.String("password", "[redacted]"))
	}
	return slog.StringValue("none")
}

// String is LogValue for fmt.
func (c Credentials) String() string { return c.LogValue().String() }

// GoString keeps %#v from printing the password too.
func (c Credentials) GoString() string { return "natsx.Credentials" + c.String() }

// RandomPasswords returns a fresh random password for each service, for an
// embedded server whose users live only as long as the process (EmbeddedUsers).
func RandomPasswords(services ...string) map[string]string {
	out := make(map[string]string, len(services))
	for _, s := range services {
		out[s] = rand.Text()
	}
	return out
}
