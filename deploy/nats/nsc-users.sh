#!/bin/sh
# econdip's NATS users for a cluster in operator mode (JWT), with nsc.
# Generated from services/platform/natsx (ServiceAccess) by
#   go test ./services/platform/natsx -run TestDeployFiles -update
# Do not edit: a test fails when this file and the table disagree.
#
# usage: nsc-users.sh <folder for the .creds files>
# Run where nsc holds the operator; then push the account to the resolver
# (nsc push -a ECONDIP) and hand each service its .creds file as a secret
# (ECONDIP_NATS_CREDS). A .creds file holds the user's private key: keep it
# out of the repository and out of images.
set -eu
out=${1:?usage: nsc-users.sh <folder for the .creds files>}
account=${ECONDIP_NSC_ACCOUNT:-ECONDIP}
umask 077
mkdir -p "$out"
nsc describe account --name "$account" >/dev/null 2>&1 || nsc add account --name "$account"
nsc edit account --name "$account" --js-mem-storage -1 --js-disk-storage -1 --js-streams -1 --js-consumer -1

nsc add user --account "$account" --name admin-tool \
  --allow-pub 'econdip.users.>,econdip.leads.>,econdip.commissions.>,econdip.exports.>,econdip.deadletter.>,$KV.SESSIONS.>,$KV.SIGNIN_FAILURES.>,$KV.CALENDARS.>,$JS.API.INFO,$JS.API.STREAM.>,$JS.API.CONSUMER.>,$JS.API.DIRECT.GET.>,$JS.ACK.>' \
  --allow-sub '_INBOX_admin-tool.>'
nsc generate creds --account "$account" --name admin-tool > "$out/admin-tool.creds"

nsc add user --account "$account" --name commissions \
  --allow-pub 'econdip.commissions.>,$JS.API.STREAM.INFO.COMMISSIONS,$JS.API.STREAM.MSG.GET.COMMISSIONS,$JS.API.DIRECT.GET.COMMISSIONS,$JS.API.DIRECT.GET.COMMISSIONS.>,$JS.API.CONSUMER.CREATE.COMMISSIONS.>,$JS.API.CONSUMER.INFO.COMMISSIONS.*,$JS.API.CONSUMER.MSG.NEXT.COMMISSIONS.*,$JS.API.CONSUMER.DELETE.COMMISSIONS.*,$JS.API.STREAM.INFO.USERS,$JS.API.STREAM.MSG.GET.USERS,$JS.API.DIRECT.GET.USERS,$JS.API.DIRECT.GET.USERS.>,$JS.API.CONSUMER.CREATE.USERS.>,$JS.API.CONSUMER.INFO.USERS.*,$JS.API.CONSUMER.MSG.NEXT.USERS.*,$JS.API.CONSUMER.DELETE.USERS.*,$JS.API.STREAM.INFO.LEADS,$JS.API.STREAM.MSG.GET.LEADS,$JS.API.DIRECT.GET.LEADS,$JS.API.DIRECT.GET.LEADS.>,$JS.API.STREAM.INFO.EXPORTS,$JS.API.STREAM.MSG.GET.EXPORTS,$JS.API.DIRECT.GET.EXPORTS,$JS.API.DIRECT.GET.EXPORTS.>,$JS.API.STREAM.INFO.KV_SESSIONS,$JS.API.STREAM.MSG.GET.KV_SESSIONS,$JS.API.DIRECT.GET.KV_SESSIONS,$JS.API.DIRECT.GET.KV_SESSIONS.>,$JS.API.STREAM.INFO.KV_SIGNIN_FAILURES' \
  --deny-pub '$JS.API.CONSUMER.*.*.ingest-clickhouse,$JS.API.CONSUMER.*.*.ingest-clickhouse.>,$JS.API.CONSUMER.MSG.NEXT.*.ingest-clickhouse' \
  --allow-sub '_INBOX_commissions.>'
nsc generate creds --account "$account" --name commissions > "$out/commissions.creds"

nsc add user --account "$account" --name dashboard \
  --allow-pub 'econdip.users.>,$KV.SESSIONS.>,$KV.SIGNIN_FAILURES.>,$KV.CALENDARS.>,$JS.API.STREAM.INFO.USERS,$JS.API.STREAM.MSG.GET.USERS,$JS.API.DIRECT.GET.USERS,$JS.API.DIRECT.GET.USERS.>,$JS.API.CONSUMER.CREATE.USERS.>,$JS.API.CONSUMER.INFO.USERS.*,$JS.API.CONSUMER.MSG.NEXT.USERS.*,$JS.API.CONSUMER.DELETE.USERS.*,$JS.API.STREAM.INFO.KV_SESSIONS,$JS.API.STREAM.MSG.GET.KV_SESSIONS,$JS.API.DIRECT.GET.KV_SESSIONS,$JS.API.DIRECT.GET.KV_SESSIONS.>,$JS.API.STREAM.INFO.KV_SIGNIN_FAILURES,$JS.API.STREAM.MSG.GET.KV_SIGNIN_FAILURES,$JS.API.DIRECT.GET.KV_SIGNIN_FAILURES,$JS.API.DIRECT.GET.KV_SIGNIN_FAILURES.>,$JS.API.STREAM.INFO.KV_CALENDARS,$JS.API.STREAM.MSG.GET.KV_CALENDARS,$JS.API.DIRECT.GET.KV_CALENDARS,$JS.API.DIRECT.GET.KV_CALENDARS.>' \
  --deny-pub '$JS.API.CONSUMER.*.*.ingest-clickhouse,$JS.API.CONSUMER.*.*.ingest-clickhouse.>,$JS.API.CONSUMER.MSG.NEXT.*.ingest-clickhouse' \
  --allow-sub '_INBOX_dashboard.>'
nsc generate creds --account "$account" --name dashboard > "$out/dashboard.creds"

nsc add user --account "$account" --name exports \
  --allow-pub 'econdip.exports.>,$JS.API.STREAM.INFO.EXPORTS,$JS.API.STREAM.MSG.GET.EXPORTS,$JS.API.DIRECT.GET.EXPORTS,$JS.API.DIRECT.GET.EXPORTS.>,$JS.API.CONSUMER.CREATE.EXPORTS.>,$JS.API.CONSUMER.INFO.EXPORTS.*,$JS.API.CONSUMER.MSG.NEXT.EXPORTS.*,$JS.API.CONSUMER.DELETE.EXPORTS.*,$JS.API.STREAM.INFO.USERS,$JS.API.STREAM.MSG.GET.USERS,$JS.API.DIRECT.GET.USERS,$JS.API.DIRECT.GET.USERS.>,$JS.API.CONSUMER.CREATE.USERS.>,$JS.API.CONSUMER.INFO.USERS.*,$JS.API.CONSUMER.MSG.NEXT.USERS.*,$JS.API.CONSUMER.DELETE.USERS.*,$JS.API.STREAM.INFO.COMMISSIONS,$JS.API.STREAM.MSG.GET.COMMISSIONS,$JS.API.DIRECT.GET.COMMISSIONS,$JS.API.DIRECT.GET.COMMISSIONS.>,$JS.API.STREAM.INFO.KV_SESSIONS,$JS.API.STREAM.MSG.GET.KV_SESSIONS,$JS.API.DIRECT.GET.KV_SESSIONS,$JS.API.DIRECT.GET.KV_SESSIONS.>,$JS.API.STREAM.INFO.KV_SIGNIN_FAILURES' \
  --deny-pub '$JS.API.CONSUMER.*.*.ingest-clickhouse,$JS.API.CONSUMER.*.*.ingest-clickhouse.>,$JS.API.CONSUMER.MSG.NEXT.*.ingest-clickhouse' \
  --allow-sub '_INBOX_exports.>'
nsc generate creds --account "$account" --name exports > "$out/exports.creds"

nsc add user --account "$account" --name ingest \
  --allow-pub 'econdip.deadletter.>,$JS.API.CONSUMER.CREATE.LEADS.ingest-clickhouse,$JS.API.CONSUMER.CREATE.LEADS.ingest-clickhouse.>,$JS.API.CONSUMER.INFO.LEADS.ingest-clickhouse,$JS.API.CONSUMER.MSG.NEXT.LEADS.ingest-clickhouse,$JS.ACK.LEADS.ingest-clickhouse.>,$JS.API.CONSUMER.CREATE.COMMISSIONS.ingest-clickhouse,$JS.API.CONSUMER.CREATE.COMMISSIONS.ingest-clickhouse.>,$JS.API.CONSUMER.INFO.COMMISSIONS.ingest-clickhouse,$JS.API.CONSUMER.MSG.NEXT.COMMISSIONS.ingest-clickhouse,$JS.ACK.COMMISSIONS.ingest-clickhouse.>,$JS.API.CONSUMER.CREATE.EXPORTS.ingest-clickhouse,$JS.API.CONSUMER.CREATE.EXPORTS.ingest-clickhouse.>,$JS.API.CONSUMER.INFO.EXPORTS.ingest-clickhouse,$JS.API.CONSUMER.MSG.NEXT.EXPORTS.ingest-clickhouse,$JS.ACK.EXPORTS.ingest-clickhouse.>' \
  --allow-sub '_INBOX_ingest.>'
nsc generate creds --account "$account" --name ingest > "$out/ingest.creds"

nsc add user --account "$account" --name leads \
  --allow-pub 'econdip.leads.>,$JS.API.STREAM.INFO.LEADS,$JS.API.STREAM.MSG.GET.LEADS,$JS.API.DIRECT.GET.LEADS,$JS.API.DIRECT.GET.LEADS.>,$JS.API.CONSUMER.CREATE.LEADS.>,$JS.API.CONSUMER.INFO.LEADS.*,$JS.API.CONSUMER.MSG.NEXT.LEADS.*,$JS.API.CONSUMER.DELETE.LEADS.*,$JS.API.STREAM.INFO.USERS,$JS.API.STREAM.MSG.GET.USERS,$JS.API.DIRECT.GET.USERS,$JS.API.DIRECT.GET.USERS.>,$JS.API.CONSUMER.CREATE.USERS.>,$JS.API.CONSUMER.INFO.USERS.*,$JS.API.CONSUMER.MSG.NEXT.USERS.*,$JS.API.CONSUMER.DELETE.USERS.*,$JS.API.STREAM.INFO.KV_SESSIONS,$JS.API.STREAM.MSG.GET.KV_SESSIONS,$JS.API.DIRECT.GET.KV_SESSIONS,$JS.API.DIRECT.GET.KV_SESSIONS.>,$JS.API.STREAM.INFO.KV_SIGNIN_FAILURES' \
  --deny-pub '$JS.API.CONSUMER.*.*.ingest-clickhouse,$JS.API.CONSUMER.*.*.ingest-clickhouse.>,$JS.API.CONSUMER.MSG.NEXT.*.ingest-clickhouse' \
  --allow-sub '_INBOX_leads.>'
nsc generate creds --account "$account" --name leads > "$out/leads.creds"
