package wire

import (
	"strings"
	"testing"
)

const fpA = "4D:14:10:F0:41:25:0B:DD:F7:96:96:3A:FD:98:F5:EB:3F:E4:EE:BF:23:50:3D:C1:FA:70:46:E3:A0:1C:E7:30"

func TestSafetyCode(t *testing.T) {
	t.Parallel()
	code := SafetyCode(fpA)
	if len(code) != 24 || strings.Count(code, " ") != 4 || strings.Trim(code, "0123456789 ") != "" {
		t.Fatalf("code %q", code)
	}
	if SafetyCode(strings.ToLower(strings.ReplaceAll(fpA, ":", ""))) != code {
		t.Fatal("the code depends on how the fingerprint is written")
	}
	other := fpA[:len(fpA)-1] + "1"
	if SafetyCode(other) == code {
		t.Fatal("two keys, one code")
	}
	for _, bad := range []string{"", "4D:14", fpA + ":00", "zz" + fpA[2:]} {
		if SafetyCode(bad) != "" {
			t.Errorf("%q has a code", bad)
		}
	}
}

func TestInvitations(t *testing.T) {
	t.Parallel()
	inv := Invitation{Addr: "192.168.1.5:7878", Fingerprint: fpA, Name: "Team chat & co"}
	got, err := ParseInvitation(inv.String())
	if err != nil || got != inv {
		t.Fatalf("round trip: %+v %v from %s", got, err, inv)
	}
	if got.URL() != "https://192.168.1.5:7878" {
		t.Fatalf("url %s", got.URL())
	}
	for _, bad := range []string{
		"https://192.168.1.5:7878?fp=" + fpA, // not an invitation
		"confab://192.168.1.5?fp=" + fpA,     // no port
		"confab://192.168.1.5:0?fp=" + fpA,   // bad port
		"confab://192.168.1.5:7878",          // no key
		"confab://192.168.1.5:7878?fp=4D14",  // a short key
		"confab://:7878?fp=" + fpA,           // no host
		"confab://[::1:7878?fp=" + fpA,       // broken
	} {
		if _, err := ParseInvitation(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	if !IsInvitation(" CONFAB://x") || IsInvitation("https://x") {
		t.Fatal("IsInvitation")
	}
}
