// Package board holds one leaderboard: an order-statistic B+tree of entries
// ordered by their key words (ascending, compared as int64, word by word) and
// then by user id (ascending, compared bytewise).
//
// Updates, deletes and rank queries take O(log n). A Tree is not safe for
// concurrent use: each board has one owner goroutine (even Rank and Get write
// internal hints).
//
// The layout is chosen for a small heap with almost no pointers at ten
// million entries, and for few cache misses per operation:
//
//   - User ids are interned in one byte arena (arena.go): a record per user,
//     its length then its bytes, named by offset.
//   - An open-addressing hash table (index.go; linear probing, a tag byte and
//     a 64-bit slot each) maps a user id to a slot that holds the record
//     offset and the user's location: the leaf holding its entry and a hint
//     of the entry's index there. Inside the tree a user is named by its slot.
//   - Leaves (2 KiB, pointer free) hold entries as runs of key words plus a
//     meta word (slot and a 4-byte fingerprint of the id, see prefix.go) in
//     one array, for a cache-friendly binary search; a tie on the key words
//     is almost always settled by the fingerprints without reading the arena.
//     Inner nodes hold separators of the same shape, child ids and subtree
//     counts, from which ranks are summed.
//   - Rank and Get go from the slot straight to the leaf and then up through
//     parent links; they never search from the root. An update whose new key
//     stays within its leaf moves the entry inside that leaf only; otherwise
//     it is removed there and inserted from the root.
//   - Deleted users leave their record in the arena (separators may still
//     name it); once dead records are more than half of it the arena is
//     rewritten in board order (compact.go).
package board
