// Package sinks writes riskbatch's output files: the result sheet (CSV or
// XLSX), errors.csv, the raw.jsonl audit log and small JSON state/summary
// files.
//
// Every whole-file output (result sheets, errors.csv, JSON files) is written
// to "<path>.tmp-<random>" in the destination directory, fsync'ed, renamed
// over <path> and the directory fsync'ed, so a reader (or a crash) only ever
// sees the previous complete file or the new complete file. Temporary and
// final files are created with mode 0600: result sheets carry PII.
//
// raw.jsonl is different: it is an append-only audit written as calls
// happen (see RawLog).
package sinks
