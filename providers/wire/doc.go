// Package wire holds the small encoders and the JSON reader the vendors'
// hot paths share (issue 18): one pass over an answer instead of
// encoding/json's validity pre-pass, its reflective decode and a second
// walk; request bodies appended without reflection; form values escaped
// without url.Values' map and sort.
//
// Every function here produces or accepts exactly what the standard
// library does for the same input (tests compare them on random and
// hostile inputs). The reader is strict (what json.Valid accepts, nesting
// up to MaxDepth): a caller that meets anything it does not expect falls
// back to encoding/json, so unusual answers keep their old handling.
package wire
