package server_test

import (
	"os"
	"testing"

	"confab/internal/pgtest"
)

// Tests on PostgreSQL share a server started by the first (engines_test.go).
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
