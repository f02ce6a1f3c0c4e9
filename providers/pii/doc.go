// Package pii hashes, encrypts, normalizes, validates and masks the personal
// data riskbatch sends to anti-fraud vendors (Chinese resident ID, mobile
// numbers, names, e-mail, Indonesian NIK and mobiles).
//
// Everything here is a pure function: no I/O, no logging, no global state.
//
// Validation never repairs damage: a value that looks mangled by Excel
// (scientific notation, a decimal point, a rounded tail, a lost leading
// zero) or by a wrong text encoding (U+FFFD) is reported as a *Problem with a
// stable Code, because a guessed value sent to a paid vendor is money wasted
// and a wrong answer attached to a real person. The only conversions are
// lossless and well defined: trimming, full-width to ASCII, x to X, the
// GB 11643 15→18 digit upgrade, and stripping separators and country codes
// from phone numbers.
//
// Problem.Reason never contains the raw value; callers add a masked value
// (see the Mask* functions) when they log a problem.
package pii
