package wire

// ErrUnavailable refuses a message on a server that cannot take it now: a
// node of a cluster that lost its database or its connection to the other
// nodes (docs/cluster.md). Nothing was stored; sending again later (or to
// another node) is right.
const ErrUnavailable = "unavailable"
