package natsx_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"econdip/services/platform/natsx"
	"econdip/services/platform/obs"
)

// TestClientTrustsTheCAOfECONDIP_NATS_CA_FILE runs a NATS server whose
// certificate a private CA signed: a service given that CA in
// ECONDIP_NATS_CA_FILE connects over TLS; without it the connection is
// refused (unknown authority); a file that is not a certificate stops the
// start with the variable's name.
func TestClientTrustsTheCAOfECONDIP_NATS_CA_FILE(t *testing.T) {
	dir := t.TempDir()
	caCert, caKey := newCert(t, nil, nil, "econdip test CA")
	srvCert, srvKey := newCert(t, caCert, caKey, "127.0.0.1")
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caCert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(srvKey)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srvCert.Raw}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true,
		TLS: true, TLSConfig: &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS with TLS did not start")
	}
	t.Cleanup(srv.Shutdown)
	url := "tls://" + srv.Addr().(*net.TCPAddr).String()

	env := func(vars map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	}
	creds, err := natsx.CredentialsFromEnv(natsx.ServiceLeads, env(map[string]string{natsx.EnvCAFile: caFile}))
	if err != nil {
		t.Fatal(err)
	}
	nc, _, err := natsx.Connect(t.Context(), url, "leads", obs.Discard(), creds.Options()...)
	if err != nil {
		t.Fatalf("with the CA: %v", err)
	}
	if !nc.TLSRequired() {
		t.Error("connected without TLS")
	}
	nc.Close()

	plain, _ := natsx.CredentialsFromEnv(natsx.ServiceLeads, env(nil))
	if nc, err := nats.Connect(url, append(plain.Options(), nats.MaxReconnects(0))...); err == nil {
		nc.Close()
		t.Error("connected to a server signed by an unknown CA without ECONDIP_NATS_CA_FILE")
	} else if !strings.Contains(err.Error(), "certificate") {
		t.Errorf("refused for another reason than the certificate: %v", err)
	}

	junk := filepath.Join(dir, "junk.pem")
	_ = os.WriteFile(junk, []byte("not a certificate"), 0o600)
	for file, want := range map[string]string{junk: "holds no PEM certificate", filepath.Join(dir, "missing.pem"): "no such file"} {
		_, err := natsx.CredentialsFromEnv(natsx.ServiceLeads, env(map[string]string{natsx.EnvCAFile: file}))
		if err == nil || !strings.Contains(err.Error(), natsx.EnvCAFile) || !strings.Contains(err.Error(), want) {
			t.Errorf("CA file %s: %v, want an error naming %s and %q", filepath.Base(file), err, natsx.EnvCAFile, want)
		}
	}
}

// newCert makes a certificate for name (an IP address or a CA's name),
// signed by parent, or self-signed as a CA when parent is nil.
func newCert(t *testing.T, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, name string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
	}
	signer, signerKey := tmpl, key
	if parent == nil {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage = x509.KeyUsageCertSign
	} else {
		tmpl.IPAddresses = []net.IP{net.ParseIP(name)}
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		signer, signerKey = parent, parentKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}
