package app

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// The notifier's metrics (on the process's /metrics, like obs's).
var (
	metricReminders = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "econdip_notify_reminders_total", Help: "Inbox entries created by the reminder rules, by rule.",
	}, []string{"rule"})
	metricMails = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "econdip_notify_mails_total", Help: "E-mail attempts by result: sent, failed (retried later), duplicate (already sent: acknowledged only).",
	}, []string{"result"})
	metricDigests = promauto.NewCounter(prometheus.CounterOpts{
		Name: "econdip_notify_digests_queued_total", Help: "Weekly digests queued in the outbox.",
	})
	metricLeader = promauto.NewGauge(prometheus.GaugeOpts{
		Name: "econdip_notify_leader", Help: "1 while this instance holds the evaluator's lease.",
	})
)
