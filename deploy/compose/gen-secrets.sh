#!/bin/sh
# Makes the secrets deploy/compose/compose.yaml mounts, into
# deploy/compose/secrets/ (never committed: .gitignore). For a test or a
# staging stack; a production platform takes them from its secret store and
# its own CA, with the same file names.
#
#   deploy/compose/gen-secrets.sh            # keeps what exists, makes the rest
#   deploy/compose/gen-secrets.sh --force    # makes everything anew
#   deploy/compose/gen-secrets.sh [--force] DIR   # into DIR instead (the test does)
#
# Needs openssl, sha256sum, and either Go (go run ./deploy/tools/bcrypt) or
# htpasswd (apache2-utils) for the bcrypt hashes.
#
# What it writes:
#   ca.crt ca.key              a private CA (ca.key never leaves this folder)
#   server.crt server.key      one TLS certificate for every NATS, ClickHouse
#                              and Keeper host of the stack (server and client
#                              auth: NATS routes verify each other with it)
#   nats-<user>                the plain password of each NATS user
#                              (admin-tool, leads, commissions, exports, companies, ingest, notify, search, dashboard)
#   nats-<user>.bcrypt         its bcrypt hash, for the NATS servers' environment
#   nats-hashes.env            the same as ECONDIP_NATS_<USER>_PASSWORD_HASH=... lines (compose)
#   ch-migrator ch-ingest ch-dashboard   ClickHouse passwords, and each one's
#                              SHA-256 in ch-<user>.sha256
#   ch-cluster-secret          the replicas' inter-server secret
#   clickhouse.env             CH_*_PASSWORD_SHA256 and CH_CLUSTER_SECRET for
#                              the servers' environment (compose)
#   users.json                 the first administrator (id "admin"), imported
#                              by econdip migrate into the USERS stream
#   admin-password admin-token the administrator's password and API token:
#                              sign in, then change the password
#   grafana-admin              Grafana's admin password
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
force=false
if [ "${1:-}" = "--force" ]; then force=true; shift; fi
out=${1:-"$here/secrets"}

umask 077
mkdir -p "$out"
chmod 700 "$out"

need() { command -v "$1" >/dev/null 2>&1 || { echo "gen-secrets: $1 is needed" >&2; exit 1; }; }
need openssl
need sha256sum

fresh() { $force || [ ! -s "$out/$1" ]; }
# 32 letters and digits, no final newline (files are hashed as they are).
password() { printf %s "$(openssl rand -base64 48 | tr -d '\n/+=' | cut -c1-32)"; }

bcrypt_hash() { # the password on stdin -> a $2a$ hash on stdout
	if command -v go >/dev/null 2>&1; then
		(cd "$repo" && go run ./deploy/tools/bcrypt)
	elif command -v htpasswd >/dev/null 2>&1; then
		# $2y$ and $2a$ are the same algorithm; NATS reads only $2a$ from its environment.
		htpasswd -niBC 11 x | cut -d: -f2 | sed 's/^\$2y\$/$2a$/'
	else
		echo "gen-secrets: Go or htpasswd (apache2-utils) is needed for bcrypt" >&2
		exit 1
	fi
}

# TLS: a CA and one certificate naming every host of the stack, in compose
# (nats-1, ch-1, ...) and in Kubernetes (nats-0.nats-headless, clickhouse-0.clickhouse-headless, ...).
if fresh ca.crt; then
	openssl req -x509 -newkey rsa:3072 -nodes -days 825 -subj "/CN=econdip dev CA" \
		-keyout "$out/ca.key" -out "$out/ca.crt" 2>/dev/null
	force_server=true
else
	force_server=false
fi
if $force_server || fresh server.crt; then
	cat > "$out/server.ext" <<EXT
basicConstraints=CA:FALSE
keyUsage=digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=DNS:nats-1,DNS:nats-2,DNS:nats-3,DNS:ch-1,DNS:ch-2,DNS:clickhouse,DNS:keeper-1,DNS:keeper-2,DNS:keeper-3,DNS:localhost,IP:127.0.0.1,DNS:*.nats-headless,DNS:*.nats-headless.econdip.svc.cluster.local,DNS:nats,DNS:nats.econdip.svc,DNS:*.clickhouse-headless,DNS:*.clickhouse-headless.econdip.svc.cluster.local,DNS:clickhouse.econdip.svc
EXT
	openssl req -newkey rsa:3072 -nodes -subj "/CN=econdip" \
		-keyout "$out/server.key" -out "$out/server.csr" 2>/dev/null
	openssl x509 -req -in "$out/server.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" -CAcreateserial \
		-days 825 -extfile "$out/server.ext" -out "$out/server.crt" 2>/dev/null
	rm -f "$out/server.csr" "$out/server.ext" "$out/ca.srl"
fi

# NATS users: the plain password for the service, the hash for the servers.
hashes="$out/nats-hashes.env.new"
: > "$hashes"
for user in admin-tool leads commissions exports companies ingest notify search dashboard; do
	fresh "nats-$user" && password > "$out/nats-$user"
	if fresh "nats-$user.bcrypt" || [ "$out/nats-$user" -nt "$out/nats-$user.bcrypt" ]; then
		hash=$(bcrypt_hash < "$out/nats-$user")
		case $hash in
		'$2a$'*) printf %s "$hash" > "$out/nats-$user.bcrypt" ;;
		*) echo "gen-secrets: no bcrypt hash for $user" >&2; exit 1 ;;
		esac
	fi
	var=$(printf %s "$user" | tr 'a-z-' 'A-Z_')
	# single quotes: compose reads the value literally ($ is part of the hash)
	printf "ECONDIP_NATS_%s_PASSWORD_HASH='%s'\n" "$var" "$(cat "$out/nats-$user.bcrypt")" >> "$hashes"
done
mv "$hashes" "$out/nats-hashes.env"

# ClickHouse users and the cluster secret.
fresh ch-migrator && password > "$out/ch-migrator"
fresh ch-ingest && password > "$out/ch-ingest"
fresh ch-dashboard && password > "$out/ch-dashboard"
fresh ch-cluster-secret && password > "$out/ch-cluster-secret"
sha() { sha256sum < "$1" | cut -d' ' -f1; }
for u in migrator ingest dashboard; do
	printf %s "$(sha "$out/ch-$u")" > "$out/ch-$u.sha256"
done
{
	printf 'CH_MIGRATOR_PASSWORD_SHA256=%s\n' "$(cat "$out/ch-migrator.sha256")"
	printf 'CH_INGEST_PASSWORD_SHA256=%s\n' "$(cat "$out/ch-ingest.sha256")"
	printf 'CH_DASHBOARD_PASSWORD_SHA256=%s\n' "$(cat "$out/ch-dashboard.sha256")"
	printf 'CH_CLUSTER_SECRET=%s\n' "$(cat "$out/ch-cluster-secret")"
} > "$out/clickhouse.env"

# The first administrator: a password for the dashboard, a token for the API.
if fresh users.json; then
	password > "$out/admin-password"
	printf 'edp_%s' "$(openssl rand -hex 24)" > "$out/admin-token"
	token_sha=$(sha "$out/admin-token")
	pw_hash=$(bcrypt_hash < "$out/admin-password")
	[ -n "$pw_hash" ] || { echo "gen-secrets: no bcrypt hash for the administrator" >&2; exit 1; }
	cat > "$out/users.json" <<JSON
{"users": [{"id": "admin", "name": "Administrator", "role": "admin", "token_sha256": "$token_sha", "password_bcrypt": "$pw_hash"}]}
JSON
fi
fresh grafana-admin && password > "$out/grafana-admin"

# The containers run as their own users (econdip 65532, ClickHouse 101):
# the files they mount must be readable by them; the folder stays private.
chmod 644 "$out"/*
chmod 600 "$out/ca.key"
echo "secrets in $out"
echo "administrator: id admin, password in secrets/admin-password, API token in secrets/admin-token"
