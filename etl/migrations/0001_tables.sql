-- The analytics tables of CONTRACT.md §9. DateTime (UTC) plus a UInt16 _ms
-- column instead of DateTime64; plain String instead of LowCardinality: both
-- so that ClickHouse 18.16 (Debian) and current releases accept them.
CREATE TABLE IF NOT EXISTS events (
    stream_seq    UInt64,
    arrived       DateTime,
    arrived_ms    UInt16,
    subject       String,
    event_id      String,
    provider      String,
    user_id       String,
    ts            DateTime,
    ts_ms         UInt16,
    type          String,
    market        String,
    brand         String,
    game_id       String,
    game_provider String,
    game_type     String,
    bet_minor     Int64,
    win_minor     Int64,
    currency      String,
    multiplier    Float64,
    funds         String,
    platform      String,
    device_asn    String,
    trace_id      String,
    round_id      String,
    duration_ms   Int64,
    valid         UInt8,
    reason        String,
    error         String
) ENGINE = MergeTree PARTITION BY toYYYYMM(arrived) ORDER BY stream_seq;

CREATE TABLE IF NOT EXISTS accruals (
    stream_seq   UInt64,
    event_id     String,
    user_id      String,
    contest      String,
    version      UInt32,
    window_start DateTime,
    division     String,
    ts           DateTime,
    ts_ms        UInt16,
    arrived      DateTime,
    arrived_ms   UInt16,
    market       String,
    provider     String,
    game_id      String,
    game_type    String,
    result       String,
    points       Int64
) ENGINE = MergeTree PARTITION BY toYYYYMM(ts) ORDER BY (contest, stream_seq);

CREATE TABLE IF NOT EXISTS standings (
    snapshot_id  UInt64,
    kind         String,
    taken_at     DateTime,
    taken_at_ms  UInt16,
    contest      String,
    version      UInt32,
    window_start DateTime,
    window_end   DateTime,
    division     String,
    pos          UInt32,
    user_id      String,
    score        Int64,
    max_mult     Float64,
    rounds       Int64,
    events_seq   UInt64
) ENGINE = MergeTree PARTITION BY toYYYYMM(window_start) ORDER BY (snapshot_id, pos);

CREATE TABLE IF NOT EXISTS rewards (
    history_id   UInt64,
    reward_id    String,
    context      String,
    id           String,
    window_start DateTime,
    division     String,
    user_id      String,
    pos          Nullable(Int32),
    amount_minor Int64,
    currency     String,
    kind         String,
    status       String,
    at           DateTime,
    at_ms        UInt16
) ENGINE = MergeTree PARTITION BY toYYYYMM(at) ORDER BY history_id;
