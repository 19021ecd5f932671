package server

import (
	"encoding/json"

	"confab/wire"
)

// Replies are bounded in bytes, not only in messages: 200 messages of
// 4,000 characters that JSON escapes (<, >, &) are 4.8 MB, and a 45-byte
// request asked for 2.4 MB of them.

// msgOverhead is more than a message's JSON costs besides its strings.
const msgOverhead = 160

// fitReply keeps as many messages of an ascending page as fit in max bytes
// of JSON, from its newest end (keepNewest) or its oldest, and says whether
// any were left out. One message is always kept: it is never over max.
func fitReply(msgs []wire.Message, max int, keepNewest bool) ([]wire.Message, bool) {
	if worstCase(msgs) <= max {
		return msgs, false // the usual page: nothing to measure
	}
	total, kept := 0, 0
	for kept < len(msgs) {
		i := kept
		if keepNewest {
			i = len(msgs) - 1 - kept
		}
		b, err := json.Marshal(msgs[i])
		if err != nil || (kept > 0 && total+len(b)+1 > max) {
			break
		}
		total += len(b) + 1
		kept++
	}
	if keepNewest {
		return msgs[len(msgs)-kept:], kept < len(msgs)
	}
	return msgs[:kept], kept < len(msgs)
}

// worstCase bounds a page's JSON: no character escapes to more than six.
func worstCase(msgs []wire.Message) int {
	n := 0
	for _, m := range msgs {
		n += msgOverhead + 6*(len(m.Text)+len(m.Room)+len(m.Author.Username)+len(m.Author.ID)+len(m.ClientID))
	}
	return n
}
