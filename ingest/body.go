package ingest

import "io"

// readBody reads at most MaxBodyBytes+1 bytes of body (one more than a body
// may have, so that a longer one is seen). With the request's Content-Length
// known it reads into one buffer of that size (+1 for the end of the body):
// io.ReadAll grows its buffer from 512 bytes, copying and allocating about
// twice the body of a batch.
func readBody(body io.Reader, contentLength int64) ([]byte, error) {
	lr := io.LimitReader(body, MaxBodyBytes+1)
	if contentLength <= 0 || contentLength > MaxBodyBytes {
		return io.ReadAll(lr)
	}
	buf := make([]byte, 0, contentLength+1)
	for {
		n, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
		if len(buf) == cap(buf) {
			// More than Content-Length said (the server's body reader stops
			// there, so only a reader without that check): the rest as before.
			rest, err := io.ReadAll(lr)
			return append(buf, rest...), err
		}
	}
}
