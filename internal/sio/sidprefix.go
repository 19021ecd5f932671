package sio

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/zishang520/engine.io-go-parser/packet"
	eiotypes "github.com/zishang520/engine.io-go-parser/types"
	"github.com/zishang520/engine.io/v2/transports"
	"github.com/zishang520/engine.io/v2/types"
)

// Session ids that name their node (server, for a load balancer). The
// official JS client opens with HTTP long-polling and upgrades to a
// websocket: every request of its Engine.IO session must reach the node
// that holds the session. Cookies do not work for it (the Node.js client
// keeps none), and the library offers no way to choose its ids: its
// GenerateId is called directly, not through the overridable prototype
// (engine/base-server.go, Handshake), and its generator is package-level.
//
// So with Options.SessionPrefix set, the id is prefixed on its way out and
// the prefix taken off on the way in: the client sees "n2.<library id>",
// and HAProxy routes any request whose sid begins "n2." to node n2
// (deploy/haproxy.cfg). The library's id stays as it is, with the same
// entropy (10 random bytes and a counter, base64url). Its alphabet has no
// ".", so the prefix ends at the first one. The only place the id leaves
// the server is the open packet, the first of every session, which the
// transports' Send rewrites (polling: prefixedTransport below; websocket:
// coalescingTransport.Send). A sid with another node's prefix, or none, is
// passed on as it is, and the engine answers it "Session ID unknown".

// SessionPrefixOf turns a node id into a valid Options.SessionPrefix:
// letters, digits, "-" and "_" stay, anything else becomes "_" (a sid
// travels in query strings, and HAProxy matches it byte for byte).
func SessionPrefixOf(nodeID string) string {
	b := []byte(nodeID)
	for i, c := range b {
		if !sidPrefixByte(c) {
			b[i] = '_'
		}
	}
	return string(b)
}

func sidPrefixByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// sidSeparator ends the prefix: not in base64url, unreserved in URLs.
const sidSeparator = "."

func init() {
	transports.Transports()[transports.POLLING] = &prefixingPolling{}
}

type sidPrefixKey struct{}

// withSessionPrefix marks a handshake request (one without a sid) for the
// transports to prefix its open packet, and takes this node's prefix off
// the sid of any other request.
func (s *Server) withSessionPrefix(r *http.Request) *http.Request {
	prefix := s.opts.SessionPrefix
	if prefix == "" {
		return r
	}
	q := r.URL.Query()
	sid := q.Get("sid")
	if sid == "" {
		return r.WithContext(context.WithValue(r.Context(), sidPrefixKey{}, prefix))
	}
	if rest, ok := strings.CutPrefix(sid, prefix+sidSeparator); ok {
		q.Set("sid", rest)
		u := *r.URL
		u.RawQuery = q.Encode()
		r = r.Clone(r.Context())
		r.URL = &u
	}
	return r
}

func sidPrefixOf(ctx *types.HttpContext) string {
	if ctx == nil || ctx.Request() == nil {
		return ""
	}
	p, _ := ctx.Request().Context().Value(sidPrefixKey{}).(string)
	return p
}

// prefixOpen rewrites the sid of the open packet among packets, if any.
func prefixOpen(packets []*packet.Packet, prefix string) {
	if prefix == "" {
		return
	}
	for _, p := range packets {
		if p.Type != packet.OPEN || p.Data == nil {
			continue
		}
		var open map[string]json.RawMessage
		var sid string
		raw, err := io.ReadAll(p.Data)
		if err != nil || json.Unmarshal(raw, &open) != nil || json.Unmarshal(open["sid"], &sid) != nil {
			continue // never happens with the library's open packet
		}
		open["sid"], _ = json.Marshal(prefix + sidSeparator + sid)
		out, _ := json.Marshal(open)
		p.Data = eiotypes.NewStringBuffer(out)
	}
}

// prefixingPolling builds the library's polling transport, with its Send
// prefixing the open packet of a handshake that asked for it.
type prefixingPolling struct{ transports.PollingBuilder }

func (b *prefixingPolling) New(ctx *types.HttpContext) transports.Transport {
	t := b.PollingBuilder.New(ctx)
	if prefix := sidPrefixOf(ctx); prefix != "" {
		return &prefixedTransport{Transport: t, prefix: prefix}
	}
	return t
}

type prefixedTransport struct {
	transports.Transport
	prefix string
}

func (t *prefixedTransport) Send(packets []*packet.Packet) {
	prefixOpen(packets, t.prefix)
	t.Transport.Send(packets)
}
