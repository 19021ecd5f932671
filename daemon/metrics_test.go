package daemon

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// --metrics-addr serves Prometheus metrics on its own address.
func TestMetricsAddr(t *testing.T) {
	maddr := freeAddr(t)
	serve(t, "--data-dir", t.TempDir(), "--addr", freeAddr(t), "--insecure-http", "--no-announce", "--metrics-addr", maddr)
	resp, err := get(t, http.DefaultClient, "http://"+maddr+"/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "confab_sockets 0") {
		t.Fatalf("%s\n%.400s", resp.Status, body)
	}
}
