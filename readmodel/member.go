package readmodel

import "encoding/binary"

const signFlip = uint64(1) << 63

// EncodeMember returns the sorted-set member of a standing: each word of key as
// big-endian uint64(w) XOR 1<<63, so that bytewise order is numeric order,
// followed by the bytes of user.
func EncodeMember(key []int64, user string) []byte {
	return AppendMember(make([]byte, 0, 8*len(key)+len(user)), key, user)
}

// AppendMember appends the member of (key, user) to dst.
func AppendMember(dst []byte, key []int64, user string) []byte {
	for _, w := range key {
		dst = binary.BigEndian.AppendUint64(dst, uint64(w)^signFlip)
	}
	return append(dst, user...)
}

// DecodeMember splits a member written with nwords key words into its key and
// user. It returns a nil key when b is shorter than nwords words.
func DecodeMember(b []byte, nwords int) (key []int64, user string) {
	if nwords < 0 || len(b) < 8*nwords {
		return nil, ""
	}
	key = make([]int64, nwords)
	for i := range key {
		key[i] = int64(binary.BigEndian.Uint64(b[8*i:]) ^ signFlip)
	}
	return key, string(b[8*nwords:])
}

// decodeString is DecodeMember for a member read as a string, decoding only
// word 0 (the score word) and the user.
func decodeString(s string, nwords int) (w0 int64, user string, ok bool) {
	if nwords < 1 || len(s) < 8*nwords {
		return 0, "", false
	}
	var u uint64
	for i := range 8 {
		u = u<<8 | uint64(s[i])
	}
	return int64(u ^ signFlip), s[8*nwords:], true
}
