package documents

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"econdip/events"
	"econdip/services/platform/eventstore"
	"econdip/services/platform/natsx"
)

// Sweep runs the sweeper once, now: it deletes the bytes of the kind's
// documents removed longer ago than the retention period and appends
// document.purged for each; and it deletes the kind's objects that no
// document names and that are older than orphanAge (uploads whose event
// never came). It returns how many documents it purged and orphans it
// deleted. Only the lease holder runs it on its own (RunSweeper); a call
// elsewhere is harmless (a purge is appended on the version read, so two
// sweepers purge a document once).
func (d *Docs) Sweep(ctx context.Context) (purged, orphans int, err error) {
	days, err := Retention(ctx, d.settings)
	if err != nil {
		return 0, 0, err
	}
	now := d.cfg.Now().UTC().Truncate(time.Millisecond)
	due := now.Add(-time.Duration(days) * 24 * time.Hour)
	recs, err := d.view.Select(eventstore.Query[events.DocumentV1]{Match: map[string]string{"removed": "true", "purged": "false"},
		Keep: func(doc events.DocumentV1) bool { return doc.RemovedAt != nil && !doc.RemovedAt.After(due) }})
	if err != nil {
		return 0, 0, err
	}
	for _, r := range recs {
		if err := d.purge(ctx, r.State.WorkRef, r.ID, now); err != nil {
			return purged, 0, err
		}
		purged++
	}
	orphans, err = d.sweepOrphans(ctx, now)
	return purged, orphans, err
}

// purge deletes the bytes of the removed document id and appends
// document.purged on the version it read.
func (d *Docs) purge(ctx context.Context, ref events.WorkRef, id string, now time.Time) error {
	store := d.storeOn(ref)
	rec, err := store.Load(ctx, id)
	if err != nil {
		return err
	}
	doc := rec.State
	if !doc.Removed || doc.Purged {
		return nil
	}
	if err := d.objects.Delete(ctx, doc.Object); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
		return err
	}
	doc.Version++
	doc.Purged, doc.PurgedAt, doc.UpdatedAt = true, &now, now
	ev := events.DocumentPurgedV1{Document: doc}
	subject, scope := meta(d.cfg.Kind, doc)
	env, err := events.New(events.Meta{Source: d.cfg.Source, Subject: subject, Actor: SweeperActor, Scope: scope, Time: now}, ev)
	if err != nil {
		return err
	}
	stored, err := store.Append(ctx, id, rec.Seq, env, ev)
	if err != nil {
		return err
	}
	d.view.Put(stored)
	d.log.Info("document bytes purged after the retention period", "document", id, "record", ref.Key())
	return nil
}

// sweepOrphans deletes the kind's objects older than orphanAge that no
// document of the read model names.
func (d *Docs) sweepOrphans(ctx context.Context, now time.Time) (int, error) {
	infos, err := d.objects.List(ctx)
	if errors.Is(err, jetstream.ErrNoObjectsFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n := 0
	for _, info := range infos {
		if info.Deleted || !strings.HasPrefix(info.Name, d.cfg.Kind+"/") || now.Sub(info.ModTime) < orphanAge {
			continue
		}
		recs, err := d.view.Select(eventstore.Query[events.DocumentV1]{Match: map[string]string{"object": info.Name}})
		if err != nil {
			return n, err
		}
		if len(recs) > 0 {
			continue
		}
		if err := d.objects.Delete(ctx, info.Name); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
			return n, err
		}
		d.log.Warn("deleted the bytes of an upload whose event never came", "object", info.Name, "put", info.ModTime)
		n++
	}
	return n, nil
}

// RunSweeper runs Sweep every interval while this instance holds the
// kind's sweeper lease (one sweeper per kind of record in a cluster, as
// the notifier's evaluator), until ctx ends.
func (d *Docs) RunSweeper(ctx context.Context, every time.Duration) {
	lease := natsx.NewLease(d.leases, d.cfg.Kind, d.cfg.Instance, DefaultLeaseTTL, d.log, "the "+d.cfg.Kind+" documents' sweeper", nil)
	defer lease.Release()
	renew := time.NewTicker(DefaultLeaseTTL / 3)
	defer renew.Stop()
	tick := time.NewTicker(every)
	defer tick.Stop()
	sweep := func() {
		if err := d.Ready(ctx); err != nil {
			return // not caught up: the next tick
		}
		if purged, orphans, err := d.Sweep(ctx); err != nil {
			d.log.Warn("documents' sweep failed; tried again at the next tick", "error", err)
		} else if purged+orphans > 0 {
			d.log.Info("documents swept", "purged", purged, "orphans", orphans)
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-renew.C:
			lease.Try(ctx)
		case <-tick.C:
			if lease.Held() || lease.Try(ctx) {
				sweep()
			}
		}
	}
}

// SweepEvery is how often a service's sweeper runs.
const SweepEvery = 10 * time.Minute

// Start runs the sweepers of docs (RunSweeper, each under its own lease)
// until ctx ends, and returns the readiness check of a service's read
// models (ready) with the documents' views.
func Start(ctx context.Context, ready func(context.Context) error, docs ...*Docs) func(context.Context) error {
	for _, d := range docs {
		go d.RunSweeper(ctx, SweepEvery)
	}
	return func(ctx context.Context) error {
		if err := ready(ctx); err != nil {
			return err
		}
		for _, d := range docs {
			if err := d.Ready(ctx); err != nil {
				return err
			}
		}
		return nil
	}
}
