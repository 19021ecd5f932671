package sio

import "testing"

// A cluster node's stream sends a message to its room but the socket that
// sent it (that one has its ack), through our broadcast and the library's.
func TestToRoomExceptLeavesTheSenderOut(t *testing.T) {
	t.Parallel()
	for _, library := range []bool{false, true} {
		_, queued := broadcastSeen(t, 4, 3, Options{libraryBroadcast: library}, func(s *Server, socks []*Socket) {
			if rooms := socks[0].Rooms(); len(rooms) != 1 || rooms[0] != "r" {
				t.Errorf("Rooms() = %v, want [r] (not the socket's own id)", rooms)
			}
			s.ToRoomExcept("r", socks[2].ID(), "b", "x")
		})
		if queued != 3 {
			t.Fatalf("library broadcast %v: %d packets for a room of 4 but one, want 3", library, queued)
		}
	}
}
