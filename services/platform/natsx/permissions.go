package natsx

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/nats-io/nats-server/v2/server"

	"econdip/events"
)

// The NATS users of econdip: one per service, each named after the service
// (the econdip command that runs it), plus the administrator's tool.
const (
	ServiceLeads       = "leads"
	ServiceCommissions = "commissions"
	ServiceExports     = "exports"
	// ServiceCompanies is the company register (services/companies).
	ServiceCompanies = "companies"
	ServiceIngest    = "ingest"
	ServiceDashboard = "dashboard"
	// ServiceNotify is the notifier (services/notify): reminders, inboxes,
	// e-mail and the weekly digest.
	ServiceNotify = "notify"
	// ServiceSearch is the global search (services/search): it reads the
	// record streams into its index and writes nothing.
	ServiceSearch = "search"
	// ServiceAdminTool sets JetStream up (streams, key-value buckets),
	// imports the users file and inspects the dead letters. It runs at deploy
	// time and in the administrator's hands, never as a long-running service.
	ServiceAdminTool = "admin-tool"
)

// The identity service's key-value buckets (services/identity), and the
// calendar feed's tokens (services/digest).
const (
	BucketSessions       = "SESSIONS"
	BucketSigninFailures = "SIGNIN_FAILURES"
	BucketCalendars      = "CALENDARS"
)

// The notifier's JetStream resources (services/notify/app): its key-value
// buckets, and the e-mail outbox (a work-queue stream outside the events
// contract) with its durable consumer, shared by every notifier instance.
const (
	BucketNotifyInbox    = "NOTIFY_INBOX"
	BucketNotifyPrefs    = "NOTIFY_PREFS"
	BucketNotifySent     = "NOTIFY_SENT"
	BucketNotifyDigests  = "NOTIFY_DIGESTS"
	BucketNotifyLease    = "NOTIFY_LEASE"
	StreamNotifyOutbox   = "NOTIFY_OUTBOX"
	SubjectNotifyOutbox  = "econdip.notify.outbox"
	ConsumerNotifySender = "notify-sender"
)

// The documents' JetStream resources (services/platform/documents): the
// object store of their bytes (its stream is OBJ_DOCUMENTS), the
// administrator's retention period, and the sweepers' leases.
const (
	BucketDocuments        = "DOCUMENTS"
	BucketDocumentSettings = "DOCUMENT_SETTINGS"
	BucketDocumentLease    = "DOCUMENT_LEASE"
)

// The durable consumers on COMPANIES by which the leads and exports
// services follow merges and renames (a lead or deal of an absorbed
// company is re-pointed at the survivor; a renamed company's records take
// its new name). Renaming one replays every merge and rename, which
// changes nothing twice (a record moved already is skipped).
const (
	ConsumerLeadsCompanyMerge   = "leads-company-merge"
	ConsumerExportsCompanyMerge = "exports-company-merge"
)

// Access is what one service does with JetStream, in the contract's terms;
// ServicePermissions turns it into subjects.
type Access struct {
	Append  []string // streams it stores events on (publishes to their subjects)
	Follow  []string // streams it reads whole: ordered consumers, and single messages
	Lookup  []string // streams it reads single messages of (the last one on a subject, or by sequence), nothing more
	Durable []string // streams it consumes with the durable consumer events.ConsumerIngest, acking each message
	KVRead  []string // buckets it reads keys of
	KVWrite []string // buckets it reads and writes keys of
	KVOpen  []string // buckets it only opens: identity.New opens both buckets in every process
	// Objects are object stores it puts, reads and deletes objects in
	// (documents' bytes).
	Objects []string
	// Publish are subjects outside the events contract it publishes to
	// (the notifier's outbox).
	Publish []string
	// Queue are the work-queue consumers it pulls from and acks, each as
	// "<stream>/<durable>" (the notifier's sender).
	Queue []string
	// Consume are the durable consumers it creates itself and pulls from
	// and acks, each as "<stream>/<durable>" (the follow-ups of company
	// merges).
	Consume []string
	Manage  bool // creates and updates streams, consumers and buckets (the JetStream API, whole)
}

// ServiceAccess is the permissions table: what each service needs and
// nothing more. Every other subject is refused by the server.
//
//   - The USERS stream holds password and token hashes. It is read by every
//     process that authenticates requests (the APIs and the dashboard follow
//     it, so a disabled account is refused everywhere at once) and by the
//     admin tool; ingest never reads it. Only the dashboard (account
//     administration, a user's own password and tokens) and the admin tool
//     (the users file) write it.
//   - Only the dashboard signs people in, so only it writes sessions; the
//     APIs read them. A compromised API cannot mint a session. Calendar
//     feed tokens (CALENDARS) are the dashboard's alone: it makes them and
//     serves the feeds.
//   - Commissions checks that a linked lead or deal exists, exports that a
//     linked decision exists, leads and exports that a picked company
//     exists: single-message reads. Leads and exports follow company
//     merges with a durable consumer each (Consume).
//   - Ingest alone uses the durable consumer events.ConsumerIngest; the
//     others may create ordered consumers on the streams they follow, but
//     are denied that consumer's name, so they cannot delete it, redefine it
//     or pull (and ack) its messages.
//   - The services that own records keep their documents' bytes in the
//     DOCUMENTS object store (one bucket: each names its objects by
//     kind of record, and its sweeper deletes only its own kinds'), read
//     the retention period and hold their sweepers' leases. Leads serves
//     the administrators' retention setting, so it writes it.
var ServiceAccess = map[string]Access{
	ServiceLeads: {
		Append:  []string{events.StreamLeads},
		Follow:  []string{events.StreamLeads, events.StreamUsers},
		Lookup:  []string{events.StreamCompanies},
		Consume: []string{events.StreamCompanies + "/" + ConsumerLeadsCompanyMerge},
		KVRead:  []string{BucketSessions}, KVOpen: []string{BucketSigninFailures},
		KVWrite: []string{BucketDocumentSettings, BucketDocumentLease},
		Objects: []string{BucketDocuments},
	},
	ServiceCompanies: {
		Append: []string{events.StreamCompanies},
		Follow: []string{events.StreamCompanies, events.StreamUsers},
		KVRead: []string{BucketSessions}, KVOpen: []string{BucketSigninFailures},
	},
	ServiceCommissions: {
		Append: []string{events.StreamCommissions},
		Follow: []string{events.StreamCommissions, events.StreamUsers},
		Lookup: []string{events.StreamLeads, events.StreamExports},
		KVRead: []string{BucketSessions, BucketDocumentSettings}, KVOpen: []string{BucketSigninFailures},
		KVWrite: []string{BucketDocumentLease},
		Objects: []string{BucketDocuments},
	},
	ServiceExports: {
		Append:  []string{events.StreamExports},
		Follow:  []string{events.StreamExports, events.StreamUsers},
		Lookup:  []string{events.StreamCommissions, events.StreamCompanies},
		Consume: []string{events.StreamCompanies + "/" + ConsumerExportsCompanyMerge},
		KVRead:  []string{BucketSessions, BucketDocumentSettings}, KVOpen: []string{BucketSigninFailures},
		KVWrite: []string{BucketDocumentLease},
		Objects: []string{BucketDocuments},
	},
	ServiceIngest: {
		Append:  []string{events.StreamDeadLetter},
		Lookup:  []string{events.StreamLeads, events.StreamExports}, // a record's previous event, for the aggregates
		KVWrite: []string{BucketIngestLock},
		Durable: []string{events.StreamLeads, events.StreamCommissions, events.StreamExports, events.StreamCompanies},
	},
	ServiceDashboard: {
		Append:  []string{events.StreamUsers},
		Follow:  []string{events.StreamUsers, "KV_" + BucketNotifyInbox},
		KVWrite: []string{BucketSessions, BucketSigninFailures, BucketCalendars, BucketNotifyInbox, BucketNotifyPrefs},
	},
	// The notifier follows the record streams (and their tasks) and the
	// accounts, keeps inboxes, preferences, sent markers, digest markers
	// and its lease in its buckets, and queues e-mails in its outbox. It
	// lists an inbox's keys (an ordered consumer on the bucket's stream).
	ServiceNotify: {
		Follow:  []string{events.StreamLeads, events.StreamCommissions, events.StreamExports, events.StreamUsers, "KV_" + BucketNotifyInbox},
		KVWrite: []string{BucketNotifyInbox, BucketNotifyPrefs, BucketNotifySent, BucketNotifyDigests, BucketNotifyLease},
		Publish: []string{SubjectNotifyOutbox},
		Queue:   []string{StreamNotifyOutbox + "/" + ConsumerNotifySender},
	},
	// The search follows the record streams into its index (ordered
	// consumers: read only), the company register's included, and
	// authenticates requests as the APIs do.
	ServiceSearch: {
		Follow: []string{events.StreamLeads, events.StreamCommissions, events.StreamExports, events.StreamCompanies, events.StreamUsers},
		KVRead: []string{BucketSessions}, KVOpen: []string{BucketSigninFailures},
	},
	// The admin tool manages JetStream whole (it could delete any stream),
	// so it may also append to the record streams: `deadletter redrive`
	// sends dead letters back to their subjects, and `rebuild` runs an
	// ingest of its own (acks, dead letters).
	ServiceAdminTool: {
		Append:  []string{events.StreamUsers, events.StreamLeads, events.StreamCommissions, events.StreamExports, events.StreamCompanies, events.StreamDeadLetter},
		KVWrite: []string{BucketSessions, BucketSigninFailures, BucketCalendars, BucketNotifyPrefs, BucketDocumentSettings, BucketIngestLock},
		Manage:  true,
	},
}

// Services lists the services of the table, sorted.
func Services() []string {
	out := make([]string, 0, len(ServiceAccess))
	for s := range ServiceAccess {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// Permissions are the subjects one NATS user may publish and subscribe to.
// A JetStream API call is a publish to its $JS.API subject, with the answer
// coming back to the client's inbox.
type Permissions struct {
	Publish       []string // allowed publish subjects
	DenyPublish   []string // exceptions to Publish
	Subscribe     []string // allowed subscriptions: the service's own inbox only
	DenySubscribe []string // exceptions to Subscribe
}

// InboxPrefix is where a service's replies arrive (JetStream acks and API
// answers, consumer deliveries). Each service has its own, so none can
// subscribe to the replies of another (a session read, a USERS message).
func InboxPrefix(service string) string { return "_INBOX_" + service }

// ServicePermissions returns the subjects a service may use. An unknown
// service gets permissions that refuse everything.
func ServicePermissions(service string) Permissions {
	a, ok := ServiceAccess[service]
	if !ok {
		return Permissions{DenyPublish: []string{">"}, DenySubscribe: []string{">"}}
	}
	var p Permissions
	pub := func(subjects ...string) {
		for _, s := range subjects {
			if !slices.Contains(p.Publish, s) {
				p.Publish = append(p.Publish, s)
			}
		}
	}
	for _, name := range a.Append {
		pub(streamSubjects(name)...)
	}
	for _, b := range a.KVWrite {
		pub("$KV." + b + ".>")
	}
	for _, b := range a.Objects {
		pub("$O." + b + ".>") // chunks ($O.<b>.C.<nuid>) and metadata ($O.<b>.M.<name>)
	}
	pub(a.Publish...)
	const api = "$JS.API."
	if a.Manage {
		pub(api+"INFO", api+"STREAM.>", api+"CONSUMER.>", api+"DIRECT.GET.>", "$JS.ACK.>")
	} else {
		// Single messages: STREAM.MSG.GET, or DIRECT.GET where a stream
		// allows direct reads (key-value buckets do; the client picks).
		get := func(stream string) {
			pub(api+"STREAM.INFO."+stream, api+"STREAM.MSG.GET."+stream, api+"DIRECT.GET."+stream, api+"DIRECT.GET."+stream+".>")
		}
		for _, s := range a.Follow {
			get(s)
			// Ordered consumers have generated names; the filter subject
			// follows the name in CREATE.
			pub(api+"CONSUMER.CREATE."+s+".>", api+"CONSUMER.INFO."+s+".*",
				api+"CONSUMER.MSG.NEXT."+s+".*", api+"CONSUMER.DELETE."+s+".*")
		}
		for _, s := range a.Lookup {
			get(s)
		}
		for _, s := range a.Durable {
			c := events.ConsumerIngest
			pub(api+"CONSUMER.CREATE."+s+"."+c, api+"CONSUMER.CREATE."+s+"."+c+".>",
				api+"CONSUMER.INFO."+s+"."+c, api+"CONSUMER.MSG.NEXT."+s+"."+c, "$JS.ACK."+s+"."+c+".>")
		}
		for _, q := range a.Queue {
			stream, durable, _ := strings.Cut(q, "/")
			pub(api+"STREAM.INFO."+stream, api+"CONSUMER.INFO."+stream+"."+durable,
				api+"CONSUMER.MSG.NEXT."+stream+"."+durable, "$JS.ACK."+stream+"."+durable+".>")
		}
		for _, q := range a.Consume {
			stream, durable, _ := strings.Cut(q, "/")
			pub(api+"STREAM.INFO."+stream, api+"CONSUMER.CREATE."+stream+"."+durable, api+"CONSUMER.CREATE."+stream+"."+durable+".>",
				api+"CONSUMER.INFO."+stream+"."+durable, api+"CONSUMER.MSG.NEXT."+stream+"."+durable, "$JS.ACK."+stream+"."+durable+".>")
		}
		for _, b := range slices.Concat(a.KVRead, a.KVWrite) {
			get("KV_" + b)
		}
		// An object store is the stream OBJ_<bucket>: info, the last
		// metadata message of a name, an ordered consumer to read the
		// chunks (and to list, answering its flow control), and a purge of a deleted object's chunks.
		for _, b := range a.Objects {
			s := "OBJ_" + b
			get(s)
			pub(api+"CONSUMER.CREATE."+s+".>", api+"CONSUMER.INFO."+s+".*", api+"CONSUMER.MSG.NEXT."+s+".*",
				api+"CONSUMER.DELETE."+s+".*", api+"STREAM.PURGE."+s,
				// The reading consumer is flow-controlled: its replies.
				"$JS.FC."+s+".>")
		}
		for _, b := range a.KVOpen {
			pub(api + "STREAM.INFO.KV_" + b)
		}
		if len(a.Durable) == 0 {
			c := events.ConsumerIngest
			p.DenyPublish = []string{api + "CONSUMER.*.*." + c, api + "CONSUMER.*.*." + c + ".>", api + "CONSUMER.MSG.NEXT.*." + c}
		}
	}
	p.Subscribe = []string{InboxPrefix(service) + ".>"}
	return p
}

func streamSubjects(name string) []string {
	for _, s := range events.Streams {
		if s.Name == name {
			return s.Subjects
		}
	}
	panic(fmt.Sprintf("natsx: permissions name stream %q, which events.Streams lacks", name))
}

// CanPublish reports whether the table lets service publish to subject (a
// literal subject). Wiring uses it to skip what a service may not do, e.g.
// importing the users file; the server enforces the permissions either way.
func CanPublish(service, subject string) bool {
	p := ServicePermissions(service)
	return anyMatch(p.Publish, subject) && !anyMatch(p.DenyPublish, subject)
}

// Reads reports whether service reads stream (follows it or looks messages up in it).
func Reads(service, stream string) bool {
	a := ServiceAccess[service]
	return a.Manage || slices.Contains(a.Follow, stream) || slices.Contains(a.Lookup, stream)
}

func anyMatch(patterns []string, subject string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return subjectMatch(p, subject) })
}

// subjectMatch reports whether the literal subject matches pattern, with
// NATS wildcards: "*" one token, ">" one or more trailing tokens.
func subjectMatch(pattern, subject string) bool {
	pt, st := strings.Split(pattern, "."), strings.Split(subject, ".")
	for i, p := range pt {
		if p == ">" {
			return len(st) > i
		}
		if i >= len(st) || (p != "*" && p != st[i]) {
			return false
		}
	}
	return len(pt) == len(st)
}

// EmbeddedUsers returns the users of an embedded server that requires
// authentication: one per service in passwords (service name → password),
// named after it, with the service's permissions. Passwords stay in memory.
func EmbeddedUsers(passwords map[string]string) ([]*server.User, error) {
	var users []*server.User
	for _, service := range slices.Sorted(maps.Keys(passwords)) {
		if _, ok := ServiceAccess[service]; !ok {
			return nil, fmt.Errorf("nats users: unknown service %q (known: %s)", service, strings.Join(Services(), ", "))
		}
		if passwords[service] == "" {
			return nil, fmt.Errorf("nats users: the password of %s is empty", service)
		}
		p := ServicePermissions(service)
		users = append(users, &server.User{
			Username: service,
			Password: passwords[service],
			Permissions: &server.Permissions{
				Publish:   &server.SubjectPermission{Allow: p.Publish, Deny: p.DenyPublish},
				Subscribe: &server.SubjectPermission{Allow: p.Subscribe, Deny: p.DenySubscribe},
			},
		})
	}
	return users, nil
}
