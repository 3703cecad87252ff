// Package varint is the one reader (and string writer) of the varint-based
// binary layouts: contest user-window and mission state (contest), partition
// checkpoints (aggregator).
package varint

import (
	"encoding/binary"
	"errors"
)

// ErrTruncated is the error of a read past the end of the data.
var ErrTruncated = errors.New("truncated")

// Reader decodes from B; the first error sticks in Err, and every read
// after it returns the zero value.
type Reader struct {
	B   []byte
	Err error
}

// Uvarint reads an unsigned varint.
func (r *Reader) Uvarint() uint64 {
	if r.Err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.B)
	if n <= 0 {
		r.Err = ErrTruncated
		return 0
	}
	r.B = r.B[n:]
	return v
}

// Varint reads a signed (zig-zag) varint.
func (r *Reader) Varint() int64 {
	if r.Err != nil {
		return 0
	}
	v, n := binary.Varint(r.B)
	if n <= 0 {
		r.Err = ErrTruncated
		return 0
	}
	r.B = r.B[n:]
	return v
}

// Byte reads one byte.
func (r *Reader) Byte() byte {
	if r.Err != nil {
		return 0
	}
	if len(r.B) < 1 {
		r.Err = ErrTruncated
		return 0
	}
	v := r.B[0]
	r.B = r.B[1:]
	return v
}

// U64 reads a little-endian uint64.
func (r *Reader) U64() uint64 {
	if r.Err != nil {
		return 0
	}
	if len(r.B) < 8 {
		r.Err = ErrTruncated
		return 0
	}
	v := binary.LittleEndian.Uint64(r.B)
	r.B = r.B[8:]
	return v
}

// Str reads a string written by AppendStr.
func (r *Reader) Str() string {
	n := r.Uvarint()
	if r.Err != nil {
		return ""
	}
	if n > uint64(len(r.B)) {
		r.Err = ErrTruncated
		return ""
	}
	s := string(r.B[:n])
	r.B = r.B[n:]
	return s
}

// AppendStr appends s as its length (uvarint) and bytes.
func AppendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}
