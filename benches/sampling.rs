//! Tail-sampling overhead: `on_end` throughput with 10,000 concurrent traces (spans/s,
//! through `Throughput::Elements`), the same spans through a no-op inner processor alone
//! (the pipeline without the processor, baseline) and through the tail sampler wrapping it,
//! in one group; plus the estimated buffered bytes per span and, at the end, the median
//! time per span of both, the time the sampler adds per span and the ratio.
//!
//! Each timed batch is 50,000 fresh spans (10,000 traces of five spans) ordered so that
//! every trace is open at once; building the batch is not timed.
//!
//! Run: `cargo bench --bench sampling -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use criterion::{criterion_main, Criterion, Throughput};
use genai_otel::{semconv, Sampling, TailSamplingProcessor};
use opentelemetry::trace::{
    SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState,
};
use opentelemetry::{Context, InstrumentationScope, KeyValue};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{Span, SpanData, SpanEvents, SpanLinks, SpanProcessor};

const TRACES: usize = 10_000;
const SPANS_PER_TRACE: usize = 5;

/// The cheapest possible exporting processor: it only drops what it gets.
#[derive(Debug)]
struct Noop;

impl SpanProcessor for Noop {
    fn on_start(&self, _span: &mut Span, _cx: &Context) {}
    fn on_end(&self, span: SpanData) {
        black_box(&span);
    }
    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }
    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn span(
    trace_id: TraceId,
    id: u64,
    parent: u64,
    name: &'static str,
    attributes: Vec<KeyValue>,
) -> SpanData {
    let start = SystemTime::now();
    SpanData {
        span_context: SpanContext::new(
            trace_id,
            SpanId::from(id),
            TraceFlags::SAMPLED,
            false,
            TraceState::default(),
        ),
        parent_span_id: SpanId::from(parent),
        parent_span_is_remote: false,
        span_kind: SpanKind::Internal,
        name: name.into(),
        start_time: start,
        end_time: start + Duration::from_millis(5),
        attributes,
        dropped_attributes_count: 0,
        events: SpanEvents::default(),
        links: SpanLinks::default(),
        status: Status::Unset,
        instrumentation_scope: InstrumentationScope::builder("bench").build(),
    }
}

/// 10,000 agent traces of five spans each, ordered so that every trace is open at once:
/// all leaves end first, then each level up, the roots last.
fn batch(seed: &mut u64) -> Vec<SpanData> {
    let mut levels: [Vec<SpanData>; SPANS_PER_TRACE] = Default::default();
    for i in 0..TRACES {
        let trace_id = TraceId::from(((splitmix64(seed) as u128) << 64) | splitmix64(seed) as u128);
        let prompt = [
            KeyValue::new(semconv::GEN_AI_PROMPT_NAME, "support-agent"),
            KeyValue::new(semconv::GEN_AI_PROMPT_VERSION, "v7"),
            KeyValue::new(semconv::PROMPT_RELEASE, "prod"),
            KeyValue::new(semconv::TENANT_ID, "tenant-3"),
        ];
        let with = |extra: Vec<KeyValue>| {
            let mut attrs = prompt.to_vec();
            attrs.extend(extra);
            attrs
        };
        levels[0].push(span(
            trace_id,
            5,
            4,
            "retrieval docs",
            with(vec![
                KeyValue::new(semconv::GEN_AI_OPERATION_NAME, "retrieval"),
                KeyValue::new(
                    semconv::GEN_AI_RETRIEVAL_QUERY_TEXT,
                    format!("how do I reset my password ({i})"),
                ),
            ]),
        ));
        levels[1].push(span(
            trace_id,
            4,
            2,
            "execute_tool search",
            with(vec![
                KeyValue::new(semconv::GEN_AI_OPERATION_NAME, "execute_tool"),
                KeyValue::new(semconv::GEN_AI_TOOL_NAME, "search"),
                KeyValue::new(
                    semconv::GEN_AI_TOOL_CALL_ARGUMENTS,
                    "{\"query\":\"reset password\"}",
                ),
            ]),
        ));
        levels[2].push(span(trace_id, 3, 2, "chat gpt-4o", with(vec![
            KeyValue::new(semconv::GEN_AI_OPERATION_NAME, "chat"),
            KeyValue::new(semconv::GEN_AI_REQUEST_MODEL, "gpt-4o"),
            KeyValue::new(semconv::GEN_AI_USAGE_INPUT_TOKENS, 812),
            KeyValue::new(semconv::GEN_AI_USAGE_OUTPUT_TOKENS, 96),
            KeyValue::new(semconv::GEN_AI_INPUT_MESSAGES, "[{\"role\":\"system\",\"content\":\"You are a support agent.\"},{\"role\":\"user\",\"content\":\"How do I reset my password? I tried the link in the e-mail but it expired.\"}]"),
            KeyValue::new(semconv::GEN_AI_OUTPUT_MESSAGES, "[{\"role\":\"assistant\",\"content\":\"Open settings, choose Security, then Reset password.\"}]"),
        ])));
        levels[3].push(span(
            trace_id,
            2,
            1,
            "invoke_agent support",
            with(vec![KeyValue::new(
                semconv::GEN_AI_OPERATION_NAME,
                "invoke_agent",
            )]),
        ));
        levels[4].push(span(
            trace_id,
            1,
            0,
            "POST /v1/agent",
            with(vec![KeyValue::new(semconv::HTTP_ROUTE, "/v1/agent")]),
        ));
    }
    levels.into_iter().flatten().collect()
}

fn sampling() -> Sampling {
    // Defaults (10% base, 1% metadata-only, ...), with caps large enough that 10,000
    // concurrent traces are not evicted.
    Sampling::new()
        .max_pending_traces(50_000)
        .max_buffered_bytes(256 << 20)
}

fn report_bytes_per_span() {
    let processor = TailSamplingProcessor::new(Noop, sampling().background_sweeper(false));
    let handle = processor.handle();
    let mut seed = 1;
    let spans = batch(&mut seed);
    let non_roots = TRACES * (SPANS_PER_TRACE - 1);
    for span in spans.into_iter().take(non_roots) {
        processor.on_end(span);
    }
    let c = handle.counters();
    println!(
        "buffered: {} spans, {} bytes, {} traces pending => {:.0} estimated bytes per buffered span (evictions: {})",
        c.spans_buffered,
        c.bytes_buffered,
        c.traces_pending,
        c.bytes_buffered as f64 / c.spans_buffered.max(1) as f64,
        c.evictions()
    );
}

/// Runs `sink` over fresh batches (built outside the timing) and records each batch's
/// time per span, so both pipelines' figures come from the same run.
fn timed(
    iters: u64,
    seed: &mut u64,
    per_span: &mut Vec<f64>,
    mut sink: impl FnMut(SpanData),
) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let spans = batch(seed);
        let n = spans.len();
        let started = Instant::now();
        for span in spans {
            sink(span);
        }
        let elapsed = started.elapsed();
        per_span.push(elapsed.as_nanos() as f64 / n as f64);
        total += elapsed;
    }
    total
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

fn on_end(c: &mut Criterion) {
    report_bytes_per_span();

    let mut group = c.benchmark_group("on_end_10k_concurrent_traces");
    group.throughput(Throughput::Elements((TRACES * SPANS_PER_TRACE) as u64));
    group.sample_size(20);

    // Baseline: the same spans through the inner processor alone (no tail sampler).
    let mut seed = 2;
    let mut inner_ns = Vec::new();
    group.bench_function("inner_only", |b| {
        b.iter_custom(|iters| timed(iters, &mut seed, &mut inner_ns, |span| Noop.on_end(span)))
    });

    let processor = TailSamplingProcessor::new(Noop, sampling());
    let handle = processor.handle();
    let mut seed = 3;
    let mut sampler_ns = Vec::new();
    group.bench_function("tail_sampler", |b| {
        b.iter_custom(|iters| {
            timed(iters, &mut seed, &mut sampler_ns, |span| {
                processor.on_end(span)
            })
        })
    });
    group.finish();

    // Medians over every batch timed above (warm-up included), in this run; the fastest
    // batches too, which other load on the machine disturbs least.
    let fastest = |values: &[f64]| values.iter().copied().fold(f64::INFINITY, f64::min);
    let (inner_min, sampler_min) = (fastest(&inner_ns), fastest(&sampler_ns));
    let (inner, sampler) = (median(inner_ns), median(sampler_ns));
    println!(
        "per span (median of batches): inner_only {inner:.0} ns ({:.2} M spans/s), tail_sampler {sampler:.0} ns ({:.2} M spans/s); the sampler adds {:.0} ns per span, {:.2}x the pipeline without it",
        1e3 / inner,
        1e3 / sampler,
        sampler - inner,
        sampler / inner,
    );
    println!(
        "per span (fastest batch): inner_only {inner_min:.0} ns, tail_sampler {sampler_min:.0} ns ({:.2} M spans/s), {:.2}x",
        1e3 / sampler_min,
        sampler_min / inner_min,
    );
    let c = handle.counters();
    println!(
        "tail_sampler decided {} traces: base_rate {}, metadata_only {}, new_prompt_version {}, dropped {}; evictions {}, late spans {}",
        c.traces_decided(),
        c.kept_base_rate,
        c.metadata_only,
        c.kept_new_prompt_version,
        c.dropped,
        c.evictions(),
        c.late_spans_forwarded + c.late_spans_dropped
    );
    let _ = processor.shutdown_with_timeout(Duration::from_secs(1));
}

/// Every benchmark of this file.
fn benches() {
    let mut c = Criterion::default().configure_from_args();
    on_end(&mut c);
}

criterion_main!(benches);
