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
// any were left out, and about how many bytes the page is. One message is
// always kept: it is never over max.
func fitReply(msgs []wire.Message, max int, keepNewest bool) ([]wire.Message, bool, int) {
	if worstCase(msgs) <= max {
		return msgs, false, replySize(msgs) // the usual page: nothing to measure
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
		return msgs[len(msgs)-kept:], kept < len(msgs), total
	}
	return msgs[:kept], kept < len(msgs), total
}

// worstCase bounds a page's JSON: no character escapes to more than six.
func worstCase(msgs []wire.Message) int {
	n := 0
	for _, m := range msgs {
		n += msgOverhead + 6*(len(m.Text)+len(m.Room)+len(m.Author.Username)+len(m.Author.ID)+len(m.ClientID)) + reactionsSize(m, 6)
	}
	return n
}

// replySize is about what a page costs to read and send: its strings and
// their framing, unescaped.
func replySize(msgs []wire.Message) int {
	n := 0
	for _, m := range msgs {
		n += msgOverhead + len(m.Text) + len(m.Room) + len(m.Author.Username) + len(m.Author.ID) + len(m.ClientID) + reactionsSize(m, 1)
	}
	return n
}

// reactionsSize is about what a message's reactions cost in JSON, their
// strings counted escape times (6: the worst case, as worstCase).
func reactionsSize(m wire.Message, escape int) int {
	n := 0
	for _, r := range m.Reactions {
		n += 40 + escape*len(r.Emoji)
		for _, u := range r.Users {
			n += 3 + escape*len(u)
		}
	}
	return n
}
