package eventstore

import (
	"context"
	"os"
)

// LockFile takes the exclusive lock a view holds on its file, for other
// read models kept in files of their own (the search index): one process a
// file, a holder in this process waited for a few seconds (a restart), one
// in another process an error that says to give each instance its own
// ECONDIP_VIEWS_DIR. Closing the file releases the lock.
func LockFile(ctx context.Context, path string) (*os.File, error) { return lockFile(ctx, path) }
