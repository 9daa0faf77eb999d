//! Sharded per-trace state and the decision logic.
//!
//! Everything here runs under one shard's mutex and never calls the inner processor: spans
//! to forward (or to drop) are moved into an [`Outbox`] that the caller empties after the
//! lock is released.

use std::collections::hash_map::{DefaultHasher, RandomState};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Instant, SystemTime};

use opentelemetry::trace::{SpanId, Status, TraceId};
use opentelemetry::KeyValue;
use opentelemetry_sdk::trace::SpanData;

use super::decision::{
    estimate_span_bytes, strip_content, trace_position, Decision, Partial, Reason,
};
use super::handle::{Cause, Counters, Overrides, SpanKeys};
use super::Resolved;
use crate::semconv;

/// Upper bound on the number of shards.
const MAX_SHARDS: usize = 16;
/// Distinct prompt pairs remembered per trace for the new-version rule; further pairs in
/// the same trace are not claimed.
const MAX_CLAIMS_PER_TRACE: usize = 8;

/// Locks a mutex, recovering the data if another thread panicked while holding it.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub(crate) fn is_local_root(span: &SpanData) -> bool {
    span.parent_span_id == SpanId::INVALID || span.parent_span_is_remote
}

/// How forwarded spans are finished before they reach the inner processor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Treatment {
    strip: bool,
    label: Option<&'static str>,
}

impl Treatment {
    /// Forward unchanged (streamed spans of a kept trace that are not its root).
    pub(crate) const PASS: Treatment = Treatment {
        strip: false,
        label: None,
    };

    fn of(decision: Decision) -> Self {
        Treatment {
            strip: decision.reason == Reason::MetadataOnly,
            label: Some(decision.label()),
        }
    }

    /// Strips content for metadata-only traces and labels local roots with the decision.
    pub(crate) fn apply(self, mut span: SpanData) -> SpanData {
        if self.strip {
            strip_content(&mut span);
        }
        if let Some(label) = self.label {
            if is_local_root(&span) {
                span.attributes
                    .push(KeyValue::new(semconv::SAMPLING_DECISION, label));
            }
        }
        span
    }
}

/// Work produced under a shard lock, performed by the caller after releasing it.
#[derive(Debug)]
pub(crate) enum Item {
    Span(SpanData, Treatment),
    Trace(Vec<SpanData>, Treatment),
    /// Spans of a dropped trace, deallocated outside the lock.
    Discard(Vec<SpanData>),
    DiscardOne(SpanData),
}

/// A list of [`Item`]s that does not allocate for up to two items (the common cases).
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    first: Option<Item>,
    second: Option<Item>,
    rest: Vec<Item>,
}

impl Outbox {
    fn push(&mut self, item: Item) {
        if self.first.is_none() {
            self.first = Some(item);
        } else if self.second.is_none() {
            self.second = Some(item);
        } else {
            self.rest.push(item);
        }
    }

    pub(crate) fn into_items(self) -> impl Iterator<Item = Item> {
        self.first.into_iter().chain(self.second).chain(self.rest)
    }
}

/// Seeded hashing for trace-id keys: a folded 128-bit multiply per 64-bit word, much cheaper
/// than SipHash for 16-byte keys. The per-process random seed keeps adversarial trace ids
/// (they can come from remote `traceparent` headers) from being chosen to collide.
#[derive(Clone, Copy, Debug)]
pub(crate) struct IdHashBuilder {
    seed: u64,
    multiplier: u64,
}

impl IdHashBuilder {
    fn new() -> Self {
        let random = RandomState::new();
        IdHashBuilder {
            seed: random.hash_one(1_u64),
            multiplier: random.hash_one(2_u64) | 1,
        }
    }
}

impl BuildHasher for IdHashBuilder {
    type Hasher = IdHasher;

    fn build_hasher(&self) -> IdHasher {
        IdHasher {
            state: self.seed,
            multiplier: self.multiplier,
        }
    }
}

#[derive(Debug)]
pub(crate) struct IdHasher {
    state: u64,
    multiplier: u64,
}

impl IdHasher {
    fn mix(&mut self, word: u64) {
        let product = u128::from(self.state ^ word) * u128::from(self.multiplier);
        self.state = (product as u64) ^ ((product >> 64) as u64);
    }
}

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0_u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.mix(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, word: u64) {
        self.mix(word);
    }

    fn write_u128(&mut self, value: u128) {
        self.mix(value as u64);
        self.mix((value >> 64) as u64);
    }

    fn finish(&self) -> u64 {
        // One more round so both words reach the high bits hashbrown uses for control bytes.
        let product = u128::from(self.state) * u128::from(self.multiplier.rotate_left(29) | 1);
        (product as u64) ^ ((product >> 64) as u64)
    }
}

type IdMap<V> = HashMap<TraceId, V, IdHashBuilder>;

/// What one ended span tells about its trace; computed before taking the shard lock.
#[derive(Debug)]
struct SpanObs {
    is_root: bool,
    error: bool,
    canary: bool,
    /// Hash of the (prompt name, prompt version) pair with the attribute indices.
    prompt: Option<(u64, Option<usize>, usize)>,
    override_bounds: Option<(u64, u64)>,
    bytes: usize,
}

#[derive(Debug, Default)]
struct Facts {
    error: bool,
    canary: bool,
    new_version: bool,
    /// (full, metadata) bounds of the highest-rate override matched so far.
    override_bounds: Option<(u64, u64)>,
    claimed: Vec<u64>,
}

impl Facts {
    fn absorb(&mut self, obs: &SpanObs) {
        self.error |= obs.error;
        self.canary |= obs.canary;
        if let Some(bounds) = obs.override_bounds {
            self.override_bounds = Some(self.override_bounds.map_or(bounds, |b| b.max(bounds)));
        }
    }
}

#[derive(Debug)]
struct PendingTrace {
    seq: u64,
    first_seen: Instant,
    last_seen: Instant,
    min_start: SystemTime,
    position: u64,
    /// Set once the trace is known to be kept: the reason it started streaming.
    streaming: Option<Reason>,
    spans: Vec<SpanData>,
    bytes: usize,
    facts: Facts,
}

/// Recently decided traces, oldest evicted first.
#[derive(Debug)]
struct DecisionCache {
    map: IdMap<Decision>,
    order: VecDeque<TraceId>,
    cap: usize,
}

impl DecisionCache {
    fn insert(&mut self, trace_id: TraceId, decision: Decision) {
        if self.map.insert(trace_id, decision).is_none() {
            self.order.push_back(trace_id);
            while self.order.len() > self.cap {
                if let Some(old) = self.order.pop_front() {
                    self.map.remove(&old);
                }
            }
        }
    }
}

#[derive(Debug)]
struct ShardState {
    traces: IdMap<PendingTrace>,
    /// Creation order, for "evict the oldest".
    order: BTreeMap<u64, TraceId>,
    next_seq: u64,
    spans: usize,
    bytes: usize,
    cache: DecisionCache,
    max_traces: usize,
    max_bytes: usize,
}

impl ShardState {
    fn remove(&mut self, trace_id: TraceId) -> Option<PendingTrace> {
        let trace = self.traces.remove(&trace_id)?;
        self.order.remove(&trace.seq);
        self.spans -= trace.spans.len();
        self.bytes -= trace.bytes;
        Some(trace)
    }

    fn oldest(&self) -> Option<TraceId> {
        self.order.values().next().copied()
    }

    /// The oldest trace that holds buffered spans.
    fn oldest_buffering(&self) -> Option<TraceId> {
        self.order.values().copied().find(|id| {
            self.traces
                .get(id)
                .is_some_and(|t| t.streaming.is_none() && !t.spans.is_empty())
        })
    }
}

#[derive(Debug)]
struct Shard {
    state: Mutex<ShardState>,
    // Mirrors of the state's gauges, written under the lock, read without it.
    spans: AtomicUsize,
    bytes: AtomicUsize,
    traces: AtomicUsize,
}

impl Shard {
    fn publish(&self, st: &ShardState) {
        self.spans.store(st.spans, Ordering::Relaxed);
        self.bytes.store(st.bytes, Ordering::Relaxed);
        self.traces.store(st.traces.len(), Ordering::Relaxed);
    }
}

#[derive(Debug)]
struct VersionEntry {
    name: Box<str>,
    version: Box<str>,
    first_seen: Instant,
    traces: u64,
}

/// Prompt (name, version) pairs seen by this process, bounded, forgetting the oldest.
#[derive(Debug)]
struct VersionTable {
    map: HashMap<u64, VersionEntry>,
    order: VecDeque<u64>,
    cap: usize,
}

impl VersionTable {
    /// Whether one more trace carrying the pair counts as a new-version trace.
    fn claim(
        &mut self,
        hash: u64,
        name: &str,
        version: &str,
        now: Instant,
        resolved: &Resolved,
    ) -> bool {
        if !self.map.contains_key(&hash) {
            while self.map.len() >= self.cap {
                match self.order.pop_front() {
                    Some(old) => {
                        self.map.remove(&old);
                    }
                    None => break,
                }
            }
            self.order.push_back(hash);
            self.map.insert(
                hash,
                VersionEntry {
                    name: name.into(),
                    version: version.into(),
                    first_seen: now,
                    traces: 0,
                },
            );
        }
        match self.map.get_mut(&hash) {
            // A 64-bit hash collision between two pairs: treat the second as already seen.
            Some(entry) if &*entry.name == name && &*entry.version == version => {
                let fresh = entry.traces < resolved.new_prompt_traces
                    && now.saturating_duration_since(entry.first_seen) < resolved.new_prompt_window;
                if fresh {
                    entry.traces += 1;
                }
                fresh
            }
            _ => false,
        }
    }
}

/// The tail sampler's state, shared by the processor, its sweeper thread and handles.
#[derive(Debug)]
pub(crate) struct Core {
    pub(crate) cfg: Resolved,
    pub(crate) counters: Counters,
    pub(crate) overrides: Overrides,
    shards: Box<[Shard]>,
    shard_shift: u32,
    /// Chooses the shard; seeded independently of the maps' hasher so keys of one shard
    /// still differ in the bits the maps use.
    shard_hash: IdHashBuilder,
    versions: Mutex<VersionTable>,
    shut_down: AtomicBool,
    epoch: Instant,
    /// Nanoseconds after `epoch` of the last sweep over all shards.
    last_sweep: AtomicU64,
}

/// `total` split over `parts` so that the parts add up to `total` exactly.
fn split(total: usize, parts: usize, index: usize) -> usize {
    total / parts + usize::from(index < total % parts)
}

impl Core {
    pub(crate) fn new(cfg: Resolved) -> Self {
        // A power of two no larger than the trace cap, so every shard holds at least one trace.
        let mut shard_count = MAX_SHARDS;
        while shard_count > cfg.max_pending_traces {
            shard_count /= 2;
        }
        let now = Instant::now();
        let hash = IdHashBuilder::new();
        let shards = (0..shard_count)
            .map(|i| Shard {
                state: Mutex::new(ShardState {
                    traces: HashMap::with_hasher(hash),
                    order: BTreeMap::new(),
                    next_seq: 0,
                    spans: 0,
                    bytes: 0,
                    cache: DecisionCache {
                        map: HashMap::with_hasher(hash),
                        order: VecDeque::new(),
                        cap: split(cfg.decision_cache_size, shard_count, i).max(1),
                    },
                    max_traces: split(cfg.max_pending_traces, shard_count, i),
                    max_bytes: split(cfg.max_buffered_bytes, shard_count, i),
                }),
                spans: AtomicUsize::new(0),
                bytes: AtomicUsize::new(0),
                traces: AtomicUsize::new(0),
            })
            .collect();
        Core {
            counters: Counters::default(),
            overrides: Overrides::new(cfg.metadata_rate),
            shards,
            shard_shift: 64 - shard_count.trailing_zeros(),
            shard_hash: IdHashBuilder::new(),
            versions: Mutex::new(VersionTable {
                map: HashMap::new(),
                order: VecDeque::new(),
                cap: cfg.max_prompt_versions,
            }),
            shut_down: AtomicBool::new(false),
            epoch: now,
            last_sweep: AtomicU64::new(0),
            cfg,
        }
    }

    pub(crate) fn shard_count(&self) -> usize {
        self.shards.len()
    }

    fn shard_index(&self, trace_id: TraceId) -> usize {
        if self.shards.len() == 1 {
            return 0;
        }
        (self.shard_hash.hash_one(trace_id) >> self.shard_shift) as usize
    }

    /// (spans buffered, bytes buffered, traces pending), summed over shards.
    pub(crate) fn gauges(&self) -> (u64, u64, u64) {
        self.shards.iter().fold((0, 0, 0), |(s, b, t), shard| {
            (
                s + shard.spans.load(Ordering::Relaxed) as u64,
                b + shard.bytes.load(Ordering::Relaxed) as u64,
                t + shard.traces.load(Ordering::Relaxed) as u64,
            )
        })
    }

    pub(crate) fn is_shut_down(&self) -> bool {
        self.shut_down.load(Ordering::Acquire)
    }

    /// Marks the core shut down; returns false if it already was.
    pub(crate) fn begin_shutdown(&self) -> bool {
        !self.shut_down.swap(true, Ordering::AcqRel)
    }

    fn observe(&self, span: &SpanData, now: Instant) -> SpanObs {
        let mut error = matches!(span.status, Status::Error { .. });
        let check_equalities = self.cfg.canary.has_equalities();
        let mut canary = false;
        let mut keys = SpanKeys::default();
        let mut name_idx = None;
        let mut version_idx = None;
        for (i, kv) in span.attributes.iter().enumerate() {
            match kv.key.as_str() {
                semconv::ERROR_TYPE => error = true,
                semconv::GEN_AI_PROMPT_NAME => {
                    name_idx = Some(i);
                    keys.prompt_name = Some(&kv.value);
                }
                semconv::GEN_AI_PROMPT_VERSION => {
                    version_idx = Some(i);
                    keys.prompt_version = Some(&kv.value);
                }
                semconv::TENANT_ID => keys.tenant = Some(&kv.value),
                semconv::HTTP_ROUTE => keys.route = Some(&kv.value),
                semconv::GEN_AI_REQUEST_MODEL => keys.model = Some(&kv.value),
                _ => {}
            }
            if check_equalities && !canary && self.cfg.canary.matches_attribute(kv) {
                canary = true;
            }
        }
        if !canary {
            canary = self.cfg.canary.matches_predicate(&span.attributes);
        }
        let prompt = match version_idx {
            Some(v) if self.cfg.new_prompt_traces > 0 => {
                let mut hasher = DefaultHasher::new();
                name_idx
                    .map(|n| span.attributes[n].value.as_str())
                    .unwrap_or_default()
                    .hash(&mut hasher);
                span.attributes[v].value.as_str().hash(&mut hasher);
                Some((hasher.finish(), name_idx, v))
            }
            _ => None,
        };
        SpanObs {
            is_root: is_local_root(span),
            error,
            canary,
            prompt,
            override_bounds: self.overrides.best_match(&keys, now),
            bytes: estimate_span_bytes(span),
        }
    }

    /// Claims a new-version slot for each prompt pair the first time it shows up in a trace.
    fn claim(&self, facts: &mut Facts, span: &SpanData, obs: &SpanObs, now: Instant) {
        let Some((hash, name_idx, version_idx)) = obs.prompt else {
            return;
        };
        if facts.claimed.contains(&hash) || facts.claimed.len() >= MAX_CLAIMS_PER_TRACE {
            return;
        }
        facts.claimed.push(hash);
        let name = name_idx
            .map(|n| span.attributes[n].value.as_str())
            .unwrap_or_default();
        let version = span.attributes[version_idx].value.as_str();
        if lock(&self.versions).claim(hash, &name, &version, now, &self.cfg) {
            facts.new_version = true;
        }
    }

    fn slow_since(&self, start: SystemTime, end: SystemTime) -> bool {
        self.cfg
            .slow_threshold
            .is_some_and(|t| end.duration_since(start).is_ok_and(|d| d > t))
    }

    /// The decision for a trace, in the documented order. A trace that already streamed is
    /// never reported as reduced or dropped.
    fn decide(
        &self,
        facts: &Facts,
        position: u64,
        slow: bool,
        streaming: Option<Reason>,
        partial: Partial,
    ) -> Decision {
        let reason = if facts.error {
            Reason::Error
        } else if facts.canary {
            Reason::Canary
        } else if facts.new_version {
            Reason::NewPromptVersion
        } else if slow {
            Reason::Slow
        } else if let Some((full, meta)) = facts.override_bounds {
            if position < full {
                Reason::Override
            } else if position < meta {
                Reason::MetadataOnly
            } else {
                Reason::Drop
            }
        } else if position < self.cfg.base_bound {
            Reason::BaseRate
        } else if position < self.cfg.meta_bound {
            Reason::MetadataOnly
        } else {
            Reason::Drop
        };
        let reason = match streaming {
            Some(streamed) if !reason.is_full() => streamed,
            _ => reason,
        };
        Decision::new(reason, partial)
    }

    /// Whether a trace can already be kept in full (and stop buffering), and why.
    fn early_reason(&self, trace: &PendingTrace, now_end: SystemTime) -> Option<Reason> {
        let f = &trace.facts;
        if f.error {
            Some(Reason::Error)
        } else if f.canary {
            Some(Reason::Canary)
        } else if f.new_version {
            Some(Reason::NewPromptVersion)
        } else if self.slow_since(trace.min_start, now_end) {
            // The root started before every buffered span and has not ended yet.
            Some(Reason::Slow)
        } else if let Some((full, _)) = f.override_bounds {
            (trace.position < full).then_some(Reason::Override)
        } else if trace.position < self.cfg.base_bound && trace.position < self.overrides.min_full()
        {
            Some(Reason::BaseRate)
        } else {
            None
        }
    }

    /// Counts the decision, caches it and queues the trace's spans (`last` is the span being
    /// handled, kept out of the buffer so the buffer does not grow for it).
    fn finish(
        &self,
        st: &mut ShardState,
        trace_id: TraceId,
        spans: Vec<SpanData>,
        last: Option<SpanData>,
        decision: Decision,
        out: &mut Outbox,
    ) {
        self.counters.decided(decision.reason);
        st.cache.insert(trace_id, decision);
        let kept = decision.reason.is_kept();
        self.counters
            .spans(kept, spans.len() + usize::from(last.is_some()));
        let treatment = Treatment::of(decision);
        if !spans.is_empty() {
            out.push(if kept {
                Item::Trace(spans, treatment)
            } else {
                Item::Discard(spans)
            });
        }
        if let Some(span) = last {
            out.push(if kept {
                Item::Span(span, treatment)
            } else {
                Item::DiscardOne(span)
            });
        }
    }

    /// Decides a pending trace now, on what it has (plus `extra`, the span being handled).
    fn evict(
        &self,
        st: &mut ShardState,
        trace_id: TraceId,
        extra: Option<SpanData>,
        cause: Cause,
        out: &mut Outbox,
    ) {
        let Some(trace) = st.remove(trace_id) else {
            return;
        };
        let slow = self.slow_since(trace.min_start, SystemTime::now());
        let partial = if cause == Cause::Shutdown {
            Partial::Shutdown
        } else {
            Partial::Evicted
        };
        let decision = self.decide(&trace.facts, trace.position, slow, trace.streaming, partial);
        self.counters.evicted(cause);
        self.finish(st, trace_id, trace.spans, extra, decision, out);
    }

    /// Buffers a span of an undecided trace, enforcing the span and byte caps.
    fn buffer(
        &self,
        st: &mut ShardState,
        trace_id: TraceId,
        span: SpanData,
        bytes: usize,
        out: &mut Outbox,
    ) {
        // The trace is always present here (inserted or found under the same lock).
        let full = st
            .traces
            .get(&trace_id)
            .is_none_or(|t| t.spans.len() >= self.cfg.max_spans_per_trace);
        if full {
            self.evict(st, trace_id, Some(span), Cause::SpansPerTrace, out);
            return;
        }
        // Evict the oldest buffering traces until the span fits; if this trace is the oldest
        // (or the span alone exceeds the shard's budget), decide this trace now instead.
        while st.bytes + bytes > st.max_bytes {
            match st.oldest_buffering() {
                Some(victim) if victim != trace_id && bytes <= st.max_bytes => {
                    self.evict(st, victim, None, Cause::BufferedBytes, out)
                }
                _ => {
                    self.evict(st, trace_id, Some(span), Cause::BufferedBytes, out);
                    return;
                }
            }
        }
        if let Some(trace) = st.traces.get_mut(&trace_id) {
            trace.spans.push(span);
            trace.bytes += bytes;
            st.spans += 1;
            st.bytes += bytes;
        }
    }

    /// Whether a sweep over all shards is due; true for exactly one caller per interval.
    pub(crate) fn claim_sweep(&self, now: Instant) -> bool {
        let at =
            u64::try_from(now.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(u64::MAX);
        let interval = u64::try_from(self.cfg.sweep_interval.as_nanos()).unwrap_or(u64::MAX);
        let last = self.last_sweep.load(Ordering::Relaxed);
        at.saturating_sub(last) >= interval
            && self
                .last_sweep
                .compare_exchange(last, at, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
    }

    /// Handles one ended span; the caller forwards what lands in `out`.
    pub(crate) fn on_end(&self, span: SpanData, now: Instant, out: &mut Outbox) {
        let trace_id = span.span_context.trace_id();
        let obs = self.observe(&span, now);
        let shard = &self.shards[self.shard_index(trace_id)];
        let mut st = lock(&shard.state);
        if self.is_shut_down() {
            drop(st);
            out.push(Item::Span(span, Treatment::PASS));
            return;
        }
        self.handle(&mut st, trace_id, span, &obs, now, out);
        shard.publish(&st);
    }

    fn handle(
        &self,
        st: &mut ShardState,
        trace_id: TraceId,
        span: SpanData,
        obs: &SpanObs,
        now: Instant,
        out: &mut Outbox,
    ) {
        enum Next {
            Final { slow: bool },
            Forward,
            Stream(Reason),
            Buffer,
        }

        if let Some(trace) = st.traces.get_mut(&trace_id) {
            trace.last_seen = now;
            trace.min_start = trace.min_start.min(span.start_time);
            trace.facts.absorb(obs);
            self.claim(&mut trace.facts, &span, obs, now);
            let next = if obs.is_root {
                Next::Final {
                    slow: self.slow_since(span.start_time, span.end_time),
                }
            } else if trace.streaming.is_some() {
                Next::Forward
            } else if let Some(reason) = self.early_reason(trace, span.end_time) {
                Next::Stream(reason)
            } else {
                Next::Buffer
            };
            match next {
                Next::Final { slow } => {
                    if let Some(trace) = st.remove(trace_id) {
                        let decision = self.decide(
                            &trace.facts,
                            trace.position,
                            slow,
                            trace.streaming,
                            Partial::Complete,
                        );
                        self.finish(st, trace_id, trace.spans, Some(span), decision, out);
                    }
                }
                Next::Forward => {
                    self.counters.spans(true, 1);
                    out.push(Item::Span(span, Treatment::PASS));
                }
                Next::Stream(reason) => {
                    trace.streaming = Some(reason);
                    let buffered = std::mem::take(&mut trace.spans);
                    let bytes = std::mem::take(&mut trace.bytes);
                    st.spans -= buffered.len();
                    st.bytes -= bytes;
                    self.counters.spans(true, buffered.len() + 1);
                    if !buffered.is_empty() {
                        out.push(Item::Trace(buffered, Treatment::PASS));
                    }
                    out.push(Item::Span(span, Treatment::PASS));
                }
                Next::Buffer => self.buffer(st, trace_id, span, obs.bytes, out),
            }
            return;
        }

        if let Some(decision) = st.cache.map.get(&trace_id).copied() {
            let kept = decision.reason.is_kept();
            self.counters.late(kept);
            self.counters.spans(kept, 1);
            if kept {
                out.push(Item::Span(span, Treatment::of(decision)));
            } else {
                out.push(Item::DiscardOne(span));
            }
            return;
        }

        // A trace seen for the first time.
        let mut facts = Facts::default();
        facts.absorb(obs);
        self.claim(&mut facts, &span, obs, now);
        let position = trace_position(trace_id);
        if obs.is_root {
            let slow = self.slow_since(span.start_time, span.end_time);
            let decision = self.decide(&facts, position, slow, None, Partial::Complete);
            self.finish(st, trace_id, Vec::new(), Some(span), decision, out);
            return;
        }
        while st.traces.len() >= st.max_traces {
            match st.oldest() {
                Some(victim) => self.evict(st, victim, None, Cause::PendingTraces, out),
                None => break,
            }
        }
        let seq = st.next_seq;
        st.next_seq += 1;
        let mut trace = PendingTrace {
            seq,
            first_seen: now,
            last_seen: now,
            min_start: span.start_time,
            position,
            streaming: None,
            spans: Vec::new(),
            bytes: 0,
            facts,
        };
        trace.streaming = self.early_reason(&trace, span.end_time);
        let streaming = trace.streaming.is_some();
        st.order.insert(seq, trace_id);
        st.traces.insert(trace_id, trace);
        if streaming {
            self.counters.spans(true, 1);
            out.push(Item::Span(span, Treatment::PASS));
        } else {
            self.buffer(st, trace_id, span, obs.bytes, out);
        }
    }

    /// Decides the traces of a shard that are past the age or idle limit.
    fn sweep(&self, st: &mut ShardState, now: Instant, out: &mut Outbox) {
        let victims: Vec<(TraceId, Cause)> = st
            .traces
            .iter()
            .filter_map(|(id, t)| {
                if now.saturating_duration_since(t.first_seen) >= self.cfg.max_trace_age {
                    Some((*id, Cause::MaxAge))
                } else if now.saturating_duration_since(t.last_seen) >= self.cfg.idle_timeout {
                    Some((*id, Cause::Idle))
                } else {
                    None
                }
            })
            .collect();
        for (id, cause) in victims {
            self.evict(st, id, None, cause, out);
        }
    }

    /// Background sweep of one shard (a no-op after shutdown).
    pub(crate) fn sweep_shard(&self, index: usize, now: Instant) -> Outbox {
        let mut out = Outbox::default();
        if let Some(shard) = self.shards.get(index) {
            let mut st = lock(&shard.state);
            if !self.is_shut_down() {
                self.sweep(&mut st, now, &mut out);
                shard.publish(&st);
            }
        }
        out
    }

    /// Decides every pending trace of one shard with partial data (shutdown).
    pub(crate) fn drain_shard(&self, index: usize) -> Outbox {
        let mut out = Outbox::default();
        if let Some(shard) = self.shards.get(index) {
            let mut st = lock(&shard.state);
            let ids: Vec<TraceId> = st.order.values().copied().collect();
            for id in ids {
                self.evict(&mut st, id, None, Cause::Shutdown, &mut out);
            }
            shard.publish(&st);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampling::Sampling;
    use std::time::Duration;

    #[test]
    fn id_hasher_is_seeded_and_deterministic() {
        let a = IdHashBuilder::new();
        let b = IdHashBuilder::new();
        let id = TraceId::from(0x0123_4567_89ab_cdef_0011_2233_4455_6677_u128);
        assert_eq!(a.hash_one(id), a.hash_one(id));
        assert_ne!(a.hash_one(id), b.hash_one(id), "per-process seeds differ");
        // Sequential ids spread over the high bits hashbrown uses.
        let tops: std::collections::HashSet<u64> = (0..1_000u128)
            .map(|i| a.hash_one(TraceId::from(i)) >> 57)
            .collect();
        assert!(tops.len() > 100, "{}", tops.len());
        let mut bytes = a.build_hasher();
        bytes.write(&[1, 2, 3]);
        assert_ne!(bytes.finish(), a.build_hasher().finish());
    }

    #[test]
    fn caps_are_split_exactly_over_shards() {
        for total in [0, 1, 5, 16, 17, 10_000, 64 << 20] {
            let sum: usize = (0..16).map(|i| split(total, 16, i)).sum();
            assert_eq!(sum, total);
        }
        let core = Core::new(Sampling::new().max_pending_traces(5).resolve());
        assert_eq!(core.shard_count(), 4);
        let core = Core::new(Sampling::new().resolve());
        assert_eq!(core.shard_count(), 16);
        let mut seen = [0usize; 16];
        for i in 0..16_000u128 {
            seen[core.shard_index(TraceId::from(i << 64 | i))] += 1;
        }
        assert!(seen.iter().all(|n| (700..1300).contains(n)), "{seen:?}");
    }

    #[test]
    fn decision_cache_forgets_the_oldest() {
        let mut cache = DecisionCache {
            map: HashMap::with_hasher(IdHashBuilder::new()),
            order: VecDeque::new(),
            cap: 2,
        };
        let d = Decision::new(Reason::Drop, Partial::Complete);
        for i in 1..=3u128 {
            cache.insert(TraceId::from(i), d);
        }
        cache.insert(TraceId::from(3), d);
        assert!(!cache.map.contains_key(&TraceId::from(1)));
        assert_eq!((cache.map.len(), cache.order.len()), (2, 2));
    }

    #[test]
    fn version_table_treats_hash_collisions_as_seen() {
        let cfg = Sampling::new().new_prompt_traces(2).resolve();
        let mut table = VersionTable {
            map: HashMap::new(),
            order: VecDeque::new(),
            cap: 4,
        };
        let now = Instant::now();
        assert!(table.claim(7, "p", "1", now, &cfg));
        assert!(
            !table.claim(7, "p", "2", now, &cfg),
            "same hash, other pair"
        );
        assert!(table.claim(7, "p", "1", now, &cfg));
        assert!(!table.claim(7, "p", "1", now, &cfg), "budget of 2 used");
        let late = now + Duration::from_secs(11 * 60);
        assert!(table.claim(8, "q", "1", now, &cfg));
        assert!(!table.claim(8, "q", "1", late, &cfg), "window passed");
    }
}
