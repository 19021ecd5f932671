package bench_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"confab/bench"
	"confab/internal/clustertest"
	"confab/internal/need"
	"confab/internal/pgtest"
)

// TestClusterScenariosRun runs the cluster benchmark at a tiny size: every
// scenario on every setup (SQLite, PostgreSQL, three nodes behind HAProxy,
// a node killed), and nothing may be lost. No figure is judged.
func TestClusterScenariosRun(t *testing.T) {
	if _, err := exec.LookPath("haproxy"); err != nil {
		need.Tool(t, clustertest.InstallHAProxy)
	}
	if _, err := pgtest.BinDir(); err != nil {
		need.Tool(t, pgtest.Install)
	}
	bin := filepath.Join(t.TempDir(), "confabd")
	cmd := exec.Command("go", "build", "-o", bin, "../cmd/confabd")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build confabd: %v\n%s", err, out)
	}
	var progress strings.Builder
	rows, err := bench.RunCluster(bench.ClusterTiny, bin, &progress)
	if err != nil {
		t.Fatalf("%v\n%s", err, progress.String())
	}
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3", len(rows))
	}
	for _, row := range rows {
		for setup, res := range row.Results {
			if len(res.Metrics) == 0 {
				t.Fatalf("%s on %s measured nothing", row.Scenario, setup)
			}
			for _, m := range res.Metrics {
				switch m.Name {
				case "lost", "unacknowledged", "not acknowledged", "not back within a minute":
					if m.Value != 0 {
						t.Errorf("%s on %s: %s = %v", row.Scenario, setup, m.Name, m.Value)
					}
				}
			}
		}
	}
	t.Logf("\n%s", bench.ClusterTable(rows, bench.ClusterTiny.Nodes))
}
