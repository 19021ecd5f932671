package bench_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"confab/bench"
	"confab/internal/need"
)

// TestEveryScenarioRuns runs the whole benchmark at a tiny size against
// confabd, the ceiling server and the Node peer: every scenario must run on
// each, and nothing may be lost. No figure is judged: the machine is shared.
func TestEveryScenarioRuns(t *testing.T) {
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join("peer-node", "node_modules", "socket.io"))
	}
	if err != nil {
		need.Tool(t, "node or bench/peer-node/node_modules is missing (make test installs them): "+err.Error())
	}
	bin := filepath.Join(t.TempDir(), "confabd")
	cmd := exec.Command("go", "build", "-o", bin, "../cmd/confabd")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build confabd: %v\n%s", err, out)
	}
	plan := bench.Tiny
	plan.Ceiling = filepath.Join(t.TempDir(), "ceiling")
	if out, err := exec.Command("go", "build", "-o", plan.Ceiling, "./ceiling").CombinedOutput(); err != nil {
		t.Fatalf("build the ceiling server: %v\n%s", err, out)
	}
	var progress strings.Builder
	rows, err := bench.Run(plan, bin, node, filepath.Join("peer-node", "server.js"), &progress)
	if err != nil {
		t.Fatalf("%v\n%s", err, progress.String())
	}
	if len(rows) != 7 { // 6 scenarios and the fan-out at the peer's best saturation rate
		t.Fatalf("%d rows, want 7", len(rows))
	}
	for _, row := range rows {
		for _, res := range []bench.Result{row.Confab, row.Ceiling, row.Peer} {
			if len(res.Metrics) == 0 {
				t.Fatalf("%s measured nothing", res.Scenario)
			}
			for _, m := range res.Metrics {
				if (m.Name == "lost" || m.Name == "unacknowledged" || m.Name == "of them refused with a reason" || m.Name == "failures" || m.Name == "failed") && m.Value != 0 {
					t.Errorf("%s: %s = %v", res.Scenario, m.Name, m.Value)
				}
			}
		}
	}
	t.Logf("\n%s", bench.Table(rows))
}
