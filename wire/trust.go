package wire

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// A chat is known by its key: the SHA-256 fingerprint of its TLS
// certificate. People compare keys as safety codes, and pass them on in
// invitations.

// SafetyCode is a fingerprint in a form people can read out and compare:
// 20 digits in five groups ("4170 5882 3109 9426 6310"), about 66 bits of
// the key. The host shows it; a joiner's first connection shows the code
// of the key it meets. "" for a fingerprint that is not one.
func SafetyCode(fingerprint string) string {
	raw, ok := fingerprintBytes(fingerprint)
	if !ok {
		return ""
	}
	sum := sha256.Sum256(append([]byte("confab safety code v1\x00"), raw...))
	n := new(big.Int).SetBytes(sum[:9])
	n.Mod(n, new(big.Int).Exp(big.NewInt(10), big.NewInt(safetyDigits), nil))
	digits := fmt.Sprintf("%0*s", safetyDigits, n.String())
	var groups []string
	for i := 0; i < len(digits); i += 4 {
		groups = append(groups, digits[i:i+4])
	}
	return strings.Join(groups, " ")
}

const safetyDigits = 20

// NormalizeFingerprint accepts hex with or without colons or spaces, any
// case, and returns the colon form; "" if it is not 32 bytes of hex.
func NormalizeFingerprint(fp string) string {
	raw, ok := fingerprintBytes(fp)
	if !ok {
		return ""
	}
	return strings.ReplaceAll(fmt.Sprintf("% X", raw), " ", ":")
}

func fingerprintBytes(fp string) ([]byte, bool) {
	clean := strings.NewReplacer(":", "", " ", "", "-", "").Replace(fp)
	raw, err := hex.DecodeString(clean)
	return raw, err == nil && len(raw) == sha256.Size
}

// InviteScheme is the scheme of invitation links.
const InviteScheme = "confab"

// Invitation says where a chat is and which key it has: joining by one
// needs no question about the key, and a server with another key is
// refused. Its link is confab://HOST:PORT?fp=HEX[&name=NAME][&invite=CODE].
type Invitation struct {
	Addr        string // host:port
	Fingerprint string
	Name        string // the chat's name, for display only
	// Code is an invite code (administration): it lets its holder create
	// an account where sign-up is off. Empty in a plain invitation.
	Code string
}

// String is the invitation's link.
func (i Invitation) String() string {
	q := url.Values{"fp": {strings.ReplaceAll(i.Fingerprint, ":", "")}}
	if i.Name != "" {
		q.Set("name", i.Name)
	}
	if i.Code != "" {
		q.Set(InviteParam, i.Code)
	}
	return InviteScheme + "://" + i.Addr + "?" + q.Encode()
}

// URL is the chat's HTTPS address.
func (i Invitation) URL() string { return "https://" + i.Addr }

// ErrBadInvitation is returned for a link that is not a whole invitation.
var ErrBadInvitation = errors.New("not a Confab invitation: it should look like confab://host:port?fp=…")

// ParseInvitation reads an invitation link.
func ParseInvitation(s string) (Invitation, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || !strings.EqualFold(u.Scheme, InviteScheme) || u.Host == "" {
		return Invitation{}, ErrBadInvitation
	}
	host, port, err := net.SplitHostPort(u.Host)
	if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
		return Invitation{}, ErrBadInvitation
	}
	fp := NormalizeFingerprint(u.Query().Get("fp"))
	if fp == "" {
		return Invitation{}, ErrBadInvitation
	}
	return Invitation{Addr: u.Host, Fingerprint: fp, Name: u.Query().Get("name"), Code: u.Query().Get(InviteParam)}, nil
}

// IsInvitation says whether s is meant as an invitation link.
func IsInvitation(s string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(s)), InviteScheme+"://")
}
