package aggregator

import "github.com/prometheus/client_golang/prometheus"

// MissionMetrics are the scorer's mission metrics.
type MissionMetrics struct {
	Events      *prometheus.CounterVec // mission, result
	Completions *prometheus.CounterVec // mission
	Published   prometheus.Counter     // MISSIONS messages
	Progress    prometheus.Counter     // progress values published
	// Released and ReleaseErrors: purges of a freed mission window's
	// MISSION_PROGRESS keys (missions_release.go).
	Released      prometheus.Counter
	ReleaseErrors prometheus.Counter
}

func newMissionMetrics(reg prometheus.Registerer) *MissionMetrics {
	m := &MissionMetrics{
		Events: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rankstream_mission_events_total",
			Help: "Decisions per event and mission: counted, or the reason it did not count."}, []string{"mission", "result"}),
		Completions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rankstream_mission_completions_total",
			Help: "Mission steps (and completions) with a reward that became done."}, []string{"mission"}),
		Published: prometheus.NewCounter(prometheus.CounterOpts{Name: "rankstream_mission_rewards_published_total",
			Help: "Mission reward messages published to the MISSIONS stream (republishes included)."}),
		Progress: prometheus.NewCounter(prometheus.CounterOpts{Name: "rankstream_mission_progress_published_total",
			Help: "Mission progress values published to the MISSION_PROGRESS bucket."}),
		Released: prometheus.NewCounter(prometheus.CounterOpts{Name: "rankstream_mission_windows_released_total",
			Help: "Freed mission windows whose MISSION_PROGRESS keys were purged (retention.finished_windows)."}),
		ReleaseErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "rankstream_mission_window_release_errors_total",
			Help: "Failed purges of a freed mission window's MISSION_PROGRESS keys (asked again by a later prune)."}),
	}
	if reg != nil {
		reg.MustRegister(m.Events, m.Completions, m.Published, m.Progress, m.Released, m.ReleaseErrors)
	}
	return m
}
