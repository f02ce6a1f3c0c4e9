package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/riskbatch/riskbatch/pipeline"
	"github.com/riskbatch/riskbatch/pipeline/cache"
	"github.com/riskbatch/riskbatch/pipeline/jobfile"
	"github.com/riskbatch/riskbatch/ratelimit"
)

// newCacheCommand builds `cache stats` and `cache purge`: the answer cache
// shared by every job of the installation (docs/cache.md).
func newCacheCommand() *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "cache",
		Short: "Show or purge the answer cache shared by nightly jobs (stats, purge)",
		Long: `The answer cache keeps every final vendor answer (hit, no_hit) of the providers that
have cache: {max_age: …} in their job, so a nightly re-screen does not buy again what it bought
yesterday. Its file is cache.db in the state directory ($RISKBATCH_STATE_DIR, else
$XDG_STATE_HOME/riskbatch, else ~/.local/state/riskbatch), or the job's cache.path / state_dir
when a JOB is given, or --path.`,
	}
	cmd.PersistentFlags().StringVar(&path, "path", "", "the cache file (default: the job's, or cache.db in the state directory)")
	cmd.AddCommand(newCacheStatsCommand(&path), newCachePurgeCommand(&path))
	return cmd
}

// cacheStorePath is --path, else the job's cache path, else the default.
func cacheStorePath(flag string, args []string) (string, *jobfile.Job, error) {
	if flag != "" {
		return flag, nil, nil
	}
	if len(args) == 1 {
		job, err := pipeline.LoadJobOffline(args[0], nil)
		if err != nil {
			return "", nil, err
		}
		p, err := job.CachePath()
		return p, job, err
	}
	dir, err := ratelimit.DefaultStateDir()
	if err != nil {
		return "", nil, err
	}
	return filepath.Join(dir, jobfile.CacheFile), nil, nil
}

func openCacheStore(path string) (*cache.SQLite, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, &exitError{code: exitUsage, err: fmt.Errorf("no answer cache at %s (a job with cache: {max_age: …} makes it on its first run)", path)}
	}
	return cache.OpenSQLite(path)
}

func newCacheStatsCommand(path *string) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "stats [JOB]",
		Short: "Entries per provider type, hits and no-hits, oldest and newest, file size",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, _, err := cacheStorePath(*path, args)
			if err != nil {
				return err
			}
			s, err := openCacheStore(p)
			if err != nil {
				return err
			}
			defer s.Close()
			st, err := s.Stats(context.Background())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			per := 0.0
			if st.Entries > 0 {
				per = float64(st.Bytes) / float64(st.Entries)
			}
			fmt.Fprintf(out, "answer cache %s: %d entries, %d bytes (%.0f B/entry)\n", st.Path, st.Entries, st.Bytes, per)
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "provider\tentries\thits\tno-hits\toldest\tnewest")
			for _, ps := range st.Providers {
				fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\n", ps.Provider, ps.Entries, ps.Hits, ps.NoHits,
					ps.Oldest.Local().Format("2006-01-02 15:04"), ps.Newest.Local().Format("2006-01-02 15:04"))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the figures as JSON")
	return cmd
}

func newCachePurgeCommand(path *string) *cobra.Command {
	var (
		olderThan string
		provider  string
		all       bool
	)
	cmd := &cobra.Command{
		Use:   "purge [JOB] [--older-than 30d] [--provider P] [--all]",
		Short: "Delete cache entries fetched longer ago than --older-than, of one provider type, or all",
		Long: `purge deletes entries from the answer cache: those fetched longer ago than --older-than
(days like 30d or Go durations like 36h), of the provider type --provider (juhe, zhicheng, td,
accuauth; with a JOB, a provider name of the job is taken as its type), or both. --all deletes
every entry. Nothing else is touched; the next run buys the deleted lookups again.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if olderThan == "" && provider == "" && !all {
				return &usageError{msg: "cache purge: say what to delete: --older-than 30d, --provider P, or --all"}
			}
			f := cache.PurgeFilter{Provider: provider}
			if olderThan != "" {
				d, err := jobfile.ParseDuration(olderThan)
				if err != nil {
					return &usageError{msg: "cache purge --older-than: " + err.Error()}
				}
				f.OlderThan = time.Now().Add(-d)
			}
			p, job, err := cacheStorePath(*path, args)
			if err != nil {
				return err
			}
			if job != nil && provider != "" {
				for _, pc := range job.Providers {
					if pc.Name == provider {
						f.Provider = pc.Type
					}
				}
			}
			s, err := openCacheStore(p)
			if err != nil {
				return err
			}
			defer s.Close()
			n, err := s.Purge(context.Background(), f)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "answer cache %s: deleted %d entries\n", p, n)
			return nil
		},
	}
	cmd.Flags().StringVar(&olderThan, "older-than", "", "delete entries fetched longer ago than this (30d, 36h)")
	cmd.Flags().StringVar(&provider, "provider", "", "delete only this provider type's entries")
	cmd.Flags().BoolVar(&all, "all", false, "delete every entry")
	return cmd
}
