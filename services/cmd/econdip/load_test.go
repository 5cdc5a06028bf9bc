package main

import (
	"io"
	"testing"
	"time"
)

func TestParseLoadFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    loadOptions
		wantErr bool
	}{
		{name: "defaults", args: nil, want: loadOptions{via: "api", events: 10_000, seed: 1, concurrency: 32}},
		{name: "nats at a rate for a duration", args: []string{"--via", "nats", "--rate", "2000/s", "--duration", "30s"},
			want: loadOptions{via: "nats", duration: 30 * time.Second, rate: 2000, seed: 1, concurrency: 32}},
		{name: "per minute", args: []string{"--rate", "600/m", "--events", "50", "--seed", "9", "--concurrency", "4"},
			want: loadOptions{via: "api", events: 50, rate: 10, seed: 9, concurrency: 4}},
		{name: "bare number and max", args: []string{"--rate", "max", "--events", "5"}, want: loadOptions{via: "api", events: 5, seed: 1, concurrency: 32}},
		{name: "unknown path", args: []string{"--via", "smtp"}, wantErr: true},
		{name: "bad rate", args: []string{"--rate", "fast"}, wantErr: true},
		{name: "negative events", args: []string{"--events", "-1"}, wantErr: true},
		{name: "stray argument", args: []string{"now"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseLoadFlags(tt.args, io.Discard)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
