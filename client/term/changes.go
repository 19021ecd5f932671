package term

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"confab/client"
	"confab/wire"
)

// reactionWords let a terminal user type a reaction by name.
var reactionWords = map[string]string{
	"like": "👍", "love": "❤️", "laugh": "😂", "wow": "😮", "sad": "😢", "party": "🎉",
}

const changesHelp = `  /edit ID TEXT  replace the text of your message #ID    /delete ID  delete your message #ID
  /react ID R    toggle your reaction R to message #ID: like 👍, love ❤️, laugh 😂, wow 😮, sad 😢, party 🎉`

// line formats a message as the terminal shows it.
func line(m wire.Message) string {
	return fmt.Sprintf("[%s] %s #%d %s: %s", m.Room, m.SentAt.Local().Format("15:04"), m.ID, m.Author.Username, body(m))
}

// body is a message's text with its marks, or its tombstone.
func body(m wire.Message) string {
	if m.Deleted {
		return "(message deleted)"
	}
	var b strings.Builder
	b.WriteString(m.Text)
	if m.EditedAt != nil {
		b.WriteString(" (edited)")
	}
	b.WriteString(attachmentText(m)) // files.go
	for _, r := range m.Reactions {
		fmt.Fprintf(&b, "  %s %d", r.Emoji, r.Count)
	}
	return b.String()
}

// showUpdate prints a message's new state.
func (s *screen) showUpdate(m wire.Message) {
	if m.Deleted {
		s.printf("[%s] #%d %s deleted a message", m.Room, m.ID, m.Author.Username)
		return
	}
	s.printf("[%s] #%d %s: %s", m.Room, m.ID, m.Author.Username, body(m))
}

// showTyping prints "alice is typing…" when someone starts typing in the
// current room (not at every notice).
func (s *screen) showTyping(e client.TypingEvent) {
	if e.Typing.User.ID == s.me {
		return
	}
	s.mu.Lock()
	before, _ := s.typing.Names(e.Typing.Room, time.Now())
	s.typing.Typing(e)
	current := s.current
	s.mu.Unlock()
	for _, name := range before {
		if name == e.Typing.User.Username {
			return
		}
	}
	if e.Typing.Room == current {
		s.printf("* %s", client.TypingLine([]string{e.Typing.User.Username}))
	}
}

// changeCommand runs /edit, /delete and /react.
func (s *screen) changeCommand(ctx context.Context, chat *client.Chat, cmd, arg string) {
	idText, rest, _ := strings.Cut(arg, " ")
	id, err := strconv.ParseInt(strings.TrimPrefix(idText, "#"), 10, 64)
	if err != nil || id < 1 {
		s.printf("! %s needs a message number, as shown after the time (#42)", cmd)
		return
	}
	rest = strings.TrimSpace(rest)
	var m wire.Message
	switch cmd {
	case "/edit":
		m, err = chat.Edit(ctx, id, rest)
	case "/delete":
		m, err = chat.Delete(ctx, id)
	case "/react":
		emoji := rest
		if e, ok := reactionWords[strings.ToLower(rest)]; ok {
			emoji = e
		}
		on := true
		if old, herr := s.find(ctx, chat, id); herr == nil {
			on = !reactedBy(old, emoji, s.me)
		}
		m, err = chat.React(ctx, id, emoji, on)
	}
	if err != nil {
		s.printf("! %v", err)
		return
	}
	s.showUpdate(m)
}

// find reads one message of the current room, for its reactions.
func (s *screen) find(ctx context.Context, chat *client.Chat, id int64) (wire.Message, error) {
	msgs, err := chat.History(ctx, s.room(), id+1, 1)
	if err != nil || len(msgs) == 0 || msgs[0].ID != id {
		return wire.Message{}, fmt.Errorf("message #%d not found", id)
	}
	return msgs[0], nil
}

func reactedBy(m wire.Message, emoji, user string) bool {
	for _, r := range m.Reactions {
		if r.Emoji == emoji {
			for _, u := range r.Users {
				if u == user {
					return true
				}
			}
		}
	}
	return false
}
