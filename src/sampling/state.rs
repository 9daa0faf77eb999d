//! Sharded per-trace state and the decision logic.
//!
//! Everything here runs under one shard's mutex and never calls the inner processor: spans
//! to forward (or to drop) are moved into an [`Outbox`] that the caller empties after the
//! lock is released.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use opentelemetry::trace::{SpanId, Status, TraceId};
use opentelemetry::{KeyValue, Value};
use opentelemetry_sdk::trace::SpanData;

use super::decision::{
    attribute_bytes, span_bytes_without_attributes, strip_content, trace_position, Decision,
    Partial, Reason,
};
use super::handle::{Cause, Counters, Overrides, SpanKeys, Warnings};
use super::Resolved;
use crate::semconv;

/// Upper bound on the number of shards.
const MAX_SHARDS: usize = 16;
/// Distinct prompt pairs remembered per trace for the new-version rule; further pairs in
/// the same trace are not claimed.
const MAX_CLAIMS_PER_TRACE: usize = 8;
/// Slots of each shard's direct-mapped memory of spent prompt pairs ([`SpentPairs`]).
const SPENT_SLOTS: usize = 32;
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
    pub(crate) fn apply(self, span: &mut SpanData) {
        if self.strip {
            strip_content(span);
        }
        if let Some(label) = self.label {
            if is_local_root(span) {
                span.attributes
                    .push(KeyValue::new(semconv::SAMPLING_DECISION, label));
            }
        }
    }
}

/// Buffered spans decided together: forwarded with the treatment, or dropped (`None`)
/// outside the lock.
#[derive(Debug)]
pub(crate) struct Batch {
    pub(crate) spans: Vec<SpanData>,
    pub(crate) treatment: Option<Treatment>,
}

/// Work produced under a shard lock, performed by the caller after releasing it: the
/// batches in the order they were decided, then the span being handled if it was not
/// buffered. Batches are small (a vector and a treatment) and the first one is stored
/// inline, so the common cases move no span and allocate nothing.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    first: Option<Batch>,
    rest: Vec<Batch>,
    /// The span being handled: forwarded with the treatment, or dropped (`None`).
    current: Option<(SpanData, Option<Treatment>)>,
}

impl Outbox {
    fn push_batch(&mut self, spans: Vec<SpanData>, treatment: Option<Treatment>) {
        if spans.is_empty() {
            return;
        }
        let batch = Batch { spans, treatment };
        if self.first.is_none() {
            self.first = Some(batch);
        } else {
            self.rest.push(batch);
        }
    }

    fn set_current(&mut self, span: SpanData, treatment: Option<Treatment>) {
        self.current = Some((span, treatment));
    }

    /// Calls `f` on each batch, in order, emptying the outbox's batches.
    pub(crate) fn drain_batches(&mut self, mut f: impl FnMut(Batch)) {
        if let Some(first) = self.first.take() {
            f(first);
            for batch in self.rest.drain(..) {
                f(batch);
            }
        }
    }

    /// The span being handled, after the batches.
    pub(crate) fn take_current(&mut self) -> Option<(SpanData, Option<Treatment>)> {
        self.current.take()
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
        // Little-endian 8-byte words, the last one zero-padded.
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.mix(le_u64(chunk));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let word = rest
                .iter()
                .rev()
                .fold(0_u64, |word, byte| (word << 8) | u64::from(*byte));
            self.mix(word);
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

/// What one ended span tells about its trace; computed in one pass over its attributes
/// (under the shard lock unless a canary predicate is set).
#[derive(Clone, Copy, Debug)]
struct SpanObs {
    is_root: bool,
    error: bool,
    canary: bool,
    prompt: Option<PromptObs>,
    override_bounds: Option<(u64, u64)>,
    bytes: usize,
}

/// The span's (prompt name, prompt version) pair: its seeded hash and attribute indices.
#[derive(Clone, Copy, Debug)]
struct PromptObs {
    hash: u64,
    name: Option<usize>,
    version: usize,
}

/// What a trace's spans showed so far. Laid out (with [`PendingTrace`]) so that what every
/// span reads and writes shares as few cache lines as possible with the map key.
#[derive(Debug, Default)]
#[repr(C)]
struct Facts {
    /// Hash of the first prompt pair the trace claimed (meaningful when `claimed > 0`).
    first_claim: u64,
    /// How many prompt pairs the trace claimed (or tried to), at most
    /// `MAX_CLAIMS_PER_TRACE`.
    claimed: u8,
    error: bool,
    canary: bool,
    new_version: bool,
    /// Whether `override_full`/`override_meta` hold the bounds of a matched override.
    has_override: bool,
    /// Set once the trace is known to be kept: the reason it started streaming.
    streaming: Option<Reason>,
    /// (full, metadata) bounds of the highest-rate override matched so far.
    override_full: u64,
    override_meta: u64,
    /// Hashes of the further claimed pairs (a trace carrying several prompt pairs; rare).
    more_claims: Option<Box<[u64; MAX_CLAIMS_PER_TRACE - 1]>>,
}

impl Facts {
    fn absorb(&mut self, obs: &SpanObs) {
        self.error |= obs.error;
        self.canary |= obs.canary;
        if let Some(bounds) = obs.override_bounds {
            let best = self.override_bounds().map_or(bounds, |b| b.max(bounds));
            (self.override_full, self.override_meta) = best;
            self.has_override = true;
        }
    }

    /// The (full, metadata) bounds of the highest-rate override matched so far.
    fn override_bounds(&self) -> Option<(u64, u64)> {
        self.has_override
            .then_some((self.override_full, self.override_meta))
    }

    /// Records `hash` as claimed; false if it already was or the trace claimed the maximum.
    fn first_claim(&mut self, hash: u64) -> bool {
        let n = usize::from(self.claimed);
        if n == 0 {
            self.first_claim = hash;
            self.claimed = 1;
            return true;
        }
        if self.first_claim == hash {
            return false;
        }
        let more = self.more_claims.get_or_insert_with(Default::default);
        if more.get(..n - 1).unwrap_or_default().contains(&hash) {
            return false;
        }
        match more.get_mut(n - 1) {
            Some(slot) => {
                *slot = hash;
                self.claimed += 1;
                true
            }
            None => false,
        }
    }
}

/// A trace whose local root has not ended. Kept small (112 bytes, a 128-byte map entry
/// with its key) and ordered so that what every span touches comes first: the map lookup
/// for each span is usually a cache miss, and so is every further line it touches. Its
/// position on the sampling line comes from the trace id.
#[derive(Debug)]
#[repr(C)]
struct PendingTrace {
    spans: Vec<SpanData>,
    bytes: usize,
    /// When its last span ended here, in [`Core::tick`]s.
    last_seen: u64,
    min_start: SystemTime,
    facts: Facts,
    /// When its first span ended here, in [`Core::tick`]s.
    first_seen: u64,
    /// Slot in the shard's creation [`Order`].
    slot: u64,
}

/// Creation order of a shard's pending traces, for "evict the oldest": a ring of slots.
///
/// A trace keeps its slot number while pending; when it leaves, its slot is cleared
/// (one write, instead of a search-tree removal) and cleared slots at the front are popped.
/// If cleared slots pile up behind a long-lived trace, the ring is compacted and the live
/// traces get new slot numbers, so the ring stays within `2 * live + 64` slots.
#[derive(Debug, Default)]
struct Order {
    /// Slot number of `slots[0]`.
    base: u64,
    slots: VecDeque<Option<TraceId>>,
    live: usize,
}

impl Order {
    /// Appends a trace; returns its slot number.
    fn push(&mut self, trace_id: TraceId) -> u64 {
        let slot = self.base + self.slots.len() as u64;
        self.slots.push_back(Some(trace_id));
        self.live += 1;
        slot
    }

    /// Clears a slot (a trace left) and pops cleared slots off the front.
    fn clear(&mut self, slot: u64) {
        let entry = slot
            .checked_sub(self.base)
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| self.slots.get_mut(i));
        if let Some(entry) = entry {
            if entry.take().is_some() {
                self.live -= 1;
            }
        }
        while let Some(None) = self.slots.front() {
            self.slots.pop_front();
            self.base += 1;
        }
    }

    /// The oldest pending trace (the front slot is never cleared).
    fn oldest(&self) -> Option<TraceId> {
        self.slots.front().copied().flatten()
    }

    /// Pending traces, oldest first.
    fn iter(&self) -> impl Iterator<Item = TraceId> + '_ {
        self.slots.iter().flatten().copied()
    }

    fn needs_compaction(&self) -> bool {
        self.slots.len() > 2 * self.live + 64
    }

    /// Drops the cleared slots and numbers the live ones anew (after every old number, so
    /// a stale number never names a live slot); returns the traces with their new slots.
    fn compact(&mut self) -> impl Iterator<Item = (u64, TraceId)> + '_ {
        self.base += self.slots.len() as u64;
        self.slots.retain(Option::is_some);
        let base = self.base;
        self.slots
            .iter()
            .flatten()
            .enumerate()
            .map(move |(i, id)| (base + i as u64, *id))
    }
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

/// Prompt pairs that can no longer count as new (budget used, window passed, or a hash
/// collision with another pair), so spans carrying them skip the process-wide
/// [`VersionTable`] and its lock. Direct-mapped by hash, bounded, exact: an entry is valid
/// only for the table generation it was read in, and the table moves to a new generation
/// whenever it forgets a pair (the only way a spent pair can count as new again).
#[derive(Debug, Default)]
struct SpentPairs {
    generation: u64,
    valid: u32,
    hashes: [u64; SPENT_SLOTS],
}

impl SpentPairs {
    fn slot(hash: u64) -> usize {
        (hash % SPENT_SLOTS as u64) as usize
    }

    fn contains(&self, hash: u64, generation: u64) -> bool {
        let slot = Self::slot(hash);
        self.generation == generation
            && self.valid & (1 << slot) != 0
            && self.hashes.get(slot) == Some(&hash)
    }

    fn insert(&mut self, hash: u64, generation: u64) {
        if self.generation != generation {
            self.generation = generation;
            self.valid = 0;
        }
        let slot = Self::slot(hash);
        if let Some(entry) = self.hashes.get_mut(slot) {
            *entry = hash;
            self.valid |= 1 << slot;
        }
    }
}

#[derive(Debug)]
struct ShardState {
    traces: IdMap<PendingTrace>,
    /// Creation order, for "evict the oldest".
    order: Order,
    spans: usize,
    bytes: usize,
    cache: DecisionCache,
    spent: SpentPairs,
    max_traces: usize,
    max_bytes: usize,
}

impl ShardState {
    /// Adds a new pending trace (not yet in the map) at the end of the creation order.
    fn insert(&mut self, trace_id: TraceId, mut trace: PendingTrace) {
        trace.slot = self.order.push(trace_id);
        self.spans += trace.spans.len();
        self.bytes += trace.bytes;
        self.traces.insert(trace_id, trace);
        if self.order.needs_compaction() {
            for (slot, id) in self.order.compact() {
                if let Some(t) = self.traces.get_mut(&id) {
                    t.slot = slot;
                }
            }
        }
    }

    fn remove(&mut self, trace_id: TraceId) -> Option<PendingTrace> {
        let trace = self.traces.remove(&trace_id)?;
        self.order.clear(trace.slot);
        self.spans -= trace.spans.len();
        self.bytes -= trace.bytes;
        Some(trace)
    }

    fn oldest(&self) -> Option<TraceId> {
        self.order.oldest()
    }

    /// The oldest trace that holds buffered spans.
    fn oldest_buffering(&self) -> Option<TraceId> {
        self.order.iter().find(|id| {
            self.traces
                .get(id)
                .is_some_and(|t| t.facts.streaming.is_none() && !t.spans.is_empty())
        })
    }
}

/// One shard; aligned so that shards used from different cores share no cache line.
#[derive(Debug)]
#[repr(align(128))]
struct Shard {
    state: Mutex<ShardState>,
    // Mirrors of the state's gauges, written under the lock, read without it.
    spans: AtomicUsize,
    bytes: AtomicUsize,
    traces: AtomicUsize,
    /// This shard's counters (written under the lock only).
    counters: Counters,
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
    pub(crate) warnings: Warnings,
    pub(crate) overrides: Overrides,
    shards: Box<[Shard]>,
    shard_shift: u32,
    /// Chooses the shard; seeded independently of the maps' hasher so keys of one shard
    /// still differ in the bits the maps use.
    shard_hash: IdHashBuilder,
    /// Hashes prompt (name, version) pairs.
    prompt_hash: IdHashBuilder,
    versions: Mutex<VersionTable>,
    /// How many times the version table forgot pairs (see [`SpentPairs`]); written under
    /// the table's lock, read without it.
    versions_generation: AtomicU64,
    /// Bit `n` set: some canary equality has a key of length `n` (bit 63: length 63 or
    /// more). Attributes whose key length has no bit skip the equality check.
    canary_key_lengths: u64,
    shut_down: AtomicBool,
    epoch: Instant,
    /// [`Core::tick`] of the last sweep over all shards.
    last_sweep: AtomicU64,
    /// The configured durations in ticks.
    sweep_interval: u64,
    max_trace_age: u64,
    idle_timeout: u64,
}

/// A duration in nanoseconds, saturating.
fn nanos(d: Duration) -> u64 {
    d.as_secs()
        .saturating_mul(1_000_000_000)
        .saturating_add(u64::from(d.subsec_nanos()))
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
                    order: Order::default(),
                    spans: 0,
                    bytes: 0,
                    cache: DecisionCache {
                        map: HashMap::with_hasher(hash),
                        order: VecDeque::new(),
                        cap: split(cfg.decision_cache_size, shard_count, i).max(1),
                    },
                    spent: SpentPairs::default(),
                    max_traces: split(cfg.max_pending_traces, shard_count, i),
                    max_bytes: split(cfg.max_buffered_bytes, shard_count, i),
                }),
                spans: AtomicUsize::new(0),
                bytes: AtomicUsize::new(0),
                traces: AtomicUsize::new(0),
                counters: Counters::default(),
            })
            .collect();
        Core {
            warnings: Warnings::default(),
            overrides: Overrides::new(cfg.metadata_rate),
            shards,
            shard_shift: 64 - shard_count.trailing_zeros(),
            shard_hash: IdHashBuilder::new(),
            prompt_hash: IdHashBuilder::new(),
            versions: Mutex::new(VersionTable {
                map: HashMap::new(),
                order: VecDeque::new(),
                cap: cfg.max_prompt_versions,
            }),
            versions_generation: AtomicU64::new(0),
            canary_key_lengths: cfg
                .canary
                .equality_key_lengths()
                .fold(0, |mask, len| mask | length_bit(len)),
            shut_down: AtomicBool::new(false),
            epoch: now,
            last_sweep: AtomicU64::new(0),
            sweep_interval: nanos(cfg.sweep_interval),
            max_trace_age: nanos(cfg.max_trace_age),
            idle_timeout: nanos(cfg.idle_timeout),
            cfg,
        }
    }

    /// `now` in ticks: nanoseconds since the core was created.
    pub(crate) fn tick(&self, now: Instant) -> u64 {
        nanos(now.saturating_duration_since(self.epoch))
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

    /// Every shard's counters (sum them for totals).
    pub(crate) fn shard_counters(&self) -> impl Iterator<Item = &Counters> {
        self.shards.iter().map(|shard| &shard.counters)
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

    /// One pass over the span's attributes: error, canary, prompt pair, override keys and
    /// the byte estimate.
    fn observe(&self, span: &SpanData, now: Instant) -> SpanObs {
        let canary_rule = &self.cfg.canary;
        let mut error = matches!(span.status, Status::Error { .. });
        let mut canary = false;
        let mut keys = SpanKeys::default();
        let mut name_idx = None;
        let mut version_idx = None;
        let mut bytes = span_bytes_without_attributes(span);
        for (i, kv) in span.attributes.iter().enumerate() {
            let key = kv.key.as_str();
            bytes += attribute_bytes(key, &kv.value);
            match key {
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
            if !canary
                && self.canary_key_lengths & length_bit(key.len()) != 0
                && canary_rule.matches_key_value(key, &kv.value)
            {
                canary = true;
            }
        }
        if !canary {
            canary = canary_rule.matches_predicate(&span.attributes);
        }
        let prompt = match (version_idx, keys.prompt_version) {
            (Some(version), Some(version_value)) if self.cfg.new_prompt_traces > 0 => {
                let mut hasher = self.prompt_hash.build_hasher();
                hash_str_value(&mut hasher, keys.prompt_name);
                hash_str_value(&mut hasher, Some(version_value));
                Some(PromptObs {
                    hash: hasher.finish(),
                    name: name_idx,
                    version,
                })
            }
            _ => None,
        };
        SpanObs {
            is_root: is_local_root(span),
            error,
            canary,
            prompt,
            override_bounds: self.overrides.best_match(&keys, now),
            bytes,
        }
    }

    /// Claims a new-version slot for each prompt pair the first time it shows up in a trace.
    /// Pairs this shard already knows to be spent skip the process-wide table.
    fn claim(
        &self,
        spent: &mut SpentPairs,
        facts: &mut Facts,
        span: &SpanData,
        obs: &SpanObs,
        now: Instant,
    ) {
        let Some(prompt) = obs.prompt else {
            return;
        };
        if !facts.first_claim(prompt.hash)
            || spent.contains(
                prompt.hash,
                self.versions_generation.load(Ordering::Acquire),
            )
        {
            return;
        }
        let value = |idx: Option<usize>| {
            idx.and_then(|i| span.attributes.get(i))
                .map(|kv| kv.value.as_str())
                .unwrap_or_default()
        };
        let name = value(prompt.name);
        let version = value(Some(prompt.version));
        let mut table = lock(&self.versions);
        let (len, known) = (table.map.len(), table.map.contains_key(&prompt.hash));
        let fresh = table.claim(prompt.hash, &name, &version, now, &self.cfg);
        // Inserting a pair without growing the table means it forgot at least one pair.
        let mut generation = self.versions_generation.load(Ordering::Relaxed);
        if !known && table.map.len() <= len {
            generation += 1;
            self.versions_generation
                .store(generation, Ordering::Release);
        }
        drop(table);
        if fresh {
            facts.new_version = true;
        } else {
            // Not new now means never new again, until the table forgets the pair.
            spent.insert(prompt.hash, generation);
        }
    }

    /// Whether `end - start` exceeds the slow threshold (compared as `end > start + t`,
    /// which is cheaper than computing the difference).
    fn slow_since(&self, start: SystemTime, end: SystemTime) -> bool {
        self.cfg
            .slow_threshold
            .is_some_and(|t| start.checked_add(t).is_some_and(|deadline| end > deadline))
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
        } else if let Some((full, meta)) = facts.override_bounds() {
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
    fn early_reason(
        &self,
        trace: &PendingTrace,
        position: u64,
        now_end: SystemTime,
    ) -> Option<Reason> {
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
        } else if let Some((full, _)) = f.override_bounds() {
            (position < full).then_some(Reason::Override)
        } else if position < self.cfg.base_bound && position < self.overrides.min_full() {
            Some(Reason::BaseRate)
        } else {
            None
        }
    }

    /// Counts the decision, caches it and queues the trace's spans (`last` is the span being
    /// handled, kept out of the buffer so the buffer does not grow for it).
    #[allow(clippy::too_many_arguments)]
    fn finish(
        &self,
        shard: &Shard,
        st: &mut ShardState,
        trace_id: TraceId,
        spans: Vec<SpanData>,
        last: Option<SpanData>,
        decision: Decision,
        out: &mut Outbox,
    ) {
        let counters = &shard.counters;
        counters.decided(decision.reason);
        st.cache.insert(trace_id, decision);
        let kept = decision.reason.is_kept();
        counters.spans(kept, spans.len() + usize::from(last.is_some()));
        let treatment = kept.then(|| Treatment::of(decision));
        out.push_batch(spans, treatment);
        if let Some(span) = last {
            out.set_current(span, treatment);
        }
    }

    /// Decides a pending trace now, on what it has (plus `extra`, the span being handled).
    fn evict(
        &self,
        shard: &Shard,
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
        let position = trace_position(trace_id);
        let decision = self.decide(&trace.facts, position, slow, trace.facts.streaming, partial);
        shard.counters.evicted(cause);
        self.warnings.evicted(cause);
        self.finish(shard, st, trace_id, trace.spans, extra, decision, out);
    }

    /// Buffers a span of an undecided trace, enforcing the span and byte caps (the path
    /// taken when a cap may be hit; [`Core::handle`] buffers directly when both leave room).
    fn buffer(
        &self,
        shard: &Shard,
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
            self.evict(shard, st, trace_id, Some(span), Cause::SpansPerTrace, out);
            return;
        }
        // Evict the oldest buffering traces until the span fits; if this trace is the oldest
        // (or the span alone exceeds the shard's budget), decide this trace now instead.
        while st.bytes + bytes > st.max_bytes {
            match st.oldest_buffering() {
                Some(victim) if victim != trace_id && bytes <= st.max_bytes => {
                    self.evict(shard, st, victim, None, Cause::BufferedBytes, out)
                }
                _ => {
                    self.evict(shard, st, trace_id, Some(span), Cause::BufferedBytes, out);
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

    /// Whether a sweep over all shards is due at `tick`; true for exactly one caller per
    /// interval.
    pub(crate) fn claim_sweep(&self, tick: u64) -> bool {
        let last = self.last_sweep.load(Ordering::Relaxed);
        tick.saturating_sub(last) >= self.sweep_interval
            && self
                .last_sweep
                .compare_exchange(last, tick, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
    }

    /// Handles one ended span at `now` (`tick` is `now` in [`Core::tick`]s); the caller
    /// forwards what lands in `out`.
    pub(crate) fn on_end(&self, span: SpanData, now: Instant, tick: u64, out: &mut Outbox) {
        let trace_id = span.span_context.trace_id();
        // The attribute pass usually runs under the lock, right after the map lookup starts,
        // so that both cache misses (the span's attributes, the trace's entry) overlap. A
        // canary predicate is user code: then the pass runs before the lock is taken.
        let early = self
            .cfg
            .canary
            .has_predicate()
            .then(|| self.observe(&span, now));
        let Some(shard) = self.shards.get(self.shard_index(trace_id)) else {
            out.set_current(span, Some(Treatment::PASS));
            return;
        };
        let mut st = lock(&shard.state);
        if self.is_shut_down() {
            drop(st);
            out.set_current(span, Some(Treatment::PASS));
            return;
        }
        let at = Now { instant: now, tick };
        self.handle(shard, &mut st, trace_id, span, early, at, out);
        shard.publish(&st);
    }

    #[allow(clippy::too_many_arguments)]
    fn handle(
        &self,
        shard: &Shard,
        st: &mut ShardState,
        trace_id: TraceId,
        span: SpanData,
        early: Option<SpanObs>,
        now: Now,
        out: &mut Outbox,
    ) {
        let counters = &shard.counters;
        let position = trace_position(trace_id);
        let observe = |span: &SpanData| early.unwrap_or_else(|| self.observe(span, now.instant));
        if let Some(trace) = st.traces.get_mut(&trace_id) {
            let obs = &observe(&span);
            trace.last_seen = now.tick;
            if span.start_time < trace.min_start {
                trace.min_start = span.start_time;
            }
            trace.facts.absorb(obs);
            self.claim(&mut st.spent, &mut trace.facts, &span, obs, now.instant);
            if obs.is_root {
                let slow = self.slow_since(span.start_time, span.end_time);
                if let Some(trace) = st.remove(trace_id) {
                    let decision = self.decide(
                        &trace.facts,
                        position,
                        slow,
                        trace.facts.streaming,
                        Partial::Complete,
                    );
                    self.finish(shard, st, trace_id, trace.spans, Some(span), decision, out);
                }
            } else if trace.facts.streaming.is_some() {
                counters.spans(true, 1);
                out.set_current(span, Some(Treatment::PASS));
            } else if let Some(reason) = self.early_reason(trace, position, span.end_time) {
                trace.facts.streaming = Some(reason);
                let buffered = std::mem::take(&mut trace.spans);
                let bytes = std::mem::take(&mut trace.bytes);
                st.spans -= buffered.len();
                st.bytes -= bytes;
                counters.spans(true, buffered.len() + 1);
                out.push_batch(buffered, Some(Treatment::PASS));
                out.set_current(span, Some(Treatment::PASS));
            } else if trace.spans.len() < self.cfg.max_spans_per_trace
                && st.bytes + obs.bytes <= st.max_bytes
            {
                // Both caps leave room: buffer without another lookup.
                trace.spans.push(span);
                trace.bytes += obs.bytes;
                st.spans += 1;
                st.bytes += obs.bytes;
            } else {
                self.buffer(shard, st, trace_id, span, obs.bytes, out);
            }
            return;
        }

        if let Some(decision) = st.cache.map.get(&trace_id).copied() {
            let kept = decision.reason.is_kept();
            counters.late(kept);
            counters.spans(kept, 1);
            out.set_current(span, kept.then(|| Treatment::of(decision)));
            return;
        }

        // A trace seen for the first time.
        let obs = &observe(&span);
        let mut facts = Facts::default();
        facts.absorb(obs);
        self.claim(&mut st.spent, &mut facts, &span, obs, now.instant);
        if obs.is_root {
            let slow = self.slow_since(span.start_time, span.end_time);
            let decision = self.decide(&facts, position, slow, None, Partial::Complete);
            self.finish(shard, st, trace_id, Vec::new(), Some(span), decision, out);
            return;
        }
        while st.traces.len() >= st.max_traces {
            match st.oldest() {
                Some(victim) => self.evict(shard, st, victim, None, Cause::PendingTraces, out),
                None => break,
            }
        }
        let mut trace = PendingTrace {
            slot: 0,
            first_seen: now.tick,
            last_seen: now.tick,
            min_start: span.start_time,
            spans: Vec::new(),
            bytes: 0,
            facts,
        };
        trace.facts.streaming = self.early_reason(&trace, position, span.end_time);
        if trace.facts.streaming.is_some() {
            st.insert(trace_id, trace);
            counters.spans(true, 1);
            out.set_current(span, Some(Treatment::PASS));
        } else if st.bytes + obs.bytes <= st.max_bytes {
            // The span fits (and `max_spans_per_trace` is at least one): buffer it directly.
            trace.spans.push(span);
            trace.bytes = obs.bytes;
            st.insert(trace_id, trace);
        } else {
            st.insert(trace_id, trace);
            self.buffer(shard, st, trace_id, span, obs.bytes, out);
        }
    }

    /// Decides the traces of a shard that are past the age or idle limit at `tick`.
    fn sweep(&self, shard: &Shard, st: &mut ShardState, tick: u64, out: &mut Outbox) {
        let victims: Vec<(TraceId, Cause)> = st
            .traces
            .iter()
            .filter_map(|(id, t)| {
                if tick.saturating_sub(t.first_seen) >= self.max_trace_age {
                    Some((*id, Cause::MaxAge))
                } else if tick.saturating_sub(t.last_seen) >= self.idle_timeout {
                    Some((*id, Cause::Idle))
                } else {
                    None
                }
            })
            .collect();
        for (id, cause) in victims {
            self.evict(shard, st, id, None, cause, out);
        }
    }

    /// Background sweep of one shard at `tick` (a no-op after shutdown).
    pub(crate) fn sweep_shard(&self, index: usize, tick: u64) -> Outbox {
        let mut out = Outbox::default();
        if let Some(shard) = self.shards.get(index) {
            let mut st = lock(&shard.state);
            if !self.is_shut_down() {
                self.sweep(shard, &mut st, tick, &mut out);
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
            let ids: Vec<TraceId> = st.order.iter().collect();
            for id in ids {
                self.evict(shard, &mut st, id, None, Cause::Shutdown, &mut out);
            }
            shard.publish(&st);
        }
        out
    }
}

/// The bit for a key length in [`Core::canary_key_lengths`].
fn length_bit(len: usize) -> u64 {
    1 << len.min(63)
}

/// The time a span is handled, as an instant and in [`Core::tick`]s.
#[derive(Clone, Copy, Debug)]
struct Now {
    instant: Instant,
    tick: u64,
}

/// Feeds a prompt attribute's string form to the hasher, length first (no allocation for
/// string values; a missing attribute hashes like an empty string).
fn hash_str_value(hasher: &mut IdHasher, value: Option<&Value>) {
    match value {
        Some(Value::String(s)) => hash_str(hasher, s.as_str()),
        Some(other) => hash_str(hasher, &other.as_str()),
        None => hash_str(hasher, ""),
    }
}

fn hash_str(hasher: &mut IdHasher, s: &str) {
    let bytes = s.as_bytes();
    hasher.write_u64(bytes.len() as u64);
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        hasher.mix(le_u64(word));
    }
    // The length is already mixed in, so the tail can be read with overlapping loads: its
    // first and last four bytes (4 to 7 bytes), or its first, middle and last byte (1 to 3).
    let tail = words.remainder();
    let n = tail.len();
    let word = if n >= 4 {
        let lo = tail.get(..4).map_or(0, le_u32);
        let hi = tail.get(n - 4..).map_or(0, le_u32);
        u64::from(lo) | (u64::from(hi) << 32)
    } else if n > 0 {
        let at = |i: usize| tail.get(i).map_or(0, |b| u64::from(*b));
        at(0) | (at(n / 2) << 8) | (at(n - 1) << 16)
    } else {
        return;
    };
    hasher.mix(word);
}

/// The first eight bytes as a little-endian word (zero if there are fewer).
fn le_u64(bytes: &[u8]) -> u64 {
    bytes
        .first_chunk::<8>()
        .map_or(0, |w| u64::from_le_bytes(*w))
}

/// The first four bytes as a little-endian word (zero if there are fewer).
fn le_u32(bytes: &[u8]) -> u32 {
    bytes
        .first_chunk::<4>()
        .map_or(0, |w| u32::from_le_bytes(*w))
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

    fn test_core(sampling: Sampling) -> Core {
        Core::new(sampling.background_sweeper(false).resolve())
    }

    fn end(core: &Core, span: SpanData) -> Outbox {
        let mut out = Outbox::default();
        let now = Instant::now();
        core.on_end(span, now, core.tick(now), &mut out);
        out
    }

    #[test]
    fn pending_traces_stay_small() {
        assert!(std::mem::size_of::<PendingTrace>() <= 112);
        assert!(std::mem::size_of::<(TraceId, PendingTrace)>() <= 128);
    }

    #[test]
    fn the_single_pass_byte_estimate_matches_estimate_span_bytes() {
        use opentelemetry::trace::{Event, Link, SpanContext};
        use opentelemetry::{Array, StringValue};
        let core = test_core(Sampling::new());
        let mut span = crate::sampling::test_support::span(1, 2, 1);
        span.status = Status::error("boom");
        span.attributes.extend([
            KeyValue::new(semconv::GEN_AI_PROMPT_NAME, "support"),
            KeyValue::new(semconv::GEN_AI_PROMPT_VERSION, 7_i64),
            KeyValue::new("flags", Value::Array(Array::Bool(vec![true, false]))),
            KeyValue::new(
                "tags",
                Value::Array(Array::String(vec![StringValue::from("a"), "bcd".into()])),
            ),
            KeyValue::new("ratio", 0.5),
        ]);
        span.events.events.push(Event::new(
            "exception",
            SystemTime::now(),
            vec![KeyValue::new("exception.message", "oops")],
            0,
        ));
        span.links.links.push(Link::new(
            SpanContext::empty_context(),
            vec![KeyValue::new("link.kind", "follows")],
            0,
        ));
        let obs = core.observe(&span, Instant::now());
        assert_eq!(
            obs.bytes,
            crate::sampling::decision::estimate_span_bytes(&span)
        );
        assert!(obs.error && obs.prompt.is_some() && !obs.is_root);
    }

    #[test]
    fn prompt_hashes_separate_pairs_and_match_string_forms() {
        let core = test_core(Sampling::new());
        let hash = |name: Value, version: Value| {
            let mut hasher = core.prompt_hash.build_hasher();
            hash_str_value(&mut hasher, Some(&name));
            hash_str_value(&mut hasher, Some(&version));
            hasher.finish()
        };
        assert_eq!(hash("p".into(), "7".into()), hash("p".into(), 7_i64.into()));
        assert_ne!(hash("ab".into(), "c".into()), hash("a".into(), "bc".into()));
        let mut seen = std::collections::HashMap::new();
        let mut state = 7_u64;
        for _ in 0..5_000 {
            let len = (crate::sampling::test_support::splitmix64(&mut state) % 20) as usize;
            let name: String = (0..len)
                .map(|_| {
                    let r = crate::sampling::test_support::splitmix64(&mut state);
                    char::from(b'a' + (r % 4) as u8)
                })
                .collect();
            let h = hash(name.clone().into(), "v".into());
            if let Some(other) = seen.insert(h, name.clone()) {
                assert_eq!(other, name, "hash collision");
            }
        }
    }

    #[test]
    fn a_trace_claims_at_most_the_maximum_number_of_pairs_once_each() {
        let mut facts = Facts::default();
        for hash in 0..MAX_CLAIMS_PER_TRACE as u64 {
            assert!(facts.first_claim(hash * 11));
            assert!(!facts.first_claim(hash * 11), "claimed once");
        }
        assert!(!facts.first_claim(999), "at most {MAX_CLAIMS_PER_TRACE}");
        assert_eq!(usize::from(facts.claimed), MAX_CLAIMS_PER_TRACE);
    }

    #[test]
    fn a_forgotten_prompt_pair_is_new_again_even_where_it_was_known_spent() {
        let core = test_core(
            Sampling::new()
                .base_rate(0.0)
                .metadata_only_rate(0.0)
                .new_prompt_traces(1)
                .max_prompt_versions(1),
        );
        let root = |trace: u128, name: &str| {
            let mut span = crate::sampling::test_support::span(trace, 1, 0);
            span.attributes.extend([
                KeyValue::new(semconv::GEN_AI_PROMPT_NAME, name.to_owned()),
                KeyValue::new(semconv::GEN_AI_PROMPT_VERSION, "1"),
            ]);
            drop(end(&core, span));
            SamplingCountersView::of(&core)
        };
        assert_eq!(root(1, "a"), 1, "first trace of pair a");
        assert_eq!(
            root(2, "a"),
            1,
            "budget used: spent, remembered by trace 2's shard"
        );
        // Another trace of pair a in the same shard uses that shard's memory.
        let same_shard = (3..10_000u128)
            .find(|t| core.shard_index(TraceId::from(*t)) == core.shard_index(TraceId::from(2)))
            .expect("a trace id in the same shard");
        assert_eq!(root(same_shard, "a"), 1);
        // Pair b fills the one-entry table, so pair a is forgotten...
        assert_eq!(root(same_shard + 100_000, "b"), 2);
        // ...and counts as new again, also in the shard that remembered it as spent.
        let again = (same_shard + 1..1_000_000u128)
            .find(|t| core.shard_index(TraceId::from(*t)) == core.shard_index(TraceId::from(2)))
            .expect("a trace id in the same shard");
        assert_eq!(root(again, "a"), 3);
    }

    /// The new-version count, read the way the handle reads it.
    struct SamplingCountersView;

    impl SamplingCountersView {
        fn of(core: &Core) -> u64 {
            crate::sampling::SamplingCounters::snapshot(core).kept_new_prompt_version
        }
    }

    #[test]
    fn order_ring_tracks_the_oldest_trace() {
        let mut order = Order::default();
        let ids: Vec<TraceId> = (1..=5u128).map(TraceId::from).collect();
        let slots: Vec<u64> = ids.iter().map(|id| order.push(*id)).collect();
        assert_eq!(order.oldest(), Some(ids[0]));
        order.clear(slots[1]);
        assert_eq!(
            order.iter().collect::<Vec<_>>(),
            [ids[0], ids[2], ids[3], ids[4]]
        );
        order.clear(slots[0]);
        assert_eq!(order.oldest(), Some(ids[2]));
        assert_eq!(
            order.slots.len(),
            3,
            "cleared slots at the front are popped"
        );
        order.clear(slots[0]);
        order.clear(u64::MAX);
        assert_eq!(order.live, 3, "stale and unknown slots are ignored");
    }

    #[test]
    fn the_order_ring_is_compacted_behind_a_long_lived_trace() {
        let core = test_core(Sampling::new().base_rate(0.0).metadata_only_rate(0.0));
        let long_lived = 1_u128;
        drop(end(
            &core,
            crate::sampling::test_support::span(long_lived, 2, 1),
        ));
        for trace in 2..3_000u128 {
            drop(end(&core, crate::sampling::test_support::span(trace, 2, 1)));
            drop(end(&core, crate::sampling::test_support::span(trace, 1, 0)));
        }
        for shard in core.shards.iter() {
            let st = lock(&shard.state);
            assert!(st.order.slots.len() <= 2 * st.order.live + 65);
            assert_eq!(st.order.live, st.traces.len());
            for (id, trace) in &st.traces {
                let index = usize::try_from(trace.slot - st.order.base).expect("index");
                assert_eq!(st.order.slots.get(index), Some(&Some(*id)), "renumbered");
            }
        }
        assert_eq!(core.gauges().2, 1);
        drop(end(
            &core,
            crate::sampling::test_support::span(long_lived, 1, 0),
        ));
        assert_eq!(core.gauges(), (0, 0, 0));
    }

    #[test]
    fn a_canary_predicate_runs_outside_the_shard_lock_and_marks_the_trace() {
        use std::sync::{Arc, OnceLock, Weak};
        // A weak reference, so the predicate (owned by the core) does not keep it alive.
        let slot: Arc<OnceLock<Weak<Core>>> = Arc::default();
        let seen = Arc::clone(&slot);
        let calls_unlocked = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&calls_unlocked);
        let canary = crate::sampling::Canary::predicate(move |attrs: &[KeyValue]| {
            if let Some(core) = seen.get().and_then(Weak::upgrade) {
                if core
                    .shards
                    .iter()
                    .all(|shard| shard.state.try_lock().is_ok())
                {
                    count.fetch_add(1, Ordering::SeqCst);
                }
            }
            attrs.iter().any(|kv| kv.key.as_str() == "beta")
        });
        let core = Arc::new(test_core(
            Sampling::new()
                .base_rate(0.0)
                .metadata_only_rate(0.0)
                .canary(canary),
        ));
        assert!(slot.set(Arc::downgrade(&core)).is_ok());
        let mut child = crate::sampling::test_support::span(1, 2, 1);
        child.attributes.push(KeyValue::new("beta", true));
        let mut out = end(&core, child);
        assert!(
            out.take_current().is_some_and(|(_, t)| t.is_some()),
            "streams"
        );
        drop(end(&core, crate::sampling::test_support::span(1, 1, 0)));
        drop(end(&core, crate::sampling::test_support::span(2, 1, 0)));
        assert_eq!(calls_unlocked.load(Ordering::SeqCst), 3);
        let counters = crate::sampling::SamplingCounters::snapshot(&core);
        assert_eq!((counters.kept_canary, counters.dropped), (1, 1));
    }

    #[test]
    fn canary_equalities_are_checked_for_every_key_length() {
        let long_key = "k".repeat(70);
        let core = test_core(
            Sampling::new().canary(
                crate::sampling::Canary::attribute_equals(long_key.clone(), "yes")
                    .or_attribute_equals("ring", "0"),
            ),
        );
        let observe = |attrs: Vec<KeyValue>| {
            let mut span = crate::sampling::test_support::span(1, 2, 1);
            span.attributes = attrs;
            core.observe(&span, Instant::now()).canary
        };
        assert!(observe(vec![KeyValue::new(long_key.clone(), "yes")]));
        assert!(!observe(vec![KeyValue::new(long_key, "no")]));
        assert!(!observe(vec![KeyValue::new("k".repeat(71), "yes")]));
        assert!(observe(vec![
            KeyValue::new("x", 1),
            KeyValue::new("ring", 0_i64)
        ]));
        assert!(!observe(vec![KeyValue::new("rung", "0")]));
        let never = test_core(Sampling::new().canary(crate::sampling::Canary::never()));
        assert_eq!(never.canary_key_lengths, 0);
    }
}
