package aggregator

import "context"

// PublishesAcked, for tests, waits until every publish of the scorer's
// workers has its answer (they are not async publishes of the JetStream
// context: PublishAsyncComplete does not wait for them).
func (s *Scorer) PublishesAcked(ctx context.Context) error { return s.publishesAcked(ctx) }
