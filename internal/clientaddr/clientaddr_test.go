package clientaddr

import (
	"net/http/httptest"
	"testing"
)

func TestResolve(t *testing.T) {
	t.Parallel()
	p, err := Parse([]string{"10.0.0.0/8", "192.168.1.5", " fd00::/64 "})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"untrusted peer, no header", "203.0.113.7:5000", nil, "203.0.113.7"},
		{"untrusted peer, forged header", "203.0.113.7:5000", []string{"198.51.100.1"}, "203.0.113.7"},
		{"untrusted peer, forged chain of trusted", "203.0.113.7:5000", []string{"1.2.3.4, 10.0.0.1"}, "203.0.113.7"},
		{"trusted peer, no header", "10.1.2.3:5000", nil, "10.1.2.3"},
		{"trusted peer, empty header", "10.1.2.3:5000", []string{""}, "10.1.2.3"},
		{"trusted peer, one client", "10.1.2.3:5000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"trusted bare address", "192.168.1.5:80", []string{"198.51.100.1"}, "198.51.100.1"},
		{"bare address is not a range", "192.168.1.6:80", []string{"198.51.100.1"}, "192.168.1.6"},
		{"client forged the left, proxy appended", "10.1.2.3:5000", []string{"6.6.6.6, 198.51.100.1"}, "198.51.100.1"},
		{"chain of trusted proxies", "10.1.2.3:5000", []string{"198.51.100.1, 10.9.9.9, 192.168.1.5"}, "198.51.100.1"},
		{"chain over header lines", "10.1.2.3:5000", []string{"6.6.6.6, 198.51.100.1", "10.9.9.9"}, "198.51.100.1"},
		{"every hop trusted", "10.1.2.3:5000", []string{"10.0.0.9, 10.0.0.8"}, "10.0.0.9"},
		{"garbage", "10.1.2.3:5000", []string{"not-an-ip"}, "10.1.2.3"},
		{"garbage on the right", "10.1.2.3:5000", []string{"198.51.100.1, unknown"}, "10.1.2.3"},
		{"garbage left of the client is not read", "10.1.2.3:5000", []string{"junk, 198.51.100.1"}, "198.51.100.1"},
		{"empty entry", "10.1.2.3:5000", []string{"198.51.100.1,,"}, "10.1.2.3"},
		{"ip:port entry", "10.1.2.3:5000", []string{"198.51.100.1:4711"}, "198.51.100.1"},
		{"IPv6 client", "10.1.2.3:5000", []string{"2001:db8::1"}, "2001:db8::1"},
		{"IPv6 client with port", "10.1.2.3:5000", []string{"[2001:db8::1]:4711"}, "2001:db8::1"},
		{"IPv6 trusted peer", "[fd00::5]:5000", []string{"2001:db8::1"}, "2001:db8::1"},
		{"IPv6 untrusted peer", "[fd00:1::5]:5000", []string{"2001:db8::1"}, "fd00:1::5"},
		{"IPv4-mapped trusted peer", "[::ffff:10.1.2.3]:5000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"IPv4-mapped client", "10.1.2.3:5000", []string{"::ffff:198.51.100.1"}, "198.51.100.1"},
		{"peer without port", "10.1.2.3", []string{"198.51.100.1"}, "198.51.100.1"},
		{"peer not an address", "pipe", []string{"198.51.100.1"}, "pipe"},
	}
	for _, c := range cases {
		if got := p.Resolve(c.peer, c.xff); got != c.want {
			t.Errorf("%s: Resolve(%q, %q) = %q, want %q", c.name, c.peer, c.xff, got, c.want)
		}
	}
}

func TestNobodyTrustedByDefault(t *testing.T) {
	t.Parallel()
	var p Proxies
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "127.0.0.1:1234"
	r.Header.Set(Header, "198.51.100.1")
	if got := p.Of(r); got != "127.0.0.1" {
		t.Fatalf("the zero Proxies believed the header: %q", got)
	}
}

func TestTooManyHops(t *testing.T) {
	t.Parallel()
	p, _ := Parse([]string{"10.0.0.0/8"})
	long := "198.51.100.1"
	for range maxHops {
		long += ", 10.0.0.1"
	}
	if got := p.Resolve("10.0.0.1:1", []string{long}); got != "10.0.0.1" {
		t.Fatalf("an overlong header was read: %q", got)
	}
}

func TestParseRefusesGarbage(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"10.0.0.0/33", "example.com", "10.0.0/8"} {
		if _, err := Parse([]string{bad}); err == nil {
			t.Errorf("Parse(%q) took it", bad)
		}
	}
}
