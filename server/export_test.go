package server

// DisableDeflateWorkaround turns off the pitfall 1 workaround, so a test can
// show the library still loses broadcast frames without it.
func DisableDeflateWorkaround(c *Config) { c.noDeflate = true }
