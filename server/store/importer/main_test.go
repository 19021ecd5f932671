package importer

import (
	"os"
	"testing"

	"confab/internal/pgtest"
)

// The tests that run on PostgreSQL share a server started by the first.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
