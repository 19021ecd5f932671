package client

// CodeError is the error this package returns when the server refuses a
// request with code: what a GUI words, for callers that meet the code
// elsewhere (the app words the browser client's errors from it).
func CodeError(code string) *Error {
	return &Error{Kind: kindOfCode(code), Code: code}
}
