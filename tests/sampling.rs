//! Tail sampling through the public API: the SDK tracer, `TailSamplingProcessor`, and an
//! exporting processor (`SimpleSpanProcessor` or `BatchSpanProcessor`).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use genai_otel::{semconv, Override, Sampling, SamplingHandle, TailSamplingProcessor};
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::trace::{
    SpanId, SpanKind, Status, TraceContextExt as _, TraceId, Tracer as _, TracerProvider as _,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{
    BatchSpanProcessor, IdGenerator, InMemorySpanExporter, Sampler, SdkTracer, SdkTracerProvider,
    ShouldSample, SimpleSpanProcessor, SpanData, SpanExporter,
};

// ---- helpers -------------------------------------------------------------------------------

/// SplitMix64 over an atomic state: a seeded, reproducible generator.
#[derive(Debug)]
struct SplitMix(AtomicU64);

impl SplitMix {
    fn new(seed: u64) -> Self {
        SplitMix(AtomicU64::new(seed))
    }

    fn next_u64(&self) -> u64 {
        let mut z = self
            .0
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
            .wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// Seeded trace and span ids.
#[derive(Debug)]
struct SeededIds(SplitMix);

impl IdGenerator for SeededIds {
    fn new_trace_id(&self) -> TraceId {
        TraceId::from(((self.0.next_u64() as u128) << 64) | self.0.next_u64() as u128)
    }

    fn new_span_id(&self) -> SpanId {
        SpanId::from(self.0.next_u64() | 1)
    }
}

fn provider_with(
    processor: TailSamplingProcessor<impl opentelemetry_sdk::trace::SpanProcessor + 'static>,
    seed: u64,
) -> SdkTracerProvider {
    SdkTracerProvider::builder()
        .with_id_generator(SeededIds(SplitMix::new(seed)))
        .with_span_processor(processor)
        .build()
}

fn is_root(span: &SpanData) -> bool {
    span.parent_span_id == SpanId::INVALID || span.parent_span_is_remote
}

fn decision_label(spans: &[SpanData]) -> Option<String> {
    spans
        .iter()
        .filter(|s| is_root(s))
        .flat_map(|s| s.attributes.iter())
        .find(|kv| kv.key.as_str() == semconv::SAMPLING_DECISION)
        .map(|kv| kv.value.as_str().into_owned())
}

fn has_content(span: &SpanData) -> bool {
    span.attributes
        .iter()
        .chain(span.events.iter().flat_map(|e| e.attributes.iter()))
        .chain(span.links.iter().flat_map(|l| l.attributes.iter()))
        .any(|kv| semconv::is_content_key(kv.key.as_str()))
}

fn ratio(rate: f64, trace_id: TraceId) -> bool {
    Sampler::TraceIdRatioBased(rate)
        .should_sample(None, trace_id, "oracle", &SpanKind::Internal, &[], &[])
        .decision
        == opentelemetry_sdk::trace::SamplingDecision::RecordAndSample
}

/// `|observed - n p| <= 4 sigma` for a binomial(n, p).
fn within_four_sigma(observed: u64, n: u64, p: f64) -> bool {
    let mean = n as f64 * p;
    let sigma = (n as f64 * p * (1.0 - p)).sqrt();
    (observed as f64 - mean).abs() <= 4.0 * sigma
}

// ---- the simulation --------------------------------------------------------------------------

#[derive(Debug)]
struct Request {
    trace_id: TraceId,
    /// (span id, parent span id) of every span the request created.
    spans: HashSet<(SpanId, SpanId)>,
    error: bool,
    error_in_tool: bool,
    canary: bool,
    version: &'static str,
}

/// Span bookkeeping of one request: creation index, the index that fails, what was created.
struct Plan {
    index: usize,
    fail_at: Option<usize>,
    record: HashSet<(SpanId, SpanId)>,
}

struct Sim<'a> {
    tracer: &'a SdkTracer,
    rng: &'a SplitMix,
}

impl Sim<'_> {
    fn start(
        &self,
        plan: &mut Plan,
        name: &str,
        kind: SpanKind,
        attrs: Vec<KeyValue>,
        parent: &Context,
    ) -> (Context, bool) {
        let span = self
            .tracer
            .span_builder(name.to_owned())
            .with_kind(kind)
            .with_attributes(attrs)
            .start_with_context(self.tracer, parent);
        let cx = parent.with_span(span);
        let parent_id = parent.span().span_context().span_id();
        let parent_id = if parent.has_active_span() {
            parent_id
        } else {
            SpanId::INVALID
        };
        plan.record
            .insert((cx.span().span_context().span_id(), parent_id));
        let failing = plan.fail_at == Some(plan.index);
        plan.index += 1;
        (cx, failing)
    }

    fn end(cx: Context, failing: bool) {
        if failing {
            cx.span().set_status(Status::error("simulated failure"));
            cx.span()
                .set_attribute(KeyValue::new(semconv::ERROR_TYPE, "SimulatedError"));
        }
        cx.span().end();
    }

    /// One agent request: root → agent → k × (chat, tool [→ retrieval]).
    fn request(
        &self,
        i: usize,
        versions_from_start: &[&'static str],
        all_versions: &[&'static str],
    ) -> Request {
        let rng = self.rng;
        let versions = if i < 10_000 {
            versions_from_start
        } else {
            all_versions
        };
        let version = versions[rng.below(versions.len() as u64) as usize];
        let canary = rng.unit() < 0.02;
        let error = rng.unit() < 0.01;
        let iterations = 1 + rng.below(3) as usize;

        // Plan span indices: 0 root, 1 agent, then per iteration chat, tool, [retrieval].
        let mut tool_indices = Vec::new();
        let mut total = 2;
        for j in 0..iterations {
            tool_indices.push(total + 1);
            total += 2 + usize::from(j % 2 == 1);
        }
        let fail_at = error.then(|| {
            if rng.below(2) == 0 {
                tool_indices[rng.below(tool_indices.len() as u64) as usize]
            } else {
                rng.below(total as u64) as usize
            }
        });
        let error_in_tool = fail_at.is_some_and(|f| tool_indices.contains(&f));

        let inherited = vec![
            KeyValue::new(semconv::GEN_AI_PROMPT_NAME, "support-agent"),
            KeyValue::new(semconv::GEN_AI_PROMPT_VERSION, version),
            KeyValue::new(
                semconv::PROMPT_RELEASE,
                if canary { "canary" } else { "prod" },
            ),
            KeyValue::new(semconv::TENANT_ID, format!("tenant-{}", rng.below(5))),
        ];
        let with = |extra: Vec<KeyValue>| {
            let mut attrs = inherited.clone();
            attrs.extend(extra);
            attrs
        };

        let mut plan = Plan {
            index: 0,
            fail_at,
            record: HashSet::new(),
        };
        let (root, root_fail) = self.start(
            &mut plan,
            "POST /v1/agent",
            SpanKind::Server,
            with(vec![KeyValue::new(semconv::HTTP_ROUTE, "/v1/agent")]),
            &Context::new(),
        );
        let trace_id = root.span().span_context().trace_id();
        let (agent, agent_fail) = self.start(
            &mut plan,
            "invoke_agent support",
            SpanKind::Internal,
            with(vec![KeyValue::new(
                semconv::GEN_AI_OPERATION_NAME,
                "invoke_agent",
            )]),
            &root,
        );
        for j in 0..iterations {
            let (chat, fail) = self.start(
                &mut plan,
                "chat gpt-sim",
                SpanKind::Client,
                with(vec![
                    KeyValue::new(semconv::GEN_AI_OPERATION_NAME, "chat"),
                    KeyValue::new(semconv::GEN_AI_REQUEST_MODEL, "gpt-sim"),
                    KeyValue::new(
                        semconv::GEN_AI_INPUT_MESSAGES,
                        format!("[{{\"role\":\"user\",\"content\":\"question {i}.{j}\"}}]"),
                    ),
                    KeyValue::new(
                        semconv::GEN_AI_OUTPUT_MESSAGES,
                        "[{\"role\":\"assistant\",\"content\":\"call the tool\"}]",
                    ),
                ]),
                &agent,
            );
            chat.span().add_event(
                "gen_ai.content.prompt",
                vec![KeyValue::new("gen_ai.prompt", "raw prompt text")],
            );
            chat.span().add_event(
                "gen_ai.choice",
                vec![
                    KeyValue::new("gen_ai.completion", "raw completion"),
                    KeyValue::new("index", 0),
                ],
            );
            Self::end(chat, fail);
            let (tool, tool_fail) = self.start(
                &mut plan,
                "execute_tool search",
                SpanKind::Internal,
                with(vec![
                    KeyValue::new(semconv::GEN_AI_OPERATION_NAME, "execute_tool"),
                    KeyValue::new(semconv::GEN_AI_TOOL_NAME, "search"),
                    KeyValue::new(semconv::GEN_AI_TOOL_CALL_ARGUMENTS, "{\"q\":\"secret\"}"),
                ]),
                &agent,
            );
            if j % 2 == 1 {
                let (retrieval, fail) = self.start(
                    &mut plan,
                    "retrieval docs",
                    SpanKind::Client,
                    with(vec![
                        KeyValue::new(semconv::GEN_AI_OPERATION_NAME, "retrieval"),
                        KeyValue::new(semconv::GEN_AI_RETRIEVAL_QUERY_TEXT, "secret query"),
                    ]),
                    &tool,
                );
                Self::end(retrieval, fail);
            }
            tool.span().set_attribute(KeyValue::new(
                semconv::GEN_AI_TOOL_CALL_RESULT,
                "{\"hits\":3}",
            ));
            Self::end(tool, tool_fail);
        }
        Self::end(agent, agent_fail);
        Self::end(root, root_fail);
        assert_eq!(plan.index, total);
        Request {
            trace_id,
            spans: plan.record,
            error,
            error_in_tool,
            canary,
            version,
        }
    }
}

#[test]
fn twenty_thousand_requests_keep_whole_error_canary_and_new_version_traces() {
    const REQUESTS: usize = 20_000;
    const NEW_VERSION_TRACES: u64 = 1_000;
    const BASE: f64 = 0.10;
    const META: f64 = 0.01;

    let exporter = InMemorySpanExporter::default();
    let processor = TailSamplingProcessor::new(
        SimpleSpanProcessor::new(exporter.clone()),
        Sampling::new()
            .base_rate(BASE)
            .metadata_only_rate(META)
            .new_prompt_traces(NEW_VERSION_TRACES)
            .background_sweeper(false),
    );
    let handle = processor.handle();
    let provider = provider_with(processor, 0xC0FFEE);
    let tracer = provider.tracer("simulation");
    let rng = SplitMix::new(20_000);
    let sim = Sim {
        tracer: &tracer,
        rng: &rng,
    };

    let requests: Vec<Request> = (0..REQUESTS)
        .map(|i| sim.request(i, &["v1", "v2"], &["v1", "v2", "v3"]))
        .collect();
    provider.force_flush().expect("flush");
    let exported = exporter.get_finished_spans().expect("exported spans");

    let mut by_trace: HashMap<TraceId, Vec<SpanData>> = HashMap::new();
    for span in exported.iter().cloned() {
        by_trace
            .entry(span.span_context.trace_id())
            .or_default()
            .push(span);
    }

    // Independent oracle: the documented order, with the SDK's ratio sampler for the tiers.
    let mut seen_per_version: HashMap<&str, u64> = HashMap::new();
    let mut expected_counts: HashMap<&str, u64> = HashMap::new();
    let mut eligible_for_rates = 0;
    let (mut error_traces, mut tool_errors, mut canary_traces, mut v3_first) = (0, 0, 0, 0);
    let mut total_spans = 0;
    for r in &requests {
        total_spans += r.spans.len();
        let slot = seen_per_version.entry(r.version).or_default();
        *slot += 1;
        let new_version = *slot <= NEW_VERSION_TRACES;
        let expected = if r.error {
            "error"
        } else if r.canary {
            "canary"
        } else if new_version {
            "new_prompt_version"
        } else {
            eligible_for_rates += 1;
            if ratio(BASE, r.trace_id) {
                "base_rate"
            } else if ratio(BASE + META, r.trace_id) {
                "metadata_only"
            } else {
                "drop"
            }
        };
        *expected_counts.entry(expected).or_default() += 1;

        let got = by_trace
            .get(&r.trace_id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        if expected == "drop" {
            assert!(
                got.is_empty(),
                "dropped trace {} exported {} spans",
                r.trace_id,
                got.len()
            );
            continue;
        }
        // Kept traces arrive whole, parent links intact.
        let ids: HashSet<(SpanId, SpanId)> = got
            .iter()
            .map(|s| (s.span_context.span_id(), s.parent_span_id))
            .collect();
        assert_eq!(
            ids, r.spans,
            "trace {} ({expected}) arrived incomplete",
            r.trace_id
        );
        assert_eq!(got.len(), r.spans.len(), "duplicates in {}", r.trace_id);
        let span_ids: HashSet<SpanId> = got.iter().map(|s| s.span_context.span_id()).collect();
        assert!(got
            .iter()
            .all(|s| is_root(s) || span_ids.contains(&s.parent_span_id)));
        assert_eq!(
            decision_label(got).as_deref(),
            Some(expected),
            "trace {}",
            r.trace_id
        );
        assert_eq!(
            got.iter()
                .filter(|s| s
                    .attributes
                    .iter()
                    .any(|kv| kv.key.as_str() == semconv::SAMPLING_DECISION))
                .count(),
            1,
            "only the root carries the decision"
        );
        if expected == "metadata_only" {
            assert!(
                got.iter().all(|s| !has_content(s)),
                "content in metadata-only trace {}",
                r.trace_id
            );
            let chat = got
                .iter()
                .find(|s| s.name == "chat gpt-sim")
                .expect("chat span");
            let events: Vec<&str> = chat.events.iter().map(|e| e.name.as_ref()).collect();
            assert_eq!(
                events,
                ["gen_ai.choice"],
                "content-only event removed, mixed event kept"
            );
        } else {
            assert!(
                got.iter().any(has_content),
                "full trace {} lost its content",
                r.trace_id
            );
        }
        if r.error {
            error_traces += 1;
            tool_errors += u64::from(r.error_in_tool);
            let failing: Vec<&SpanData> = got
                .iter()
                .filter(|s| matches!(s.status, Status::Error { .. }))
                .collect();
            assert_eq!(failing.len(), 1);
            if r.error_in_tool {
                assert_eq!(failing[0].name, "execute_tool search");
                let agent = got
                    .iter()
                    .find(|s| s.span_context.span_id() == failing[0].parent_span_id)
                    .expect("agent");
                assert_eq!(agent.name, "invoke_agent support");
            }
        } else if r.canary {
            canary_traces += 1;
        }
        if r.version == "v3" && *slot <= NEW_VERSION_TRACES {
            v3_first += 1;
        }
    }
    assert!(
        error_traces > 150 && tool_errors > 50,
        "{error_traces} errors, {tool_errors} in tools"
    );
    assert!(canary_traces > 300, "{canary_traces}");
    assert_eq!(
        v3_first, NEW_VERSION_TRACES,
        "the mid-run version's first N traces all arrived"
    );

    let count = |reason: &str| expected_counts.get(reason).copied().unwrap_or_default();
    let c = handle.counters();
    eprintln!(
        "simulation: {REQUESTS} requests, {total_spans} spans, {} exported; errors {error_traces} ({tool_errors} in tools), \
         canary {canary_traces}, counters {c:?}, rate-eligible {eligible_for_rates}",
        exported.len()
    );
    assert_eq!(c.traces_decided(), REQUESTS as u64, "{c:?}");
    assert_eq!(c.kept_error, count("error"));
    assert_eq!(c.kept_canary, count("canary"));
    assert_eq!(c.kept_new_prompt_version, count("new_prompt_version"));
    assert!(c.kept_new_prompt_version + count("error") + count("canary") >= 3 * NEW_VERSION_TRACES);
    assert_eq!(c.kept_base_rate, count("base_rate"));
    assert_eq!(c.metadata_only, count("metadata_only"));
    assert_eq!(c.dropped, count("drop"));
    assert_eq!((c.kept_slow, c.kept_override), (0, 0));
    assert!(
        within_four_sigma(c.kept_base_rate, eligible_for_rates, BASE),
        "base {} of {eligible_for_rates}",
        c.kept_base_rate
    );
    assert!(
        within_four_sigma(c.metadata_only, eligible_for_rates, META),
        "metadata {} of {eligible_for_rates}",
        c.metadata_only
    );
    assert_eq!(c.spans_forwarded as usize, exported.len());
    assert_eq!((c.spans_forwarded + c.spans_dropped) as usize, total_spans);
    assert_eq!(
        (c.evictions(), c.late_spans_forwarded, c.late_spans_dropped),
        (0, 0, 0)
    );
    assert_eq!(
        (c.traces_pending, c.spans_buffered, c.bytes_buffered),
        (0, 0, 0)
    );
    provider.shutdown().expect("shutdown");
}

// ---- bounded memory --------------------------------------------------------------------------

#[test]
fn leaked_spans_and_100k_concurrent_traces_stay_within_the_caps() {
    const TRACES_PER_THREAD: usize = 50_000;
    const MAX_BYTES: usize = 512 * 1024;
    const MAX_TRACES: usize = 2_000;

    let exporter = InMemorySpanExporter::default();
    let processor = TailSamplingProcessor::new(
        SimpleSpanProcessor::new(exporter.clone()),
        Sampling::new()
            .max_pending_traces(MAX_TRACES)
            .max_buffered_bytes(MAX_BYTES)
            .max_spans_per_trace(64)
            .decision_cache_size(200_000),
    );
    let handle = processor.handle();
    let provider = provider_with(processor, 7);

    let run = |thread: usize, handle: SamplingHandle, provider: SdkTracerProvider| {
        let tracer = provider.tracer("load");
        let mut open_roots = Vec::with_capacity(TRACES_PER_THREAD);
        let mut leaked = Vec::with_capacity(TRACES_PER_THREAD);
        let mut max_seen = (0u64, 0u64);
        for i in 0..TRACES_PER_THREAD {
            let root = tracer
                .span_builder("request")
                .with_attributes([KeyValue::new(semconv::TENANT_ID, format!("t{thread}"))])
                .start_with_context(&tracer, &Context::new());
            let cx = Context::new().with_span(root);
            let mut child = tracer
                .span_builder("chat")
                .with_attributes([KeyValue::new(
                    semconv::GEN_AI_INPUT_MESSAGES,
                    "x".repeat(200),
                )])
                .start_with_context(&tracer, &cx);
            opentelemetry::trace::Span::end(&mut child);
            // A child that never ends.
            leaked.push(
                tracer
                    .span_builder("background")
                    .start_with_context(&tracer, &cx),
            );
            open_roots.push(cx);
            if i % 250 == 0 {
                let c = handle.counters();
                assert!(c.bytes_buffered as usize <= MAX_BYTES, "{c:?}");
                assert!(c.traces_pending as usize <= MAX_TRACES, "{c:?}");
                max_seen = (
                    max_seen.0.max(c.bytes_buffered),
                    max_seen.1.max(c.traces_pending),
                );
            }
        }
        // 100 000 traces are open at once across both threads; now the roots end.
        for cx in open_roots {
            cx.span().end();
        }
        (leaked, max_seen)
    };
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| run(0, handle.clone(), provider.clone()));
        let b = s.spawn(|| run(1, handle.clone(), provider.clone()));
        (a.join().expect("thread 0"), b.join().expect("thread 1"))
    });
    let c = handle.counters();
    eprintln!(
        "load: max (bytes, traces) seen {:?} {:?}; counters {c:?}",
        a.1, b.1
    );
    assert!(c.bytes_buffered as usize <= MAX_BYTES);
    assert!(a.1 .0 > 0 || b.1 .0 > 0, "something was buffered");
    assert!(
        c.evicted_pending_traces + c.evicted_buffered_bytes > 90_000,
        "{c:?}"
    );
    assert!(
        c.late_spans_forwarded + c.late_spans_dropped > 90_000,
        "evicted traces' roots are late: {c:?}"
    );
    assert_eq!(
        c.spans_forwarded + c.spans_dropped,
        200_000,
        "every ended span accounted for: {c:?}"
    );
    assert_eq!(c.traces_decided(), 100_000, "{c:?}");
    assert_eq!(
        exporter.get_finished_spans().expect("spans").len() as u64,
        c.spans_forwarded
    );
    // The leaked children never end.
    std::mem::forget(a.0);
    std::mem::forget(b.0);
    provider.shutdown().expect("shutdown");
}

#[test]
fn a_root_that_never_ends_is_decided_by_the_idle_timeout() {
    let exporter = InMemorySpanExporter::default();
    let processor = TailSamplingProcessor::new(
        SimpleSpanProcessor::new(exporter.clone()),
        Sampling::new()
            .base_rate(0.0)
            .metadata_only_rate(0.0)
            .idle_timeout(Duration::from_millis(50))
            .sweep_interval(Duration::from_millis(10)),
    );
    let handle = processor.handle();
    let provider = provider_with(processor, 11);
    let tracer = provider.tracer("leak");
    let root = tracer.start("leaked root");
    let cx = Context::new().with_span(root);
    for _ in 0..3 {
        let mut child = tracer.start_with_context("work", &cx);
        opentelemetry::trace::Span::set_status(&mut child, Status::error("failed"));
        opentelemetry::trace::Span::end(&mut child);
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while handle.counters().traces_pending > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let c = handle.counters();
    assert_eq!(
        (
            c.evicted_idle,
            c.kept_error,
            c.traces_pending,
            c.bytes_buffered
        ),
        (1, 1, 0, 0),
        "{c:?}"
    );
    assert_eq!(exporter.get_finished_spans().expect("spans").len(), 3);
    std::mem::forget(cx);
    provider.shutdown().expect("shutdown");
}

// ---- batch processor, shutdown, overrides, metrics ---------------------------------------------

/// An exporter that keeps what it exported across shutdown (the in-memory one clears).
#[derive(Debug, Clone, Default)]
struct Keep(Arc<Mutex<Vec<SpanData>>>);

impl SpanExporter for Keep {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        self.0.lock().expect("keep").extend(batch);
        Ok(())
    }
}

#[test]
fn with_a_batch_processor_shutdown_decides_and_exports_pending_traces() {
    let keep = Keep::default();
    let processor = TailSamplingProcessor::new(
        BatchSpanProcessor::builder(keep.clone()).build(),
        Sampling::new().base_rate(0.0).metadata_only_rate(1.0),
    );
    let handle = processor.handle();
    let provider = provider_with(processor, 3);
    let tracer = provider.tracer("batch");
    let root = tracer.start("request");
    let cx = Context::new().with_span(root);
    let mut child = tracer.start_with_context("chat", &cx);
    opentelemetry::trace::Span::set_attribute(
        &mut child,
        KeyValue::new(semconv::GEN_AI_INPUT_MESSAGES, "secret"),
    );
    opentelemetry::trace::Span::end(&mut child);
    tracer.in_span("complete", |_| {});
    provider.force_flush().expect("flush");
    assert_eq!(
        keep.0.lock().expect("keep").len(),
        1,
        "the complete trace is exported, the open one waits"
    );
    assert_eq!(handle.counters().traces_pending, 1);

    provider
        .shutdown_with_timeout(Duration::from_secs(5))
        .expect("shutdown");
    let spans = keep.0.lock().expect("keep").clone();
    assert_eq!(spans.len(), 2);
    let chat = spans
        .iter()
        .find(|s| s.name == "chat")
        .expect("chat exported at shutdown");
    assert!(
        !has_content(chat),
        "metadata-only at shutdown strips content"
    );
    let c = handle.counters();
    assert_eq!(
        (c.decided_at_shutdown, c.metadata_only, c.traces_pending),
        (1, 2, 0)
    );
    // The root ends after shutdown: the provider no longer calls processors.
    drop(cx);
}

#[test]
fn an_incident_override_keeps_a_tenant_until_it_expires() {
    let exporter = InMemorySpanExporter::default();
    let processor = TailSamplingProcessor::new(
        SimpleSpanProcessor::new(exporter.clone()),
        Sampling::new()
            .base_rate(0.0)
            .metadata_only_rate(0.0)
            .background_sweeper(false),
    );
    let handle = processor.handle();
    let provider = provider_with(processor, 5);
    let tracer = provider.tracer("incident");
    let request = |tenant: &str| {
        tracer
            .span_builder("request")
            .with_attributes([KeyValue::new(semconv::TENANT_ID, tenant.to_owned())])
            .start(&tracer);
    };
    request("acme");
    assert!(exporter.get_finished_spans().expect("spans").is_empty());
    handle.set_override(Override::tenant("acme", 1.0, Duration::from_millis(200)));
    for _ in 0..20 {
        request("acme");
        request("globex");
    }
    let spans = exporter.get_finished_spans().expect("spans");
    assert_eq!(spans.len(), 20);
    assert!(spans
        .iter()
        .all(|s| decision_label(std::slice::from_ref(s)).as_deref() == Some("override")));
    std::thread::sleep(Duration::from_millis(250));
    request("acme");
    assert_eq!(
        exporter.get_finished_spans().expect("spans").len(),
        20,
        "expired"
    );
    assert_eq!(handle.counters().kept_override, 20);
}

#[test]
fn counters_are_exported_as_metrics() {
    let metrics = InMemoryMetricExporter::default();
    let meter_provider = SdkMeterProvider::builder()
        .with_reader(PeriodicReader::builder(metrics.clone()).build())
        .build();
    let exporter = InMemorySpanExporter::default();
    let processor = TailSamplingProcessor::new(
        SimpleSpanProcessor::new(exporter.clone()),
        Sampling::new()
            .base_rate(0.0)
            .metadata_only_rate(0.0)
            .background_sweeper(false),
    );
    let handle = processor.handle();
    handle.register_metrics(&meter_provider.meter("genai-otel"));
    let provider = provider_with(processor, 9);
    let tracer = provider.tracer("metrics");
    tracer.in_span("ok", |_| {});
    tracer.in_span("bad", |cx| cx.span().set_status(Status::error("x")));
    let root = tracer.start("open");
    let cx = Context::new().with_span(root);
    tracer.start_with_context("child", &cx);
    meter_provider.force_flush().expect("metrics flush");

    let finished = metrics.get_finished_metrics().expect("metrics");
    let mut values: HashMap<(String, String), u64> = HashMap::new();
    for rm in &finished {
        for sm in rm.scope_metrics() {
            for m in sm.metrics() {
                match m.data() {
                    AggregatedMetrics::U64(MetricData::Sum(sum)) => {
                        for dp in sum.data_points() {
                            let attr = dp
                                .attributes()
                                .map(|kv| kv.value.as_str().into_owned())
                                .collect::<Vec<_>>()
                                .join(",");
                            values.insert((m.name().to_owned(), attr), dp.value());
                        }
                    }
                    AggregatedMetrics::U64(MetricData::Gauge(gauge)) => {
                        for dp in gauge.data_points() {
                            values.insert((m.name().to_owned(), String::new()), dp.value());
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    let get = |name: &str, attr: &str| values.get(&(name.to_owned(), attr.to_owned())).copied();
    assert_eq!(
        get("genai_otel.sampling.traces", "error"),
        Some(1),
        "{values:?}"
    );
    assert_eq!(get("genai_otel.sampling.traces", "drop"), Some(1));
    assert_eq!(get("genai_otel.sampling.traces", "base_rate"), Some(0));
    assert_eq!(get("genai_otel.sampling.evictions", "max_age"), Some(0));
    assert_eq!(get("genai_otel.sampling.late_spans", "forwarded"), Some(0));
    assert_eq!(get("genai_otel.sampling.spans", "forwarded"), Some(1));
    assert_eq!(get("genai_otel.sampling.pending.traces", ""), Some(1));
    assert_eq!(get("genai_otel.sampling.buffered.spans", ""), Some(1));
    assert_eq!(
        get("genai_otel.sampling.buffered.bytes", ""),
        Some(handle.counters().bytes_buffered)
    );
    assert!(handle.counters().bytes_buffered > 0);
    drop(cx);
}
