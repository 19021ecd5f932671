package app

import "time"

// olderFailed begins the banner shown when older messages could not be
// loaded; a later load that works takes the banner away.
const olderFailed = "Could not load older messages. "

// olderRetryMax is the longest wait between tries at loading older
// messages while they fail (a server without its database, say): the view
// sits at the top, so without a wait it would ask four times a second.
const olderRetryMax = 30 * time.Second

// olderRetry spaces the tries at loading older messages after failures:
// 1 s, doubling, at most olderRetryMax. The zero value tries at once.
type olderRetry struct {
	fails int
	next  time.Time
}

func (r *olderRetry) failed(now time.Time) {
	r.fails++
	wait := min(time.Second<<min(r.fails-1, 5), olderRetryMax)
	r.next = now.Add(wait)
}

func (r olderRetry) due(now time.Time) bool { return !now.Before(r.next) }
