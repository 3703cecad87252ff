package varint

import (
	"encoding/binary"
	"errors"
	"testing"
)

func TestReaderRoundTripAndTruncation(t *testing.T) {
	b := binary.AppendUvarint(nil, 300)
	b = binary.AppendVarint(b, -7)
	b = append(b, 9)
	b = binary.LittleEndian.AppendUint64(b, 1<<40+3)
	b = AppendStr(b, "héllo")
	r := Reader{B: b}
	if u, v, c, w, s := r.Uvarint(), r.Varint(), r.Byte(), r.U64(), r.Str(); u != 300 || v != -7 || c != 9 || w != 1<<40+3 || s != "héllo" || r.Err != nil || len(r.B) != 0 {
		t.Fatalf("got %d %d %d %d %q err %v rest %d", u, v, c, w, s, r.Err, len(r.B))
	}
	for cut := 0; cut < len(b); cut++ {
		r := Reader{B: b[:cut]}
		r.Uvarint()
		r.Varint()
		r.Byte()
		r.U64()
		r.Str()
		if !errors.Is(r.Err, ErrTruncated) {
			t.Fatalf("cut at %d of %d: err %v, want ErrTruncated", cut, len(b), r.Err)
		}
	}
	if s := (&Reader{B: AppendStr(nil, "abc")[:2]}).Str(); s != "" {
		t.Fatalf("short string read %q", s)
	}
}
