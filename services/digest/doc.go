// Package digest builds the weekly digest of a user's scope (issue 17):
// its content from ClickHouse (analytics.Digest), an HTML e-mail body and
// a PDF attachment in the user's language.
package digest
