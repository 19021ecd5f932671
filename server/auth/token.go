// Package auth issues and verifies Confab's access tokens and hashes passwords.
package auth

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Token constants. The issuer and audience bind a token to Confab, so a JWT
// minted for another service with the same secret is still refused.
const (
	Issuer          = "confab"
	Audience        = "confab"
	DefaultTTL      = time.Hour
	DefaultLeeway   = 5 * time.Second
	MinSecretLength = 32
)

// Reasons a token is refused. They are the wire contract's reason codes.
var (
	ErrMissing = errors.New("missing_token")
	ErrInvalid = errors.New("invalid_token")
	ErrExpired = errors.New("token_expired")
	ErrRevoked = errors.New("token_revoked")
	ErrNoUser  = errors.New("unknown_user")
	// ErrSessionExpired: the sign-in the token descends from is older than
	// the server's maximum session age; refreshing cannot extend it.
	ErrSessionExpired = errors.New("session_expired")
	// ErrPasswordChanged: the user's password changed after the sign-in.
	ErrPasswordChanged = errors.New("password_changed")
)

// Family is what every token of one sign-in shares: a refresh keeps it, so
// the sign-in can be ended as a whole (logout) and has a maximum age.
type Family struct {
	SID      string    // sid: random, one per sign-in
	AuthTime time.Time // auth_time: when the password was checked (whole seconds)
	Gen      int64     // gen: the user's session generation at sign-in (a password change raises it)
}

// Claims are what a verified token says.
type Claims struct {
	UserID   int64
	Username string
	ID       string // jti
	Expires  time.Time
	Family
}

type jwtClaims struct {
	Name     string `json:"name"`
	Sid      string `json:"sid"`
	AuthTime int64  `json:"auth_time"`
	Gen      int64  `json:"gen,omitempty"`
	jwt.RegisteredClaims
}

// readClaims is what Verify decodes: the times as json.Number, because
// jwt.NumericDate decodes each one with a nested json.Unmarshal, which was
// most of the cost of a handshake's token check.
type readClaims struct {
	Name string           `json:"name"`
	Sub  string           `json:"sub"`
	Iss  string           `json:"iss"`
	Aud  jwt.ClaimStrings `json:"aud"`
	Exp  json.Number      `json:"exp"`
	Iat  json.Number      `json:"iat"`
	Nbf  json.Number      `json:"nbf"`
	Jti  string           `json:"jti"`
	Sid  string           `json:"sid"`
	Auth json.Number      `json:"auth_time"`
	Gen  json.Number      `json:"gen"`
}

func numericDate(n json.Number) (*jwt.NumericDate, error) {
	if n == "" {
		return nil, nil
	}
	f, err := n.Float64()
	if err != nil {
		return nil, jwt.ErrInvalidType
	}
	sec, frac := math.Modf(f)
	return jwt.NewNumericDate(time.Unix(int64(sec), int64(frac*1e9))), nil
}

func (c *readClaims) GetExpirationTime() (*jwt.NumericDate, error) { return numericDate(c.Exp) }
func (c *readClaims) GetIssuedAt() (*jwt.NumericDate, error)       { return numericDate(c.Iat) }
func (c *readClaims) GetNotBefore() (*jwt.NumericDate, error)      { return numericDate(c.Nbf) }
func (c *readClaims) GetIssuer() (string, error)                   { return c.Iss, nil }
func (c *readClaims) GetSubject() (string, error)                  { return c.Sub, nil }
func (c *readClaims) GetAudience() (jwt.ClaimStrings, error)       { return c.Aud, nil }

// Signer issues and verifies HS256 tokens with one secret.
type Signer struct {
	secret []byte
	ttl    time.Duration
	leeway time.Duration
	parser *jwt.Parser
	now    func() time.Time
}

// NewSigner refuses secrets shorter than MinSecretLength bytes.
func NewSigner(secret []byte, ttl, leeway time.Duration) (*Signer, error) {
	if len(secret) < MinSecretLength {
		return nil, fmt.Errorf("JWT secret is %d bytes; at least %d are required", len(secret), MinSecretLength)
	}
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	if leeway < 0 {
		leeway = 0
	}
	return &Signer{
		secret: append([]byte(nil), secret...),
		ttl:    ttl,
		leeway: leeway,
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithIssuer(Issuer),
			jwt.WithAudience(Audience),
			jwt.WithLeeway(leeway),
		),
		now: time.Now,
	}, nil
}

// TTL is the lifetime of issued tokens.
func (s *Signer) TTL() time.Duration { return s.ttl }

// Leeway is the clock tolerance applied to expiry.
func (s *Signer) Leeway() time.Duration { return s.leeway }

func randomID() (string, error) {
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", fmt.Errorf("token id: %w", err)
	}
	return hex.EncodeToString(id[:]), nil
}

// Issue returns a signed token for the user and its claims. A family
// without a SID starts a new sign-in (a new sid, auth_time now, with the
// family's Gen); a refresh passes the token's own family, which is kept.
func (s *Signer) Issue(userID int64, username string, fam Family) (string, Claims, error) {
	jti, err := randomID()
	if err != nil {
		return "", Claims{}, err
	}
	// JWT times are whole seconds: round iat down and exp up, so a token
	// lives at least its TTL.
	now := s.now()
	iat := now.Truncate(time.Second)
	exp := now.Add(s.ttl).Add(time.Second - 1).Truncate(time.Second)
	if fam.SID == "" {
		if fam.SID, err = randomID(); err != nil {
			return "", Claims{}, err
		}
		fam.AuthTime = iat
	}
	fam.AuthTime = fam.AuthTime.Truncate(time.Second)
	c := jwtClaims{
		Name:     username,
		Sid:      fam.SID,
		AuthTime: fam.AuthTime.Unix(),
		Gen:      fam.Gen,
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   strconv.FormatInt(userID, 10),
			Issuer:    Issuer,
			Audience:  jwt.ClaimStrings{Audience},
			IssuedAt:  jwt.NewNumericDate(iat),
			ExpiresAt: jwt.NewNumericDate(exp),
			ID:        jti,
		},
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.secret)
	if err != nil {
		return "", Claims{}, fmt.Errorf("sign token: %w", err)
	}
	return signed, Claims{UserID: userID, Username: username, ID: jti, Expires: exp, Family: fam}, nil
}

// Verify checks signature, algorithm, issuer, audience and expiry. It returns
// ErrMissing, ErrExpired or ErrInvalid; revocation, the user's existence and
// the session's age are the caller's to check. A token issued before tokens
// had families (no sid) is its own family, signed in when it was issued.
func (s *Signer) Verify(token string) (Claims, error) {
	if token == "" {
		return Claims{}, ErrMissing
	}
	var c readClaims
	_, err := s.parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return s.secret, nil })
	if err != nil {
		if errors.Is(err, jwt.ErrTokenExpired) {
			return Claims{}, ErrExpired
		}
		return Claims{}, ErrInvalid
	}
	uid, err := strconv.ParseInt(c.Sub, 10, 64)
	exp, _ := numericDate(c.Exp) // present and valid: the parser checked it
	if err != nil || uid <= 0 || c.Jti == "" || c.Name == "" || exp == nil {
		return Claims{}, ErrInvalid
	}
	fam := Family{SID: c.Sid}
	if fam.SID == "" { // an old token: its jti stands for the family
		fam.SID = c.Jti
	}
	authTime := c.Auth
	if authTime == "" {
		authTime = c.Iat
	}
	at, err := numericDate(authTime)
	if err != nil || at == nil {
		return Claims{}, ErrInvalid
	}
	fam.AuthTime = at.Time
	if c.Gen != "" {
		if fam.Gen, err = c.Gen.Int64(); err != nil || fam.Gen < 0 {
			return Claims{}, ErrInvalid
		}
	}
	return Claims{UserID: uid, Username: c.Name, ID: c.Jti, Expires: exp.Time, Family: fam}, nil
}
