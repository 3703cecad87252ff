package lint

// Reasons shared by several entries.
const (
	// notYet: not split in the issue-8 session for lack of time; split it
	// when you next change it.
	notYet = "not split yet"
	// owned*: other helpers edit these packages right now (issue 8 items
	// 2-3); split them once that work has landed.
	ownedAggregator = "aggregator: being reworked by another change; split with it"
	ownedNotifier   = "notifier: being edited by another change; split after it lands"
	ownedRewards    = "rewards: being edited by another change; split after it lands"
)

// sizeAllowed is what may break the size rules for now (key: "file" for a
// file over maxFileLines, "file:Func" or "file:Type.Method" for a function
// over maxFuncLines), with the reason. It only shrinks: the test fails when
// an entry is within the limits again, so delete it then. Sizes as of the
// last edit are in the comments.
var sizeAllowed = map[string]string{
	"admin/handler_test.go:TestAdminAPI":                                          notYet, // 112 lines
	"api/responses_test.go:TestResponsesMatchSpec":                                notYet, // 146 lines
	"cmd/rankstream/cluster_process_test.go:TestClusterProcessesR3NodeLoss":       notYet, // 85 lines
	"cmd/rankstream/e2e_test.go:TestEndToEndProcess":                              notYet, // 160 lines
	"cmd/rankstream/multiprocess_test.go:TestAggregatorProcessesShareAndFailOver": notYet, // 203 lines
	"cmd/rankstream/replay_test.go:TestReplayVerify":                              notYet, // 106 lines
	"cmd/rankstream/snapshot_shared_test.go:TestSharedHourlySnapshotsAreExact":    notYet, // 84 lines
	"contest/rules_test.go:TestPoints":                                            notYet, // 82 lines
	"contest/windows_test.go:TestDailyKyivAcrossDST":                              notYet, // 90 lines
	"event/parse.go:wireEvent.validate":                                           notYet, // 128 lines
	"event/parse_test.go:TestParseInvalid":                                        notYet, // 89 lines
	"internal/oracle/oracle.go:standings":                                         notYet, // 91 lines
	"internal/oracle/validation_test.go:TestValidation":                           notYet, // 145 lines
	"internal/oracle/validate.go:parseEvent":                                      notYet, // 128 lines
	"loadgen/generator_test.go:TestGeneratorEventsAreValidAndRealistic":           notYet, // 84 lines
	"loadgen/options.go:Options.withDefaults":                                     notYet, // 86 lines

	"aggregator/failover_test.go:TestFailoverThreeProcesses": ownedAggregator, // 88 lines
	"aggregator/cluster_test.go:clusterR3NodeLoss":           ownedAggregator, // 149 lines: one scenario, kept whole
	"aggregator/kill_test.go:scorerSurvivesSIGKILL":          ownedAggregator, // 199 lines: one scenario, kept whole
	"aggregator/property_test.go:propertyContests":           ownedAggregator, // 93 lines

	"notifier/latency_bench_test.go":                       ownedNotifier, // 503 lines
	"notifier/latency_bench_test.go:runPush":               ownedNotifier, // 135 lines
	"notifier/latency_bench_test.go:TestPushClientsHelper": ownedNotifier, // 113 lines

}
