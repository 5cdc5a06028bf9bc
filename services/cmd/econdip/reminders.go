package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"econdip/services/cmd/econdip/stack"
	notify "econdip/services/notify/app"
	"econdip/services/notify/domain"
	"econdip/services/platform/natsx"
)

// remindersUsage is the reminder rules' part of `econdip help`.
const remindersUsage = `  reminders [list]
             the reminder rules (README, "Reminders"): id, parameters in force
             and defaults, description
  reminders set RULE NAME=DAYS...
             change a rule's parameters (e.g. reminders set barrier.stale days=30);
             the notifier uses them at its next evaluation, within a minute
  reminders reset RULE
             back to the rule's defaults`

// runReminders lists or changes the administrator's rule parameters (the
// same store as PUT /api/notify/rules), as the admin tool.
func runReminders(ctx context.Context, sys *stack.Stack, args []string) error {
	sub := "list"
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	switch {
	case sub == "list" && len(args) == 0, sub == "set" && len(args) >= 2, sub == "reset" && len(args) == 1:
	default:
		return fmt.Errorf("usage:\n%s", remindersUsage)
	}
	sys.Cfg.Role = natsx.ServiceAdminTool
	if err := sys.StartNATS(ctx, false); err != nil {
		return err
	}
	store, err := notify.OpenStore(ctx, sys.JS)
	if err != nil {
		return err
	}
	if sub != "list" {
		set, err := store.Settings(ctx)
		if err != nil {
			return err
		}
		rule := args[0]
		if _, ok := domain.RuleByID(rule); !ok {
			return fmt.Errorf("no reminder rule %q: `econdip reminders` lists them", rule)
		}
		if sub == "reset" {
			delete(set, rule)
		} else {
			p := set[rule]
			if p == nil {
				p = domain.Params{}
			}
			for _, kv := range args[1:] {
				name, v, ok := strings.Cut(kv, "=")
				n, err := strconv.Atoi(v)
				if !ok || err != nil {
					return fmt.Errorf("%q: give NAME=DAYS, e.g. days=30", kv)
				}
				p[name] = n
			}
			set[rule] = p
		}
		if err := set.Validate(); err != nil {
			return err
		}
		if err := store.SetSettings(ctx, set); err != nil {
			return err
		}
	}
	rules, err := store.Rules(ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "RULE\tPARAMETERS (DEFAULT)\tDESCRIPTION")
	for _, r := range rules {
		var ps []string
		for name, v := range r.Params {
			ps = append(ps, fmt.Sprintf("%s=%d (%d)", name, v, r.Defaults[name]))
		}
		sort.Strings(ps)
		fmt.Fprintf(w, "%s\t%s\t%s\n", r.ID, strings.Join(ps, " "), r.Description)
	}
	return w.Flush()
}
