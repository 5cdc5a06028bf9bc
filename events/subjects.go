package events

// The subjects of records: the one place a NATS subject is built from an id.
// An id is user input (a URL segment, a form field, a sign-in name), and in a
// subject '*' and '>' are wildcards and '.' separates tokens: "econdip.
// commissions.*.commission" would read the latest commission of any id. So
// every builder checks each token of the id and refuses anything outside
// [A-Za-z0-9_-] before the caller can make a JetStream call with it. The
// subjects of stored records are unchanged: every id econdip ever stored
// (uuids, BINs, commission ids, user ids) passes the check.
//
// The wildcard subjects that views follow are constants (AllLeads, ...):
// no function turns input into a wildcard.

import (
	"errors"
	"fmt"
	"strings"
)

// ErrBadID is what the builders return (wrapped) for an id that cannot be
// part of a subject.
var ErrBadID = errors.New("not a valid record id")

// maxToken bounds one token: the longest id econdip makes is a uuid (36).
const maxToken = 128

// The subjects views follow: every record of a kind.
const (
	AllLeads       = SubjectPrefix + ".leads.*"
	AllCommissions = SubjectPrefix + ".commissions.*.commission"
	AllSessions    = SubjectPrefix + ".commissions.*.session.*"
	AllDecisions   = SubjectPrefix + ".commissions.*.decision.*"
	AllExporters   = SubjectPrefix + ".exports.exporter.*"
	AllDeals       = SubjectPrefix + ".exports.deal.*"
	AllBarriers    = SubjectPrefix + ".exports.barrier.*"
	AllCompanies   = SubjectPrefix + ".companies.*"
	// AllUsers has '>': a user id has dots (attache.de-berlin), so one
	// account spans several tokens.
	AllUsers = SubjectPrefix + ".users.>"

	// Tasks and notes, by the kind of record they are about (WorkSubject).
	AllLeadTasks     = SubjectPrefix + ".leads.*.task.*"
	AllLeadNotes     = SubjectPrefix + ".leads.*.note.*"
	AllDealTasks     = SubjectPrefix + ".exports.deal.*.task.*"
	AllDealNotes     = SubjectPrefix + ".exports.deal.*.note.*"
	AllBarrierTasks  = SubjectPrefix + ".exports.barrier.*.task.*"
	AllBarrierNotes  = SubjectPrefix + ".exports.barrier.*.note.*"
	AllDecisionTasks = SubjectPrefix + ".commissions.*.decision.*.task.*"
	AllDecisionNotes = SubjectPrefix + ".commissions.*.decision.*.note.*"

	// Documents, by the kind of record they are attached to (WorkSubject
	// with WorkDocument).
	AllLeadDocuments     = SubjectPrefix + ".leads.*.document.*"
	AllDealDocuments     = SubjectPrefix + ".exports.deal.*.document.*"
	AllBarrierDocuments  = SubjectPrefix + ".exports.barrier.*.document.*"
	AllDecisionDocuments = SubjectPrefix + ".commissions.*.decision.*.document.*"
)

// The second-to-last token of a work item's subject.
const (
	WorkTask = "task"
	WorkNote = "note"
	// WorkDocument is a document attached to the record (issue 18).
	WorkDocument = "document"
)

// WorkSubject carries every event of one task, note or document (item:
// WorkTask, WorkNote or WorkDocument) about the record ref: under the record's own subject, in its
// stream, e.g. econdip.leads.<lead id>.task.<task id>.
func WorkSubject(ref WorkRef, item, id string) (string, error) {
	if item != WorkTask && item != WorkNote && item != WorkDocument {
		return "", fmt.Errorf("%w: %q is not a task, a note or a document", ErrBadID, item)
	}
	var record string
	var err error
	switch ref.Kind {
	case WorkOnLead:
		record, err = LeadSubject(ref.ID)
	case WorkOnDeal:
		record, err = DealSubject(ref.ID)
	case WorkOnBarrier:
		record, err = BarrierSubject(ref.ID)
	case WorkOnDecision:
		record, err = DecisionSubject(ref.CommissionID, ref.ID)
	default:
		return "", fmt.Errorf("%w: no record kind %q", ErrBadID, ref.Kind)
	}
	if err != nil {
		return "", err
	}
	return checked(record+"."+item+"."+id, id)
}

// CheckToken reports whether id can be one token of a subject: 1 to 128 of
// A-Z, a-z, 0-9, '_' and '-'.
func CheckToken(id string) error {
	if id == "" || len(id) > maxToken {
		return fmt.Errorf("%w: %q must be 1 to %d characters", ErrBadID, id, maxToken)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return fmt.Errorf("%w: %q may hold only letters, digits, '_' and '-'", ErrBadID, id)
		}
	}
	return nil
}

// checked returns s when every id is one valid token.
func checked(s string, ids ...string) (string, error) {
	for _, id := range ids {
		if err := CheckToken(id); err != nil {
			return "", err
		}
	}
	return s, nil
}

// LeadSubject carries every event of one lead: econdip.leads.<id>.
func LeadSubject(leadID string) (string, error) {
	return checked(SubjectPrefix+".leads."+leadID, leadID)
}

// CommissionSubject carries the events of one commission. Everything of a
// commission is under econdip.commissions.<commission id>, so access can be
// granted per commission.
func CommissionSubject(commissionID string) (string, error) {
	return checked(SubjectPrefix+".commissions."+commissionID+".commission", commissionID)
}

// SessionSubject carries the event of one session of a commission.
func SessionSubject(commissionID, sessionID string) (string, error) {
	return checked(SubjectPrefix+".commissions."+commissionID+".session."+sessionID, commissionID, sessionID)
}

// DecisionSubject carries every event of one decision.
func DecisionSubject(commissionID, decisionID string) (string, error) {
	return checked(SubjectPrefix+".commissions."+commissionID+".decision."+decisionID, commissionID, decisionID)
}

// ExporterSubject carries the events of one Kazakh exporter, keyed by BIN.
func ExporterSubject(bin string) (string, error) {
	return checked(SubjectPrefix+".exports.exporter."+bin, bin)
}

// DealSubject carries every event of one export deal.
func DealSubject(id string) (string, error) { return checked(SubjectPrefix+".exports.deal."+id, id) }

// BarrierSubject carries every event of one trade barrier.
func BarrierSubject(id string) (string, error) {
	return checked(SubjectPrefix+".exports.barrier."+id, id)
}

// CompanySubject carries every event of one company: econdip.companies.<id>.
func CompanySubject(id string) (string, error) {
	return checked(SubjectPrefix+".companies."+id, id)
}

// UserSubject carries every event of one user account. A user id is
// dot-separated tokens (attache.de-berlin: econdip.users.attache.de-berlin,
// as stored since the first account); each token is checked, so "a..b",
// "a.*" or "a.>" are refused.
func UserSubject(id string) (string, error) {
	s, err := checked(SubjectPrefix+".users."+id, strings.Split(id, ".")...)
	if err != nil {
		return "", fmt.Errorf("user id %q: %w", id, err)
	}
	return s, nil
}

// MustSubject returns the subject of a builder that cannot fail: for ids the
// program made itself (a fresh uuid) and for tests. It panics on an error,
// so it never takes an id from a request.
func MustSubject(subject string, err error) string {
	if err != nil {
		panic(err)
	}
	return subject
}
