package stack

import (
	"fmt"
	"strings"
	"time"

	"econdip/services/platform/natsx"
)

// DefaultNATSSync is when the local default's embedded NATS fsyncs
// JetStream (ECONDIP_NATS_SYNC): before every acknowledgement. The embedded
// server is the only copy of the log (one replica), and a write is answered
// only once it is stored, so it must survive a power cut or an OS crash,
// not just a crash of the process (a killed process loses nothing: every
// message is written to the file before it is acknowledged, fsync or not).
// Measured on a 2-core VM (BenchmarkPublishSync in services/test/reliability):
// an API write's publish takes about 1.05 ms instead of 0.15 ms, invisible
// at the rate people write; a bulk load keeps 256 publishes in flight and
// gets about 3,400 events/s instead of 19,000, so a load test may set
// ECONDIP_NATS_SYNC=1s. A production cluster keeps the server's default
// (README, "Durability"): three replicas in separate failure domains
// acknowledge a write only once two hold it.
const DefaultNATSSync = "always"

// ApplySync sets how an embedded server fsyncs JetStream from a setting:
// "always", an interval such as "1s", or "" or "default" for the server's
// default (every 2 minutes).
func ApplySync(o *natsx.EmbeddedOptions, setting string) error {
	switch s := strings.TrimSpace(setting); s {
	case "", "default":
		o.SyncAlways, o.SyncInterval = false, 0
	case "always":
		o.SyncAlways, o.SyncInterval = true, 0
	default:
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return fmt.Errorf("ECONDIP_NATS_SYNC=%q: want always, default or an interval such as 1s", setting)
		}
		o.SyncAlways, o.SyncInterval = false, d
	}
	return nil
}

// SyncString says how o fsyncs, in ApplySync's terms.
func SyncString(o natsx.EmbeddedOptions) string {
	switch {
	case o.SyncAlways:
		return "always"
	case o.SyncInterval > 0:
		return o.SyncInterval.String()
	}
	return "default"
}
