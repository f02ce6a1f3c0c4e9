// Package ratelimit shares a provider's paid keys among the workers of a batch job:
// per-key pacing (GCRA schedules, gcra.go), in-flight caps, daily quotas persisted
// across jobs and processes (QuotaStore), adaptive slow-down on throttling, key retirement
// on quota and fatal answers, and the retry schedule (RetryPolicy, on cenkalti/backoff/v5).
//
// Choices where the brief left room:
//   - Burst 0 means 1: with a full bucket of ceil(QPS) tokens a fixed one-second window could
//     see nearly 2×QPS calls, which trips vendor limits.
//   - Pacing is a GCRA schedule per key, checked when a call is granted, never reserved
//     ahead: callers wait in one line, the head waits for the best key's next slot at the
//     rate in force, so a rate change applies to the next grant. With burst 1 two grants on a
//     key are never closer than the interval in force (TestScheduleUnderLoad, fake clock).
//   - A key's first call starts from one token, not a full bucket: the vendor's bucket starts
//     full at our first request's arrival, so a full first burst would leave no slack for the
//     delay of that first request and draw a 429 soon after. Keeping the vendor's burst as
//     slack makes "same QPS and burst on both sides" safe.
//   - Acquire prefers a key whose token is available now, then the most quota headroom, then
//     free in-flight slots, then the least recently used key: keys of different rates are all
//     used to the full instead of queueing behind the key with the most quota.
//   - The quota unit is taken after the token wait, right before Acquire returns. NotSent,
//     Throttled and PauseProvider give it back (the vendor did not serve the call); Sent,
//     QuotaDaily, QuotaPermanent and Fatal keep it.
//   - The quota day follows PoolConfig.Clock; pacing, in-flight waits and pauses follow
//     PoolConfig.Pace (real monotonic time unless a test injects a fake one).
//   - A throttled key halves its rate (floor 1/10 of QPS), drops its saved burst, pauses for
//     the Retry-After, and regains 10% of its QPS per 10 Sent answers. A 429 on a call
//     granted before the last halving does not halve again: it was paced at the old rate. A key without a QPS
//     has no rate to halve: it pauses for the Retry-After, or 1s.
//   - When no key can serve: *FatalError if every key was stopped by a fatal answer, else
//     *ExhaustedError (some keys spent, maybe some fatal).
package ratelimit
