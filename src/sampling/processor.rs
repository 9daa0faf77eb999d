//! The span processor.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use opentelemetry::Context;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{Span, SpanData, SpanProcessor};
use opentelemetry_sdk::Resource;

use super::handle::{warn, SamplingHandle};
use super::state::{lock, Core, Outbox};
use super::Sampling;

/// A [`SpanProcessor`] that samples whole traces after they end, wrapping the processor
/// that exports them (usually a `BatchSpanProcessor`).
///
/// Register it as the only processor so every span of a trace reaches it. Spans of
/// undecided traces are buffered until the trace's local root ends, then forwarded to the
/// inner processor or dropped together; see the [module documentation](super) for the
/// policies, the decision order, the defaults and the memory bounds.
///
/// The inner processor is never called while a lock is held. `force_flush` flushes the
/// inner processor only (undecided traces stay buffered); `shutdown_with_timeout` decides
/// every pending trace with partial data, forwards the kept ones, then shuts the inner
/// processor down with the time left.
///
/// # Examples
///
/// ```
/// use genai_otel::{Sampling, TailSamplingProcessor};
/// use opentelemetry::trace::{Span as _, Status, Tracer as _, TracerProvider as _};
/// use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SimpleSpanProcessor};
///
/// let exporter = InMemorySpanExporter::default();
/// // Base and metadata-only rates at zero: only "interesting" traces are kept.
/// let processor = TailSamplingProcessor::new(
///     SimpleSpanProcessor::new(exporter.clone()),
///     Sampling::new().base_rate(0.0).metadata_only_rate(0.0),
/// );
/// let handle = processor.handle();
/// let provider = SdkTracerProvider::builder().with_span_processor(processor).build();
/// let tracer = provider.tracer("doc");
///
/// tracer.in_span("boring", |_cx| {});
/// tracer.in_span("failing", |cx| {
///     use opentelemetry::trace::TraceContextExt as _;
///     cx.span().set_status(Status::error("boom"));
/// });
/// provider.force_flush().expect("flush");
///
/// let spans = exporter.get_finished_spans().expect("spans");
/// assert_eq!(spans.len(), 1);
/// assert_eq!(spans[0].name, "failing");
/// let counters = handle.counters();
/// assert_eq!((counters.kept_error, counters.dropped), (1, 1));
/// ```
pub struct TailSamplingProcessor<P> {
    inner: Arc<P>,
    core: Arc<Core>,
    sweeper: Mutex<Option<Sweeper>>,
    /// True once the sweeper was started, or when it never will be.
    sweeper_started: AtomicBool,
}

#[derive(Debug)]
struct Sweeper {
    stop: mpsc::Sender<()>,
    thread: JoinHandle<()>,
}

impl<P: SpanProcessor + 'static> TailSamplingProcessor<P> {
    /// Wraps `inner` with tail sampling configured by `sampling` (defaults apply to unset
    /// fields; the environment is not read here, see [`Sampling::with_env_defaults`]).
    ///
    /// No thread is started until the first span ends.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::{Sampling, TailSamplingProcessor};
    /// use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SimpleSpanProcessor};
    ///
    /// let processor = TailSamplingProcessor::new(
    ///     SimpleSpanProcessor::new(InMemorySpanExporter::default()),
    ///     Sampling::new(),
    /// );
    /// let provider = SdkTracerProvider::builder().with_span_processor(processor).build();
    /// # drop(provider);
    /// ```
    pub fn new(inner: P, sampling: Sampling) -> Self {
        let cfg = sampling.resolve();
        let never_sweeps = !cfg.enabled || !cfg.background_sweeper;
        TailSamplingProcessor {
            inner: Arc::new(inner),
            core: Arc::new(Core::new(cfg)),
            sweeper: Mutex::new(None),
            sweeper_started: AtomicBool::new(never_sweeps),
        }
    }

    /// A handle to read counters, set overrides and register metrics; it can be cloned and
    /// outlives the processor.
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
    /// let handle = processor.handle();
    /// assert_eq!(handle.counters().traces_pending, 0);
    /// ```
    pub fn handle(&self) -> SamplingHandle {
        SamplingHandle::new(Arc::clone(&self.core))
    }

    fn start_sweeper(&self) {
        let mut slot = lock(&self.sweeper);
        if self.sweeper_started.swap(true, Ordering::AcqRel) || self.core.is_shut_down() {
            return;
        }
        let (stop, rx) = mpsc::channel::<()>();
        let core = Arc::clone(&self.core);
        let inner = Arc::clone(&self.inner);
        let interval = core.cfg.sweep_interval;
        let spawned = std::thread::Builder::new()
            .name("genai-otel-sampling-sweeper".into())
            .spawn(move || {
                // Runs until a stop is requested or the processor (the sender) is gone.
                while let Err(RecvTimeoutError::Timeout) = rx.recv_timeout(interval) {
                    let now = Instant::now();
                    let tick = core.tick(now);
                    if core.claim_sweep(tick) {
                        sweep_all(&core, &*inner, now, tick);
                    }
                }
            });
        match spawned {
            Ok(thread) => *slot = Some(Sweeper { stop, thread }),
            // Not fatal: age and idle checks still run from `on_end`.
            Err(_) => warn("tail sampling: could not start the sweeper thread; age and idle checks run only while spans end"),
        }
    }

    fn stop_sweeper(&self) {
        let sweeper = lock(&self.sweeper).take();
        if let Some(Sweeper { stop, thread }) = sweeper {
            let _ = stop.send(());
            // A panic in the inner processor on the sweeper thread is not ours to re-raise.
            let _ = thread.join();
        }
    }
}

/// Decides the traces past the age or idle limit in every shard, one shard lock at a time,
/// forwarding between locks.
fn sweep_all<P: SpanProcessor + ?Sized>(core: &Core, inner: &P, now: Instant, tick: u64) {
    for i in 0..core.shard_count() {
        forward(inner, &mut core.sweep_shard(i, tick));
    }
    core.overrides.prune(now);
}

/// Hands queued work to the inner processor (dropping what was not kept); called with no
/// lock held.
fn forward<P: SpanProcessor + ?Sized>(inner: &P, out: &mut Outbox) {
    out.drain_batches(|batch| {
        let mut spans = batch.spans;
        if let Some(treatment) = batch.treatment {
            for mut span in spans.drain(..) {
                treatment.apply(&mut span);
                inner.on_end(span);
            }
        }
        // The spans of a dropped trace are deallocated here, outside the lock.
        drop(spans);
    });
    if let Some((mut span, treatment)) = out.take_current() {
        match treatment {
            Some(treatment) => {
                treatment.apply(&mut span);
                inner.on_end(span);
            }
            None => drop(span),
        }
    }
}

impl<P: SpanProcessor + 'static> SpanProcessor for TailSamplingProcessor<P> {
    fn on_start(&self, span: &mut Span, cx: &Context) {
        self.inner.on_start(span, cx);
    }

    fn on_end(&self, span: SpanData) {
        if !self.core.cfg.enabled {
            self.inner.on_end(span);
            return;
        }
        if !self.sweeper_started.load(Ordering::Relaxed) {
            self.start_sweeper();
        }
        let now = Instant::now();
        let tick = self.core.tick(now);
        let mut out = Outbox::default();
        self.core.on_end(span, now, tick, &mut out);
        forward(&*self.inner, &mut out);
        if self.core.claim_sweep(tick) {
            sweep_all(&self.core, &*self.inner, now, tick);
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        let started = Instant::now();
        if !self.core.begin_shutdown() {
            return Err(OTelSdkError::AlreadyShutdown);
        }
        self.stop_sweeper();
        if self.core.cfg.enabled {
            for i in 0..self.core.shard_count() {
                forward(&*self.inner, &mut self.core.drain_shard(i));
            }
        }
        self.inner
            .shutdown_with_timeout(timeout.saturating_sub(started.elapsed()))
    }

    fn set_resource(&mut self, resource: &Resource) {
        // The provider sets the resource while it is built, before any span ends, so the
        // sweeper (the only other owner of `inner`) has not started yet.
        match Arc::get_mut(&mut self.inner) {
            Some(inner) => inner.set_resource(resource),
            None => warn("tail sampling: set_resource called after spans were processed; the inner processor keeps its resource"),
        }
    }
}

impl<P: fmt::Debug> fmt::Debug for TailSamplingProcessor<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TailSamplingProcessor")
            .field("inner", &self.inner)
            .field("config", &self.core.cfg)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampling::test_support::{span, Collect};
    use crate::sampling::{Canary, Override};
    use crate::semconv;
    use opentelemetry::trace::{SpanId, Status};
    use opentelemetry::{KeyValue, Value};
    use std::collections::BTreeMap;
    use std::time::Duration;

    /// A trace id whose sampling position is `frac` of the line (`hi` makes it unique).
    fn tid(frac: f64, hi: u64) -> u128 {
        let low = (frac * 18_446_744_073_709_551_616.0) as u64;
        ((hi as u128) << 64) | low as u128
    }

    fn quiet() -> Sampling {
        Sampling::new()
            .base_rate(0.0)
            .metadata_only_rate(0.0)
            .background_sweeper(false)
    }

    fn with(mut s: SpanData, attrs: &[KeyValue]) -> SpanData {
        s.attributes.extend_from_slice(attrs);
        s
    }

    fn decision_of(spans: &[SpanData]) -> Option<String> {
        spans
            .iter()
            .filter(|s| s.parent_span_id == SpanId::INVALID || s.parent_span_is_remote)
            .flat_map(|s| s.attributes.iter())
            .find(|kv| kv.key.as_str() == semconv::SAMPLING_DECISION)
            .map(|kv| kv.value.as_str().into_owned())
    }

    /// Runs a three-span trace (two children, then the root) and returns what was forwarded.
    fn run_trace(
        p: &TailSamplingProcessor<Collect>,
        inner: &Collect,
        trace: u128,
        attrs: &[KeyValue],
    ) -> Vec<SpanData> {
        let before = inner.spans().len();
        p.on_end(with(span(trace, 2, 1), attrs));
        p.on_end(with(span(trace, 3, 1), attrs));
        p.on_end(with(span(trace, 1, 0), attrs));
        inner.spans()[before..].to_vec()
    }

    #[test]
    fn decisions_are_a_function_of_the_trace_id_across_instances() {
        let make = || {
            let inner = Collect::default();
            let p = TailSamplingProcessor::new(
                inner.clone(),
                Sampling::new().background_sweeper(false),
            );
            (inner, p)
        };
        let (a_inner, a) = make();
        let (b_inner, b) = make();
        let mut state = 42_u64;
        let mut ids = Vec::new();
        for _ in 0..4_000 {
            let hi = crate::sampling::test_support::splitmix64(&mut state);
            let lo = crate::sampling::test_support::splitmix64(&mut state);
            ids.push(((hi as u128) << 64) | lo as u128);
        }
        for id in &ids {
            run_trace(&a, &a_inner, *id, &[]);
        }
        // The second instance sees the traces in reverse order.
        for id in ids.iter().rev() {
            run_trace(&b, &b_inner, *id, &[]);
        }
        let by_trace = |spans: Vec<SpanData>| {
            let mut m: BTreeMap<u128, Vec<(u64, Option<String>)>> = BTreeMap::new();
            for s in spans {
                let label = decision_of(std::slice::from_ref(&s));
                m.entry(u128::from_be_bytes(s.span_context.trace_id().to_bytes()))
                    .or_default()
                    .push((
                        u64::from_be_bytes(s.span_context.span_id().to_bytes()),
                        label,
                    ));
            }
            for v in m.values_mut() {
                v.sort();
            }
            m
        };
        let a_out = by_trace(a_inner.spans());
        assert_eq!(a_out, by_trace(b_inner.spans()));
        assert_eq!(a.handle().counters(), b.handle().counters());
        let c = a.handle().counters();
        // 10% + 1% of 4000, loosely.
        assert!((300..500).contains(&c.kept_base_rate), "{c:?}");
        assert!((15..75).contains(&c.metadata_only), "{c:?}");
        assert_eq!(c.traces_decided(), 4_000);
        assert_eq!(a_out.len() as u64, c.kept_base_rate + c.metadata_only);
    }

    #[test]
    fn rate_tiers_are_disjoint_slices_of_the_trace_id() {
        let inner = Collect::default();
        let p =
            TailSamplingProcessor::new(inner.clone(), Sampling::new().background_sweeper(false));
        let content = [KeyValue::new(semconv::GEN_AI_INPUT_MESSAGES, "secret")];
        let out = run_trace(&p, &inner, tid(0.05, 1), &content);
        assert_eq!(out.len(), 3);
        assert_eq!(decision_of(&out).as_deref(), Some("base_rate"));
        assert!(out.iter().all(|s| s
            .attributes
            .iter()
            .any(|kv| kv.key.as_str() == semconv::GEN_AI_INPUT_MESSAGES)));

        let out = run_trace(&p, &inner, tid(0.105, 2), &content);
        assert_eq!(out.len(), 3);
        assert_eq!(decision_of(&out).as_deref(), Some("metadata_only"));
        assert!(out.iter().all(|s| s
            .attributes
            .iter()
            .all(|kv| !semconv::is_content_key(kv.key.as_str()))));

        assert!(run_trace(&p, &inner, tid(0.2, 3), &content).is_empty());
        let c = p.handle().counters();
        assert_eq!((c.kept_base_rate, c.metadata_only, c.dropped), (1, 1, 1));
        assert_eq!((c.spans_forwarded, c.spans_dropped), (6, 3));
    }

    #[test]
    fn base_rate_traces_stream_before_the_root_ends_and_the_root_gets_the_reason() {
        let inner = Collect::default();
        let p =
            TailSamplingProcessor::new(inner.clone(), Sampling::new().background_sweeper(false));
        let trace = tid(0.01, 7);
        p.on_end(span(trace, 2, 1));
        assert_eq!(
            inner.spans().len(),
            1,
            "streamed without waiting for the root"
        );
        assert_eq!(p.handle().counters().spans_buffered, 0);
        // An error later in the trace outranks the base rate in the recorded reason.
        let mut failing = span(trace, 3, 1);
        failing.status = Status::error("tool failed");
        p.on_end(failing);
        p.on_end(span(trace, 1, 0));
        let out = inner.spans();
        assert_eq!(out.len(), 3);
        assert_eq!(decision_of(&out).as_deref(), Some("error"));
        assert_eq!(p.handle().counters().kept_error, 1);
    }

    #[test]
    fn an_error_upgrades_a_metadata_only_trace_to_a_full_one() {
        let inner = Collect::default();
        let p =
            TailSamplingProcessor::new(inner.clone(), Sampling::new().background_sweeper(false));
        let trace = tid(0.105, 9);
        let content = KeyValue::new(semconv::GEN_AI_OUTPUT_MESSAGES, "secret");
        p.on_end(with(span(trace, 2, 1), std::slice::from_ref(&content)));
        assert!(inner.spans().is_empty(), "metadata candidates buffer");
        assert_eq!(p.handle().counters().spans_buffered, 1);
        p.on_end(with(
            span(trace, 3, 1),
            &[KeyValue::new(semconv::ERROR_TYPE, "timeout")],
        ));
        assert_eq!(inner.spans().len(), 2, "the error flushed the buffer");
        p.on_end(span(trace, 1, 0));
        let out = inner.spans();
        assert_eq!(decision_of(&out).as_deref(), Some("error"));
        assert!(
            out.iter().any(|s| s.attributes.contains(&content)),
            "content kept"
        );
    }

    #[test]
    fn canary_and_custom_canary_rules() {
        let inner = Collect::default();
        let p = TailSamplingProcessor::new(inner.clone(), quiet());
        let out = run_trace(
            &p,
            &inner,
            tid(0.9, 1),
            &[KeyValue::new(semconv::PROMPT_RELEASE, "canary")],
        );
        assert_eq!(
            (out.len(), decision_of(&out).as_deref()),
            (3, Some("canary"))
        );
        assert!(run_trace(
            &p,
            &inner,
            tid(0.9, 2),
            &[KeyValue::new(semconv::PROMPT_RELEASE, "prod")]
        )
        .is_empty());

        let inner = Collect::default();
        let p = TailSamplingProcessor::new(
            inner.clone(),
            quiet().canary(Canary::predicate(|attrs: &[KeyValue]| {
                attrs.iter().any(|kv| {
                    kv.key.as_str() == semconv::DEPLOYMENT_ID && kv.value == Value::from("blue")
                })
            })),
        );
        let out = run_trace(
            &p,
            &inner,
            tid(0.9, 3),
            &[KeyValue::new(semconv::DEPLOYMENT_ID, "blue")],
        );
        assert_eq!(decision_of(&out).as_deref(), Some("canary"));
        assert!(run_trace(
            &p,
            &inner,
            tid(0.9, 4),
            &[KeyValue::new(semconv::PROMPT_RELEASE, "canary")]
        )
        .is_empty());
    }

    #[test]
    fn new_prompt_versions_keep_their_first_traces_then_stop() {
        let inner = Collect::default();
        let p = TailSamplingProcessor::new(inner.clone(), quiet().new_prompt_traces(3));
        let v1 = [
            KeyValue::new(semconv::GEN_AI_PROMPT_NAME, "support"),
            KeyValue::new(semconv::GEN_AI_PROMPT_VERSION, "1"),
        ];
        let v2 = [
            KeyValue::new(semconv::GEN_AI_PROMPT_NAME, "support"),
            KeyValue::new(semconv::GEN_AI_PROMPT_VERSION, 2_i64),
        ];
        let mut kept = Vec::new();
        for i in 0..5 {
            let out = run_trace(&p, &inner, tid(0.9, i), &v1);
            kept.push(decision_of(&out));
        }
        assert_eq!(
            kept,
            [
                Some("new_prompt_version".to_owned()),
                Some("new_prompt_version".to_owned()),
                Some("new_prompt_version".to_owned()),
                None,
                None
            ]
        );
        // Another version of the same prompt is new again; an integer version works too.
        assert_eq!(
            decision_of(&run_trace(&p, &inner, tid(0.9, 10), &v2)).as_deref(),
            Some("new_prompt_version")
        );
        assert_eq!(p.handle().counters().kept_new_prompt_version, 4);

        // The window ends newness even with budget left.
        let inner = Collect::default();
        let p = TailSamplingProcessor::new(
            inner.clone(),
            quiet().new_prompt_window(Duration::from_millis(40)),
        );
        assert!(!run_trace(&p, &inner, tid(0.9, 1), &v1).is_empty());
        std::thread::sleep(Duration::from_millis(60));
        assert!(run_trace(&p, &inner, tid(0.9, 2), &v1).is_empty());
    }

    #[test]
    fn seen_prompt_versions_are_bounded() {
        let inner = Collect::default();
        let p = TailSamplingProcessor::new(
            inner.clone(),
            quiet().new_prompt_traces(1).max_prompt_versions(2),
        );
        let v = |n: &str| {
            [
                KeyValue::new(semconv::GEN_AI_PROMPT_NAME, "p"),
                KeyValue::new(semconv::GEN_AI_PROMPT_VERSION, n.to_owned()),
            ]
        };
        assert!(!run_trace(&p, &inner, tid(0.9, 1), &v("a")).is_empty());
        assert!(
            run_trace(&p, &inner, tid(0.9, 2), &v("a")).is_empty(),
            "budget used"
        );
        assert!(!run_trace(&p, &inner, tid(0.9, 3), &v("b")).is_empty());
        assert!(
            !run_trace(&p, &inner, tid(0.9, 4), &v("c")).is_empty(),
            "forgets a"
        );
        assert!(
            !run_trace(&p, &inner, tid(0.9, 5), &v("a")).is_empty(),
            "a is new again"
        );
    }

    #[test]
    fn slow_roots_are_kept_and_long_running_traces_stream() {
        let inner = Collect::default();
        let p = TailSamplingProcessor::new(
            inner.clone(),
            quiet().slow_threshold(Duration::from_millis(100)),
        );
        let trace = tid(0.9, 1);
        let mut root = span(trace, 1, 0);
        root.end_time = root.start_time + Duration::from_millis(150);
        p.on_end(span(trace, 2, 1));
        assert!(inner.spans().is_empty());
        p.on_end(root);
        assert_eq!(decision_of(&inner.spans()).as_deref(), Some("slow"));

        // A child ending 200 ms after the first buffered span started proves the root slow.
        let trace = tid(0.9, 2);
        p.on_end(span(trace, 2, 1));
        let mut late_child = span(trace, 3, 1);
        late_child.start_time += Duration::from_millis(190);
        late_child.end_time = late_child.start_time + Duration::from_millis(10);
        p.on_end(late_child);
        assert_eq!(inner.spans().len(), 4, "streaming after the threshold");
        let fast = run_trace(&p, &inner, tid(0.9, 3), &[]);
        assert!(fast.is_empty());
        assert_eq!(p.handle().counters().kept_slow, 1);
    }

    #[test]
    fn overrides_apply_until_they_expire_or_are_cleared() {
        let inner = Collect::default();
        let p = TailSamplingProcessor::new(inner.clone(), quiet());
        let handle = p.handle();
        let acme = [KeyValue::new(semconv::TENANT_ID, "acme")];
        let id = handle.set_override(Override::tenant("acme", 1.0, Duration::from_millis(150)));
        let out = run_trace(&p, &inner, tid(0.9, 1), &acme);
        assert_eq!(
            (out.len(), decision_of(&out).as_deref()),
            (3, Some("override"))
        );
        assert!(run_trace(
            &p,
            &inner,
            tid(0.9, 2),
            &[KeyValue::new(semconv::TENANT_ID, "other")]
        )
        .is_empty());
        std::thread::sleep(Duration::from_millis(200));
        assert!(
            run_trace(&p, &inner, tid(0.9, 3), &acme).is_empty(),
            "expired"
        );
        handle.clear_override(id);

        let route = handle.set_override(Override::route("/chat", 1.0, Duration::from_secs(60)));
        assert!(!run_trace(
            &p,
            &inner,
            tid(0.9, 4),
            &[KeyValue::new(semconv::HTTP_ROUTE, "/chat")]
        )
        .is_empty());
        assert!(handle.clear_override(route));
        assert!(
            run_trace(
                &p,
                &inner,
                tid(0.9, 5),
                &[KeyValue::new(semconv::HTTP_ROUTE, "/chat")]
            )
            .is_empty(),
            "cleared"
        );
        assert_eq!(handle.counters().kept_override, 2);
    }

    #[test]
    fn a_lower_override_rate_replaces_the_base_rate() {
        let inner = Collect::default();
        let p = TailSamplingProcessor::new(
            inner.clone(),
            Sampling::new()
                .base_rate(0.5)
                .metadata_only_rate(0.1)
                .background_sweeper(false),
        );
        let handle = p.handle();
        handle.set_override(Override::model("cheap", 0.1, Duration::from_secs(60)));
        let cheap = [KeyValue::new(semconv::GEN_AI_REQUEST_MODEL, "cheap")];
        // Position 0.3 is inside the base slice but outside the override's 10%: no early
        // streaming, and the override's metadata slice [0.1, 0.2) does not hold it either.
        let trace = tid(0.3, 1);
        p.on_end(with(span(trace, 2, 1), &cheap));
        assert!(
            inner.spans().is_empty(),
            "a lower override blocks early base-rate streaming"
        );
        p.on_end(with(span(trace, 1, 0), &cheap));
        assert!(inner.spans().is_empty());
        // Position 0.15 falls in the override's metadata slice.
        let out = run_trace(&p, &inner, tid(0.15, 2), &cheap);
        assert_eq!(decision_of(&out).as_deref(), Some("metadata_only"));
        // Unmatched traces still use the base rate.
        assert_eq!(
            decision_of(&run_trace(&p, &inner, tid(0.3, 3), &[])).as_deref(),
            Some("base_rate")
        );
        // Several matching overrides: the highest rate wins.
        handle.set_override(Override::tenant("t", 0.9, Duration::from_secs(60)));
        let both = [cheap[0].clone(), KeyValue::new(semconv::TENANT_ID, "t")];
        assert_eq!(
            decision_of(&run_trace(&p, &inner, tid(0.8, 4), &both)).as_deref(),
            Some("override")
        );
    }

    #[test]
    fn late_spans_follow_the_cached_decision() {
        let inner = Collect::default();
        let p =
            TailSamplingProcessor::new(inner.clone(), Sampling::new().background_sweeper(false));
        let kept = tid(0.01, 1);
        let dropped = tid(0.9, 2);
        run_trace(&p, &inner, kept, &[]);
        run_trace(&p, &inner, dropped, &[]);
        let n = inner.spans().len();
        p.on_end(span(kept, 9, 2));
        p.on_end(span(dropped, 9, 2));
        assert_eq!(inner.spans().len(), n + 1);
        let c = p.handle().counters();
        assert_eq!((c.late_spans_forwarded, c.late_spans_dropped), (1, 1));
        assert_eq!(c.traces_decided(), 2);
        assert_eq!(c.traces_pending, 0);
    }

    #[test]
    fn a_second_local_root_with_a_remote_parent_follows_the_trace_decision() {
        let inner = Collect::default();
        let p = TailSamplingProcessor::new(inner.clone(), quiet());
        let trace = tid(0.9, 1);
        let mut remote_root = span(trace, 5, 77);
        remote_root.parent_span_is_remote = true;
        remote_root.status = Status::error("upstream");
        p.on_end(span(trace, 6, 5));
        p.on_end(remote_root);
        let out = inner.spans();
        assert_eq!(out.len(), 2);
        assert_eq!(decision_of(&out).as_deref(), Some("error"));
    }

    #[test]
    fn spans_per_trace_cap_decides_the_trace_early() {
        let inner = Collect::default();
        let p = TailSamplingProcessor::new(
            inner.clone(),
            Sampling::new()
                .max_spans_per_trace(4)
                .background_sweeper(false),
        );
        let trace = tid(0.105, 1); // metadata-only slice
        for i in 0..6 {
            p.on_end(span(trace, 10 + i, 1));
        }
        let c = p.handle().counters();
        assert_eq!(c.evicted_spans_per_trace, 1);
        assert_eq!(c.metadata_only, 1);
        assert_eq!(
            c.late_spans_forwarded, 1,
            "the span after the eviction follows the decision"
        );
        p.on_end(span(trace, 1, 0));
        let out = inner.spans();
        assert_eq!(out.len(), 7);
        assert_eq!(decision_of(&out).as_deref(), Some("metadata_only;evicted"));
    }

    #[test]
    fn byte_cap_evicts_the_oldest_trace_and_is_never_exceeded() {
        let inner = Collect::default();
        let per_span = crate::sampling::decision::estimate_span_bytes(&span(1, 2, 1));
        // One shard (max_pending_traces < 2) with room for three spans.
        let p = TailSamplingProcessor::new(
            inner.clone(),
            quiet()
                .max_pending_traces(1_000)
                .max_buffered_bytes(16 * 3 * per_span + 16 * per_span / 2),
        );
        let handle = p.handle();
        let cap = 16 * 3 * per_span + 16 * per_span / 2;
        for i in 0..2_000u64 {
            p.on_end(
                with(
                    span(tid(0.9, i), 2, 1),
                    &[KeyValue::new(semconv::ERROR_TYPE, "x")],
                )
                .clone(),
            );
            let mut s = span(tid(0.9, 10_000 + i), 2, 1);
            s.name = "buffered".into();
            p.on_end(s);
            assert!(handle.counters().bytes_buffered as usize <= cap);
        }
        let c = handle.counters();
        assert!(c.evicted_buffered_bytes > 0, "{c:?}");
        assert!(c.spans_buffered > 0);
    }

    #[test]
    fn a_span_larger_than_the_budget_decides_only_its_own_trace() {
        let inner = Collect::default();
        let per_span = crate::sampling::decision::estimate_span_bytes(&span(1, 2, 1));
        let p = TailSamplingProcessor::new(
            inner.clone(),
            quiet().max_buffered_bytes(16 * 20 * per_span),
        );
        for i in 0..10 {
            p.on_end(span(tid(0.9, i), 2, 1));
        }
        let huge = with(
            span(tid(0.9, 99), 2, 1),
            &[KeyValue::new("blob", "x".repeat(50 * per_span))],
        );
        p.on_end(huge);
        let c = p.handle().counters();
        assert_eq!(
            (
                c.evicted_buffered_bytes,
                c.dropped,
                c.traces_pending,
                c.spans_buffered
            ),
            (1, 1, 10, 10)
        );
    }

    #[test]
    fn pending_trace_cap_evicts_the_oldest_trace() {
        let inner = Collect::default();
        let p = TailSamplingProcessor::new(inner.clone(), quiet().max_pending_traces(1));
        let a = tid(0.9, 1);
        let b = tid(0.9, 2);
        let mut failing = span(a, 2, 1);
        failing.status = Status::error("x");
        p.on_end(span(a, 3, 1));
        p.on_end(span(b, 2, 1));
        let c = p.handle().counters();
        assert_eq!(
            (c.evicted_pending_traces, c.dropped, c.traces_pending),
            (1, 1, 1)
        );
        // The evicted trace's root follows the cached drop decision.
        p.on_end(span(a, 1, 0));
        assert_eq!(p.handle().counters().late_spans_dropped, 1);
        drop(failing);
    }

    #[test]
    fn idle_and_old_traces_are_decided_from_on_end_and_from_the_sweeper() {
        // Opportunistic: sweeps run from on_end once per interval.
        let inner = Collect::default();
        let p = TailSamplingProcessor::new(
            inner.clone(),
            Sampling::new()
                .idle_timeout(Duration::from_millis(30))
                .sweep_interval(Duration::from_millis(10))
                .background_sweeper(false),
        );
        p.on_end(span(tid(0.05 + 0.055, 1), 2, 1)); // metadata slice, root never ends
        std::thread::sleep(Duration::from_millis(50));
        p.on_end(span(tid(0.9, 2), 2, 1));
        let c = p.handle().counters();
        assert_eq!((c.evicted_idle, c.metadata_only), (1, 1));
        assert_eq!(inner.spans().len(), 1);

        // Background: no span needs to end.
        let inner = Collect::default();
        let p = TailSamplingProcessor::new(
            inner.clone(),
            Sampling::new()
                .max_trace_age(Duration::from_millis(200))
                .sweep_interval(Duration::from_millis(10)),
        );
        let trace = tid(0.9, 3);
        let mut failing = span(trace, 2, 1);
        failing.status = Status::error("x");
        p.on_end(span(trace, 3, 1));
        p.on_end(failing);
        p.on_end(span(tid(0.95, 4), 3, 1));
        let deadline = Instant::now() + Duration::from_secs(5);
        while p.handle().counters().traces_pending > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let c = p.handle().counters();
        assert_eq!(
            (c.evicted_max_age, c.kept_error, c.dropped, c.traces_pending),
            (2, 1, 1, 0),
            "{c:?}"
        );
        // The root of the evicted error trace ends later and carries the partial decision.
        p.on_end(span(trace, 1, 0));
        assert_eq!(
            decision_of(&inner.spans()).as_deref(),
            Some("error;evicted")
        );
        assert!(p.shutdown_with_timeout(Duration::from_secs(1)).is_ok());
    }

    #[test]
    fn shutdown_decides_pending_traces_with_partial_data() {
        let inner = Collect::default();
        let p = TailSamplingProcessor::new(inner.clone(), Sampling::new());
        let mut failing = span(tid(0.9, 1), 2, 1);
        failing.status = Status::error("x");
        p.on_end(failing);
        p.on_end(span(tid(0.105, 2), 2, 1));
        p.on_end(span(tid(0.9, 3), 2, 1));
        let c = p.handle().counters();
        assert_eq!(
            (c.traces_pending, c.spans_buffered),
            (3, 2),
            "the error trace streams"
        );
        assert!(p.shutdown_with_timeout(Duration::from_secs(1)).is_ok());
        let c = p.handle().counters();
        assert_eq!(
            (
                c.decided_at_shutdown,
                c.kept_error,
                c.metadata_only,
                c.dropped
            ),
            (3, 1, 1, 1)
        );
        assert_eq!((c.traces_pending, c.bytes_buffered), (0, 0));
        assert_eq!(inner.spans().len(), 2);
        assert!(matches!(
            p.shutdown_with_timeout(Duration::from_secs(1)),
            Err(OTelSdkError::AlreadyShutdown)
        ));
        // After shutdown spans pass through to the inner processor untouched.
        p.on_end(span(tid(0.9, 4), 1, 0));
        assert_eq!(inner.spans().len(), 3);
        assert!(lock(&p.sweeper).is_none());
    }

    #[test]
    fn disabled_forwards_everything_unchanged() {
        let inner = Collect::default();
        let p = TailSamplingProcessor::new(inner.clone(), Sampling::disabled());
        let out = run_trace(
            &p,
            &inner,
            tid(0.9, 1),
            &[KeyValue::new(semconv::GEN_AI_INPUT_MESSAGES, "x")],
        );
        assert_eq!(out.len(), 3);
        assert_eq!(decision_of(&out), None);
        assert_eq!(p.handle().counters(), SamplingCounters::default());
        assert!(p.shutdown_with_timeout(Duration::from_secs(1)).is_ok());
    }

    #[test]
    fn poisoned_locks_are_recovered() {
        let m = std::sync::Arc::new(Mutex::new(5));
        let m2 = std::sync::Arc::clone(&m);
        let _ = std::thread::spawn(move || {
            let _guard = m2.lock();
            panic!("poison");
        })
        .join();
        assert!(m.is_poisoned());
        assert_eq!(*lock(&m), 5);
    }

    #[test]
    fn a_panicking_inner_processor_does_not_wedge_the_sampler() {
        #[derive(Debug)]
        struct Explode;
        impl SpanProcessor for Explode {
            fn on_start(&self, _: &mut Span, _: &Context) {}
            fn on_end(&self, _: SpanData) {
                panic!("inner");
            }
            fn force_flush(&self) -> OTelSdkResult {
                Ok(())
            }
            fn shutdown_with_timeout(&self, _: Duration) -> OTelSdkResult {
                Ok(())
            }
        }
        let p = TailSamplingProcessor::new(
            Explode,
            Sampling::new().base_rate(1.0).background_sweeper(false),
        );
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| p.on_end(span(1, 2, 1))));
        assert!(r.is_err());
        // The inner processor is called outside our locks, so the next span still works.
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| p.on_end(span(1, 1, 0))));
        assert!(r.is_err());
        assert_eq!(p.handle().counters().kept_base_rate, 1);
    }

    use crate::sampling::SamplingCounters;
}
