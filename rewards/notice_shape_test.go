package rewards

import (
	"encoding/json"
	"testing"

	"github.com/rankstream/rankstream/notifier"
)

// TestRewardNoticeIsANotifierNotice: reward_available goes out in the
// notifier's notice shape on the notifier's notice subject, so the gateway
// and the page treat it like the other notices.
func TestRewardNoticeIsANotifierNotice(t *testing.T) {
	data, err := json.Marshal(Notice{Type: notifier.TypeNotice, Contest: "c", Window: "2025-10-25T18:00:00Z",
		Kind: notifier.KindRewardAvailable, User: "u_1", RewardID: "rw_1"})
	if err != nil {
		t.Fatal(err)
	}
	var m notifier.NoticeMsg
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	want := notifier.NoticeMsg{Type: "notice", Contest: "c", Window: "2025-10-25T18:00:00Z", Kind: "reward_available",
		User: "u_1", RewardID: "rw_1"}
	if m != want {
		t.Fatalf("%+v, want %+v", m, want)
	}
	again, _ := json.Marshal(m)
	if string(again) != string(data) {
		t.Fatalf("shapes differ: %s vs %s", again, data)
	}
	if NoticeSubject("c", "u_1") != "lb.c.user.u_1.notice" {
		t.Fatal(NoticeSubject("c", "u_1"))
	}
}
