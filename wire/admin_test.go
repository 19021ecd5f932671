package wire

import "testing"

// An invitation link carries an invite code there and back; a link without
// one has none.
func TestInvitationCarriesTheInviteCode(t *testing.T) {
	fp := "AB:" + "CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89"
	in := Invitation{Addr: "192.168.1.5:7878", Fingerprint: NormalizeFingerprint(fp), Name: "Team chat", Code: "ABCD-EFGH-JKLM-NPQR"}
	out, err := ParseInvitation(in.String())
	if err != nil || out != in {
		t.Fatalf("%s: %+v %v", in, out, err)
	}
	in.Code = ""
	if out, err := ParseInvitation(in.String()); err != nil || out.Code != "" {
		t.Errorf("without a code: %+v %v", out, err)
	}
}

func TestNormalizeInviteCode(t *testing.T) {
	for _, typed := range []string{"ABCD-EFGH-JKLM-NPQR", " abcd efgh jklm npqr ", "abcdEFGHjklmNPQR"} {
		if got := NormalizeInviteCode(typed); got != "ABCDEFGHJKLMNPQR" {
			t.Errorf("%q: %q", typed, got)
		}
	}
}
