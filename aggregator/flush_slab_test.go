package aggregator

import (
	"strconv"
	"testing"
	"time"

	"github.com/rankstream/rankstream/contest"
)

// TestScoreSlabMessagesStayApart: every message of a flush decodes to its own
// standing on its own subject (scoreSubject's) after the slab is filled past
// its size (a new slab then), and appending to one message's payload cannot
// touch the next one's.
func TestScoreSlabMessagesStayApart(t *testing.T) {
	for _, groups := range []int{0, 1, 4} {
		var s scoreSlab
		s.make(2)
		want := []ScoreMsg{
			{Standing: contest.Standing{Score: 1, Rounds: 1}, SrcSeq: 10, EventTime: time.Unix(0, 5)},
			{Standing: contest.Standing{Score: 2, Rounds: 2}, Removed: true, SrcSeq: 11},
			{Standing: contest.Standing{Score: 3, MaxMult: 2.5}, SrcSeq: 12, EventTime: time.Unix(0, 7)},
		}
		boards := []contest.BoardID{{Contest: "c", Window: 0}, {Contest: "c2", Window: 17, Division: "DE"}, {Contest: "c", Window: -3, Division: "a.b"}}
		var subjects []string
		var datas [][]byte
		for i := range want {
			m := s.next(groups, boards[i], "u"+strconv.Itoa(i), &want[i])
			subjects = append(subjects, m.Subject)
			datas = append(datas, m.Data)
		}
		_ = append(datas[0], 0xff, 0xff) // must not overwrite datas[1]
		for i, d := range datas {
			if ws := scoreSubject(groups, boards[i], "u"+strconv.Itoa(i)); subjects[i] != ws {
				t.Fatalf("groups %d: message %d on %q, want %q", groups, i, subjects[i], ws)
			}
			got, err := decodeScoreMsg(d)
			if err != nil {
				t.Fatalf("message %d: %v", i, err)
			}
			if got.Standing != want[i].Standing || got.Removed != want[i].Removed || got.SrcSeq != want[i].SrcSeq || !got.EventTime.Equal(want[i].EventTime) {
				t.Fatalf("message %d (%s) = %+v, want %+v", i, subjects[i], got, want[i])
			}
		}
	}
}

// TestScoreSlabAllocations: a flush of n standings allocates three slabs,
// not three objects per standing.
func TestScoreSlabAllocations(t *testing.T) {
	sm := ScoreMsg{Standing: contest.Standing{Score: 9}, SrcSeq: 1}
	id := contest.BoardID{Contest: "c", Window: 1700000000}
	allocs := testing.AllocsPerRun(20, func() {
		var s scoreSlab
		s.make(100)
		for range 100 {
			s.next(1, id, "u_12345", &sm)
		}
	})
	if allocs > 3 {
		t.Fatalf("%.0f allocations for 100 standings, want 3", allocs)
	}
}
