//! What a traced model call costs, as a ladder in one run:
//!
//! 1. `bare_fn` — the call alone;
//! 2. `tracing_span` — a hand-written `tracing` span around it, with a registry subscriber
//!    and no OpenTelemetry layer;
//! 3. `manual_api` — the genai-otel span API (start, input messages, response, usage, end);
//! 4. `traced_llm` — the same call annotated with `#[traced_llm]`.
//!
//! Steps 3 and 4 run with the pipeline installed by `init_scoped` (exporter `None`, tail
//! sampling disabled), once with content capture off and once on (input and output messages
//! serialized into attributes).
//!
//! ```text
//! cargo bench --bench span_overhead -- --warm-up-time 1 --measurement-time 3
//! ```

use std::hint::black_box;

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
        "chat gpt-4.1-mini",
        gen_ai.operation.name = "chat",
        gen_ai.provider.name = "openai",
        gen_ai.request.model = "gpt-4.1-mini",
        gen_ai.usage.input_tokens = tracing::field::Empty,
        gen_ai.usage.output_tokens = tracing::field::Empty,
    );
    let reply = span.in_scope(|| call_model(messages));
    span.record("gen_ai.usage.input_tokens", reply.usage.input_tokens);
    span.record("gen_ai.usage.output_tokens", reply.usage.output_tokens);
    reply
}

fn pipeline(content: ContentCapture) -> ScopedGuard {
    genai_otel::init_scoped(
        Config::new("bench")
            .exporter(ExporterKind::None)
            .content_capture(content)
            .sampling(Sampling::disabled())
            .user_hash_key(b"bench-key-0123456789abcdef"),
    )
    .expect("init_scoped")
}

fn ladder(c: &mut Criterion) {
    let messages = vec![
        Message::system("You are a support agent for an online shop. Be brief."),
        Message::user("My blender arrived broken, order ord_55120. Can I get a refund?"),
    ];
    let mut group = c.benchmark_group("span_overhead");

    group.bench_function("bare_fn", |b| b.iter(|| call_model(black_box(&messages))));

    {
        let registry = tracing::Dispatch::new(tracing_subscriber::registry());
        let _default = tracing::dispatcher::set_default(&registry);
        group.bench_function("tracing_span", |b| {
            b.iter(|| tracing_call(black_box(&messages)))
        });
    }

    for (label, content) in [
        ("content_off", ContentCapture::off()),
        ("content_on", ContentCapture::on()),
    ] {
        let guard = pipeline(content);
        group.bench_function(format!("manual_api/{label}"), |b| {
            b.iter(|| manual_call(black_box(&messages)))
        });
        group.bench_function(format!("traced_llm/{label}"), |b| {
            b.iter(|| traced_call(black_box(&messages)))
        });
        drop(guard);
    }
    group.finish();
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    ladder(&mut criterion);
    criterion.final_summary();
}
