package sio

import "net/http"

// Pitfall 32 (server): the library's CORS answers
// "Access-Control-Allow-Origin: false" to every request whose Origin it
// does not list, including requests with no Origin (native clients) and
// the server's own pages; "false" is no valid value and tells a browser
// nothing but noise. Every request reaching the library has passed
// originAllowed, so such a header is dropped on its way out.

type corsFix struct {
	http.ResponseWriter
	done bool
}

func (s *Server) withCORSFix(w http.ResponseWriter) http.ResponseWriter {
	return &corsFix{ResponseWriter: w}
}

func (w *corsFix) fix() {
	if w.done {
		return
	}
	w.done = true
	h := w.Header()
	if v := h.Get("Access-Control-Allow-Origin"); v == "false" || v == "" {
		h.Del("Access-Control-Allow-Origin")
		h.Del("Access-Control-Allow-Credentials")
	}
}

func (w *corsFix) WriteHeader(code int) {
	w.fix()
	w.ResponseWriter.WriteHeader(code)
}

func (w *corsFix) Write(b []byte) (int, error) {
	w.fix()
	return w.ResponseWriter.Write(b)
}

// Flush keeps a long-poll answer streaming if the writer below can.
func (w *corsFix) Flush() {
	w.fix()
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the writer below.
func (w *corsFix) Unwrap() http.ResponseWriter { return w.ResponseWriter }
