//! In-process, trace-level tail sampling with bounded memory.
//!
//! [`TailSamplingProcessor`] sits between the tracer provider and the exporting processor
//! (usually a `BatchSpanProcessor`). It buffers the spans of each trace until the trace's
//! *local root* ends (a span whose parent is invalid or remote), decides once for the whole
//! trace, and then forwards every buffered span or drops them all. Traces that are known to
//! be kept before their root ends stop buffering and stream straight through.
//!
//! # Examples
//!
//! ```
//! use genai_otel::{Sampling, TailSamplingProcessor};
//! use opentelemetry::trace::{Tracer as _, TracerProvider as _};
//! use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SimpleSpanProcessor};
//!
//! let exporter = InMemorySpanExporter::default();
//! let sampler = TailSamplingProcessor::new(
//!     SimpleSpanProcessor::new(exporter.clone()),
//!     Sampling::new().base_rate(1.0),
//! );
//! let handle = sampler.handle();
//! let provider = SdkTracerProvider::builder().with_span_processor(sampler).build();
//!
//! provider.tracer("doc").in_span("request", |_cx| {});
//! provider.force_flush().expect("flush");
//!
//! let spans = exporter.get_finished_spans().expect("spans");
//! assert_eq!(spans.len(), 1);
//! assert_eq!(handle.counters().kept_base_rate, 1);
//! ```
//!
//! # Decision order
//!
//! Each trace gets exactly one decision, recorded as `genai_otel.sampling.decision`
//! ([`crate::semconv::SAMPLING_DECISION`]) on every exported local root span and counted in
//! [`SamplingCounters`]. The first matching rule wins:
//!
//! | # | value | rule | exported as |
//! |---|---|---|---|
//! | 1 | `error` | a span of the trace has status `Error` or an `error.type` attribute | full trace |
//! | 2 | `canary` | a span matches the [`Canary`] rule (default `genai_otel.prompt.release == "canary"`) | full trace |
//! | 3 | `new_prompt_version` | a span carries a (`gen_ai.prompt.name`, `gen_ai.prompt.version`) pair that is still *new* (below) | full trace |
//! | 4 | `slow` | the local root lasted longer than the slow threshold | full trace |
//! | 5 | `override` | an active [`Override`] matched a span and the trace falls in its rate | full trace |
//! | 6 | `base_rate` | the trace id falls in the base-rate slice | full trace |
//! | 7 | `metadata_only` | the trace id falls in the metadata-only slice | trace without content |
//! | 8 | `drop` (counters only) | nothing matched | nothing |
//!
//! A decision taken before the local root ended carries a second value after `;`:
//! `;evicted` (a cap, the maximum age or the idle timeout forced it, see [`SamplingCounters`]
//! for the cause) or `;shutdown` (the processor shut down), e.g. `error;evicted`. Such a
//! trace is decided on the spans seen so far; the root span, if it ends later, follows the
//! cached decision and carries the same value.
//!
//! **Streaming.** A trace is kept early, and its later spans stream through without
//! buffering, as soon as one of these is known: an error, a canary span, a new prompt version,
//! elapsed time beyond the slow threshold, a matching override whose slice holds the trace id,
//! or a trace id in the base-rate slice (when no active override has a lower rate). The
//! reason recorded at the root is still chosen by the table above from everything seen.
//!
//! **New prompt versions.** The first time this process sees a (name, version) pair, it
//! starts counting. The first `new_prompt_traces` traces that carry the pair (counted in the
//! order their first span carrying it ends) are kept, for at most `new_prompt_window` after
//! the pair was first seen, whichever ends first. Every trace carrying the pair consumes a
//! slot, including traces kept for a higher-ranked reason, so "the first N traces of a new
//! version" are all exported. The set of seen pairs is bounded by `max_prompt_versions`; when
//! full, the pair seen first is forgotten (and would count as new again).
//!
//! **Rates.** Rate decisions are a pure function of the trace id, identical to the SDK's
//! `TraceIdRatioBased` sampler: with `x = (low 64 bits of the trace id) >> 1`, the base-rate
//! slice is `x < base_rate * 2^63` and the metadata-only slice is
//! `base_rate * 2^63 <= x < (base_rate + metadata_only_rate) * 2^63`, so the two tiers are
//! disjoint and every process decides a trace id the same way.
//!
//! **Overrides** replace the base rate for the traces they match (tenant
//! `genai_otel.tenant.id`, route `http.route`, model `gen_ai.request.model`, or prompt name
//! and version); they cannot drop error, canary, new-version or slow traces. If several
//! overrides match a trace, the highest rate wins. With effective rate `r`, the trace is kept
//! full when `x < r * 2^63` (`override`) and metadata-only when
//! `r * 2^63 <= x < (r + metadata_only_rate) * 2^63`. An override applies to the traces whose
//! spans end while it is active (set and not yet expired). A trace already streaming when a
//! lower-rate override starts to match it stays kept (its spans were already forwarded); to
//! make that rare, the base rate streams a trace early only if no active override has a
//! lower rate than the trace's position.
//!
//! **Metadata-only** traces are exported whole, but every span, event and link attribute
//! whose key satisfies [`crate::semconv::is_content_key`] is removed, and an event that carried
//! a content attribute and has no attribute left is removed (it was content-bearing).
//! Other events (for example `exception`) and status descriptions are kept.
//!
//! # Configuration and defaults
//!
//! Code beats environment beats default: [`Sampling`] setters record explicit values,
//! [`Sampling::with_env_defaults`] fills only the unset ones from the environment, and
//! everything still unset takes the default below. Empty variables count as unset.
//!
//! | setting | default | environment variable |
//! |---|---|---|
//! | [`enabled`](Sampling::enabled) | `true` | `GENAI_OTEL_SAMPLING` = `on` / `off` (also `true`/`false`, `1`/`0`) |
//! | [`base_rate`](Sampling::base_rate) | `0.10` | `GENAI_OTEL_SAMPLING_BASE_RATE` (0..=1) |
//! | [`metadata_only_rate`](Sampling::metadata_only_rate) | `0.01` | `GENAI_OTEL_SAMPLING_METADATA_RATE` (0..=1) |
//! | [`new_prompt_traces`](Sampling::new_prompt_traces) | `1000` (0 = off) | `GENAI_OTEL_SAMPLING_NEW_PROMPT_TRACES` |
//! | [`new_prompt_window`](Sampling::new_prompt_window) | 10 min | — |
//! | [`slow_threshold`](Sampling::slow_threshold) | 30 s (0 = off) | `GENAI_OTEL_SAMPLING_SLOW_MS` (milliseconds) |
//! | [`canary`](Sampling::canary) | `genai_otel.prompt.release == "canary"` | — |
//! | [`max_pending_traces`](Sampling::max_pending_traces) | 10 000 | — |
//! | [`max_spans_per_trace`](Sampling::max_spans_per_trace) | 1 000 | — |
//! | [`max_buffered_bytes`](Sampling::max_buffered_bytes) | 64 MiB | — |
//! | [`max_trace_age`](Sampling::max_trace_age) | 5 min | — |
//! | [`idle_timeout`](Sampling::idle_timeout) | 2 min | — |
//! | [`decision_cache_size`](Sampling::decision_cache_size) | 50 000 | — |
//! | [`max_prompt_versions`](Sampling::max_prompt_versions) | 10 000 | — |
//! | [`sweep_interval`](Sampling::sweep_interval) | 1 s | — |
//! | [`background_sweeper`](Sampling::background_sweeper) | `true` | — |
//!
//! Out-of-range values set in code are clamped (rates into `[0, 1]`, NaN to 0; counts to at
//! least 1; the sweep interval to at least 10 ms); if `base_rate + metadata_only_rate > 1`
//! the metadata-only slice shrinks to `1 - base_rate`. Malformed environment values are an
//! error ([`SamplingEnvError`]) naming the variable and the value.
//!
//! # Resource usage
//!
//! - Buffered bytes are an estimate per span: `size_of::<SpanData>()` (the fixed overhead)
//!   plus the span name, the status description, and for every span, event and link
//!   attribute `size_of::<KeyValue>()` + key length + value length (string bytes; arrays
//!   per element), plus `size_of::<Event>()` + name per event and `size_of::<Link>()` per
//!   link. Vector slack and allocator overhead are not counted. With the benchmark's agent
//!   spans (about ten attributes, a few hundred bytes of messages) the estimate is about
//!   1 KiB per span.
//! - Not counted in `max_buffered_bytes`: per-trace bookkeeping (about 200 bytes per
//!   pending trace, bounded by `max_pending_traces`), the decision cache (about 50 bytes per
//!   entry, bounded by `decision_cache_size`) and the prompt-version table (bounded by
//!   `max_prompt_versions`).
//! - State is split into up to 16 shards chosen by a seeded hash of the trace id, each
//!   behind its own mutex. `max_pending_traces`, `max_buffered_bytes` and
//!   `decision_cache_size` are divided evenly between shards, so each cap holds strictly for
//!   the sum; "the oldest trace" that a full cap evicts is the oldest in the same shard.
//! - Per span, `on_end` reads the clock once, takes its shard's lock, looks the trace up
//!   and makes one pass over the span's attributes (error, canary, prompt pair, override
//!   keys and the byte estimate together; the pass runs before the lock instead when a
//!   canary predicate is set, and not at all for a late span); both memory reads, the
//!   trace's entry and the attributes, are then in flight at once. It takes no other lock
//!   (the override table's shared lock only while an override is set): counters are kept
//!   per shard, and the process-wide prompt-version table is consulted only for the first
//!   span of a trace that carries a pair, unless the shard already knows the pair can no
//!   longer count as new.
//!   `benches/sampling.rs` measures the cost against the same pipeline without the
//!   processor.
//! - A trace that reaches `max_spans_per_trace` buffered spans, or whose next span does
//!   not fit in its shard's byte budget once every older trace there was evicted, is
//!   decided at once on what it has. Every eviction is counted by cause, and the first
//!   eviction of each cause logs one warning (through `otel_warn!` with the `internal-logs`
//!   feature, else on standard error).
//! - Traces older than `max_trace_age` (since their first span ended here) or idle for
//!   `idle_timeout` are decided on what was buffered. The check runs on each shard at most
//!   once per `sweep_interval`, from `on_end` and from a background thread
//!   (`genai-otel-sampling-sweeper`, started with the first span, stopped at shutdown).
//! - Decisions of the last `decision_cache_size` traces are cached so spans that end after
//!   their root (detached tasks) follow the decision; they are counted as late spans.
//!
//! # Limitations
//!
//! Sampling is per process: spans of one trace produced by other services are decided by
//! those services. All spans of a trace in this process must go through the same
//! processor. The tracer's sampler still marks spans as sampled, so downstream services that
//! follow the parent's sampled flag keep their part of traces dropped here.

mod decision;
mod handle;
mod processor;
mod state;

#[cfg(test)]
pub(crate) mod test_support;

use std::ffi::OsString;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use opentelemetry::{Key, KeyValue, Value};

pub use handle::{Override, OverrideId, OverrideMatch, SamplingCounters, SamplingHandle};
pub use processor::TailSamplingProcessor;

use crate::semconv;

const ENV_ENABLED: &str = "GENAI_OTEL_SAMPLING";
const ENV_BASE_RATE: &str = "GENAI_OTEL_SAMPLING_BASE_RATE";
const ENV_METADATA_RATE: &str = "GENAI_OTEL_SAMPLING_METADATA_RATE";
const ENV_NEW_PROMPT_TRACES: &str = "GENAI_OTEL_SAMPLING_NEW_PROMPT_TRACES";
const ENV_SLOW_MS: &str = "GENAI_OTEL_SAMPLING_SLOW_MS";

const DEFAULT_BASE_RATE: f64 = 0.10;
const DEFAULT_METADATA_RATE: f64 = 0.01;
const DEFAULT_NEW_PROMPT_TRACES: u64 = 1_000;
const DEFAULT_NEW_PROMPT_WINDOW: Duration = Duration::from_secs(10 * 60);
const DEFAULT_SLOW_THRESHOLD: Duration = Duration::from_secs(30);
const DEFAULT_MAX_PENDING_TRACES: usize = 10_000;
const DEFAULT_MAX_SPANS_PER_TRACE: usize = 1_000;
const DEFAULT_MAX_BUFFERED_BYTES: usize = 64 * 1024 * 1024;
const DEFAULT_MAX_TRACE_AGE: Duration = Duration::from_secs(5 * 60);
const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(2 * 60);
const DEFAULT_DECISION_CACHE_SIZE: usize = 50_000;
const DEFAULT_MAX_PROMPT_VERSIONS: usize = 10_000;
const DEFAULT_SWEEP_INTERVAL: Duration = Duration::from_secs(1);
const MIN_SWEEP_INTERVAL: Duration = Duration::from_millis(10);

/// Tail-sampling configuration: a builder whose unset fields take the environment (through
/// [`Sampling::with_env_defaults`]) or the documented defaults.
///
/// See the [module documentation](self) for the decision order and the defaults table.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use genai_otel::Sampling;
///
/// let sampling = Sampling::new()
///     .base_rate(0.05)
///     .metadata_only_rate(0.02)
///     .slow_threshold(Duration::from_secs(20))
///     .max_buffered_bytes(16 << 20);
/// assert!(sampling.is_enabled());
/// ```
#[derive(Clone, Debug, Default)]
#[must_use = "pass the configuration to TailSamplingProcessor::new or Config::sampling"]
pub struct Sampling {
    enabled: Option<bool>,
    base_rate: Option<f64>,
    metadata_only_rate: Option<f64>,
    new_prompt_traces: Option<u64>,
    new_prompt_window: Option<Duration>,
    slow_threshold: Option<Duration>,
    canary: Option<Canary>,
    max_pending_traces: Option<usize>,
    max_spans_per_trace: Option<usize>,
    max_buffered_bytes: Option<usize>,
    max_trace_age: Option<Duration>,
    idle_timeout: Option<Duration>,
    decision_cache_size: Option<usize>,
    max_prompt_versions: Option<usize>,
    sweep_interval: Option<Duration>,
    background_sweeper: Option<bool>,
}

impl Sampling {
    /// A configuration with nothing set: every field takes the environment (if merged with
    /// [`Sampling::with_env_defaults`]) or its default. Same as `Sampling::default()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let sampling = genai_otel::Sampling::new();
    /// assert!(sampling.is_enabled());
    /// ```
    pub fn new() -> Self {
        Sampling::default()
    }

    /// Tail sampling turned off: the processor forwards every span unchanged and counts
    /// nothing. Not overridden by the environment.
    ///
    /// # Examples
    ///
    /// ```
    /// let sampling = genai_otel::Sampling::disabled();
    /// assert!(!sampling.is_enabled());
    /// ```
    pub fn disabled() -> Self {
        Sampling::default().enabled(false)
    }

    /// The default configuration merged with the environment (see the defaults table in
    /// the [module documentation](self)).
    ///
    /// # Errors
    ///
    /// [`SamplingEnvError`] if a variable is set to a malformed or out-of-range value (or is
    /// not valid Unicode); the error names the variable and the value.
    ///
    /// # Examples
    ///
    /// ```
    /// match genai_otel::Sampling::from_env() {
    ///     Ok(sampling) => drop(sampling),
    ///     Err(err) => eprintln!("{err}"), // e.g. GENAI_OTEL_SAMPLING_BASE_RATE="ten"
    /// }
    /// ```
    pub fn from_env() -> Result<Sampling, SamplingEnvError> {
        Sampling::default().with_env_defaults()
    }

    /// Fills every field not set in code from the environment; fields set in code win.
    ///
    /// # Errors
    ///
    /// [`SamplingEnvError`] naming the first malformed variable among those consulted.
    /// Variables for fields already set in code are not read, so they cannot fail.
    ///
    /// # Examples
    ///
    /// ```
    /// // The base rate comes from code even if GENAI_OTEL_SAMPLING_BASE_RATE is set; the
    /// // other fields come from the environment when set there.
    /// match genai_otel::Sampling::new().base_rate(0.5).with_env_defaults() {
    ///     Ok(sampling) => drop(sampling),
    ///     Err(err) => assert_ne!(err.variable(), "GENAI_OTEL_SAMPLING_BASE_RATE"),
    /// }
    /// ```
    pub fn with_env_defaults(self) -> Result<Self, SamplingEnvError> {
        self.merge_env(|name| std::env::var_os(name))
    }

    /// As [`with_env_defaults`](Sampling::with_env_defaults), reading variables through
    /// `lookup` (the configuration's environment source).
    pub(crate) fn with_env_defaults_from(
        self,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, SamplingEnvError> {
        self.merge_env(|name| lookup(name).map(OsString::from))
    }

    fn merge_env(
        mut self,
        lookup: impl Fn(&str) -> Option<OsString>,
    ) -> Result<Self, SamplingEnvError> {
        let read = |name: &'static str| -> Result<Option<String>, SamplingEnvError> {
            match lookup(name) {
                None => Ok(None),
                Some(raw) => match raw.into_string() {
                    Ok(s) if s.trim().is_empty() => Ok(None),
                    Ok(s) => Ok(Some(s.trim().to_owned())),
                    Err(raw) => Err(SamplingEnvError::new(
                        name,
                        raw.to_string_lossy().into_owned(),
                        "valid Unicode",
                    )),
                },
            }
        };
        if self.enabled.is_none() {
            if let Some(v) = read(ENV_ENABLED)? {
                self.enabled = Some(match v.to_ascii_lowercase().as_str() {
                    "on" | "true" | "1" => true,
                    "off" | "false" | "0" => false,
                    _ => return Err(SamplingEnvError::new(ENV_ENABLED, v, "`on` or `off`")),
                });
            }
        }
        if self.base_rate.is_none() {
            if let Some(v) = read(ENV_BASE_RATE)? {
                self.base_rate = Some(parse_rate(ENV_BASE_RATE, v)?);
            }
        }
        if self.metadata_only_rate.is_none() {
            if let Some(v) = read(ENV_METADATA_RATE)? {
                self.metadata_only_rate = Some(parse_rate(ENV_METADATA_RATE, v)?);
            }
        }
        if self.new_prompt_traces.is_none() {
            if let Some(v) = read(ENV_NEW_PROMPT_TRACES)? {
                match v.parse::<u64>() {
                    Ok(n) => self.new_prompt_traces = Some(n),
                    Err(_) => {
                        return Err(SamplingEnvError::new(
                            ENV_NEW_PROMPT_TRACES,
                            v,
                            "a non-negative integer (0 turns the policy off)",
                        ))
                    }
                }
            }
        }
        if self.slow_threshold.is_none() {
            if let Some(v) = read(ENV_SLOW_MS)? {
                match v.parse::<u64>() {
                    Ok(ms) => self.slow_threshold = Some(Duration::from_millis(ms)),
                    Err(_) => return Err(SamplingEnvError::new(
                        ENV_SLOW_MS,
                        v,
                        "a non-negative integer number of milliseconds (0 turns the policy off)",
                    )),
                }
            }
        }
        Ok(self)
    }

    /// Whether tail sampling is on (default `true`; env `GENAI_OTEL_SAMPLING`).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!genai_otel::Sampling::new().enabled(false).is_enabled());
    /// ```
    pub fn is_enabled(&self) -> bool {
        self.enabled.unwrap_or(true)
    }

    /// Turns tail sampling on or off (default on; env `GENAI_OTEL_SAMPLING=on|off`). When
    /// off, the processor forwards every span unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// let sampling = genai_otel::Sampling::new().enabled(false);
    /// assert!(!sampling.is_enabled());
    /// ```
    pub fn enabled(mut self, enabled: bool) -> Self {
        self.enabled = Some(enabled);
        self
    }

    /// Fraction of traces kept in full by trace id (default `0.10`; env
    /// `GENAI_OTEL_SAMPLING_BASE_RATE`). Clamped into `[0, 1]`.
    ///
    /// # Examples
    ///
    /// ```
    /// let sampling = genai_otel::Sampling::new().base_rate(0.25);
    /// # drop(sampling);
    /// ```
    pub fn base_rate(mut self, rate: f64) -> Self {
        self.base_rate = Some(rate);
        self
    }

    /// Fraction of traces kept without content, on a slice of trace ids disjoint from the
    /// base rate's (default `0.01`; env `GENAI_OTEL_SAMPLING_METADATA_RATE`). Clamped into
    /// `[0, 1 - base_rate]`.
    ///
    /// # Examples
    ///
    /// ```
    /// let sampling = genai_otel::Sampling::new().metadata_only_rate(0.05);
    /// # drop(sampling);
    /// ```
    pub fn metadata_only_rate(mut self, rate: f64) -> Self {
        self.metadata_only_rate = Some(rate);
        self
    }

    /// How many traces of each newly seen (prompt name, prompt version) pair are kept
    /// (default `1000`; `0` turns the policy off; env `GENAI_OTEL_SAMPLING_NEW_PROMPT_TRACES`).
    ///
    /// # Examples
    ///
    /// ```
    /// let sampling = genai_otel::Sampling::new().new_prompt_traces(200);
    /// # drop(sampling);
    /// ```
    pub fn new_prompt_traces(mut self, traces: u64) -> Self {
        self.new_prompt_traces = Some(traces);
        self
    }

    /// How long after its first sighting a prompt version still counts as new, even if its
    /// trace budget is not used up (default 10 minutes).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let sampling = genai_otel::Sampling::new().new_prompt_window(Duration::from_secs(300));
    /// # drop(sampling);
    /// ```
    pub fn new_prompt_window(mut self, window: Duration) -> Self {
        self.new_prompt_window = Some(window);
        self
    }

    /// Keep traces whose local root lasted longer than `threshold` (default 30 s;
    /// `Duration::ZERO` turns the policy off; env `GENAI_OTEL_SAMPLING_SLOW_MS`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let sampling = genai_otel::Sampling::new().slow_threshold(Duration::from_secs(10));
    /// # drop(sampling);
    /// ```
    pub fn slow_threshold(mut self, threshold: Duration) -> Self {
        self.slow_threshold = Some(threshold);
        self
    }

    /// The rule that marks a span as canary (default: `genai_otel.prompt.release` equals
    /// `"canary"`).
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::{Canary, Sampling};
    /// let sampling = Sampling::new()
    ///     .canary(Canary::attribute_equals("deployment.id", "canary-eu").or_attribute_equals("genai_otel.prompt.release", "canary"));
    /// # drop(sampling);
    /// ```
    pub fn canary(mut self, canary: Canary) -> Self {
        self.canary = Some(canary);
        self
    }

    /// Maximum traces held at once, buffering or streaming (default 10 000, at least 1).
    /// When full, the oldest trace of the shard is decided early.
    ///
    /// # Examples
    ///
    /// ```
    /// let sampling = genai_otel::Sampling::new().max_pending_traces(50_000);
    /// # drop(sampling);
    /// ```
    pub fn max_pending_traces(mut self, traces: usize) -> Self {
        self.max_pending_traces = Some(traces);
        self
    }

    /// Maximum spans buffered for one trace (default 1 000, at least 1); reaching it decides
    /// the trace early.
    ///
    /// # Examples
    ///
    /// ```
    /// let sampling = genai_otel::Sampling::new().max_spans_per_trace(5_000);
    /// # drop(sampling);
    /// ```
    pub fn max_spans_per_trace(mut self, spans: usize) -> Self {
        self.max_spans_per_trace = Some(spans);
        self
    }

    /// Maximum estimated bytes of buffered spans (default 64 MiB). When a span would not
    /// fit, the oldest traces of its shard are decided early.
    ///
    /// # Examples
    ///
    /// ```
    /// let sampling = genai_otel::Sampling::new().max_buffered_bytes(8 * 1024 * 1024);
    /// # drop(sampling);
    /// ```
    pub fn max_buffered_bytes(mut self, bytes: usize) -> Self {
        self.max_buffered_bytes = Some(bytes);
        self
    }

    /// A trace is decided on what it has once this long has passed since its first span
    /// ended here (default 5 minutes).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let sampling = genai_otel::Sampling::new().max_trace_age(Duration::from_secs(600));
    /// # drop(sampling);
    /// ```
    pub fn max_trace_age(mut self, age: Duration) -> Self {
        self.max_trace_age = Some(age);
        self
    }

    /// A trace is decided on what it has once no span of it ended for this long (default
    /// 2 minutes).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let sampling = genai_otel::Sampling::new().idle_timeout(Duration::from_secs(30));
    /// # drop(sampling);
    /// ```
    pub fn idle_timeout(mut self, idle: Duration) -> Self {
        self.idle_timeout = Some(idle);
        self
    }

    /// How many recent decisions are remembered for spans that end after their trace was
    /// decided (default 50 000, at least 1 per shard).
    ///
    /// # Examples
    ///
    /// ```
    /// let sampling = genai_otel::Sampling::new().decision_cache_size(100_000);
    /// # drop(sampling);
    /// ```
    pub fn decision_cache_size(mut self, decisions: usize) -> Self {
        self.decision_cache_size = Some(decisions);
        self
    }

    /// How many (prompt name, prompt version) pairs are remembered for the new-version rule
    /// (default 10 000, at least 1).
    ///
    /// # Examples
    ///
    /// ```
    /// let sampling = genai_otel::Sampling::new().max_prompt_versions(1_000);
    /// # drop(sampling);
    /// ```
    pub fn max_prompt_versions(mut self, versions: usize) -> Self {
        self.max_prompt_versions = Some(versions);
        self
    }

    /// How often each shard is checked for traces past the age or idle limit (default 1 s,
    /// at least 10 ms).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let sampling = genai_otel::Sampling::new().sweep_interval(Duration::from_millis(250));
    /// # drop(sampling);
    /// ```
    pub fn sweep_interval(mut self, interval: Duration) -> Self {
        self.sweep_interval = Some(interval);
        self
    }

    /// Whether a background thread runs the age and idle checks every `sweep_interval`
    /// (default `true`). Without it, the checks run only while spans end.
    ///
    /// # Examples
    ///
    /// ```
    /// let sampling = genai_otel::Sampling::new().background_sweeper(false);
    /// # drop(sampling);
    /// ```
    pub fn background_sweeper(mut self, on: bool) -> Self {
        self.background_sweeper = Some(on);
        self
    }

    /// Applies defaults and clamps; computes the rate bounds once.
    pub(crate) fn resolve(&self) -> Resolved {
        let base_rate = decision::clamp_rate(self.base_rate.unwrap_or(DEFAULT_BASE_RATE));
        let metadata_rate =
            decision::clamp_rate(self.metadata_only_rate.unwrap_or(DEFAULT_METADATA_RATE))
                .min(1.0 - base_rate);
        let slow = self.slow_threshold.unwrap_or(DEFAULT_SLOW_THRESHOLD);
        Resolved {
            enabled: self.is_enabled(),
            metadata_rate,
            base_bound: decision::ratio_bound(base_rate),
            meta_bound: decision::ratio_bound(base_rate + metadata_rate),
            new_prompt_traces: self.new_prompt_traces.unwrap_or(DEFAULT_NEW_PROMPT_TRACES),
            new_prompt_window: self.new_prompt_window.unwrap_or(DEFAULT_NEW_PROMPT_WINDOW),
            slow_threshold: (!slow.is_zero()).then_some(slow),
            canary: self.canary.clone().unwrap_or_default(),
            max_pending_traces: self
                .max_pending_traces
                .unwrap_or(DEFAULT_MAX_PENDING_TRACES)
                .max(1),
            max_spans_per_trace: self
                .max_spans_per_trace
                .unwrap_or(DEFAULT_MAX_SPANS_PER_TRACE)
                .max(1),
            max_buffered_bytes: self
                .max_buffered_bytes
                .unwrap_or(DEFAULT_MAX_BUFFERED_BYTES),
            max_trace_age: self.max_trace_age.unwrap_or(DEFAULT_MAX_TRACE_AGE),
            idle_timeout: self.idle_timeout.unwrap_or(DEFAULT_IDLE_TIMEOUT),
            decision_cache_size: self
                .decision_cache_size
                .unwrap_or(DEFAULT_DECISION_CACHE_SIZE)
                .max(1),
            max_prompt_versions: self
                .max_prompt_versions
                .unwrap_or(DEFAULT_MAX_PROMPT_VERSIONS)
                .max(1),
            sweep_interval: self
                .sweep_interval
                .unwrap_or(DEFAULT_SWEEP_INTERVAL)
                .max(MIN_SWEEP_INTERVAL),
            background_sweeper: self.background_sweeper.unwrap_or(true),
        }
    }
}

/// The configuration with defaults applied, clamped, and rate bounds precomputed.
#[derive(Clone, Debug)]
pub(crate) struct Resolved {
    pub(crate) enabled: bool,
    pub(crate) metadata_rate: f64,
    pub(crate) base_bound: u64,
    pub(crate) meta_bound: u64,
    pub(crate) new_prompt_traces: u64,
    pub(crate) new_prompt_window: Duration,
    pub(crate) slow_threshold: Option<Duration>,
    pub(crate) canary: Canary,
    pub(crate) max_pending_traces: usize,
    pub(crate) max_spans_per_trace: usize,
    pub(crate) max_buffered_bytes: usize,
    pub(crate) max_trace_age: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) decision_cache_size: usize,
    pub(crate) max_prompt_versions: usize,
    pub(crate) sweep_interval: Duration,
    pub(crate) background_sweeper: bool,
}

fn parse_rate(variable: &'static str, value: String) -> Result<f64, SamplingEnvError> {
    match value.parse::<f64>() {
        Ok(rate) if (0.0..=1.0).contains(&rate) => Ok(rate),
        _ => Err(SamplingEnvError::new(
            variable,
            value,
            "a number between 0 and 1",
        )),
    }
}

/// A malformed tail-sampling environment variable.
///
/// # Examples
///
/// ```
/// # fn run() -> Result<(), genai_otel::SamplingEnvError> {
/// let sampling = genai_otel::Sampling::from_env()?;
/// # drop(sampling); Ok(()) }
/// # let _ = run();
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SamplingEnvError {
    variable: &'static str,
    value: String,
    expected: &'static str,
}

impl SamplingEnvError {
    fn new(variable: &'static str, value: String, expected: &'static str) -> Self {
        SamplingEnvError {
            variable,
            value,
            expected,
        }
    }

    /// The offending variable, e.g. `GENAI_OTEL_SAMPLING_BASE_RATE`.
    ///
    /// # Examples
    ///
    /// ```
    /// if let Err(err) = genai_otel::Sampling::from_env() {
    ///     assert!(err.variable().starts_with("GENAI_OTEL_SAMPLING"));
    /// }
    /// ```
    pub fn variable(&self) -> &'static str {
        self.variable
    }

    /// The value the variable held (lossily converted if it was not Unicode).
    ///
    /// # Examples
    ///
    /// ```
    /// if let Err(err) = genai_otel::Sampling::from_env() {
    ///     assert!(!err.value().is_empty());
    /// }
    /// ```
    pub fn value(&self) -> &str {
        &self.value
    }
}

impl fmt::Display for SamplingEnvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid value {:?} for {}: expected {}",
            self.value, self.variable, self.expected
        )
    }
}

impl std::error::Error for SamplingEnvError {}

type CanaryFn = dyn Fn(&[KeyValue]) -> bool + Send + Sync;

/// Which spans mark their trace as a canary: attribute equalities and/or a predicate over a
/// span's attributes, checked when each span ends. Any match marks the trace.
///
/// The default is `genai_otel.prompt.release == "canary"`
/// ([`crate::semconv::PROMPT_RELEASE`]). Values are compared as strings (non-string values
/// through their string form).
///
/// # Examples
///
/// ```
/// use genai_otel::{semconv, Canary, Sampling};
/// use opentelemetry::KeyValue;
///
/// let canary = Canary::attribute_equals(semconv::DEPLOYMENT_ID, "blue")
///     .or_predicate(|attrs: &[KeyValue]| attrs.iter().any(|kv| kv.key.as_str() == "feature.flag"));
/// let sampling = Sampling::new().canary(canary);
/// # drop(sampling);
/// ```
#[derive(Clone)]
pub struct Canary {
    equals: Vec<(Key, String)>,
    predicate: Option<Arc<CanaryFn>>,
}

impl Canary {
    /// Marks a span whose attribute `key` equals `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// let canary = genai_otel::Canary::attribute_equals("deployment.id", "canary");
    /// # drop(canary);
    /// ```
    pub fn attribute_equals(key: impl Into<Key>, value: impl Into<String>) -> Self {
        Canary {
            equals: vec![(key.into(), value.into())],
            predicate: None,
        }
    }

    /// Also marks a span whose attribute `key` equals `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// let canary = genai_otel::Canary::never().or_attribute_equals("deployment.id", "canary");
    /// # drop(canary);
    /// ```
    pub fn or_attribute_equals(mut self, key: impl Into<Key>, value: impl Into<String>) -> Self {
        self.equals.push((key.into(), value.into()));
        self
    }

    /// Marks a span for which `predicate` returns true. It runs for each span of a trace
    /// that is not yet known to be canary, so keep it cheap and non-panicking.
    ///
    /// # Examples
    ///
    /// ```
    /// use opentelemetry::{KeyValue, Value};
    /// let canary = genai_otel::Canary::predicate(|attrs: &[KeyValue]| {
    ///     attrs.iter().any(|kv| kv.key.as_str() == "canary" && kv.value == Value::Bool(true))
    /// });
    /// # drop(canary);
    /// ```
    pub fn predicate<F>(predicate: F) -> Self
    where
        F: Fn(&[KeyValue]) -> bool + Send + Sync + 'static,
    {
        Canary {
            equals: Vec::new(),
            predicate: Some(Arc::new(predicate)),
        }
    }

    /// Also marks a span for which `predicate` returns true (replacing an earlier
    /// predicate).
    ///
    /// # Examples
    ///
    /// ```
    /// use opentelemetry::KeyValue;
    /// let canary = genai_otel::Canary::default()
    ///     .or_predicate(|attrs: &[KeyValue]| attrs.iter().any(|kv| kv.key.as_str() == "beta"));
    /// # drop(canary);
    /// ```
    pub fn or_predicate<F>(mut self, predicate: F) -> Self
    where
        F: Fn(&[KeyValue]) -> bool + Send + Sync + 'static,
    {
        self.predicate = Some(Arc::new(predicate));
        self
    }

    /// Marks nothing: the canary policy is off.
    ///
    /// # Examples
    ///
    /// ```
    /// let sampling = genai_otel::Sampling::new().canary(genai_otel::Canary::never());
    /// # drop(sampling);
    /// ```
    pub fn never() -> Self {
        Canary {
            equals: Vec::new(),
            predicate: None,
        }
    }

    /// Whether an attribute is one of the configured equalities.
    #[cfg(test)]
    pub(crate) fn matches_attribute(&self, kv: &KeyValue) -> bool {
        self.matches_key_value(kv.key.as_str(), &kv.value)
    }

    /// Whether the attribute `key` = `value` is one of the configured equalities.
    #[inline]
    pub(crate) fn matches_key_value(&self, key: &str, value: &Value) -> bool {
        self.equals
            .iter()
            .any(|(k, expected)| k.as_str() == key && value_equals(value, expected))
    }

    /// Whether a predicate (user code) is set.
    pub(crate) fn has_predicate(&self) -> bool {
        self.predicate.is_some()
    }

    pub(crate) fn matches_predicate(&self, attributes: &[KeyValue]) -> bool {
        self.predicate
            .as_ref()
            .is_some_and(|predicate| predicate(attributes))
    }

    #[cfg(test)]
    pub(crate) fn has_equalities(&self) -> bool {
        !self.equals.is_empty()
    }

    /// The lengths of the keys the equalities compare.
    pub(crate) fn equality_key_lengths(&self) -> impl Iterator<Item = usize> + '_ {
        self.equals.iter().map(|(key, _)| key.as_str().len())
    }
}

impl Default for Canary {
    fn default() -> Self {
        Canary::attribute_equals(semconv::PROMPT_RELEASE, "canary")
    }
}

impl fmt::Debug for Canary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Canary")
            .field("equals", &self.equals)
            .field(
                "predicate",
                &self.predicate.as_ref().map(|_| "Fn(&[KeyValue]) -> bool"),
            )
            .finish()
    }
}

/// String comparison of an attribute value, without allocating for string values.
pub(crate) fn value_equals(value: &Value, expected: &str) -> bool {
    match value {
        Value::String(s) => s.as_str() == expected,
        other => other.as_str() == expected,
    }
}

impl From<SamplingEnvError> for crate::InitError {
    fn from(e: SamplingEnvError) -> Self {
        crate::InitError::InvalidEnv {
            variable: e.variable,
            value: e.value,
            expected: format!("expected {}", e.expected),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let map: HashMap<String, OsString> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), OsString::from(*v)))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn env_fills_unset_fields() {
        let s = Sampling::new()
            .merge_env(env(&[
                (ENV_BASE_RATE, "0.25"),
                (ENV_METADATA_RATE, " 0.05 "),
                (ENV_NEW_PROMPT_TRACES, "7"),
                (ENV_SLOW_MS, "1500"),
                (ENV_ENABLED, "ON"),
            ]))
            .expect("valid env");
        assert_eq!(s.base_rate, Some(0.25));
        assert_eq!(s.metadata_only_rate, Some(0.05));
        assert_eq!(s.new_prompt_traces, Some(7));
        assert_eq!(s.slow_threshold, Some(Duration::from_millis(1500)));
        assert_eq!(s.enabled, Some(true));
        let r = s.resolve();
        assert_eq!(r.base_bound, decision::ratio_bound(0.25));
        assert_eq!(r.meta_bound, decision::ratio_bound(0.30));
    }

    #[test]
    fn code_beats_env() {
        let s = Sampling::new()
            .base_rate(0.5)
            .enabled(true)
            .merge_env(env(&[(ENV_BASE_RATE, "0.1"), (ENV_ENABLED, "off")]))
            .expect("valid env");
        assert_eq!(s.base_rate, Some(0.5));
        assert!(s.is_enabled());
        // A malformed variable for a field set in code is never read.
        let s = Sampling::new()
            .base_rate(0.5)
            .merge_env(env(&[(ENV_BASE_RATE, "garbage")]))
            .expect("not consulted");
        assert_eq!(s.base_rate, Some(0.5));
        assert!(!Sampling::disabled()
            .merge_env(env(&[(ENV_ENABLED, "on")]))
            .expect("valid")
            .is_enabled());
    }

    #[test]
    fn env_off_disables() {
        let s = Sampling::new()
            .merge_env(env(&[(ENV_ENABLED, "off")]))
            .expect("valid env");
        assert!(!s.is_enabled());
        assert!(!s.resolve().enabled);
    }

    #[test]
    fn empty_values_count_as_unset() {
        let s = Sampling::new()
            .merge_env(env(&[(ENV_BASE_RATE, "  "), (ENV_ENABLED, "")]))
            .expect("empty is unset");
        assert_eq!(s.base_rate, None);
        assert_eq!(s.enabled, None);
    }

    #[rustfmt::skip]
    #[test]
    fn malformed_env_values_name_the_variable() {
        let cases: &[(&str, &str)] = &[
            (ENV_ENABLED,           "maybe"),
            (ENV_BASE_RATE,         "ten percent"),
            (ENV_BASE_RATE,         "1.5"),
            (ENV_BASE_RATE,         "-0.1"),
            (ENV_BASE_RATE,         "NaN"),
            (ENV_METADATA_RATE,     "0,01"),
            (ENV_NEW_PROMPT_TRACES, "-3"),
            (ENV_NEW_PROMPT_TRACES, "1e3"),
            (ENV_SLOW_MS,           "2s"),
        ];
        for (variable, value) in cases {
            let err = Sampling::new()
                .merge_env(env(&[(variable, value)]))
                .expect_err("malformed");
            assert_eq!(err.variable(), *variable);
            assert_eq!(err.value(), value.trim());
            let message = err.to_string();
            assert!(message.contains(variable) && message.contains(value.trim()), "{message}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn non_unicode_env_value_is_an_error() {
        use std::os::unix::ffi::OsStringExt as _;
        let lookup =
            |name: &str| (name == ENV_SLOW_MS).then(|| OsString::from_vec(vec![0xff, b'1']));
        let err = Sampling::new().merge_env(lookup).expect_err("not unicode");
        assert_eq!(err.variable(), ENV_SLOW_MS);
    }

    #[test]
    fn defaults_and_clamping() {
        let r = Sampling::new().resolve();
        assert!(r.enabled);
        assert_eq!(r.base_bound, decision::ratio_bound(DEFAULT_BASE_RATE));
        assert_eq!(
            r.meta_bound,
            decision::ratio_bound(DEFAULT_BASE_RATE + DEFAULT_METADATA_RATE)
        );
        assert_eq!(r.new_prompt_traces, 1_000);
        assert_eq!(r.slow_threshold, Some(Duration::from_secs(30)));
        assert_eq!(r.max_pending_traces, 10_000);
        assert_eq!(r.max_buffered_bytes, 64 << 20);

        let r = Sampling::new()
            .base_rate(0.9)
            .metadata_only_rate(0.5)
            .slow_threshold(Duration::ZERO)
            .max_pending_traces(0)
            .sweep_interval(Duration::ZERO)
            .resolve();
        assert!((r.metadata_rate - 0.1).abs() < 1e-12);
        assert_eq!(r.meta_bound, u64::MAX);
        assert_eq!(r.slow_threshold, None);
        assert_eq!(r.max_pending_traces, 1);
        assert_eq!(r.sweep_interval, MIN_SWEEP_INTERVAL);

        let r = Sampling::new()
            .base_rate(f64::NAN)
            .metadata_only_rate(-1.0)
            .resolve();
        assert_eq!((r.base_bound, r.meta_bound), (0, 0));
    }

    #[test]
    fn canary_rules() {
        let default = Canary::default();
        assert!(default.matches_attribute(&KeyValue::new(semconv::PROMPT_RELEASE, "canary")));
        assert!(!default.matches_attribute(&KeyValue::new(semconv::PROMPT_RELEASE, "prod")));
        assert!(!default.matches_attribute(&KeyValue::new("other", "canary")));
        let numeric = Canary::attribute_equals("ring", "0");
        assert!(numeric.matches_attribute(&KeyValue::new("ring", 0_i64)));
        let never = Canary::never();
        assert!(!never.has_equalities());
        assert!(!never.matches_predicate(&[KeyValue::new("x", 1)]));
        let pred = Canary::predicate(|attrs: &[KeyValue]| attrs.len() == 2);
        assert!(pred.matches_predicate(&[KeyValue::new("a", 1), KeyValue::new("b", 1)]));
        assert!(format!("{pred:?}").contains("predicate"));
    }
}
