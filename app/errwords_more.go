package app

import (
	"fmt"

	"confab/wire"
)

// Words for the refusals of direct messages, groups, edits, deletes and
// reactions; the browser client shows them too (TestWebWords).
func init() {
	codeWords[wire.ErrNoSuchUser] = "There is no one by that name on this chat."
	codeWords[wire.ErrGroupFull] = fmt.Sprintf("The group is full: it has %d members.", wire.MaxGroupMembers)
	codeWords[wire.ErrNotAuthor] = "Only the person who wrote a message can change it."
	codeWords[wire.ErrMessageDeleted] = "That message was deleted."
	codeWords[wire.ErrInvalidEmoji] = "That reaction is not one Confab offers."
}
