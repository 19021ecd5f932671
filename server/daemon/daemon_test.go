package daemon

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestBadArguments(t *testing.T) {
	t.Setenv("LOCAL_JWT_SECRET", "")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--bogus"}, "flag provided but not defined"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"--log-level", "loud"}, "--log-level"},
		{[]string{"--addr", "256.0.0.1:1", "--data-dir", t.TempDir()}, "listen on"},
	} {
		var out bytes.Buffer
		err := Run(context.Background(), "confabd", tc.args, &out)
		if err == nil || !strings.Contains(err.Error()+out.String(), tc.want) {
			t.Errorf("%v: got %v, want %q", tc.args, err, tc.want)
		}
	}
	t.Setenv("LOCAL_JWT_SECRET", "short")
	err := Run(context.Background(), "confabd", []string{"--data-dir", t.TempDir()}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "at least 32") || strings.Contains(err.Error(), "short") {
		t.Fatalf("short secret: %v", err)
	}
}

func TestRunServesUntilCancelled(t *testing.T) {
	t.Setenv("LOCAL_JWT_SECRET", "")
	ctx, cancel := context.WithCancel(context.Background())
	var logs bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, "confabd", []string{"--addr", "127.0.0.1:17912", "--data-dir", t.TempDir(), "--no-signup"}, &logs)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Post("http://127.0.0.1:17912/register", "application/json", strings.NewReader(`{"username":"alice","password":"password-a"}`))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Fatalf("--no-signup: register answered %d", resp.StatusCode)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("server did not come up")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
}
