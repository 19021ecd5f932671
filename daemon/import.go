package daemon

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"confab/server/store/importer"
)

// RunImport is `confabd import`: it copies a SQLite database into
// PostgreSQL (package importer; docs/import.md), printing its progress and
// the counts of both sides to stdout. A mismatch of the counts is an error.
func RunImport(ctx context.Context, name string, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet(name+" import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from-sqlite", "", "the SQLite database to copy: its confab.db, or the data directory that holds it (stop its server first)")
	database := fs.String("database", "", "PostgreSQL URL to copy into (postgres://user:password@host:port/db; default $"+DatabaseEnv+")")
	chunk := fs.Int("chunk-rows", importer.DefaultChunkRows, "rows copied per transaction")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: %s import --from-sqlite PATH [--database URL]\n\n"+
			"Copies a Confab SQLite database into PostgreSQL. Running it again copies only what is missing,\n"+
			"so an interrupted import is finished by running the same command again.\n\n", name)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see %s import -h)", fs.Arg(0), name)
	}
	if *database == "" { // not in the flag's default, which -h would print with its password
		*database = os.Getenv(DatabaseEnv)
	}
	if *from == "" || *database == "" {
		return errors.New("say what to import and where: --from-sqlite PATH and --database URL (or $" + DatabaseEnv + ")")
	}
	rep, err := importer.Run(ctx, importer.Options{From: *from, Database: *database, ChunkRows: *chunk, Progress: stdout})
	if len(rep.Counts) > 0 {
		fmt.Fprintln(stdout)
		rep.WriteCounts(stdout)
	}
	if errors.Is(err, importer.ErrCountsDiffer) {
		return fmt.Errorf("%w; run the import again, and if they still differ, do not start the nodes on PostgreSQL yet", err)
	}
	return err
}
