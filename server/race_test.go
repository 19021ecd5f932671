//go:build race

package server_test

// raceSlowdown: the race detector makes this process several times slower;
// timed limits that measure a normal user's wait during an attack allow for it.
const raceSlowdown = 3
