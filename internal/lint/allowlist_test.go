package lint

// Reasons shared by several entries.
const (
	// owned*: other helpers edit these packages right now (issue 8 items
	// 2-3); split them once that work has landed.
	ownedAggregator = "aggregator: being reworked by another change; split with it"
	ownedRewards    = "rewards: being edited by another change; split after it lands"
)

// sizeAllowed is what may break the size rules for now (key: "file" for a
// file over maxFileLines, "file:Func" or "file:Type.Method" for a function
// over maxFuncLines), with the reason. It only shrinks: the test fails when
// an entry is within the limits again, so delete it then. Sizes as of the
// last edit are in the comments.
var sizeAllowed = map[string]string{
	"aggregator/failover_test.go:TestFailoverThreeProcesses": ownedAggregator, // 88 lines
	"aggregator/cluster_test.go:clusterR3NodeLoss":           ownedAggregator, // 149 lines: one scenario, kept whole
	"aggregator/kill_test.go:scorerSurvivesSIGKILL":          ownedAggregator, // 199 lines: one scenario, kept whole
	"aggregator/property_test.go:propertyContests":           ownedAggregator, // 93 lines
}
