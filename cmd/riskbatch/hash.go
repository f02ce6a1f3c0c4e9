package main

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/riskbatch/riskbatch/pipeline"
	"github.com/riskbatch/riskbatch/pipeline/dryrun"
	"github.com/riskbatch/riskbatch/providers/pii"
)

// newHashCommand builds `hash JOB`: a copy of the input with the PII
// columns replaced by digests, for sharing a back-test sample with a vendor.
func newHashCommand() *cobra.Command {
	var (
		digest, nameDigest, out, idForm string
		as                              []string
	)
	cmd := &cobra.Command{
		Use:   "hash JOB",
		Short: "Write a copy of the input with the PII columns replaced by their MD5, SHA-256 or SM3 digest",
		Long: `hash writes a copy of the job's input in which every PII column a provider of
the job reads (ID number, NIK, mobile, name, e-mail, bank card) holds the
lowercase hex digest of the normalized value — the same normalization run uses,
so the digest matches the vendor's for the same person. Other columns are
copied unchanged. A value that is already a digest (32 or 64 hex) passes
through; a value that fails validation is left EMPTY and reported in
<out>-errors.csv. No network call.

Output: --out FILE (.xlsx writes XLSX, anything else CSV); default
<output dir>/hashed.csv.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := pii.ParseDigest(digest)
			if err != nil || d == pii.None {
				return &usageError{msg: fmt.Sprintf("hash: --digest %q: want md5, sha256 or sm3", digest)}
			}
			nd := d
			if nameDigest != "" {
				if nd, err = pii.ParseDigest(nameDigest); err != nil || nd == pii.None {
					return &usageError{msg: fmt.Sprintf("hash: --name-digest %q: want md5, sha256 or sm3", nameDigest)}
				}
			}
			opts := dryrun.HashOptions{Digest: d, NameDigest: nd, Out: out, Kinds: map[string]string{}}
			switch strings.ToLower(idForm) {
			case "local":
				opts.IDMobileForm = pii.IDLocal
			case "country_code":
				opts.IDMobileForm = pii.IDCountryCode
			default:
				return &usageError{msg: fmt.Sprintf("hash: --id-mobile-form %q: want local (08…) or country_code (628…)", idForm)}
			}
			for _, a := range as {
				col, kind, ok := strings.Cut(a, "=")
				if !ok || col == "" {
					kinds := append([]string(nil), dryrun.HashKinds...)
					sort.Strings(kinds)
					return &usageError{msg: fmt.Sprintf("hash: --as %q: want COLUMN=KIND (kinds: %s)", a, strings.Join(kinds, ", "))}
				}
				opts.Kinds[col] = kind
			}
			job, err := pipeline.LoadJobOffline(args[0], nil) // no call: the keys need not be set
			if err != nil {
				return err
			}
			rep, err := dryrun.Hash(job, opts)
			if err != nil {
				return err
			}
			rep.WriteTable(os.Stdout)
			return nil
		},
	}
	cmd.Flags().StringVar(&digest, "digest", "sha256", "md5, sha256 or sm3")
	cmd.Flags().StringVar(&nameDigest, "name-digest", "", "digest for name columns (default: --digest; Juhe takes names only as md5)")
	cmd.Flags().StringVar(&out, "out", "", "output file (.xlsx or .csv; default <output dir>/hashed.csv)")
	cmd.Flags().StringVar(&idForm, "id-mobile-form", "local", "Indonesian mobiles before the digest: local (08…) or country_code (628…); match AccuAuth's mobile_form")
	cmd.Flags().StringArrayVar(&as, "as", nil, "COLUMN=KIND: treat an input column as idcard, nik, mobile, id_mobile, name, email, bank_card, or skip it (repeatable)")
	return cmd
}
