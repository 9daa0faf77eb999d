//! The runtime handle: counters, overrides and metrics.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock, Weak};
use std::time::{Duration, Instant};

use opentelemetry::metrics::Meter;
use opentelemetry::{KeyValue, Value};

use super::decision::{clamp_rate, ratio_bound, Reason};
use super::state::Core;
use super::value_equals;
use crate::semconv;

/// Why a trace was decided before its local root ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cause {
    PendingTraces,
    BufferedBytes,
    SpansPerTrace,
    MaxAge,
    Idle,
    Shutdown,
}

impl Cause {
    pub(crate) const fn index(self) -> usize {
        self as usize
    }

    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Cause::PendingTraces => "pending_traces",
            Cause::BufferedBytes => "buffered_bytes",
            Cause::SpansPerTrace => "spans_per_trace",
            Cause::MaxAge => "max_age",
            Cause::Idle => "idle",
            Cause::Shutdown => "shutdown",
        }
    }

    fn warning(self) -> &'static str {
        match self {
            Cause::PendingTraces => "tail sampling: max_pending_traces reached; deciding the oldest traces early (counted in genai_otel.sampling.evictions)",
            Cause::BufferedBytes => "tail sampling: max_buffered_bytes reached; deciding the oldest traces early (counted in genai_otel.sampling.evictions)",
            Cause::SpansPerTrace => "tail sampling: a trace reached max_spans_per_trace; deciding it early (counted in genai_otel.sampling.evictions)",
            Cause::MaxAge => "tail sampling: a trace exceeded max_trace_age (a local root may never end); deciding it on buffered spans",
            Cause::Idle => "tail sampling: a trace was idle past idle_timeout (a local root may never end); deciding it on buffered spans",
            Cause::Shutdown => "tail sampling: deciding pending traces at shutdown",
        }
    }
}

/// One shard's monotonic counters, summed over shards by [`SamplingCounters::snapshot`].
///
/// Only written under the shard's lock, so an increment is a plain load and store rather
/// than a read-modify-write on a cache line shared by every thread; readers (the handle and
/// the metric callbacks) load them without the lock.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    decided: [AtomicU64; 8],
    evicted: [AtomicU64; 6],
    late_forwarded: AtomicU64,
    late_dropped: AtomicU64,
    spans_forwarded: AtomicU64,
    spans_dropped: AtomicU64,
}

impl Counters {
    /// Adds `n`; callers hold the owning shard's lock, so no increment is lost.
    fn add(counter: &AtomicU64, n: u64) {
        counter.store(
            counter.load(Ordering::Relaxed).wrapping_add(n),
            Ordering::Relaxed,
        );
    }

    pub(crate) fn decided(&self, reason: Reason) {
        if let Some(counter) = self.decided.get(reason.index()) {
            Self::add(counter, 1);
        }
    }

    pub(crate) fn evicted(&self, cause: Cause) {
        if let Some(counter) = self.evicted.get(cause.index()) {
            Self::add(counter, 1);
        }
    }

    pub(crate) fn late(&self, forwarded: bool) {
        if forwarded {
            Self::add(&self.late_forwarded, 1);
        } else {
            Self::add(&self.late_dropped, 1);
        }
    }

    pub(crate) fn spans(&self, forwarded: bool, n: usize) {
        let counter = if forwarded {
            &self.spans_forwarded
        } else {
            &self.spans_dropped
        };
        Self::add(counter, n as u64);
    }

    fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// Whether the one-time warning of each eviction cause was logged.
#[derive(Debug, Default)]
pub(crate) struct Warnings {
    warned: [AtomicBool; 6],
}

impl Warnings {
    /// Logs the first eviction of each cause (shutdown excepted).
    pub(crate) fn evicted(&self, cause: Cause) {
        if cause == Cause::Shutdown {
            return;
        }
        if let Some(flag) = self.warned.get(cause.index()) {
            if !flag.load(Ordering::Relaxed) && !flag.swap(true, Ordering::Relaxed) {
                warn(cause.warning());
            }
        }
    }
}

/// Logs a warning through `otel_warn!` (feature `internal-logs`) or on standard error.
#[cfg(feature = "internal-logs")]
pub(crate) fn warn(message: &'static str) {
    opentelemetry::otel_warn!(name: "GenaiOtel.Sampling", message = message);
}

/// Logs a warning through `otel_warn!` (feature `internal-logs`) or on standard error.
#[cfg(not(feature = "internal-logs"))]
pub(crate) fn warn(message: &'static str) {
    // Without `internal-logs` `otel_warn!` compiles to nothing, so write the one-time
    // warning to standard error instead of losing it.
    eprintln!("genai-otel: {message}");
}

/// A snapshot of the tail sampler's counters and gauges.
///
/// Trace counters count each decided trace once under its reason, whether it was decided
/// at its root or early (`;evicted`, `;shutdown`); the `evicted_*` counters count the early
/// decisions again by cause. A trace id that returns after its decision fell out of the
/// decision cache is decided (and counted) again.
///
/// # Examples
///
/// ```
/// use genai_otel::{Sampling, TailSamplingProcessor};
/// use opentelemetry_sdk::trace::{InMemorySpanExporter, SimpleSpanProcessor};
///
/// let processor = TailSamplingProcessor::new(
///     SimpleSpanProcessor::new(InMemorySpanExporter::default()),
///     Sampling::new(),
/// );
/// let counters = processor.handle().counters();
/// assert_eq!(counters.traces_decided(), 0);
/// assert_eq!(counters.bytes_buffered, 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SamplingCounters {
    /// Traces kept in full because a span had status `Error` or `error.type` (`error`).
    pub kept_error: u64,
    /// Traces kept in full because a span matched the canary rule (`canary`).
    pub kept_canary: u64,
    /// Traces kept in full as one of the first traces of a new prompt version
    /// (`new_prompt_version`).
    pub kept_new_prompt_version: u64,
    /// Traces kept in full because the root lasted longer than the slow threshold (`slow`).
    pub kept_slow: u64,
    /// Traces kept in full by a runtime override (`override`).
    pub kept_override: u64,
    /// Traces kept in full by the base rate (`base_rate`).
    pub kept_base_rate: u64,
    /// Traces kept without content (`metadata_only`).
    pub metadata_only: u64,
    /// Traces dropped.
    pub dropped: u64,
    /// Early decisions because `max_pending_traces` was reached.
    pub evicted_pending_traces: u64,
    /// Early decisions because `max_buffered_bytes` was reached.
    pub evicted_buffered_bytes: u64,
    /// Early decisions because a trace reached `max_spans_per_trace`.
    pub evicted_spans_per_trace: u64,
    /// Early decisions because a trace exceeded `max_trace_age`.
    pub evicted_max_age: u64,
    /// Early decisions because a trace was idle past `idle_timeout`.
    pub evicted_idle: u64,
    /// Traces decided with partial data during shutdown.
    pub decided_at_shutdown: u64,
    /// Spans that ended after their trace was decided and were forwarded (kept decision).
    pub late_spans_forwarded: u64,
    /// Spans that ended after their trace was decided and were dropped (drop decision).
    pub late_spans_dropped: u64,
    /// Spans forwarded to the inner processor (streamed, decided or late).
    pub spans_forwarded: u64,
    /// Spans dropped by a drop decision (including late spans).
    pub spans_dropped: u64,
    /// Gauge: spans buffered now.
    pub spans_buffered: u64,
    /// Gauge: estimated bytes of the spans buffered now.
    pub bytes_buffered: u64,
    /// Gauge: traces pending now (buffering, or streaming until their root ends).
    pub traces_pending: u64,
}

impl SamplingCounters {
    /// Traces kept in full, all reasons together (metadata-only not included).
    ///
    /// # Examples
    ///
    /// ```
    /// let c = genai_otel::SamplingCounters::default();
    /// assert_eq!(c.traces_kept(), 0);
    /// ```
    pub fn traces_kept(&self) -> u64 {
        self.kept_error
            + self.kept_canary
            + self.kept_new_prompt_version
            + self.kept_slow
            + self.kept_override
            + self.kept_base_rate
    }

    /// Every decided trace: kept in full, metadata-only and dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = genai_otel::SamplingCounters::default();
    /// assert_eq!(c.traces_decided(), c.traces_kept() + c.metadata_only + c.dropped);
    /// ```
    pub fn traces_decided(&self) -> u64 {
        self.traces_kept() + self.metadata_only + self.dropped
    }

    /// Early decisions of every cause except shutdown.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = genai_otel::SamplingCounters::default();
    /// assert_eq!(c.evictions(), 0);
    /// ```
    pub fn evictions(&self) -> u64 {
        self.evicted_pending_traces
            + self.evicted_buffered_bytes
            + self.evicted_spans_per_trace
            + self.evicted_max_age
            + self.evicted_idle
    }

    pub(crate) fn snapshot(core: &Core) -> Self {
        let sum = |counter: &dyn Fn(&Counters) -> Option<&AtomicU64>| {
            core.shard_counters()
                .filter_map(counter)
                .map(Counters::get)
                .fold(0_u64, u64::wrapping_add)
        };
        let d = |r: Reason| sum(&|c: &Counters| c.decided.get(r.index()));
        let e = |cause: Cause| sum(&|c: &Counters| c.evicted.get(cause.index()));
        let (spans_buffered, bytes_buffered, traces_pending) = core.gauges();
        SamplingCounters {
            kept_error: d(Reason::Error),
            kept_canary: d(Reason::Canary),
            kept_new_prompt_version: d(Reason::NewPromptVersion),
            kept_slow: d(Reason::Slow),
            kept_override: d(Reason::Override),
            kept_base_rate: d(Reason::BaseRate),
            metadata_only: d(Reason::MetadataOnly),
            dropped: d(Reason::Drop),
            evicted_pending_traces: e(Cause::PendingTraces),
            evicted_buffered_bytes: e(Cause::BufferedBytes),
            evicted_spans_per_trace: e(Cause::SpansPerTrace),
            evicted_max_age: e(Cause::MaxAge),
            evicted_idle: e(Cause::Idle),
            decided_at_shutdown: e(Cause::Shutdown),
            late_spans_forwarded: sum(&|c: &Counters| Some(&c.late_forwarded)),
            late_spans_dropped: sum(&|c: &Counters| Some(&c.late_dropped)),
            spans_forwarded: sum(&|c: &Counters| Some(&c.spans_forwarded)),
            spans_dropped: sum(&|c: &Counters| Some(&c.spans_dropped)),
            spans_buffered,
            bytes_buffered,
            traces_pending,
        }
    }
}

/// What a runtime [`Override`] matches, compared with the attributes of each span as it
/// ends (string comparison).
///
/// # Examples
///
/// ```
/// use genai_otel::OverrideMatch;
/// let by_tenant = OverrideMatch::Tenant("acme".into()); // genai_otel.tenant.id
/// let by_route = OverrideMatch::Route("/v1/chat".into()); // http.route
/// let by_model = OverrideMatch::Model("gpt-4o".into()); // gen_ai.request.model
/// let by_prompt = OverrideMatch::PromptVersion { name: "support".into(), version: "7".into() };
/// assert_ne!(by_tenant, by_route);
/// # drop((by_model, by_prompt));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OverrideMatch {
    /// `genai_otel.tenant.id` equals the value.
    Tenant(String),
    /// `http.route` equals the value.
    Route(String),
    /// `gen_ai.request.model` equals the value.
    Model(String),
    /// `gen_ai.prompt.name` and `gen_ai.prompt.version` equal the values.
    PromptVersion {
        /// Prompt name.
        name: String,
        /// Prompt version.
        version: String,
    },
}

impl OverrideMatch {
    fn matches(&self, keys: &SpanKeys<'_>) -> bool {
        let eq = |value: Option<&Value>, expected: &str| {
            value.is_some_and(|v| value_equals(v, expected))
        };
        match self {
            OverrideMatch::Tenant(t) => eq(keys.tenant, t),
            OverrideMatch::Route(r) => eq(keys.route, r),
            OverrideMatch::Model(m) => eq(keys.model, m),
            OverrideMatch::PromptVersion { name, version } => {
                eq(keys.prompt_name, name) && eq(keys.prompt_version, version)
            }
        }
    }
}

/// The attribute values of one span that overrides can match.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SpanKeys<'a> {
    pub(crate) tenant: Option<&'a Value>,
    pub(crate) route: Option<&'a Value>,
    pub(crate) model: Option<&'a Value>,
    pub(crate) prompt_name: Option<&'a Value>,
    pub(crate) prompt_version: Option<&'a Value>,
}

/// A runtime sampling override for incidents: traces with a span matching `matcher` are
/// kept at `rate` instead of the base rate until `ttl` has passed.
///
/// Composition (see the [module documentation](super)): overrides rank after errors,
/// canaries, new prompt versions and slow traces; when several match a trace the highest
/// rate wins; the rate replaces the base rate (so a lower rate also lowers it) and the
/// metadata-only slice follows it. Rates are clamped into `[0, 1]`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use genai_otel::{Override, Sampling, TailSamplingProcessor};
/// use opentelemetry_sdk::trace::{InMemorySpanExporter, SimpleSpanProcessor};
///
/// let processor = TailSamplingProcessor::new(
///     SimpleSpanProcessor::new(InMemorySpanExporter::default()),
///     Sampling::new(),
/// );
/// let handle = processor.handle();
/// let id = handle.set_override(Override::tenant("acme", 1.0, Duration::from_secs(600)));
/// assert!(handle.clear_override(id));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    matcher: OverrideMatch,
    rate: f64,
    ttl: Duration,
}

impl Override {
    /// An override for `matcher` at `rate` that expires `ttl` after it is set.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use genai_otel::{Override, OverrideMatch};
    /// let o = Override::new(OverrideMatch::Route("/v1/chat".into()), 0.5, Duration::from_secs(60));
    /// # drop(o);
    /// ```
    pub fn new(matcher: OverrideMatch, rate: f64, ttl: Duration) -> Self {
        Override { matcher, rate, ttl }
    }

    /// Matches `genai_otel.tenant.id`.
    ///
    /// # Examples
    ///
    /// ```
    /// let o = genai_otel::Override::tenant("acme", 1.0, std::time::Duration::from_secs(900));
    /// # drop(o);
    /// ```
    pub fn tenant(tenant: impl Into<String>, rate: f64, ttl: Duration) -> Self {
        Override::new(OverrideMatch::Tenant(tenant.into()), rate, ttl)
    }

    /// Matches `http.route`.
    ///
    /// # Examples
    ///
    /// ```
    /// let o = genai_otel::Override::route("/v1/chat", 1.0, std::time::Duration::from_secs(900));
    /// # drop(o);
    /// ```
    pub fn route(route: impl Into<String>, rate: f64, ttl: Duration) -> Self {
        Override::new(OverrideMatch::Route(route.into()), rate, ttl)
    }

    /// Matches `gen_ai.request.model`.
    ///
    /// # Examples
    ///
    /// ```
    /// let o = genai_otel::Override::model("gpt-4o", 0.5, std::time::Duration::from_secs(900));
    /// # drop(o);
    /// ```
    pub fn model(model: impl Into<String>, rate: f64, ttl: Duration) -> Self {
        Override::new(OverrideMatch::Model(model.into()), rate, ttl)
    }

    /// Matches `gen_ai.prompt.name` and `gen_ai.prompt.version`.
    ///
    /// # Examples
    ///
    /// ```
    /// let o = genai_otel::Override::prompt_version("support", "7", 1.0, std::time::Duration::from_secs(900));
    /// # drop(o);
    /// ```
    pub fn prompt_version(
        name: impl Into<String>,
        version: impl Into<String>,
        rate: f64,
        ttl: Duration,
    ) -> Self {
        Override::new(
            OverrideMatch::PromptVersion {
                name: name.into(),
                version: version.into(),
            },
            rate,
            ttl,
        )
    }
}

/// Identifies an override set through [`SamplingHandle::set_override`].
///
/// # Examples
///
/// ```
/// # use std::time::Duration;
/// # use genai_otel::{Override, Sampling, TailSamplingProcessor};
/// # use opentelemetry_sdk::trace::{InMemorySpanExporter, SimpleSpanProcessor};
/// # let handle = TailSamplingProcessor::new(SimpleSpanProcessor::new(InMemorySpanExporter::default()), Sampling::new()).handle();
/// let a = handle.set_override(Override::model("m", 1.0, Duration::from_secs(60)));
/// let b = handle.set_override(Override::model("m", 1.0, Duration::from_secs(60)));
/// assert_ne!(a, b);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OverrideId(u64);

#[derive(Debug)]
struct ActiveOverride {
    id: OverrideId,
    matcher: OverrideMatch,
    full: u64,
    meta: u64,
    expires_at: Option<Instant>,
}

/// The override table. Reads take a shared lock only while at least one override is set.
#[derive(Debug)]
pub(crate) struct Overrides {
    table: RwLock<Vec<ActiveOverride>>,
    next_id: AtomicU64,
    count: AtomicUsize,
    /// Smallest full-keep bound among set overrides (`u64::MAX` when none): the base rate
    /// may stream a trace early only below it.
    min_full: AtomicU64,
    metadata_rate: f64,
}

impl Overrides {
    pub(crate) fn new(metadata_rate: f64) -> Self {
        Overrides {
            table: RwLock::new(Vec::new()),
            next_id: AtomicU64::new(1),
            count: AtomicUsize::new(0),
            min_full: AtomicU64::new(u64::MAX),
            metadata_rate,
        }
    }

    pub(crate) fn min_full(&self) -> u64 {
        self.min_full.load(Ordering::Acquire)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.count.load(Ordering::Acquire) == 0
    }

    fn set(&self, o: Override, now: Instant) -> OverrideId {
        let id = OverrideId(self.next_id.fetch_add(1, Ordering::Relaxed));
        let rate = clamp_rate(o.rate);
        let entry = ActiveOverride {
            id,
            matcher: o.matcher,
            full: ratio_bound(rate),
            meta: ratio_bound((rate + self.metadata_rate).min(1.0)),
            expires_at: now.checked_add(o.ttl),
        };
        let mut table = self.table.write().unwrap_or_else(|e| e.into_inner());
        table.retain(|o| !expired(o, now));
        table.push(entry);
        self.publish(&table);
        id
    }

    fn clear(&self, id: OverrideId) -> bool {
        let mut table = self.table.write().unwrap_or_else(|e| e.into_inner());
        let before = table.len();
        table.retain(|o| o.id != id);
        let removed = table.len() != before;
        self.publish(&table);
        removed
    }

    /// Drops expired overrides (called by sweeps).
    pub(crate) fn prune(&self, now: Instant) {
        if self.is_empty() {
            return;
        }
        let mut table = self.table.write().unwrap_or_else(|e| e.into_inner());
        if table.iter().any(|o| expired(o, now)) {
            table.retain(|o| !expired(o, now));
            self.publish(&table);
        }
    }

    fn publish(&self, table: &[ActiveOverride]) {
        let min = table.iter().map(|o| o.full).min().unwrap_or(u64::MAX);
        self.min_full.store(min, Ordering::Release);
        self.count.store(table.len(), Ordering::Release);
    }

    /// The (full, metadata) bounds of the highest-rate active override matching the span.
    pub(crate) fn best_match(&self, keys: &SpanKeys<'_>, now: Instant) -> Option<(u64, u64)> {
        if self.is_empty() {
            return None;
        }
        let table = self.table.read().unwrap_or_else(|e| e.into_inner());
        table
            .iter()
            .filter(|o| !expired(o, now) && o.matcher.matches(keys))
            .map(|o| (o.full, o.meta))
            .max()
    }
}

fn expired(o: &ActiveOverride, now: Instant) -> bool {
    o.expires_at.is_some_and(|at| now >= at)
}

/// A cheap, cloneable handle to a [`TailSamplingProcessor`](super::TailSamplingProcessor):
/// read its counters, set and clear overrides, export its metrics. It stays valid (and
/// keeps its counters) after the processor shut down.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use genai_otel::{Override, Sampling, TailSamplingProcessor};
/// use opentelemetry_sdk::trace::{InMemorySpanExporter, SimpleSpanProcessor};
///
/// let processor = TailSamplingProcessor::new(
///     SimpleSpanProcessor::new(InMemorySpanExporter::default()),
///     Sampling::new(),
/// );
/// let handle = processor.handle();
/// let incident = handle.set_override(Override::route("/v1/chat", 1.0, Duration::from_secs(900)));
/// assert_eq!(handle.counters().traces_pending, 0);
/// handle.clear_override(incident);
/// ```
#[derive(Clone)]
pub struct SamplingHandle {
    core: Arc<Core>,
}

impl SamplingHandle {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        SamplingHandle { core }
    }

    /// A snapshot of the counters and gauges.
    ///
    /// # Examples
    ///
    /// ```
    /// # use genai_otel::{Sampling, TailSamplingProcessor};
    /// # use opentelemetry_sdk::trace::{InMemorySpanExporter, SimpleSpanProcessor};
    /// # let handle = TailSamplingProcessor::new(SimpleSpanProcessor::new(InMemorySpanExporter::default()), Sampling::new()).handle();
    /// let counters = handle.counters();
    /// assert_eq!(counters.dropped + counters.traces_kept() + counters.metadata_only, counters.traces_decided());
    /// ```
    pub fn counters(&self) -> SamplingCounters {
        SamplingCounters::snapshot(&self.core)
    }

    /// Activates an override until its time to live has passed; returns its id.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use genai_otel::{Override, Sampling, TailSamplingProcessor};
    /// # use opentelemetry_sdk::trace::{InMemorySpanExporter, SimpleSpanProcessor};
    /// # let handle = TailSamplingProcessor::new(SimpleSpanProcessor::new(InMemorySpanExporter::default()), Sampling::new()).handle();
    /// let id = handle.set_override(Override::tenant("acme", 1.0, Duration::from_secs(600)));
    /// # drop(id);
    /// ```
    pub fn set_override(&self, o: Override) -> OverrideId {
        self.core.overrides.set(o, Instant::now())
    }

    /// Removes an override; returns whether it was still set (false once it expired and
    /// was pruned, or if it was already cleared).
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use genai_otel::{Override, Sampling, TailSamplingProcessor};
    /// # use opentelemetry_sdk::trace::{InMemorySpanExporter, SimpleSpanProcessor};
    /// # let handle = TailSamplingProcessor::new(SimpleSpanProcessor::new(InMemorySpanExporter::default()), Sampling::new()).handle();
    /// let id = handle.set_override(Override::tenant("acme", 1.0, Duration::from_secs(600)));
    /// assert!(handle.clear_override(id));
    /// assert!(!handle.clear_override(id));
    /// ```
    pub fn clear_override(&self, id: OverrideId) -> bool {
        self.core.overrides.clear(id)
    }

    /// Registers observable instruments on `meter` (call once per meter):
    ///
    /// | name | kind | unit | attribute |
    /// |---|---|---|---|
    /// | `genai_otel.sampling.traces` | counter | `{trace}` | `genai_otel.sampling.decision` = `error`, `canary`, `new_prompt_version`, `slow`, `override`, `base_rate`, `metadata_only`, `drop` |
    /// | `genai_otel.sampling.evictions` | counter | `{trace}` | `genai_otel.sampling.eviction.cause` = `pending_traces`, `buffered_bytes`, `spans_per_trace`, `max_age`, `idle`, `shutdown` |
    /// | `genai_otel.sampling.late_spans` | counter | `{span}` | `genai_otel.sampling.span.outcome` = `forwarded`, `dropped` |
    /// | `genai_otel.sampling.spans` | counter | `{span}` | `genai_otel.sampling.span.outcome` = `forwarded`, `dropped` |
    /// | `genai_otel.sampling.buffered.spans` | gauge | `{span}` | — |
    /// | `genai_otel.sampling.buffered.bytes` | gauge | `By` | — |
    /// | `genai_otel.sampling.pending.traces` | gauge | `{trace}` | — |
    ///
    /// The callbacks hold a weak reference: once the processor and every handle are gone
    /// they report nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// # use genai_otel::{Sampling, TailSamplingProcessor};
    /// # use opentelemetry_sdk::trace::{InMemorySpanExporter, SimpleSpanProcessor};
    /// # let handle = TailSamplingProcessor::new(SimpleSpanProcessor::new(InMemorySpanExporter::default()), Sampling::new()).handle();
    /// let provider = opentelemetry_sdk::metrics::SdkMeterProvider::builder().build();
    /// use opentelemetry::metrics::MeterProvider as _;
    /// handle.register_metrics(&provider.meter("genai-otel"));
    /// ```
    pub fn register_metrics(&self, meter: &Meter) {
        let weak = Arc::downgrade(&self.core);
        let snapshot =
            move |weak: &Weak<Core>| weak.upgrade().map(|core| SamplingCounters::snapshot(&core));

        let w = weak.clone();
        meter
            .u64_observable_counter("genai_otel.sampling.traces")
            .with_unit("{trace}")
            .with_description("Traces decided by the tail sampler, by decision")
            .with_callback(move |observer| {
                if let Some(c) = snapshot(&w) {
                    let values = [
                        (Reason::Error, c.kept_error),
                        (Reason::Canary, c.kept_canary),
                        (Reason::NewPromptVersion, c.kept_new_prompt_version),
                        (Reason::Slow, c.kept_slow),
                        (Reason::Override, c.kept_override),
                        (Reason::BaseRate, c.kept_base_rate),
                        (Reason::MetadataOnly, c.metadata_only),
                        (Reason::Drop, c.dropped),
                    ];
                    for (reason, value) in values {
                        observer.observe(
                            value,
                            &[KeyValue::new(semconv::SAMPLING_DECISION, reason.as_str())],
                        );
                    }
                }
            })
            .build();

        let w = weak.clone();
        meter
            .u64_observable_counter("genai_otel.sampling.evictions")
            .with_unit("{trace}")
            .with_description(
                "Traces the tail sampler decided before their local root ended, by cause",
            )
            .with_callback(move |observer| {
                if let Some(c) = snapshot(&w) {
                    let values = [
                        (Cause::PendingTraces, c.evicted_pending_traces),
                        (Cause::BufferedBytes, c.evicted_buffered_bytes),
                        (Cause::SpansPerTrace, c.evicted_spans_per_trace),
                        (Cause::MaxAge, c.evicted_max_age),
                        (Cause::Idle, c.evicted_idle),
                        (Cause::Shutdown, c.decided_at_shutdown),
                    ];
                    for (cause, value) in values {
                        observer.observe(
                            value,
                            &[KeyValue::new(
                                semconv::SAMPLING_EVICTION_CAUSE,
                                cause.as_str(),
                            )],
                        );
                    }
                }
            })
            .build();

        let w = weak.clone();
        meter
            .u64_observable_counter("genai_otel.sampling.late_spans")
            .with_unit("{span}")
            .with_description("Spans that ended after their trace was decided, by outcome")
            .with_callback(move |observer| {
                if let Some(c) = snapshot(&w) {
                    observer.observe(
                        c.late_spans_forwarded,
                        &[KeyValue::new(semconv::SAMPLING_SPAN_OUTCOME, "forwarded")],
                    );
                    observer.observe(
                        c.late_spans_dropped,
                        &[KeyValue::new(semconv::SAMPLING_SPAN_OUTCOME, "dropped")],
                    );
                }
            })
            .build();

        let w = weak.clone();
        meter
            .u64_observable_counter("genai_otel.sampling.spans")
            .with_unit("{span}")
            .with_description("Spans the tail sampler forwarded or dropped")
            .with_callback(move |observer| {
                if let Some(c) = snapshot(&w) {
                    observer.observe(
                        c.spans_forwarded,
                        &[KeyValue::new(semconv::SAMPLING_SPAN_OUTCOME, "forwarded")],
                    );
                    observer.observe(
                        c.spans_dropped,
                        &[KeyValue::new(semconv::SAMPLING_SPAN_OUTCOME, "dropped")],
                    );
                }
            })
            .build();

        let w = weak.clone();
        meter
            .u64_observable_gauge("genai_otel.sampling.buffered.spans")
            .with_unit("{span}")
            .with_description("Spans buffered by the tail sampler now")
            .with_callback(move |observer| {
                if let Some(core) = w.upgrade() {
                    observer.observe(core.gauges().0, &[]);
                }
            })
            .build();

        let w = weak.clone();
        meter
            .u64_observable_gauge("genai_otel.sampling.buffered.bytes")
            .with_unit("By")
            .with_description("Estimated bytes of the spans buffered by the tail sampler now")
            .with_callback(move |observer| {
                if let Some(core) = w.upgrade() {
                    observer.observe(core.gauges().1, &[]);
                }
            })
            .build();

        meter
            .u64_observable_gauge("genai_otel.sampling.pending.traces")
            .with_unit("{trace}")
            .with_description("Traces pending in the tail sampler now")
            .with_callback(move |observer| {
                if let Some(core) = weak.upgrade() {
                    observer.observe(core.gauges().2, &[]);
                }
            })
            .build();
    }
}

impl fmt::Debug for SamplingHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SamplingHandle")
            .field("counters", &self.counters())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys<'a>(tenant: &'a Value, model: &'a Value) -> SpanKeys<'a> {
        SpanKeys {
            tenant: Some(tenant),
            model: Some(model),
            ..SpanKeys::default()
        }
    }

    #[test]
    fn overrides_expire_and_compose_by_maximum() {
        let table = Overrides::new(0.01);
        let now = Instant::now();
        assert!(table.is_empty());
        assert_eq!(table.min_full(), u64::MAX);
        let tenant = Value::from("acme");
        let model = Value::from("m1");
        let k = keys(&tenant, &model);

        let low = table.set(Override::tenant("acme", 0.2, Duration::from_secs(10)), now);
        let high = table.set(Override::model("m1", 0.6, Duration::from_secs(1)), now);
        let _other = table.set(Override::tenant("other", 1.0, Duration::from_secs(10)), now);
        assert_eq!(table.min_full(), ratio_bound(0.2));
        assert_eq!(
            table.best_match(&k, now),
            Some((ratio_bound(0.6), ratio_bound(0.6 + 0.01)))
        );
        // After the model override's ttl, only the tenant override matches.
        let later = now + Duration::from_secs(2);
        assert_eq!(
            table.best_match(&k, later),
            Some((ratio_bound(0.2), ratio_bound(0.2 + 0.01)))
        );
        table.prune(later);
        assert!(!table.clear(high), "expired override was pruned");
        assert!(table.clear(low));
        assert_eq!(table.best_match(&k, later), None);
        // After every override expired, nothing matches and the base rate may stream again.
        table.prune(now + Duration::from_secs(11));
        assert!(table.is_empty());
        assert_eq!(table.min_full(), u64::MAX);
    }

    #[test]
    fn override_rates_are_clamped_and_huge_ttls_do_not_overflow() {
        let table = Overrides::new(0.5);
        let now = Instant::now();
        let tenant = Value::from("t");
        let model = Value::from("m");
        table.set(Override::tenant("t", 7.0, Duration::MAX), now);
        assert_eq!(
            table.best_match(&keys(&tenant, &model), now),
            Some((u64::MAX, u64::MAX))
        );
        table.set(Override::model("m", f64::NAN, Duration::from_secs(5)), now);
        assert_eq!(table.min_full(), 0);
    }

    #[test]
    fn prompt_version_override_needs_both_values() {
        let name = Value::from("support");
        let version = Value::I64(7);
        let o = OverrideMatch::PromptVersion {
            name: "support".into(),
            version: "7".into(),
        };
        let full = SpanKeys {
            prompt_name: Some(&name),
            prompt_version: Some(&version),
            ..SpanKeys::default()
        };
        assert!(o.matches(&full));
        let partial = SpanKeys {
            prompt_version: Some(&version),
            ..SpanKeys::default()
        };
        assert!(!o.matches(&partial));
    }

    #[test]
    fn public_types_are_send_sync() {
        fn check<T: Send + Sync + 'static>() {}
        check::<SamplingHandle>();
        check::<SamplingCounters>();
        check::<Override>();
        check::<OverrideId>();
        check::<super::super::Sampling>();
        check::<super::super::SamplingEnvError>();
        check::<super::super::Canary>();
    }
}
