// Package auth issues and verifies Confab's access tokens and hashes passwords.
package auth

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
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
)

// Claims are what a verified token says.
type Claims struct {
	UserID   int64
	Username string
	ID       string // jti
	Expires  time.Time
}

type jwtClaims struct {
	Name string `json:"name"`
	jwt.RegisteredClaims
}

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

// Issue returns a signed token for the user and its claims.
func (s *Signer) Issue(userID int64, username string) (string, Claims, error) {
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", Claims{}, fmt.Errorf("token id: %w", err)
	}
	// JWT times are whole seconds: round iat down and exp up, so a token
	// lives at least its TTL.
	now := s.now()
	iat := now.Truncate(time.Second)
	exp := now.Add(s.ttl).Add(time.Second - 1).Truncate(time.Second)
	c := jwtClaims{
		Name: username,
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   strconv.FormatInt(userID, 10),
			Issuer:    Issuer,
			Audience:  jwt.ClaimStrings{Audience},
			IssuedAt:  jwt.NewNumericDate(iat),
			ExpiresAt: jwt.NewNumericDate(exp),
			ID:        hex.EncodeToString(id[:]),
		},
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.secret)
	if err != nil {
		return "", Claims{}, fmt.Errorf("sign token: %w", err)
	}
	return signed, Claims{UserID: userID, Username: username, ID: c.ID, Expires: exp}, nil
}

// Verify checks signature, algorithm, issuer, audience and expiry. It returns
// ErrMissing, ErrExpired or ErrInvalid; revocation and the user's existence
// are the caller's to check.
func (s *Signer) Verify(token string) (Claims, error) {
	if token == "" {
		return Claims{}, ErrMissing
	}
	var c jwtClaims
	_, err := s.parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return s.secret, nil })
	if err != nil {
		if errors.Is(err, jwt.ErrTokenExpired) {
			return Claims{}, ErrExpired
		}
		return Claims{}, ErrInvalid
	}
	uid, err := strconv.ParseInt(c.Subject, 10, 64)
	if err != nil || uid <= 0 || c.ID == "" || c.Name == "" {
		return Claims{}, ErrInvalid
	}
	return Claims{UserID: uid, Username: c.Name, ID: c.ID, Expires: c.ExpiresAt.Time}, nil
}
