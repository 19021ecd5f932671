package server

import "confab/server/auth"

// Every argon2id hash the server computes goes through these two, which
// count it (confab_password_hashes_total): the costliest thing a request
// can make the server do, and so what the login and sign-up limits bound.

func (s *Server) hashPassword(password string) (string, error) {
	s.metrics.hashes.Add(1)
	return auth.HashPassword(password)
}

func (s *Server) checkPassword(hash, password string) bool {
	s.metrics.hashes.Add(1)
	return auth.CheckPassword(hash, password)
}
