package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// BatchItem is one event of an atomic batch.
type BatchItem struct {
	Subject  string
	Envelope Envelope
	// ExpectLastSubjectSeq as in PublishOptions; checked for the whole batch at commit.
	ExpectLastSubjectSeq *uint64
	// RequestSHA256 as in PublishOptions.
	RequestSHA256 string
}

// MaxBatch is JetStream's limit on the messages of one atomic batch.
const MaxBatch = 1000

// ErrBatchReplayed means the batch's event ids are stored already: a retry of a batch that was committed.
var ErrBatchReplayed = errors.New("this batch was stored before")

// ErrBatchesBusy means the stream holds as many open atomic batches as it
// allows (the server's max_batch_inflight_per_stream, 50 by default) for
// longer than PublishBatch waits: nothing was stored; retry shortly.
var ErrBatchesBusy = errors.New("too many atomic batches open on the stream at once")

// JetStream error codes of atomic batches.
const (
	errCodeBatchDuplicateMsgID = 10201
	errCodeBatchTooManyOpen    = 10210
)

// batchBusyWait bounds how long PublishBatch retries a batch the stream
// refused for having too many batches open; a batch is open for the few
// milliseconds its messages take, so a moment usually frees a place.
const batchBusyWait = time.Second

// PublishBatch stores every item or none (JetStream atomic batch publish,
// ADR-50; the stream must allow it). It returns the ack of the last message;
// the batch's messages have the sequences just before it, in order.
func PublishBatch(ctx context.Context, js jetstream.JetStream, items []BatchItem) (*jetstream.PubAck, error) {
	giveUp := time.Now().Add(batchBusyWait)
	for try := 1; ; try++ {
		ack, err := publishBatch(ctx, js, items)
		if !errors.Is(err, ErrBatchesBusy) || time.Now().After(giveUp) {
			return ack, err
		}
		// The refused batch was not committed, so the server dropped it:
		// send it again whole, under a new batch id.
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(time.Duration(min(5*try, 50)) * time.Millisecond):
		}
	}
}

func publishBatch(ctx context.Context, js jetstream.JetStream, items []BatchItem) (*jetstream.PubAck, error) {
	if len(items) == 0 || len(items) > MaxBatch {
		return nil, fmt.Errorf("atomic batch of %d events: must be 1 to %d", len(items), MaxBatch)
	}
	nc := js.Conn()
	batchID := uuid.NewString()
	timeout := 10 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
	}
	for i, it := range items {
		raw, err := jsonMarshal(it.Envelope)
		if err != nil {
			return nil, err
		}
		msg := nats.NewMsg(it.Subject)
		msg.Data = raw
		msg.Header.Set(HeaderType, it.Envelope.Type)
		msg.Header.Set(HeaderSource, it.Envelope.Source)
		msg.Header.Set(jetstream.MsgIDHeader, it.Envelope.ID)
		if it.RequestSHA256 != "" {
			msg.Header.Set(HeaderRequestSHA256, it.RequestSHA256)
		}
		msg.Header.Set("Nats-Batch-Id", batchID)
		msg.Header.Set("Nats-Batch-Sequence", strconv.Itoa(i+1))
		if it.ExpectLastSubjectSeq != nil {
			msg.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(*it.ExpectLastSubjectSeq, 10))
		}
		last := i == len(items)-1
		if last {
			msg.Header.Set("Nats-Batch-Commit", "1")
		}
		// Every message is a request, so a batch that did not reach the
		// server fails here instead of being abandoned silently.
		resp, err := nc.RequestMsg(msg, timeout)
		if err != nil {
			return nil, fmt.Errorf("atomic batch message %d of %d: %w", i+1, len(items), err)
		}
		if len(resp.Data) == 0 {
			if last {
				return nil, fmt.Errorf("atomic batch: empty acknowledgement of the commit")
			}
			continue
		}
		var ack struct {
			jetstream.PubAck
			Error *jetstream.APIError `json:"error,omitempty"`
		}
		if err := json.Unmarshal(resp.Data, &ack); err != nil {
			return nil, fmt.Errorf("atomic batch: acknowledgement %q: %w", resp.Data, err)
		}
		if ack.Error != nil {
			switch ack.Error.ErrorCode {
			case jetstream.JSErrCodeStreamWrongLastSequence, jetstream.JSErrCodeStreamWrongLastSequenceConstant:
				return nil, fmt.Errorf("atomic batch: %w", ErrWrongLastSequence)
			case errCodeBatchDuplicateMsgID:
				return nil, fmt.Errorf("atomic batch: %w", ErrBatchReplayed)
			case errCodeBatchTooManyOpen:
				return nil, fmt.Errorf("atomic batch: %w (%w)", ErrBatchesBusy, ack.Error)
			}
			return nil, fmt.Errorf("atomic batch rejected: %w", ack.Error)
		}
		if last {
			return &ack.PubAck, nil
		}
	}
	return nil, errors.New("atomic batch: no commit")
}
