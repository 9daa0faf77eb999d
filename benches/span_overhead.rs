//! What a traced model call costs, as a ladder in one run (the issue's list):
//!
//! 1. `bare_fn` — the call alone;
//! 2. `no_subscriber/traced_llm` — `#[traced_llm]` with no subscriber installed at all;
//! 3. `handwritten_tracing_otel` — what a Rust user would write instead: a
//!    `tracing::info_span!` with the same GenAI attributes (recorded as fields), through the
//!    same tracing-opentelemetry pipeline;
//! 4. `manual_api/content_off` and `traced_llm/content_off` — the genai-otel span API and the
//!    macro, content capture off;
//! 5. `traced_llm/content_on_2kb` — content on, with a 2 KB prompt serialized, redacted and
//!    recorded;
//! 6. `traced_llm/not_sampled` — the tail sampler drops the trace (base and metadata rates 0);
//! 7. `raw_otel_api` — a span built directly with the OpenTelemetry API (same attributes, same
//!    provider and processors), without tracing interop.
//!
//! Steps 3–7 run with the pipeline installed by `init_scoped` (exporter `None`).
//!
//! The whole bench runs on one CPU (Linux; `SPAN_OVERHEAD_UNPINNED=1` turns that off): the
//! batch processor's export thread shares the core with the calls, so a row's time is the
//! whole CPU cost of a call — the span's export and free included — and not a race between
//! two cores. Unpinned, the same row moves by up to 1.5x between runs.
//!
//! Then the target check, `span_overhead_paired`: the hand-written span and `#[traced_llm]`
//! (content off) measured *interleaved* on one pipeline — chunks of 100 calls of one, then
//! 100 of the other, only the row's own chunks timed. Measured one after the other (the
//! ladder), the two rows do not see the same pipeline: the batch processor's export thread
//! wakes every 512 spans, frees every exported span on the other core, and where those
//! wakeups and frees fall moves a row by up to 1.5x from one run to the next. Interleaved,
//! both rows run under the same export load, the same allocator state and the same machine
//! noise, so their ratio holds from run to run; the ladder rows stay for the absolute
//! figures.
//!
//! ```text
//! cargo bench --bench span_overhead -- --warm-up-time 1 --measurement-time 3
//! ```

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use genai_otel::{
    traced_llm, Config, ContentCapture, ExporterKind, InferenceSpan, LlmResponse, Message,
    OutputMessage, Sampling, ScopedGuard, Usage,
};

/// A model answer as a client library returns it.
struct Reply {
    id: &'static str,
    text: &'static str,
    usage: Usage,
}

impl LlmResponse for Reply {
    fn usage(&self) -> Option<Usage> {
        Some(self.usage)
    }
    fn response_id(&self) -> Option<&str> {
        Some(self.id)
    }
    fn response_model(&self) -> Option<&str> {
        Some("gpt-4.1-mini-2025-04-14")
    }
    fn finish_reasons(&self) -> Vec<String> {
        vec!["stop".to_string()]
    }
    fn output_messages(&self) -> Vec<OutputMessage> {
        vec![OutputMessage::new(Message::assistant(self.text), "stop")]
    }
}

#[inline(never)]
fn call_model(messages: &[Message]) -> Reply {
    black_box(messages);
    Reply {
        id: "chatcmpl-1",
        text: "Your refund was issued.",
        usage: Usage::new(812, 164).cache_read(512),
    }
}

#[traced_llm(provider = "openai", model = "gpt-4.1-mini", input = messages)]
#[inline(never)]
fn traced_call(messages: &[Message]) -> Reply {
    call_model(messages)
}

#[inline(never)]
fn manual_call(messages: &[Message]) -> Reply {
    let chat = InferenceSpan::chat("openai", "gpt-4.1-mini").start();
    chat.set_attribute(
        genai_otel::semconv::CODE_FUNCTION_NAME,
        "span_overhead::manual_call",
    );
    chat.record_input_messages(messages);
    let reply = chat.in_scope(|| call_model(messages));
    chat.record_llm_response(&reply);
    chat.end();
    reply
}

#[inline(never)]
fn tracing_call(messages: &[Message]) -> Reply {
    let span = tracing::info_span!(
        "chat",
        otel.name = "chat gpt-4.1-mini",
        otel.kind = "client",
        code.function.name = "span_overhead::tracing_call",
        gen_ai.operation.name = "chat",
        gen_ai.provider.name = "openai",
        gen_ai.request.model = "gpt-4.1-mini",
        gen_ai.usage.input_tokens = tracing::field::Empty,
        gen_ai.usage.output_tokens = tracing::field::Empty,
        gen_ai.usage.cache_read.input_tokens = tracing::field::Empty,
        gen_ai.response.id = tracing::field::Empty,
        gen_ai.response.model = tracing::field::Empty,
        gen_ai.response.finish_reasons = tracing::field::Empty,
    );
    let reply = span.in_scope(|| call_model(messages));
    let to_i64 = |v: Option<u64>| v.and_then(|v| i64::try_from(v).ok()).unwrap_or_default();
    span.record(
        "gen_ai.usage.input_tokens",
        to_i64(reply.usage.input_tokens),
    );
    span.record(
        "gen_ai.usage.output_tokens",
        to_i64(reply.usage.output_tokens),
    );
    span.record(
        "gen_ai.usage.cache_read.input_tokens",
        to_i64(reply.usage.cache_read_input_tokens),
    );
    span.record("gen_ai.response.id", reply.id);
    span.record("gen_ai.response.model", "gpt-4.1-mini-2025-04-14");
    span.record("gen_ai.response.finish_reasons", "stop");
    reply
}

#[inline(never)]
fn raw_otel_call(
    tracer: &genai_otel::opentelemetry_sdk::trace::SdkTracer,
    messages: &[Message],
) -> Reply {
    use genai_otel::opentelemetry::trace::{Span as _, SpanKind, Tracer as _};
    use genai_otel::opentelemetry::{Array, KeyValue, StringValue, Value};
    let mut span = tracer
        .span_builder("chat gpt-4.1-mini")
        .with_kind(SpanKind::Client)
        .with_attributes([
            KeyValue::new("code.function.name", "span_overhead::raw_otel_call"),
            KeyValue::new("gen_ai.operation.name", "chat"),
            KeyValue::new("gen_ai.provider.name", "openai"),
            KeyValue::new("gen_ai.request.model", "gpt-4.1-mini"),
        ])
        .start(tracer);
    let reply = call_model(messages);
    let to_i64 = |v: Option<u64>| v.and_then(|v| i64::try_from(v).ok()).unwrap_or_default();
    span.set_attribute(KeyValue::new(
        "gen_ai.usage.input_tokens",
        to_i64(reply.usage.input_tokens),
    ));
    span.set_attribute(KeyValue::new(
        "gen_ai.usage.output_tokens",
        to_i64(reply.usage.output_tokens),
    ));
    span.set_attribute(KeyValue::new(
        "gen_ai.usage.cache_read.input_tokens",
        to_i64(reply.usage.cache_read_input_tokens),
    ));
    span.set_attribute(KeyValue::new("gen_ai.response.id", reply.id));
    span.set_attribute(KeyValue::new(
        "gen_ai.response.model",
        "gpt-4.1-mini-2025-04-14",
    ));
    span.set_attribute(KeyValue::new(
        "gen_ai.response.finish_reasons",
        Value::Array(Array::String(vec![StringValue::from("stop")])),
    ));
    span.end();
    reply
}

fn pipeline(content: ContentCapture, sampling: Sampling) -> ScopedGuard {
    genai_otel::init_scoped(
        Config::new("bench")
            .exporter(ExporterKind::None)
            .content_capture(content)
            .sampling(sampling)
            .user_hash_key(b"bench-key-0123456789abcdef"),
    )
    .expect("init_scoped")
}

fn ladder(c: &mut Criterion) {
    let messages = vec![
        Message::system("You are a support agent for an online shop. Be brief."),
        Message::user("My blender arrived broken, order ord_55120. Can I get a refund?"),
    ];
    let long_prompt =
        "Our refund policy covers items damaged in transit within 30 days. ".repeat(31);
    let messages_2kb = vec![
        Message::system(long_prompt.clone()),
        Message::user("My blender arrived broken, order ord_55120. Can I get a refund?"),
    ];
    assert!(
        serde_json::to_string(&messages_2kb)
            .map(|s| s.len())
            .unwrap_or(0)
            >= 2048
    );
    let mut group = c.benchmark_group("span_overhead");

    group.bench_function("bare_fn", |b| b.iter(|| call_model(black_box(&messages))));
    group.bench_function("no_subscriber/traced_llm", |b| {
        b.iter(|| traced_call(black_box(&messages)))
    });

    // Each row gets a fresh pipeline: a row must not inherit the batch queue, the export
    // thread's backlog or the allocator state the previous row left behind.
    {
        let _guard = pipeline(ContentCapture::off(), Sampling::disabled());
        group.bench_function("handwritten_tracing_otel", |b| {
            b.iter(|| tracing_call(black_box(&messages)))
        });
    }
    {
        let _guard = pipeline(ContentCapture::off(), Sampling::disabled());
        group.bench_function("manual_api/content_off", |b| {
            b.iter(|| manual_call(black_box(&messages)))
        });
    }
    {
        let _guard = pipeline(ContentCapture::off(), Sampling::disabled());
        group.bench_function("traced_llm/content_off", |b| {
            b.iter(|| traced_call(black_box(&messages)))
        });
    }
    {
        let guard = pipeline(ContentCapture::off(), Sampling::disabled());
        let tracer = {
            use genai_otel::opentelemetry::trace::TracerProvider as _;
            guard.tracer_provider().expect("running").tracer("bench")
        };
        group.bench_function("raw_otel_api", |b| {
            b.iter(|| raw_otel_call(&tracer, black_box(&messages)))
        });
    }
    {
        let guard = pipeline(ContentCapture::on(), Sampling::disabled());
        group.bench_function("traced_llm/content_on_2kb", |b| {
            b.iter(|| traced_call(black_box(&messages_2kb)))
        });
        drop(guard);
    }
    {
        let guard = pipeline(
            ContentCapture::off(),
            Sampling::new()
                .base_rate(0.0)
                .metadata_only_rate(0.0)
                .new_prompt_traces(0),
        );
        group.bench_function("traced_llm/not_sampled", |b| {
            b.iter(|| traced_call(black_box(&messages)))
        });
        drop(guard);
    }
    group.finish();
}

/// Calls of each function per chunk in the paired rows: not a divisor of the batch size (512),
/// so the export wakeups fall on both functions' chunks alike.
const CHUNK: u64 = 100;

/// `iters` calls of `timed`, interleaved chunk by chunk with as many calls of `other`; only
/// `timed`'s chunks are timed.
fn paired(
    iters: u64,
    timed: fn(&[Message]) -> Reply,
    other: fn(&[Message]) -> Reply,
    messages: &[Message],
) -> Duration {
    let mut total = Duration::ZERO;
    let mut done = 0;
    while done < iters {
        let n = CHUNK.min(iters - done);
        for _ in 0..n {
            black_box(other(black_box(messages)));
        }
        let started = Instant::now();
        for _ in 0..n {
            black_box(timed(black_box(messages)));
        }
        total += started.elapsed();
        done += n;
    }
    total
}

/// The target check: hand-written span against `#[traced_llm]`, interleaved (module docs).
fn paired_rows(c: &mut Criterion) {
    let messages = vec![
        Message::system("You are a support agent for an online shop. Be brief."),
        Message::user("My blender arrived broken, order ord_55120. Can I get a refund?"),
    ];
    let mut group = c.benchmark_group("span_overhead_paired");
    {
        let _guard = pipeline(ContentCapture::off(), Sampling::disabled());
        group.bench_function("handwritten_tracing_otel", |b| {
            b.iter_custom(|iters| paired(iters, tracing_call, traced_call, &messages))
        });
    }
    {
        let _guard = pipeline(ContentCapture::off(), Sampling::disabled());
        group.bench_function("traced_llm/content_off", |b| {
            b.iter_custom(|iters| paired(iters, traced_call, tracing_call, &messages))
        });
    }
    group.finish();
}

/// Pins this thread, and so every thread it starts later (the export threads), to the CPU it
/// runs on. Returns that CPU.
#[cfg(target_os = "linux")]
fn pin_to_one_cpu() -> Option<usize> {
    if std::env::var_os("SPAN_OVERHEAD_UNPINNED").is_some() {
        return None;
    }
    // SAFETY: plain libc calls on a zero-initialised `cpu_set_t` (a bit array, for which all
    // zeroes is the empty set) that lives across the calls.
    unsafe {
        let cpu = usize::try_from(libc::sched_getcpu()).ok()?;
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        (libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) == 0)
            .then_some(cpu)
    }
}

#[cfg(not(target_os = "linux"))]
fn pin_to_one_cpu() -> Option<usize> {
    None
}

fn main() {
    match pin_to_one_cpu() {
        Some(cpu) => println!("span_overhead: every thread pinned to CPU {cpu}"),
        None => println!("span_overhead: not pinned (rows vary more between runs)"),
    }
    let mut criterion = Criterion::default().configure_from_args();
    ladder(&mut criterion);
    paired_rows(&mut criterion);
    criterion.final_summary();
}
