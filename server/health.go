package server

import (
	"confab/server/store"
)

// Defaults of the storage health options of Config (issue 11: storage
// recovers by itself, and /healthz says when it cannot).
const (
	DefaultHealthProbeInterval = store.DefaultProbeInterval
	DefaultHealthProbeTimeout  = store.DefaultProbeTimeout
	DefaultStoreRetry          = store.DefaultWriteRetry
)

// healthDegradedText is /healthz's message while the database cannot be
// written. It says nothing of the cause: the server's log has it.
const healthDegradedText = "the server cannot store anything at the moment: messages cannot be sent"

func (c Config) storeOptions() store.Options {
	return store.Options{
		Database:      c.Database,
		ProbeInterval: c.HealthProbeInterval,
		ProbeTimeout:  c.HealthProbeTimeout,
		WriteRetry:    c.StoreRetry,
		Logger:        c.Logger,
	}
}

// databaseName names the store's engine and where it is, for the log: a
// PostgreSQL URL without its password.
func databaseName(st *store.Store) string {
	if st.Postgres() {
		return "postgresql " + store.Redact(st.DatabaseURL())
	}
	return "sqlite " + store.DBFile
}
