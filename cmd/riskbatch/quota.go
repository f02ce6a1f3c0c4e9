package main

import (
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/riskbatch/riskbatch/pipeline"
	"github.com/riskbatch/riskbatch/ratelimit"
	"github.com/riskbatch/riskbatch/ratelimit/redisbackend"
)

// newQuotaCommand builds `riskbatch quota JOB`: the daily quota counters of
// the job's keys (shared with every job that uses them), and --reset.
func newQuotaCommand() *cobra.Command {
	var reset, yes bool
	var provider, keyID string
	cmd := &cobra.Command{
		Use:   "quota JOB",
		Short: "Show the daily quota used today by each key of the job; --reset --yes sets a key's count back to zero",
		Long: `Show the daily quota counters of the job's keys for the vendor's current day: used, limit,
remaining, whether the vendor declared the day spent, and when the day ends. The counters are
shared by every job and process that uses a key (they live in the per-user state directory).

--reset --yes sets the counts of the selected keys (--provider, --key) back to zero for today,
for when the vendor raised or reset a quota by hand. It never touches another day.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if reset && !yes {
				return &usageError{msg: "quota --reset changes counters shared by every job using these keys: add --yes to confirm"}
			}
			job, err := pipeline.LoadJob(args[0], nil) // a key's counter is named by its credentials
			if err != nil {
				return err
			}
			// The counters: in Redis for a job with coordination (shared by
			// every machine, the day from Redis's clock), else the per-user
			// quota store.
			var qs quotaCounters
			now := time.Now
			if r := job.Coordination.Redis; r != nil {
				if reset {
					return &usageError{msg: "quota --reset: the counters of a coordinated job are in Redis and shared by every machine; reset them there (keys under prefix " + r.Prefix + ")"}
				}
				b, err := redisbackend.Open(cmd.Context(), redisbackend.Config{URL: r.URL, Prefix: r.Prefix})
				if err != nil {
					return fmt.Errorf("quota: %s", redisbackend.Redact(err.Error()))
				}
				defer b.Close()
				qs, now = b, b.Now
			} else {
				dir, err := job.QuotaStateDir()
				if err != nil {
					return err
				}
				store, err := ratelimit.OpenQuotaStore(dir)
				if err != nil {
					return fmt.Errorf("quota state %s: %w", dir, err)
				}
				defer store.Close()
				qs = store
			}
			tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "provider\tkey\tday\tused\tlimit\tremaining\tstate\tday ends")
			matched := 0
			for _, pc := range job.Providers {
				if provider != "" && pc.Name != provider {
					continue
				}
				loc, err := time.LoadLocation(pc.TimeZone)
				if err != nil {
					return err
				}
				now := now().In(loc)
				day := now.Format(time.DateOnly)
				ends := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, loc)
				for _, k := range pc.Keys {
					if keyID != "" && k.ID != keyID {
						continue
					}
					matched++
					if k.DailyQuota == 0 {
						fmt.Fprintf(tw, "%s\t%s\t%s\t-\tnone\t-\tno daily_quota in the job\t-\n", pc.Name, k.ID, day)
						continue
					}
					fp := pc.Fingerprint(k)
					if store, ok := qs.(*ratelimit.QuotaStore); ok && reset {
						was, err := store.Reset(fp, day)
						if err != nil {
							return err
						}
						fmt.Fprintf(os.Stderr, "%s key %s: count for %s reset from %d to 0\n", pc.Name, k.ID, day, was)
					}
					used, spent, err := qs.Status(fp, day)
					if err != nil {
						return err
					}
					state := "active"
					switch {
					case spent:
						state = "spent (vendor said so)"
					case used >= k.DailyQuota:
						state = "spent"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\n", pc.Name, k.ID, day, used, k.DailyQuota, max(0, k.DailyQuota-used), state, ends.Format("2006-01-02 15:04 -07"))
				}
			}
			if matched == 0 {
				return &usageError{msg: fmt.Sprintf("quota: no key matches --provider %q --key %q in %s", provider, keyID, args[0])}
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&reset, "reset", false, "set the selected keys' counts for today back to zero")
	cmd.Flags().BoolVar(&yes, "yes", false, "confirm --reset")
	cmd.Flags().StringVar(&provider, "provider", "", "only this provider (its name in the job)")
	cmd.Flags().StringVar(&keyID, "key", "", "only the key with this id")
	return cmd
}

// quotaCounters is what `quota` reads: the local store or Redis.
type quotaCounters interface {
	Status(fingerprint, day string) (used int, exhausted bool, err error)
}
