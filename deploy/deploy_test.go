// Package deploy holds no code: its tests check the deployment files
// (deploy/docker, deploy/compose, deploy/k8s, deploy/grafana and the
// Grafana dashboards in dashboards/grafana) against the code, since no
// container engine or Kubernetes runs where the tests do. They parse every
// file and check that it references only images that are built here or
// pinned, environment variables the code reads, ports the processes listen
// on, files that exist (or that gen-secrets.sh makes), secrets that are
// mounted, and tables the migrations create; the dashboards' SQL runs
// against a real ClickHouse.
package deploy

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"go.yaml.in/yaml/v3"

	"econdip/analytics"
	"econdip/analytics/chtest"
	"econdip/services/platform/auth"
	"econdip/services/platform/natsx"
	"econdip/services/platform/obs"
	"econdip/services/platform/reference"
)

func TestMain(m *testing.M) {
	code := chtest.Run(m, "econdip_test_deploy")
	if secretsDir != "" {
		os.RemoveAll(filepath.Dir(secretsDir))
	}
	os.Exit(code)
}

// root is the repository's top folder (tests run in deploy/).
const root = ".."

// econdipImage is the image deploy/docker/Dockerfile builds.
const econdipImage = "econdip"

// pinnedImages are the outside images the files may use, each at exactly
// this tag: official images, never latest. NATS is checked against the
// nats-server version in go.mod (the one the tests run against).
var pinnedImages = map[string]string{
	"nats":                         "", // filled from go.mod: <version>-alpine
	"clickhouse/clickhouse-server": "25.8",
	"clickhouse/clickhouse-keeper": "25.8",
	"grafana/grafana":              "12.2.0",
}

// knownPorts are the ports each outside image listens on in our configuration.
var knownPorts = map[string][]int{
	"nats":                         {4222, 6222, 8222},
	"clickhouse/clickhouse-server": {9000, 9440, 8123, 9009},
	"clickhouse/clickhouse-keeper": {9181, 9234},
	"grafana/grafana":              {3000},
}

// roles are the long-running econdip commands and their NATS users; each
// runs as two copies. migrate runs once, as admin-tool.
var roles = []string{natsx.ServiceLeads, natsx.ServiceCommissions, natsx.ServiceExports, natsx.ServiceCompanies, natsx.ServiceIngest, natsx.ServiceNotify, natsx.ServiceSearch, natsx.ServiceDashboard}

func natsUser(role string) string {
	if role == "migrate" {
		return natsx.ServiceAdminTool
	}
	return role
}

func addrVar(role string) string { return "ECONDIP_" + strings.ToUpper(role) + "_ADDR" }

func read(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatalf("read %s: %v", rel, err)
	}
	return b
}

func exists(rel string) bool {
	_, err := os.Stat(filepath.Join(root, rel))
	return err == nil
}

// yamlDocs parses every document of a YAML file (anchors and merge keys resolved).
func yamlDocs(t testing.TB, rel string) []map[string]any {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(read(t, rel)))
	var out []map[string]any
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return out
			}
			t.Fatalf("%s: %v", rel, err)
		}
		if doc != nil {
			out = append(out, doc)
		}
	}
}

// get walks maps by keys; nil when a key is missing.
func get(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	default:
		return fmt.Sprint(x)
	}
}

func list(v any) []any { l, _ := v.([]any); return l }

func strs(v any) []string {
	var out []string
	for _, x := range list(v) {
		out = append(out, str(x))
	}
	return out
}

// splitImage splits repo:tag.
func splitImage(img string) (repo, tag string) {
	if i := strings.LastIndex(img, ":"); i > strings.LastIndex(img, "/") {
		return img[:i], img[i+1:]
	}
	return img, ""
}

var (
	codeVarsOnce sync.Once
	codeVars     map[string]bool
)

var envNameRe = regexp.MustCompile(`"(ECONDIP_[A-Z0-9_]*[A-Z0-9])"`)

// readVars is every ECONDIP_* variable the code reads: the names quoted in
// the Go sources outside tests and outside deploy/, and the ones the
// generated NATS configuration takes from the servers' environment.
func readVars(t testing.TB) map[string]bool {
	t.Helper()
	codeVarsOnce.Do(func() {
		codeVars = map[string]bool{}
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			if d.IsDir() {
				if rel == "deploy" || rel == "data" || strings.HasPrefix(d.Name(), ".") && rel != "." || d.Name() == "testdata" {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			for _, m := range envNameRe.FindAllSubmatch(b, -1) {
				codeVars[string(m[1])] = true
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for v := range natsConfVars(t) {
			codeVars[v] = true
		}
	})
	return codeVars
}

var natsConfVarRe = regexp.MustCompile(`\$(ECONDIP_[A-Z0-9_]+)`)

// natsConfVars are the variables deploy/nats/econdip-users.conf reads from
// the NATS servers' environment (the users' bcrypt hashes).
func natsConfVars(t testing.TB) map[string]bool {
	out := map[string]bool{}
	for _, m := range natsConfVarRe.FindAllStringSubmatch(string(read(t, "deploy/nats/econdip-users.conf")), -1) {
		out[m[1]] = true
	}
	return out
}

// natsConfUsers are the users deploy/nats/econdip-users.conf defines.
func natsConfUsers(t testing.TB) map[string]bool {
	out := map[string]bool{}
	for _, m := range regexp.MustCompile(`user: "([^"]+)"`).FindAllStringSubmatch(string(read(t, "deploy/nats/econdip-users.conf")), -1) {
		out[m[1]] = true
	}
	return out
}

// natsVersion is the nats-server version go.mod requires (v2.15.2 -> 2.15.2).
func natsVersion(t testing.TB) string {
	m := regexp.MustCompile(`github.com/nats-io/nats-server/v2 v([0-9.]+)`).FindSubmatch(read(t, "go.mod"))
	if m == nil {
		t.Fatal("go.mod: no nats-server requirement")
	}
	return string(m[1])
}

func pinned(t testing.TB) map[string]string {
	p := map[string]string{}
	for k, v := range pinnedImages {
		p[k] = v
	}
	p["nats"] = natsVersion(t) + "-alpine"
	return p
}

// checkImage says what is wrong with an outside image reference, "" if nothing.
func checkImage(t testing.TB, img string) string {
	repo, tag := splitImage(img)
	want, ok := pinned(t)[repo]
	switch {
	case !ok:
		return fmt.Sprintf("image %q is neither %s (deploy/docker/Dockerfile) nor one of the pinned official images %v", img, econdipImage, sortedKeys(pinnedImages))
	case tag == "" || tag == "latest":
		return fmt.Sprintf("image %q has no explicit tag", img)
	case tag != want:
		return fmt.Sprintf("image %q: pinned at %s:%s", img, repo, want)
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	var k []string
	for x := range m {
		k = append(k, x)
	}
	sort.Strings(k)
	return k
}

var (
	secretsOnce sync.Once
	secretsDir  string
	secretsErr  error
)

// generatedSecrets runs deploy/compose/gen-secrets.sh into a folder of its
// own (once per test run) and returns that folder: the files it makes are
// the ones the compose file and the production overlay may reference
// without their being in the repository.
func generatedSecrets(t testing.TB) string {
	t.Helper()
	secretsOnce.Do(func() {
		dir, err := os.MkdirTemp("", "econdip-deploy-secrets-")
		if err != nil {
			secretsErr = err
			return
		}
		secretsDir = filepath.Join(dir, "secrets")
		cmd := exec.Command("sh", filepath.Join(root, "deploy/compose/gen-secrets.sh"), secretsDir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			secretsErr = fmt.Errorf("gen-secrets.sh: %v\n%s", err, out)
		}
	})
	if secretsErr != nil {
		t.Fatal(secretsErr)
	}
	return secretsDir
}

// generated reports whether gen-secrets.sh makes a file of this name.
func generated(t testing.TB, name string) bool {
	_, err := os.Stat(filepath.Join(generatedSecrets(t), name))
	return err == nil
}

// hostPort splits host:port, failing the test on a malformed address.
func hostPort(t testing.TB, where, addr string) (string, int) {
	t.Helper()
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Errorf("%s: address %q: %v", where, addr, err)
		return "", 0
	}
	n, _ := strconv.Atoi(p)
	return h, n
}

func urlHostPort(t testing.TB, where, raw string) (scheme, host string, port int) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		t.Errorf("%s: URL %q does not parse", where, raw)
		return "", "", 0
	}
	h, p := hostPort(t, where, u.Host)
	return u.Scheme, h, p
}

var (
	runSecretRe = regexp.MustCompile(`/run/secrets/([A-Za-z0-9._-]+)`)
	fromEnvRe   = regexp.MustCompile(`from_env="([A-Za-z0-9_]+)"`)
	confEnvRe   = regexp.MustCompile(`(?m)^\s*[a-z_]+:\s*\$([A-Za-z_][A-Za-z0-9_]*)\s*$`)
	urlPortRe   = regexp.MustCompile(`(?:127\.0\.0\.1|localhost):(\d+)`)
	ncPortRe    = regexp.MustCompile(`\bnc\s+\S+\s+(\d+)`)
	flagPortRe  = regexp.MustCompile(`--port\s+(\d+)`)
)

// healthPorts are the ports a healthcheck command talks to.
func healthPorts(cmd string) []int {
	var out []int
	for _, re := range []*regexp.Regexp{urlPortRe, ncPortRe, flagPortRe} {
		for _, m := range re.FindAllStringSubmatch(cmd, -1) {
			n, _ := strconv.Atoi(m[1])
			out = append(out, n)
		}
	}
	return out
}

// composeService is what the tests need of one compose service.
type composeService struct {
	name     string
	image    string
	econdip  bool
	role     string // the econdip command
	env      map[string]string
	envFiles []string
	secrets  []string
	mounts   []string // bind-mount sources, relative to deploy/compose
	health   string
	ports    []string
	replicas int
	raw      map[string]any
}

func composeServices(t *testing.T) (map[string]*composeService, map[string]any) {
	t.Helper()
	docs := yamlDocs(t, "deploy/compose/compose.yaml")
	if len(docs) != 1 {
		t.Fatalf("compose.yaml: %d documents", len(docs))
	}
	doc := docs[0]
	out := map[string]*composeService{}
	for name, v := range get(doc, "services").(map[string]any) {
		m := v.(map[string]any)
		s := &composeService{name: name, image: interpolate(str(m["image"])), env: map[string]string{}, raw: m, replicas: 1}
		if b := get(m, "build"); b != nil {
			s.econdip = true
			dockerfile := filepath.Join("deploy/compose", str(get(b, "context")), str(get(b, "dockerfile")))
			if filepath.Clean(dockerfile) != "deploy/docker/Dockerfile" {
				t.Errorf("compose service %s builds %s, not deploy/docker/Dockerfile", name, dockerfile)
			}
			if repo, tag := splitImage(s.image); repo != econdipImage || tag == "" || tag == "latest" {
				t.Errorf("compose service %s: the image built from deploy/docker/Dockerfile is %q, want %s:<tag>", name, s.image, econdipImage)
			}
			if cmd := strs(m["command"]); len(cmd) > 0 {
				s.role = cmd[0]
			}
		}
		switch e := m["environment"].(type) {
		case map[string]any:
			for k, v := range e {
				s.env[k] = str(v)
			}
		case []any:
			for _, kv := range e {
				k, v, _ := strings.Cut(str(kv), "=")
				s.env[k] = v
			}
		}
		s.envFiles = strs(m["env_file"])
		for _, sec := range list(m["secrets"]) {
			if mm, ok := sec.(map[string]any); ok {
				s.secrets = append(s.secrets, str(mm["source"]))
			} else {
				s.secrets = append(s.secrets, str(sec))
			}
		}
		for _, vol := range strs(m["volumes"]) {
			src, _, _ := strings.Cut(vol, ":")
			if strings.HasPrefix(src, "./") || strings.HasPrefix(src, "../") {
				s.mounts = append(s.mounts, src)
			}
		}
		s.health = strings.Join(strs(get(m, "healthcheck", "test")), " ")
		s.ports = strs(m["ports"])
		if r := get(m, "deploy", "replicas"); r != nil {
			s.replicas, _ = strconv.Atoi(str(r))
		}
		out[name] = s
	}
	return out, doc
}

// TestCompose checks deploy/compose/compose.yaml: images, variables, ports,
// files, secrets and copies.
func TestCompose(t *testing.T) {
	svcs, doc := composeServices(t)
	vars := readVars(t)
	topSecrets := map[string]string{}
	for name, v := range get(doc, "secrets").(map[string]any) {
		topSecrets[name] = str(get(v, "file"))
	}
	byRole := map[string]*composeService{}
	imageRepo := func(s *composeService) string { r, _ := splitImage(s.image); return r }
	servicesOf := func(repo string) map[string]bool {
		out := map[string]bool{}
		for n, s := range svcs {
			if !s.econdip && imageRepo(s) == repo {
				out[n] = true
			}
		}
		return out
	}
	natsHosts, chHosts, keeperHosts := servicesOf("nats"), servicesOf("clickhouse/clickhouse-server"), servicesOf("clickhouse/clickhouse-keeper")
	if len(natsHosts) != 3 || len(chHosts) != 2 || len(keeperHosts) != 3 {
		t.Errorf("compose: %d NATS nodes, %d ClickHouse replicas, %d Keeper nodes; want 3, 2, 3", len(natsHosts), len(chHosts), len(keeperHosts))
	}

	for _, name := range sortedKeys(svcs) {
		s := svcs[name]
		where := "compose service " + name
		// Images.
		if !s.econdip {
			if msg := checkImage(t, s.image); msg != "" {
				t.Errorf("%s: %s", where, msg)
			}
		}
		// Variables.
		for k := range s.env {
			if strings.HasPrefix(k, "ECONDIP_") && !vars[k] {
				t.Errorf("%s sets %s, which no code reads (services/cmd/econdip/stack/config.go and the rest)", where, k)
			}
		}
		// Files: bind mounts exist in the repository; env files and secret
		// files exist or are made by gen-secrets.sh.
		for _, src := range s.mounts {
			if !exists(filepath.Join("deploy/compose", src)) {
				t.Errorf("%s mounts %s, which does not exist", where, src)
			}
		}
		for _, f := range s.envFiles {
			checkComposeFile(t, where+" env_file", f)
		}
		// Secrets: declared at the top, and every /run/secrets/X that the
		// service's variables or mounted files name is mounted.
		for _, sec := range s.secrets {
			if _, ok := topSecrets[sec]; !ok {
				t.Errorf("%s uses secret %s, which the top-level secrets do not declare", where, sec)
			}
		}
		var texts []string
		for _, v := range s.env {
			texts = append(texts, v)
		}
		for _, src := range s.mounts {
			texts = append(texts, filesText(t, filepath.Join("deploy/compose", src))...)
		}
		for _, txt := range texts {
			for _, m := range runSecretRe.FindAllStringSubmatch(txt, -1) {
				if !slices.Contains(s.secrets, m[1]) {
					t.Errorf("%s reads /run/secrets/%s but does not mount that secret", where, m[1])
				}
			}
			// Variables the mounted configuration reads from the environment.
			var envRefs []string
			for _, m := range fromEnvRe.FindAllStringSubmatch(txt, -1) {
				envRefs = append(envRefs, m[1])
			}
			for _, m := range confEnvRe.FindAllStringSubmatch(txt, -1) {
				envRefs = append(envRefs, m[1])
			}
			for _, v := range envRefs {
				if _, ok := s.env[v]; !ok && !inEnvFiles(t, s.envFiles, v) {
					t.Errorf("%s: its configuration reads %s from the environment, which neither its environment nor its env_file sets", where, v)
				}
			}
		}
		// Ports of outside images.
		if !s.econdip {
			known := knownPorts[imageRepo(s)]
			for _, p := range healthPorts(s.health) {
				if !slices.Contains(known, p) {
					t.Errorf("%s: healthcheck uses port %d; %s listens on %v", where, p, imageRepo(s), known)
				}
			}
			for _, p := range s.ports {
				if n := publishedTarget(p); !slices.Contains(known, n) {
					t.Errorf("%s publishes %q; %s listens on %v", where, p, imageRepo(s), known)
				}
			}
			continue
		}
		// The econdip services.
		if s.role == "" {
			t.Errorf("%s: no econdip command", where)
			continue
		}
		byRole[s.role] = s
		user := natsUser(s.role)
		if !natsConfUsers(t)[user] {
			t.Errorf("%s runs as NATS user %s, which deploy/nats/econdip-users.conf does not define", where, user)
		}
		if pf := s.env["ECONDIP_NATS_PASSWORD_FILE"]; pf != "/run/secrets/nats-"+user {
			t.Errorf("%s: ECONDIP_NATS_PASSWORD_FILE=%q, want /run/secrets/nats-%s (its own NATS user)", where, pf, user)
		}
		for _, h := range strings.Split(s.env["ECONDIP_NATS_URL"], ",") {
			scheme, host, port := urlHostPort(t, where+" ECONDIP_NATS_URL", h)
			if scheme != "tls" || !natsHosts[host] || port != 4222 {
				t.Errorf("%s: ECONDIP_NATS_URL names %q; want tls://<a NATS node>:4222", where, h)
			}
		}
		if n := s.env["ECONDIP_NATS_REPLICAS"]; n != strconv.Itoa(len(natsHosts)) {
			t.Errorf("%s: ECONDIP_NATS_REPLICAS=%q, want %d (one copy per node)", where, n, len(natsHosts))
		}
		wantCH := 9000
		if s.env["ECONDIP_CLICKHOUSE_TLS"] == "true" {
			wantCH = 9440
		}
		for _, a := range strings.Split(s.env["ECONDIP_CLICKHOUSE_ADDR"], ",") {
			if host, port := hostPort(t, where+" ECONDIP_CLICKHOUSE_ADDR", a); !chHosts[host] || port != wantCH {
				t.Errorf("%s: ECONDIP_CLICKHOUSE_ADDR names %q; want <a ClickHouse replica>:%d", where, a, wantCH)
			}
		}
		if ca := s.env["SSL_CERT_FILE"]; ca == "" {
			t.Errorf("%s: no SSL_CERT_FILE: Go would not trust the stack's CA for TLS", where)
		}
		if s.role == "migrate" {
			if r := str(s.raw["restart"]); r != "no" {
				t.Errorf("%s: restart %q, want \"no\" (it runs once)", where, r)
			}
			continue
		}
		if s.replicas != 2 {
			t.Errorf("%s: %d copies, want 2 (deploy.replicas)", where, s.replicas)
		}
		_, port := hostPort(t, where+" "+addrVar(s.role), s.env[addrVar(s.role)])
		hp := healthPorts(s.health)
		if len(hp) == 0 || !strings.Contains(s.health, "/readyz") {
			t.Errorf("%s: healthcheck %q does not ask /readyz", where, s.health)
		}
		for _, p := range hp {
			if p != port {
				t.Errorf("%s: healthcheck asks port %d, but it listens on %s=%s", where, p, addrVar(s.role), s.env[addrVar(s.role)])
			}
		}
		for _, p := range s.ports {
			if publishedTarget(p) != port {
				t.Errorf("%s publishes %q, but listens on port %d", where, p, port)
			}
		}
	}
	for _, role := range append(slices.Clone(roles), "migrate") {
		if byRole[role] == nil {
			t.Errorf("compose: no service runs econdip %s", role)
		}
	}
	// Where the dashboard finds the APIs: a service of that role, on its port.
	for _, s := range byRole {
		for k, v := range s.env {
			if !strings.HasPrefix(k, "ECONDIP_") || !strings.HasSuffix(k, "_URL") || k == "ECONDIP_NATS_URL" {
				continue
			}
			_, host, port := urlHostPort(t, s.name+" "+k, v)
			target := svcs[host]
			if target == nil || !target.econdip {
				t.Errorf("compose service %s: %s=%s names no econdip service", s.name, k, v)
				continue
			}
			if _, p := hostPort(t, host, target.env[addrVar(target.role)]); p != port {
				t.Errorf("compose service %s: %s=%s, but %s listens on %s", s.name, k, v, host, target.env[addrVar(target.role)])
			}
		}
	}
	for name, file := range topSecrets {
		checkComposeFile(t, "compose secret "+name, file)
	}
	checkClickHouseXML(t, "deploy/compose/clickhouse/config.d/econdip-cluster.xml", "deploy/compose/clickhouse/keeper/keeper_config.xml",
		chHosts, keeperHosts, byRole)
}

var interpolationRe = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}`)

// interpolate replaces compose's ${VAR:-default} by its default, as compose
// does when VAR is not set.
func interpolate(s string) string {
	return interpolationRe.ReplaceAllStringFunc(s, func(m string) string { return interpolationRe.FindStringSubmatch(m)[2] })
}

// publishedTarget is the container port of a compose ports entry.
func publishedTarget(p string) int {
	i := strings.LastIndex(p, ":")
	n, _ := strconv.Atoi(strings.TrimSuffix(p[i+1:], "/tcp"))
	return n
}

// checkComposeFile: a file compose reads exists, or gen-secrets.sh makes it.
func checkComposeFile(t *testing.T, where, f string) {
	t.Helper()
	rel := filepath.Clean(filepath.Join("deploy/compose", f))
	if exists(rel) && !strings.HasPrefix(rel, "deploy/compose/secrets/") {
		return
	}
	if strings.HasPrefix(rel, "deploy/compose/secrets/") && generated(t, strings.TrimPrefix(rel, "deploy/compose/secrets/")) {
		return
	}
	t.Errorf("%s: %s neither exists nor is made by gen-secrets.sh", where, f)
}

// inEnvFiles reports whether the env files (as gen-secrets.sh makes them) set v.
func inEnvFiles(t testing.TB, files []string, v string) bool {
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(generatedSecrets(t), filepath.Base(f)))
		if err != nil {
			continue
		}
		if regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(v) + `=`).Match(b) {
			return true
		}
	}
	return false
}

// filesText is the text of a file, or of every file in a folder.
func filesText(t testing.TB, rel string) []string {
	var out []string
	_ = filepath.WalkDir(filepath.Join(root, rel), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, err := os.ReadFile(p); err == nil {
				out = append(out, string(b))
			}
		}
		return nil
	})
	return out
}

var (
	replicaRe = regexp.MustCompile(`<replica><host>([^<]+)</host><port>(\d+)</port></replica>`)
	zkNodeRe  = regexp.MustCompile(`<node><host>([^<]+)</host><port>(\d+)</port></node>`)
	raftRe    = regexp.MustCompile(`<server><id>\d+</id><hostname>([^<]+)</hostname><port>(\d+)</port></server>`)
	clusterRe = regexp.MustCompile(`(?s)<remote_servers[^>]*>\s*<([A-Za-z0-9_]+)>`)
	chUserRe  = regexp.MustCompile(`(?s)<users>(.*)</users>`)
)

// checkClickHouseXML checks the cluster configuration against the hosts
// that run ClickHouse and Keeper (names as the configuration writes them:
// a host's first label is the service or pod), and the users and cluster
// the econdip services name.
func checkClickHouseXML(t *testing.T, clusterXML, keeperXML string, chHosts, keeperHosts map[string]bool, byRole map[string]*composeService) {
	t.Helper()
	cfg, keeper := string(read(t, clusterXML)), string(read(t, keeperXML))
	first := func(h string) string { l, _, _ := strings.Cut(h, "."); return l }
	check := func(file string, re *regexp.Regexp, hosts map[string]bool, port int, what string) int {
		ms := re.FindAllStringSubmatch(file, -1)
		for _, m := range ms {
			if !hosts[first(m[1])] || m[2] != strconv.Itoa(port) {
				t.Errorf("%s: %s %s:%s, want one of %v on port %d", what, re.String()[:10], m[1], m[2], sortedKeys(hosts), port)
			}
		}
		return len(ms)
	}
	if n := check(cfg, replicaRe, chHosts, 9000, clusterXML+" remote_servers"); n != len(chHosts) {
		t.Errorf("%s: remote_servers lists %d replicas, %d run", clusterXML, n, len(chHosts))
	}
	if n := check(cfg, zkNodeRe, keeperHosts, 9181, clusterXML+" zookeeper"); n != len(keeperHosts) {
		t.Errorf("%s: zookeeper lists %d nodes, %d run", clusterXML, n, len(keeperHosts))
	}
	if n := check(keeper, raftRe, keeperHosts, 9234, keeperXML+" raft_configuration"); n != len(keeperHosts) {
		t.Errorf("%s: raft_configuration lists %d nodes, %d run", keeperXML, n, len(keeperHosts))
	}
	for _, want := range []string{"<shard>", "from_env=\"CH_REPLICA\"", "<distributed_ddl>", "<internal_replication>true</internal_replication>"} {
		if !strings.Contains(cfg, want) {
			t.Errorf("%s: no %s", clusterXML, want)
		}
	}
	m := clusterRe.FindStringSubmatch(cfg)
	if m == nil {
		t.Fatalf("%s: no cluster in remote_servers", clusterXML)
	}
	users := string(read(t, "deploy/compose/clickhouse/users.d/econdip-users.xml"))
	ub := chUserRe.FindStringSubmatch(users)
	for role, s := range byRole {
		if c, ok := s.env["ECONDIP_CLICKHOUSE_CLUSTER"]; ok && c != m[1] {
			t.Errorf("econdip %s: ECONDIP_CLICKHOUSE_CLUSTER=%s, the servers' cluster is %s", role, c, m[1])
		}
		if u := s.env["ECONDIP_CLICKHOUSE_USER"]; u != "" && (ub == nil || !strings.Contains(ub[1], "<"+u+">")) {
			t.Errorf("econdip %s connects to ClickHouse as %s, which econdip-users.xml does not define", role, u)
		}
	}
}

// TestXMLWellFormed: every ClickHouse and Keeper configuration file parses.
func TestXMLWellFormed(t *testing.T) {
	for _, dir := range []string{"deploy/compose/clickhouse", "deploy/k8s/base/clickhouse"} {
		_ = filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".xml") {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			dec := xml.NewDecoder(bytes.NewReader(b))
			for {
				if _, err := dec.Token(); err != nil {
					if !errors.Is(err, io.EOF) {
						t.Errorf("%s: %v", p, err)
					}
					return nil
				}
			}
		})
	}
}

// TestGenSecrets runs gen-secrets.sh and checks what it makes works: the
// users file is one econdip reads, and a NATS server started on the compose
// configuration (deploy/compose/nats/nats.conf with the generated
// econdip-users.conf and the hashes) lets each service in with its
// password, over TLS with the generated CA, and refuses a wrong password.
func TestGenSecrets(t *testing.T) {
	dir := generatedSecrets(t)
	users, err := auth.ReadFile(filepath.Join(dir, "users.json"))
	if err != nil {
		t.Fatalf("the generated users.json: %v", err)
	}
	if len(users.Users) != 1 || users.Users[0].Role != auth.Admin {
		t.Errorf("the generated users.json should hold one administrator: %+v", users.Users)
	}

	// The server configuration, its /run/secrets paths moved to the generated folder.
	conf := t.TempDir()
	nc := strings.ReplaceAll(string(read(t, "deploy/compose/nats/nats.conf")), "/run/secrets/", dir+"/")
	if err := os.WriteFile(filepath.Join(conf, "nats.conf"), []byte(nc), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(conf, "econdip-users.conf"), read(t, "deploy/nats/econdip-users.conf"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("NATS_SERVER_NAME", "nats-test")
	env, err := os.ReadFile(filepath.Join(dir, "nats-hashes.env"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(env)), "\n") {
		k, v, _ := strings.Cut(line, "=")
		t.Setenv(k, strings.Trim(v, "'"))
	}
	opts, err := server.ProcessConfigFile(filepath.Join(conf, "nats.conf"))
	if err != nil {
		t.Fatalf("deploy/compose/nats/nats.conf: %v", err)
	}
	if opts.Cluster.Name != "econdip" || len(opts.Routes) != 3 || opts.JetStream != true || opts.TLSConfig == nil {
		t.Errorf("nats.conf: cluster %q, %d routes, JetStream %v, TLS %v; want econdip, 3, true, on", opts.Cluster.Name, len(opts.Routes), opts.JetStream, opts.TLSConfig != nil)
	}
	// Alone, on free ports: a cluster of one is enough to check the users.
	opts.Host, opts.Port, opts.HTTPPort = "127.0.0.1", -1, 0
	opts.Cluster = server.ClusterOpts{}
	opts.Routes = nil
	opts.JetStream = false
	opts.NoSigs = true
	srv, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	t.Cleanup(srv.Shutdown)
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS did not start on the compose configuration")
	}
	ca, err := os.ReadFile(filepath.Join(dir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	addr := fmt.Sprintf("tls://127.0.0.1:%d", srv.Addr().(*net.TCPAddr).Port)
	for _, role := range append(slices.Clone(roles), "migrate") {
		user := natsUser(role)
		pw, err := os.ReadFile(filepath.Join(dir, "nats-"+user))
		if err != nil {
			t.Fatal(err)
		}
		c, err := nats.Connect(addr, nats.UserInfo(user, string(pw)), nats.Secure(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}), nats.MaxReconnects(0))
		if err != nil {
			t.Errorf("NATS user %s with the generated password, over TLS: %v", user, err)
			continue
		}
		c.Close()
	}
	if c, err := nats.Connect(addr, nats.UserInfo("leads", "wrong"), nats.Secure(&tls.Config{RootCAs: pool}), nats.MaxReconnects(0)); err == nil {
		c.Close()
		t.Error("NATS let leads in with a wrong password")
	}
	if c, err := nats.Connect(strings.Replace(addr, "tls://", "nats://", 1), nats.UserInfo("leads", "x"), nats.MaxReconnects(0)); err == nil {
		c.Close()
		t.Error("NATS took a connection without TLS")
	}
}

// k8sObject is one Kubernetes object of the manifests.
type k8sObject struct {
	file string
	kind string
	name string
	raw  map[string]any
}

// kustomization is what the tests read of a kustomization.yaml.
type kustomization struct {
	dir       string
	raw       map[string]any
	resources []string
}

func readKustomization(t *testing.T, dir string) kustomization {
	t.Helper()
	docs := yamlDocs(t, filepath.Join(dir, "kustomization.yaml"))
	k := kustomization{dir: dir, raw: docs[0]}
	k.resources = strs(docs[0]["resources"])
	// Every file it names exists (generators' secrets: or gen-secrets.sh makes them).
	for _, r := range k.resources {
		if !exists(filepath.Join(dir, r)) {
			t.Errorf("%s/kustomization.yaml: resource %s does not exist", dir, r)
		}
	}
	for _, gen := range []string{"configMapGenerator", "secretGenerator"} {
		for _, g := range list(docs[0][gen]) {
			for _, f := range strs(get(g, "files")) {
				_, src, ok := strings.Cut(f, "=")
				if !ok {
					src = f
				}
				rel := filepath.Clean(filepath.Join(dir, src))
				if strings.Contains(rel, "/secrets/") {
					if !generated(t, filepath.Base(rel)) {
						t.Errorf("%s/kustomization.yaml: %s %s is not a file gen-secrets.sh makes", dir, gen, src)
					}
					continue
				}
				if !exists(rel) {
					t.Errorf("%s/kustomization.yaml: %s %s does not exist", dir, gen, src)
				}
			}
		}
	}
	for _, h := range list(docs[0]["helmCharts"]) {
		if v := str(get(h, "version")); v == "" {
			t.Errorf("%s/kustomization.yaml: chart %s has no pinned version", dir, str(get(h, "name")))
		}
		if f := str(get(h, "valuesFile")); f != "" && !exists(filepath.Join(dir, f)) {
			t.Errorf("%s/kustomization.yaml: values file %s does not exist", dir, f)
		}
	}
	return k
}

// generatorKeys are the names and keys of the ConfigMaps or Secrets a kustomization generates.
func generatorKeys(k kustomization, gen string) map[string][]string {
	out := map[string][]string{}
	for _, g := range list(k.raw[gen]) {
		name := str(get(g, "name"))
		for _, f := range strs(get(g, "files")) {
			key, _, ok := strings.Cut(f, "=")
			if !ok {
				key = filepath.Base(f)
			}
			out[name] = append(out[name], key)
		}
		for _, kv := range strs(get(g, "literals")) {
			key, _, _ := strings.Cut(kv, "=")
			out[name] = append(out[name], key)
		}
	}
	return out
}

// TestKubernetes checks deploy/k8s: the base's objects against the code,
// the production overlay's Secrets against what the objects mount, and the
// NATS chart's values.
func TestKubernetes(t *testing.T) {
	vars := readVars(t)
	base := readKustomization(t, "deploy/k8s/base")
	prod := readKustomization(t, "deploy/k8s/overlays/production")
	if !slices.Contains(prod.resources, "../../base") {
		t.Fatalf("the production overlay does not build on the base")
	}
	var objs []k8sObject
	for _, r := range base.resources {
		for _, d := range yamlDocs(t, filepath.Join(base.dir, r)) {
			objs = append(objs, k8sObject{file: r, kind: str(d["kind"]), name: str(get(d, "metadata", "name")), raw: d})
		}
	}
	find := func(kind, name string) *k8sObject {
		for i := range objs {
			if objs[i].kind == kind && objs[i].name == name {
				return &objs[i]
			}
		}
		return nil
	}
	secrets := generatorKeys(prod, "secretGenerator")
	configMaps := generatorKeys(base, "configMapGenerator")
	config := map[string]string{}
	if cm := find("ConfigMap", "econdip-config"); cm != nil {
		for k, v := range get(cm.raw, "data").(map[string]any) {
			config[k] = str(v)
			configMaps["econdip-config"] = append(configMaps["econdip-config"], k)
		}
	} else {
		t.Fatal("no ConfigMap econdip-config")
	}
	// The econdip image gets its registry and tag in the overlay.
	tagged := false
	for _, im := range list(prod.raw["images"]) {
		if str(get(im, "name")) == econdipImage && str(get(im, "newTag")) != "" && str(get(im, "newTag")) != "latest" {
			tagged = true
		}
	}
	if !tagged {
		t.Errorf("the production overlay does not set the %s image's tag (images: newTag)", econdipImage)
	}

	// The NATS chart: three nodes, JetStream on files, TLS, the users.
	values := yamlDocs(t, "deploy/k8s/base/nats/values.yaml")[0]
	natsReplicas, _ := strconv.Atoi(str(get(values, "config", "cluster", "replicas")))
	if natsReplicas != 3 || str(get(values, "config", "jetstream", "fileStore", "enabled")) != "true" ||
		str(get(values, "config", "nats", "tls", "enabled")) != "true" || str(get(values, "config", "cluster", "tls", "enabled")) != "true" {
		t.Errorf("NATS values: want cluster.replicas 3, JetStream fileStore, TLS for clients and routes")
	}
	if img := str(get(values, "container", "image", "repository")) + ":" + str(get(values, "container", "image", "tag")); checkImage(t, img) != "" {
		t.Errorf("NATS values: %s", checkImage(t, img))
	}
	for v := range natsConfVars(t) {
		ref := get(values, "container", "env", v, "valueFrom", "secretKeyRef")
		if ref == nil {
			t.Errorf("NATS values: container.env does not set %s, which econdip-users.conf reads", v)
			continue
		}
		checkSecretKey(t, "NATS values "+v, secrets, str(get(ref, "name")), str(get(ref, "key")))
	}
	for _, name := range []string{str(get(values, "config", "nats", "tls", "secretName")), str(get(values, "tlsCA", "secretName"))} {
		checkSecretKey(t, "NATS values TLS", secrets, name, "")
	}
	inc := str(get(values, "config", "merge", "$include"))
	if _, ok := configMaps["econdip-nats-users"]; !ok {
		t.Error("no ConfigMap econdip-nats-users for the NATS users")
	}
	// The included file is where the chart's patches mount that ConfigMap.
	mounted, volume := false, false
	for _, p := range list(get(values, "container", "patch")) {
		if filepath.Join(str(get(p, "value", "mountPath")), "econdip-users.conf") == filepath.Join("/etc/nats-config", inc) {
			mounted = true
		}
	}
	for _, p := range list(get(values, "podTemplate", "patch")) {
		if str(get(p, "value", "configMap", "name")) == "econdip-nats-users" {
			volume = true
		}
	}
	if !mounted || !volume {
		t.Errorf("NATS values: the ConfigMap econdip-nats-users is not mounted where $include %q looks", inc)
	}

	ch, keeper := find("StatefulSet", "clickhouse"), find("StatefulSet", "keeper")
	if ch == nil || keeper == nil {
		t.Fatal("no StatefulSet clickhouse or keeper")
	}
	chReplicas, _ := strconv.Atoi(str(get(ch.raw, "spec", "replicas")))
	keeperReplicas, _ := strconv.Atoi(str(get(keeper.raw, "spec", "replicas")))
	if chReplicas != 2 || keeperReplicas != 3 {
		t.Errorf("ClickHouse %d replicas, Keeper %d nodes; want 2 and 3", chReplicas, keeperReplicas)
	}
	pods := func(prefix string, n int) map[string]bool {
		out := map[string]bool{}
		for i := range n {
			out[fmt.Sprintf("%s-%d", prefix, i)] = true
		}
		return out
	}
	checkClickHouseXML(t, "deploy/k8s/base/clickhouse/econdip-cluster.xml", "deploy/k8s/base/clickhouse/keeper_config.xml",
		pods("clickhouse", chReplicas), pods("keeper", keeperReplicas), nil)
	for _, a := range strings.Split(config["ECONDIP_NATS_URL"], ",") {
		scheme, host, port := urlHostPort(t, "econdip-config ECONDIP_NATS_URL", a)
		pod, svc, _ := strings.Cut(host, ".")
		if scheme != "tls" || svc != "nats-headless" || !pods("nats", natsReplicas)[pod] || port != 4222 {
			t.Errorf("econdip-config: ECONDIP_NATS_URL names %q; want tls://nats-<0..%d>.nats-headless:4222", a, natsReplicas-1)
		}
	}
	if config["ECONDIP_NATS_REPLICAS"] != strconv.Itoa(natsReplicas) {
		t.Errorf("econdip-config: ECONDIP_NATS_REPLICAS=%s, the chart runs %d nodes", config["ECONDIP_NATS_REPLICAS"], natsReplicas)
	}
	for _, a := range strings.Split(config["ECONDIP_CLICKHOUSE_ADDR"], ",") {
		host, port := hostPort(t, "econdip-config ECONDIP_CLICKHOUSE_ADDR", a)
		pod, svc, _ := strings.Cut(host, ".")
		if svc != "clickhouse-headless" || !pods("clickhouse", chReplicas)[pod] || !slices.Contains(containerPorts(ch.raw), port) {
			t.Errorf("econdip-config: ECONDIP_CLICKHOUSE_ADDR names %q; want clickhouse-<n>.clickhouse-headless:<a port it listens on>", a)
		}
	}

	byRole := map[string]bool{}
	for _, o := range objs {
		switch o.kind {
		case "Deployment", "StatefulSet", "Job":
		default:
			continue
		}
		where := o.kind + " " + o.name
		podSpec := get(o.raw, "spec", "template", "spec")
		checkPodRefs(t, where, podSpec, secrets, configMaps)
		for _, c := range list(get(podSpec, "containers")) {
			img := str(get(c, "image"))
			if repo, tag := splitImage(img); repo == econdipImage {
				if tag == "" || tag == "latest" {
					t.Errorf("%s: image %q has no tag", where, img)
				}
			} else if msg := checkImage(t, img); msg != "" {
				t.Errorf("%s: %s", where, msg)
				continue
			} else {
				for _, p := range containerPorts(c.(map[string]any)) {
					if !slices.Contains(knownPorts[repo], p) {
						t.Errorf("%s: port %d; %s listens on %v", where, p, repo, knownPorts[repo])
					}
				}
				continue
			}
			// An econdip container.
			env := map[string]string{}
			for k, v := range config {
				env[k] = v
			}
			for _, e := range list(get(c, "env")) {
				env[str(get(e, "name"))] = str(get(e, "value"))
			}
			for k := range env {
				if strings.HasPrefix(k, "ECONDIP_") && !vars[k] {
					t.Errorf("%s sets %s, which no code reads (services/cmd/econdip/stack/config.go and the rest)", where, k)
				}
			}
			args := strs(get(c, "args"))
			if len(args) == 0 {
				t.Errorf("%s: no econdip command", where)
				continue
			}
			role := args[0]
			byRole[role] = true
			checkMountedFile(t, where, c, podSpec, env["ECONDIP_NATS_PASSWORD_FILE"], "econdip-nats-passwords", natsUser(role))
			if f := env["ECONDIP_CLICKHOUSE_PASSWORD_FILE"]; f != "" {
				checkMountedFile(t, where, c, podSpec, f, "econdip-clickhouse", "")
			}
			checkMountedFile(t, where, c, podSpec, env["SSL_CERT_FILE"], "econdip-ca", "ca.crt")
			sc := get(c, "securityContext")
			psc := get(podSpec, "securityContext")
			if str(get(sc, "readOnlyRootFilesystem")) != "true" || str(get(psc, "runAsNonRoot")) != "true" || str(get(sc, "allowPrivilegeEscalation")) != "false" {
				t.Errorf("%s: want runAsNonRoot, readOnlyRootFilesystem, no privilege escalation", where)
			}
			if get(c, "resources", "requests") == nil || get(c, "resources", "limits") == nil {
				t.Errorf("%s: no resource requests and limits", where)
			}
			if o.kind == "Job" {
				if role != "migrate" {
					t.Errorf("%s runs econdip %s; the Job is migrate", where, role)
				}
				continue
			}
			if o.kind != "Deployment" || !slices.Contains(roles, role) {
				t.Errorf("%s runs econdip %s", where, role)
				continue
			}
			if n := str(get(o.raw, "spec", "replicas")); n != "2" {
				t.Errorf("%s: %s copies, want 2", where, n)
			}
			_, port := hostPort(t, where+" "+addrVar(role), env[addrVar(role)])
			// /metrics is served only on an internal address: ingest's and the
			// notifier's own (ECONDIP_INGEST_ADDR, ECONDIP_NOTIFY_ADDR), every
			// other service's ECONDIP_METRICS_ADDR, a port no Service exposes.
			// Prometheus scrapes that one.
			want, metricsPort := []int{port}, port
			if role != natsx.ServiceIngest && role != natsx.ServiceNotify {
				if env["ECONDIP_METRICS_ADDR"] == "" {
					t.Errorf("%s: no ECONDIP_METRICS_ADDR: its metrics are on loopback, out of Prometheus's reach", where)
				} else {
					_, metricsPort = hostPort(t, where+" ECONDIP_METRICS_ADDR", env["ECONDIP_METRICS_ADDR"])
					want = append(want, metricsPort)
				}
			}
			if ports := containerPorts(c.(map[string]any)); !slices.Equal(ports, want) {
				t.Errorf("%s: container ports %v, but it listens on %s=%s and ECONDIP_METRICS_ADDR=%s", where, ports,
					addrVar(role), env[addrVar(role)], env["ECONDIP_METRICS_ADDR"])
			}
			ann := get(o.raw, "spec", "template", "metadata", "annotations")
			if p := str(get(ann, "prometheus.io/port")); p != strconv.Itoa(metricsPort) || str(get(ann, "prometheus.io/path")) != "/metrics" {
				t.Errorf("%s: Prometheus scrapes port %s, but /metrics is on %d", where, p, metricsPort)
			}
			for probe, path := range map[string]string{"livenessProbe": "/healthz", "readinessProbe": "/readyz"} {
				p := get(c, probe, "httpGet")
				if str(get(p, "path")) != path || resolvePort(c.(map[string]any), get(p, "port")) != port {
					t.Errorf("%s: %s asks %s on %v; want %s on %d", where, probe, str(get(p, "path")), get(p, "port"), path, port)
				}
			}
			labels := get(o.raw, "spec", "template", "metadata", "labels").(map[string]any)
			if !selects(objs, "PodDisruptionBudget", labels) {
				t.Errorf("%s: no PodDisruptionBudget selects its pods", where)
			}
			if role != natsx.ServiceIngest && !selects(objs, "Service", labels) {
				t.Errorf("%s: no Service selects its pods", where)
			}
		}
	}
	for _, role := range append(slices.Clone(roles), "migrate") {
		if !byRole[role] {
			t.Errorf("deploy/k8s: nothing runs econdip %s", role)
		}
	}
	// Services: their target ports are ports the selected pods listen on,
	// and the URLs the dashboard calls name a Service and its port.
	svcPorts := map[string][]int{}
	for _, o := range objs {
		if o.kind != "Service" {
			continue
		}
		sel, _ := get(o.raw, "spec", "selector").(map[string]any)
		for _, p := range list(get(o.raw, "spec", "ports")) {
			port, _ := strconv.Atoi(str(get(p, "port")))
			svcPorts[o.name] = append(svcPorts[o.name], port)
			target := get(p, "targetPort")
			if target == nil {
				target = port
			}
			found := false
			for _, w := range objs {
				if (w.kind == "Deployment" || w.kind == "StatefulSet") && labelsMatch(sel, get(w.raw, "spec", "template", "metadata", "labels")) {
					for _, c := range list(get(w.raw, "spec", "template", "spec", "containers")) {
						if n := resolvePort(c.(map[string]any), target); n != 0 && slices.Contains(containerPorts(c.(map[string]any)), n) {
							found = true
						}
					}
				}
			}
			if !found {
				t.Errorf("Service %s: target port %v is no port of the pods it selects", o.name, target)
			}
			if target == "metrics" {
				t.Errorf("Service %s exposes the metrics port: /metrics is for Prometheus inside the cluster only", o.name)
			}
		}
	}
	for _, o := range objs {
		if o.kind != "Deployment" {
			continue
		}
		for _, c := range list(get(o.raw, "spec", "template", "spec", "containers")) {
			for _, e := range list(get(c, "env")) {
				k, v := str(get(e, "name")), str(get(e, "value"))
				if !strings.HasPrefix(k, "ECONDIP_") || !strings.HasSuffix(k, "_URL") {
					continue
				}
				_, host, port := urlHostPort(t, o.name+" "+k, v)
				if !slices.Contains(svcPorts[host], port) {
					t.Errorf("Deployment %s: %s=%s names no Service port", o.name, k, v)
				}
			}
		}
	}
}

func containerPorts(c map[string]any) []int {
	var out []int
	if sp := get(c, "spec", "template", "spec"); sp != nil { // a workload: every container
		for _, x := range list(get(sp, "containers")) {
			out = append(out, containerPorts(x.(map[string]any))...)
		}
		return out
	}
	for _, p := range list(c["ports"]) {
		n, _ := strconv.Atoi(str(get(p, "containerPort")))
		out = append(out, n)
	}
	return out
}

// resolvePort turns a probe's or a Service's port (a number or a port name) into a number.
func resolvePort(c map[string]any, port any) int {
	if n, err := strconv.Atoi(str(port)); err == nil {
		return n
	}
	for _, p := range list(c["ports"]) {
		if str(get(p, "name")) == str(port) {
			n, _ := strconv.Atoi(str(get(p, "containerPort")))
			return n
		}
	}
	return 0
}

func labelsMatch(selector map[string]any, labels any) bool {
	l, _ := labels.(map[string]any)
	if len(selector) == 0 || l == nil {
		return false
	}
	for k, v := range selector {
		if str(l[k]) != str(v) {
			return false
		}
	}
	return true
}

func selects(objs []k8sObject, kind string, labels map[string]any) bool {
	for _, o := range objs {
		if o.kind != kind {
			continue
		}
		sel, _ := get(o.raw, "spec", "selector").(map[string]any)
		if m, ok := sel["matchLabels"].(map[string]any); ok {
			sel = m
		}
		if labelsMatch(sel, labels) {
			return true
		}
	}
	return false
}

func checkSecretKey(t *testing.T, where string, secrets map[string][]string, name, key string) {
	t.Helper()
	keys, ok := secrets[name]
	switch {
	case !ok:
		t.Errorf("%s: Secret %q is not made by the production overlay", where, name)
	case key != "" && !slices.Contains(keys, key):
		t.Errorf("%s: Secret %s has no key %q (it has %v)", where, name, key, keys)
	}
}

// checkPodRefs: every Secret and ConfigMap a pod uses is generated, with the keys it takes.
func checkPodRefs(t *testing.T, where string, podSpec any, secrets, configMaps map[string][]string) {
	t.Helper()
	checkCM := func(name, key string) {
		keys, ok := configMaps[name]
		if !ok {
			t.Errorf("%s: ConfigMap %q is not generated or defined", where, name)
		} else if key != "" && !slices.Contains(keys, key) {
			t.Errorf("%s: ConfigMap %s has no key %q", where, name, key)
		}
	}
	items := func(v any, each func(key string)) {
		if l := list(get(v, "items")); len(l) > 0 {
			for _, it := range l {
				each(str(get(it, "key")))
			}
			return
		}
		each("")
	}
	var vols []any
	for _, v := range list(get(podSpec, "volumes")) {
		vols = append(vols, v)
		for _, src := range list(get(v, "projected", "sources")) {
			vols = append(vols, src)
		}
	}
	for _, v := range vols {
		if s := get(v, "secret"); s != nil {
			name := str(get(s, "secretName"))
			if name == "" {
				name = str(get(s, "name"))
			}
			items(s, func(k string) { checkSecretKey(t, where, secrets, name, k) })
		}
		if c := get(v, "configMap"); c != nil {
			items(c, func(k string) { checkCM(str(get(c, "name")), k) })
		}
	}
	mounts := map[string]bool{}
	for _, v := range list(get(podSpec, "volumes")) {
		mounts[str(get(v, "name"))] = true
	}
	for _, c := range list(get(podSpec, "containers")) {
		for _, e := range list(get(c, "env")) {
			if r := get(e, "valueFrom", "secretKeyRef"); r != nil {
				checkSecretKey(t, where, secrets, str(get(r, "name")), str(get(r, "key")))
			}
			if r := get(e, "valueFrom", "configMapKeyRef"); r != nil {
				checkCM(str(get(r, "name")), str(get(r, "key")))
			}
		}
		for _, e := range list(get(c, "envFrom")) {
			if r := get(e, "configMapRef"); r != nil {
				checkCM(str(get(r, "name")), "")
			}
			if r := get(e, "secretRef"); r != nil {
				checkSecretKey(t, where, secrets, str(get(r, "name")), "")
			}
		}
		for _, m := range list(get(c, "volumeMounts")) {
			if !mounts[str(get(m, "name"))] && !strings.HasPrefix(str(get(m, "name")), "data") {
				t.Errorf("%s mounts volume %s, which the pod does not define", where, str(get(m, "name")))
			}
		}
	}
}

// checkMountedFile: a file a variable names is in a mounted volume of the
// given Secret, under the given key (or any key when key is "").
func checkMountedFile(t *testing.T, where string, c any, podSpec any, path, secret, key string) {
	t.Helper()
	if path == "" {
		t.Errorf("%s: no file set for Secret %s", where, secret)
		return
	}
	dir, file := filepath.Split(path)
	for _, m := range list(get(c, "volumeMounts")) {
		if filepath.Clean(str(get(m, "mountPath"))) != filepath.Clean(dir) {
			continue
		}
		for _, v := range list(get(podSpec, "volumes")) {
			if str(get(v, "name")) != str(get(m, "name")) {
				continue
			}
			if s := str(get(v, "secret", "secretName")); s != secret {
				t.Errorf("%s: %s is in Secret %s, want %s", where, path, s, secret)
				return
			}
			its := list(get(v, "secret", "items"))
			if len(its) == 0 {
				if key != "" && file != key {
					t.Errorf("%s: %s names key %s of Secret %s, want %s", where, path, file, secret, key)
				}
				return
			}
			for _, it := range its {
				if str(get(it, "path")) == file && (key == "" || str(get(it, "key")) == key) {
					return
				}
			}
			t.Errorf("%s: %s is not an item of the mounted Secret %s (want key %q)", where, path, secret, key)
			return
		}
	}
	t.Errorf("%s: nothing is mounted at %s for %s", where, dir, path)
}

// TestDockerfile checks the image: multi-stage, static, non-root, and the
// packages it builds and copies exist.
func TestDockerfile(t *testing.T) {
	df := string(read(t, "deploy/docker/Dockerfile"))
	froms := regexp.MustCompile(`(?m)^FROM\s+(\S+)`).FindAllStringSubmatch(df, -1)
	if len(froms) < 2 {
		t.Fatalf("Dockerfile: %d stages, want a builder and a final image", len(froms))
	}
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(read(t, "go.mod"))
	if builder := froms[0][1]; !strings.HasPrefix(builder, "golang:"+string(goVersion[1])) {
		t.Errorf("Dockerfile: builder %s, want golang:%s (go.mod)", builder, goVersion[1])
	}
	final := froms[len(froms)-1][1]
	if !strings.HasPrefix(final, "gcr.io/distroless/static") || !strings.HasSuffix(final, ":nonroot") {
		t.Errorf("Dockerfile: final image %s, want distroless static :nonroot", final)
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "./services/cmd/econdip", "./deploy/tools/probe", "USER 65532"} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile: no %s", want)
		}
	}
	for _, m := range regexp.MustCompile(`(?m)^COPY\s+([^-\s]\S*)\s`).FindAllStringSubmatch(df, -1) {
		for _, src := range strings.Fields(m[1]) {
			if !exists(src) {
				t.Errorf("Dockerfile copies %s, which does not exist", src)
			}
		}
	}
	ignore := string(read(t, "deploy/docker/Dockerfile.dockerignore"))
	for _, m := range regexp.MustCompile(`(?m)^COPY\s+([a-z][^\s]*)/\s`).FindAllStringSubmatch(df, -1) {
		if !strings.Contains(ignore, "!"+m[1]+"/") {
			t.Errorf("Dockerfile copies %s/, which Dockerfile.dockerignore leaves out of the context", m[1])
		}
	}
	// The image must not need anything the binary does not embed.
	for _, pkg := range []string{"services/platform/reference/reference.go", "analytics/migrate.go", "dashboards/dashboards.go"} {
		if !strings.Contains(string(read(t, pkg)), "//go:embed") {
			t.Errorf("%s no longer embeds its files: the image would need them", pkg)
		}
	}
}

var (
	tableRe    = regexp.MustCompile(`(?i)\b(?:FROM|JOIN)\s+([A-Za-z_][A-Za-z0-9_.]*)`)
	joinGetRe  = regexp.MustCompile(`joinGet\('([A-Za-z0-9_]+)'`)
	createdRe  = regexp.MustCompile(`(?i)CREATE TABLE IF NOT EXISTS\s+([A-Za-z0-9_]+)`)
	dsUIDRe    = regexp.MustCompile(`(?m)^\s+uid:\s*(\S+)`)
	dsTypeRe   = regexp.MustCompile(`(?m)^\s+type:\s*(\S+)`)
	dashboards = "dashboards/grafana"
)

type panelQuery struct{ dashboard, panel, sql string }

// grafanaQueries reads every dashboard and its panels' SQL, checking each
// is valid JSON with a unique uid and uses the provisioned data source.
func grafanaQueries(t *testing.T) []panelQuery {
	t.Helper()
	ds := string(read(t, "deploy/grafana/provisioning/datasources/clickhouse.yaml"))
	uid, typ := dsUIDRe.FindStringSubmatch(ds), dsTypeRe.FindStringSubmatch(ds)
	if uid == nil || typ == nil {
		t.Fatal("the provisioned data source has no uid or type")
	}
	files, _ := filepath.Glob(filepath.Join(root, dashboards, "*.json"))
	if len(files) == 0 {
		t.Fatal("no dashboards in dashboards/grafana")
	}
	uids := map[string]string{}
	var out []panelQuery
	for _, f := range files {
		name := filepath.Base(f)
		b, _ := os.ReadFile(f)
		var d struct {
			UID    string `json:"uid"`
			Title  string `json:"title"`
			Panels []struct {
				Title      string         `json:"title"`
				Datasource map[string]any `json:"datasource"`
				Targets    []struct {
					RawSQL     string         `json:"rawSql"`
					Datasource map[string]any `json:"datasource"`
				} `json:"targets"`
			} `json:"panels"`
		}
		if err := json.Unmarshal(b, &d); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if d.UID == "" || d.Title == "" {
			t.Errorf("%s: no uid or title", name)
		}
		if other, ok := uids[d.UID]; ok {
			t.Errorf("%s and %s share the uid %s", name, other, d.UID)
		}
		uids[d.UID] = name
		for _, p := range d.Panels {
			for _, tg := range p.Targets {
				for _, dsRef := range []map[string]any{p.Datasource, tg.Datasource} {
					if str(dsRef["uid"]) != uid[1] || str(dsRef["type"]) != typ[1] {
						t.Errorf("%s, %q: data source %v, want the provisioned %s (%s)", name, p.Title, dsRef, uid[1], typ[1])
					}
				}
				if strings.TrimSpace(tg.RawSQL) == "" {
					t.Errorf("%s, %q: no SQL", name, p.Title)
					continue
				}
				out = append(out, panelQuery{name, p.Title, tg.RawSQL})
			}
		}
	}
	return out
}

// migrationTables are the tables analytics/migrations create.
func migrationTables(t *testing.T) map[string]bool {
	out := map[string]bool{}
	files, _ := filepath.Glob(filepath.Join(root, "analytics/migrations/*.sql"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, m := range createdRe.FindAllSubmatch(b, -1) {
			out[string(m[1])] = true
		}
	}
	return out
}

// TestGrafanaDashboards checks the dashboards name only tables the
// migrations create, then runs every panel's SQL on a real ClickHouse
// (18.16 on Debian) migrated by analytics.Migrate, with the reference
// tables loaded, so every panel is known to answer.
func TestGrafanaDashboards(t *testing.T) {
	queries := grafanaQueries(t)
	tables := migrationTables(t)
	for _, q := range queries {
		for _, m := range append(tableRe.FindAllStringSubmatch(q.sql, -1), joinGetRe.FindAllStringSubmatch(q.sql, -1)...) {
			if !tables[m[1]] {
				t.Errorf("%s, %q reads %s, which analytics/migrations does not create", q.dashboard, q.panel, m[1])
			}
		}
	}
	ctx := context.Background()
	conn := chtest.Conn(t)
	if err := analytics.Migrate(ctx, conn, obs.Discard()); err != nil {
		t.Fatal(err)
	}
	ref, err := reference.Load()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := analytics.LoadHSClassification(ctx, conn, ref); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := dir + "/" + reference.RatesFile
	if err := ref.WriteRatesFile(path, true); err != nil {
		t.Fatal(err)
	}
	rates, err := ref.LoadRatesFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := analytics.LoadRates(ctx, conn, rates, reference.DefaultRateLimits, path); err != nil {
		t.Fatal(err)
	}
	// A few rows so the joins and conversions have something to chew on.
	// (INSERT ... SELECT: the native protocol takes VALUES only as data blocks.)
	for _, stmt := range []string{
		`INSERT INTO lead_states (lead_id, version, sector, stage, capex, currency, probability, expected_jobs, stage_changed_at, stage_day)
			SELECT toUUID('00000000-0000-0000-0000-000000000001'), toUInt32(1), 'machine_building', 'negotiating', toDecimal128(1000000, 4), 'EUR',
				toDecimal32(0.5, 4), toUInt32(100), toDateTime('2024-03-01 00:00:00', 'UTC'), toDate('2024-03-01')`,
		`INSERT INTO lead_stage_history (lead_id, version, from_stage, to_stage, effective_on)
			SELECT toUUID('00000000-0000-0000-0000-000000000001'), toUInt32(2), 'qualified', 'negotiating', toDate(now() + 18000, 'UTC') - 3`,
		`INSERT INTO deal_states (deal_id, version, buyer_country, hs_code, hs_heading, stage, value, currency, deal_date)
			SELECT 'd1', toUInt32(1), 'DE', '760110', '7601', 'contracted', toDecimal128(2450000, 4), 'EUR', toDate('2024-05-02')`,
		`INSERT INTO decision_states (commission_id, decision_id, version, agencies, deadline, status, session_date)
			SELECT 'igc-cn', 'x1', toUInt32(1), ['mti'], toDate('2024-01-31'), 'open', toDate('2023-11-20')`,
		`INSERT INTO barrier_states (barrier_id, version, country, type, status, reported_on, resolved_on)
			SELECT 'b1', toUInt32(1), 'DE', 'sps', 'resolved', toDate('2024-01-10'), toNullable(toDate('2024-06-01'))`,
		`INSERT INTO barrier_states (barrier_id, version, country, type, status, reported_on)
			SELECT 'b2', toUInt32(1), 'CN', 'tariff', 'verified', toDate('2024-02-10')`,
		`INSERT INTO events (event_id, type, stream, stream_seq, time, ingested_at)
			SELECT toUUID('00000000-0000-0000-0000-000000000002'), 'econdip.lead.created.v1', 'LEADS', toUInt64(1), now(), now()`,
	} {
		if err := conn.Exec(ctx, stmt); err != nil {
			t.Fatalf("test rows: %v", err)
		}
	}
	for _, q := range queries {
		rows, err := conn.Query(ctx, q.sql)
		if err != nil {
			t.Errorf("%s, %q: ClickHouse refused the SQL: %v", q.dashboard, q.panel, err)
			continue
		}
		n := 0
		for rows.Next() {
			n++
		}
		if err := rows.Err(); err != nil {
			t.Errorf("%s, %q: %v", q.dashboard, q.panel, err)
		}
		rows.Close()
		if n == 0 {
			t.Errorf("%s, %q: no rows from the test data", q.dashboard, q.panel)
		}
	}
}
