package term

import (
	"context"
	"fmt"
	"strings"

	"confab/client"
	"confab/wire"
)

const dmHelp = `  /dm USER       open your direct conversation with USER    /dms  your private conversations, unread counts
  /group NAME    create a private group named NAME          /invite USER  add USER to the current group
  /leavegroup    leave the current group for good`

// dmCommand runs /dm, /dms, /group, /invite and /leavegroup; it reports
// whether cmd was one of them.
func (s *screen) dmCommand(ctx context.Context, chat *client.Chat, cmd, arg string) bool {
	var conv wire.Conversation
	var err error
	switch cmd {
	case "/dm":
		conv, err = chat.OpenDM(ctx, arg)
	case "/group":
		conv, err = chat.CreateGroup(ctx, arg, nil)
	case "/invite":
		conv, err = chat.Invite(ctx, s.room(), arg)
	case "/leavegroup":
		err = chat.LeaveGroup(ctx, s.room())
		if err == nil {
			s.printf("-- you left %s", s.room())
		}
	case "/dms":
		s.listConversations(ctx, chat)
		return true
	default:
		return false
	}
	switch {
	case err != nil:
		s.printf("! %v", err)
	case cmd == "/invite":
		s.printf("-- %s is now %s", conv.Room, s.title(conv))
	case conv.Room != "":
		if err := chat.Join(ctx, conv.Room); err != nil {
			s.printf("! cannot join %s: %v", conv.Room, err)
			return true
		}
		s.mu.Lock()
		s.current = conv.Room
		s.mu.Unlock()
		s.printf("-- now in %s: %s", conv.Room, s.title(conv))
	}
	return true
}

// listConversations prints the private conversations with unread counts.
func (s *screen) listConversations(ctx context.Context, chat *client.Chat) {
	list, err := chat.Conversations(ctx)
	if err != nil {
		s.printf("! %v", err)
		return
	}
	if len(list) == 0 {
		s.printf("  no private conversations yet: /dm USER starts one")
	}
	for _, c := range list {
		unread := ""
		if c.Unread > 0 {
			unread = fmt.Sprintf(" (%d unread)", c.Unread)
		}
		s.printf("  %s  %s%s", c.Room, s.title(c), unread)
	}
}

// title says what a conversation is: "DM with bob (online)" or
// "group Launch: alice, bob".
func (s *screen) title(c wire.Conversation) string {
	var others []string
	online := false
	for _, m := range c.Members {
		if m.ID != s.me {
			others = append(others, m.Username)
			online = online || m.Online
		}
	}
	if c.Kind == wire.KindDM {
		state := ""
		if online {
			state = " (online)"
		}
		return "DM with " + strings.Join(others, ", ") + state
	}
	return fmt.Sprintf("group %s: %s", c.Name, strings.Join(others, ", "))
}

// showConversation tells of a conversation one was added to, and joins it
// so its messages show.
func (s *screen) showConversation(ctx context.Context, chat *client.Chat, e client.ConversationEvent) {
	c := e.Conversation
	if c.Left {
		s.printf("-- you left %s", c.Room)
		return
	}
	if chat.Join(ctx, c.Room) == nil {
		s.printf("-- %s: %s (/room %s to write there)", c.Room, s.title(c), c.Room)
	}
}
