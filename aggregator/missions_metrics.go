package aggregator

import "github.com/prometheus/client_golang/prometheus"

// MissionMetrics are the scorer's mission metrics.
type MissionMetrics struct {
	Events      *prometheus.CounterVec // mission, result
	Completions *prometheus.CounterVec // mission
	Published   prometheus.Counter     // MISSIONS messages
	Progress    prometheus.Counter     // progress values published
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
	}
	if reg != nil {
		reg.MustRegister(m.Events, m.Completions, m.Published, m.Progress)
	}
	return m
}
