//! Streamed responses: `#[traced_llm]` on functions returning streams, and `TracedStream`
//! around streams built elsewhere. The span covers the whole stream and ends exactly once —
//! when the stream ends, fails or is dropped; a dropped stream never leaves a span open.
#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is the point

mod common;

use common::{flush, install, int, text};
use std::pin::Pin;
use std::time::Duration;

use futures_core::Stream;
use futures_util::StreamExt;
use genai_otel::opentelemetry::trace::{SpanKind, Status};
use genai_otel::opentelemetry::{Array, Value};
use genai_otel::testing::attribute;
use genai_otel::{
    semconv, traced_agent, traced_llm, ContentCapture, InferenceSpan, Message, ToolSpan,
    TracedStream,
};
use serde_json::json;

fn strings(values: &[&str]) -> Value {
    Value::Array(Array::String(
        values.iter().map(|v| v.to_string().into()).collect(),
    ))
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// `items`, one every `delay`.
fn delayed<T>(items: Vec<T>, delay: Duration) -> impl Stream<Item = T> + Send
where
    T: Send + 'static,
{
    futures_util::stream::unfold(items.into_iter(), move |mut items| async move {
        let next = items.next()?;
        tokio::time::sleep(delay).await;
        Some((next, items))
    })
}

fn openai_chunks() -> Vec<serde_json::Value> {
    let chunk = |choices: serde_json::Value| {
        json!({"id": "chatcmpl-9", "object": "chat.completion.chunk",
               "model": "gpt-4.1-mini-2025-04-14", "choices": choices, "usage": null})
    };
    vec![
        chunk(
            json!([{"index": 0, "delta": {"role": "assistant", "content": "Refund "}, "finish_reason": null}]),
        ),
        chunk(json!([{"index": 0, "delta": {"content": "issued."}, "finish_reason": null}])),
        chunk(json!([{"index": 0, "delta": {}, "finish_reason": "stop"}])),
        json!({"id": "chatcmpl-9", "object": "chat.completion.chunk", "model": "gpt-4.1-mini-2025-04-14",
               "choices": [],
               "usage": {"prompt_tokens": 20, "completion_tokens": 4,
                         "prompt_tokens_details": {"cached_tokens": 8}}}),
    ]
}

#[traced_llm(provider = "openai", model = "gpt-4.1-mini", input = messages)]
async fn stream_chat(messages: Vec<Message>) -> impl Stream<Item = serde_json::Value> + Send {
    tokio::time::sleep(Duration::from_millis(5)).await; // connecting
    let _ = messages;
    delayed(openai_chunks(), Duration::from_millis(10))
}

#[test]
fn the_span_covers_the_whole_stream() {
    let (guard, collector) = install(ContentCapture::off());
    let rt = rt();
    let stream = rt.block_on(stream_chat(vec![Message::user("refund?")]));
    assert!(
        flush(&guard, &collector).is_empty(),
        "the span is open while the stream lives"
    );
    let chunks: Vec<serde_json::Value> = rt.block_on(stream.collect());
    assert_eq!(chunks, openai_chunks(), "items pass through unchanged");
    let spans = flush(&guard, &collector);
    assert_eq!(spans.len(), 1);
    let chat = &spans[0];
    assert_eq!(chat.name, "chat gpt-4.1-mini");
    assert_eq!(chat.span_kind, SpanKind::Client);
    assert_eq!(chat.status, Status::Unset);
    assert_eq!(
        attribute(chat, "gen_ai.request.stream"),
        Some(&Value::Bool(true))
    );
    let ttfc = match attribute(chat, "gen_ai.response.time_to_first_chunk") {
        Some(Value::F64(s)) => *s,
        other => panic!("time to first chunk: {other:?}"),
    };
    assert!(
        (0.015..10.0).contains(&ttfc),
        "connect + first delay: {ttfc}"
    );
    let duration = chat.end_time.duration_since(chat.start_time).unwrap();
    assert!(duration >= Duration::from_millis(45), "{duration:?}");
    assert_eq!(
        text(chat, "gen_ai.response.id").as_deref(),
        Some("chatcmpl-9")
    );
    assert_eq!(
        text(chat, "gen_ai.response.model").as_deref(),
        Some("gpt-4.1-mini-2025-04-14")
    );
    assert_eq!(int(chat, "gen_ai.usage.input_tokens"), Some(20));
    assert_eq!(int(chat, "gen_ai.usage.output_tokens"), Some(4));
    assert_eq!(int(chat, "gen_ai.usage.cache_read.input_tokens"), Some(8));
    assert_eq!(
        attribute(chat, "gen_ai.response.finish_reasons"),
        Some(&strings(&["stop"]))
    );
    assert!(attribute(chat, semconv::STREAM_CANCELLED).is_none());
    assert!(
        chat.attributes
            .iter()
            .all(|kv| !semconv::is_content_key(kv.key.as_str())),
        "content is off"
    );
}

#[test]
fn streamed_output_is_accumulated_as_content() {
    let (guard, collector) = install(ContentCapture::on());
    let rt = rt();
    let stream = rt.block_on(stream_chat(vec![Message::user("refund?")]));
    let _: Vec<_> = rt.block_on(stream.collect());
    let spans = flush(&guard, &collector);
    let output: serde_json::Value =
        serde_json::from_str(&text(&spans[0], "gen_ai.output.messages").expect("output")).unwrap();
    assert_eq!(
        output,
        json!([{"role": "assistant", "parts": [{"type": "text", "content": "Refund issued."}],
                "finish_reason": "stop"}])
    );
    assert!(text(&spans[0], "gen_ai.input.messages")
        .unwrap()
        .contains("refund?"));
}

#[test]
fn a_stream_dropped_early_ends_its_span_as_cancelled() {
    let (guard, collector) = install(ContentCapture::on());
    let rt = rt();
    // Dropped after the first chunk.
    let mut stream = Box::pin(rt.block_on(stream_chat(vec![])));
    assert!(rt.block_on(stream.next()).is_some());
    drop(stream);
    // Dropped without ever being polled.
    let never_polled = rt.block_on(stream_chat(vec![]));
    drop(never_polled);
    let spans = flush(&guard, &collector);
    assert_eq!(spans.len(), 2, "no span is left open");
    for s in &spans {
        assert_eq!(
            attribute(s, semconv::STREAM_CANCELLED),
            Some(&Value::Bool(true))
        );
        assert_eq!(
            attribute(s, "gen_ai.response.finish_reasons"),
            Some(&strings(&["error"])),
            "the missing finish reason"
        );
        assert_eq!(s.status, Status::Unset, "the consumer chose to stop");
    }
    let partial: serde_json::Value =
        serde_json::from_str(&text(&spans[0], "gen_ai.output.messages").expect("partial")).unwrap();
    assert_eq!(partial[0]["parts"][0]["content"], "Refund ");
    assert_eq!(partial[0]["finish_reason"], "error");
    assert!(attribute(&spans[0], "gen_ai.response.time_to_first_chunk").is_some());
    assert!(attribute(&spans[1], "gen_ai.response.time_to_first_chunk").is_none());
    assert!(attribute(&spans[1], "gen_ai.output.messages").is_none());
}

#[derive(Debug, Clone, PartialEq)]
struct StreamFailure;

impl std::fmt::Display for StreamFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset mid-stream")
    }
}

type ChunkStream = Pin<Box<dyn Stream<Item = Result<String, StreamFailure>> + Send>>;

/// The boxed stream spelled out: recognized as a stream without `stream`.
#[traced_llm(provider = "ollama", model = "llama3.2")]
#[allow(clippy::type_complexity)]
fn local_stream(
    fail_before: bool,
    fail_during: bool,
) -> Result<Pin<Box<dyn Stream<Item = Result<String, StreamFailure>> + Send>>, StreamFailure> {
    if fail_before {
        return Err(StreamFailure);
    }
    let mut items = vec![Ok("Hel".to_string())];
    if fail_during {
        items.push(Err(StreamFailure));
    }
    items.push(Ok("lo".to_string()));
    Ok(Box::pin(futures_util::stream::iter(items)))
}

#[test]
fn errors_before_and_during_the_stream() {
    let (guard, collector) = install(ContentCapture::on());
    let rt = rt();
    assert!(local_stream(true, false).is_err());
    let items: Vec<_> = rt.block_on(local_stream(false, true).unwrap().collect());
    assert_eq!(items.len(), 3, "items after the failure still pass through");
    let items: Vec<_> = rt.block_on(local_stream(false, false).unwrap().collect());
    assert_eq!(items, vec![Ok("Hel".to_string()), Ok("lo".to_string())]);
    let spans = flush(&guard, &collector);
    assert_eq!(spans.len(), 3);
    for s in &spans {
        assert_eq!(s.name, "chat llama3.2");
    }
    // Failed before a stream existed: an error, no stream attributes recorded.
    assert_eq!(
        text(&spans[0], "error.type").as_deref(),
        Some("StreamFailure")
    );
    assert_eq!(
        spans[0].status,
        Status::error("connection reset mid-stream")
    );
    assert!(attribute(&spans[0], "gen_ai.response.finish_reasons").is_none());
    // Failed mid-stream: error, and `error` for the reason that never came.
    assert_eq!(
        text(&spans[1], "error.type").as_deref(),
        Some("StreamFailure")
    );
    assert_eq!(
        spans[1].status,
        Status::error("connection reset mid-stream")
    );
    assert_eq!(
        attribute(&spans[1], "gen_ai.response.finish_reasons"),
        Some(&strings(&["error"]))
    );
    assert!(text(&spans[1], "gen_ai.output.messages")
        .unwrap()
        .contains("Hel"));
    // Completed without a finish reason (plain text chunks carry none).
    assert_eq!(spans[2].status, Status::Unset);
    assert!(text(&spans[2], "gen_ai.output.messages")
        .unwrap()
        .contains("Hello"));
}

/// An alias hides the boxed stream: `stream` says it is one.
#[traced_llm(provider = "ollama", model = "llama3.2", stream)]
fn aliased() -> ChunkStream {
    Box::pin(futures_util::stream::iter(vec![Ok("a".to_string())]))
}

/// `stream = false`: only the call that creates the stream is traced.
#[traced_llm(provider = "ollama", model = "llama3.2-creation", stream = false)]
fn creation_only() -> impl Stream<Item = String> {
    futures_util::stream::iter(vec!["a".to_string()])
}

#[test]
fn stream_flag() {
    let (guard, collector) = install(ContentCapture::off());
    let rt = rt();
    let aliased = aliased();
    let creation = creation_only();
    let spans = flush(&guard, &collector);
    assert_eq!(spans.len(), 1, "the aliased stream's span is still open");
    assert_eq!(spans[0].name, "chat llama3.2-creation");
    assert!(attribute(&spans[0], "gen_ai.request.stream").is_none());
    let _: Vec<_> = rt.block_on(aliased.collect());
    let _: Vec<_> = rt.block_on(creation.collect());
    let spans = flush(&guard, &collector);
    assert_eq!(spans.len(), 2);
    assert_eq!(spans[1].name, "chat llama3.2");
    assert_eq!(
        attribute(&spans[1], "gen_ai.request.stream"),
        Some(&Value::Bool(true))
    );
}

/// Spans started while the inner stream is polled nest under the stream's span.
#[traced_llm(provider = "openai", model = "gpt-4.1-mini")]
fn stream_with_inner_work() -> impl Stream<Item = String> + Send {
    futures_util::stream::iter(0..2).map(|i| {
        ToolSpan::builder("inner_work").start().end();
        format!("chunk {i}")
    })
}

#[traced_agent(name = "streaming_agent")]
async fn streaming_agent() -> usize {
    stream_with_inner_work().collect::<Vec<_>>().await.len()
}

#[test]
fn streams_nest_under_the_caller_and_their_items_under_the_stream() {
    let (guard, collector) = install(ContentCapture::off());
    assert_eq!(rt().block_on(streaming_agent()), 2);
    let spans = flush(&guard, &collector);
    assert_eq!(spans.len(), 4, "{:?}", collector.names());
    let agent = spans
        .iter()
        .find(|s| s.name == "invoke_agent streaming_agent")
        .unwrap();
    let chat = spans
        .iter()
        .find(|s| s.name == "chat gpt-4.1-mini")
        .unwrap();
    assert_eq!(chat.parent_span_id, agent.span_context.span_id());
    let inner: Vec<_> = spans
        .iter()
        .filter(|s| s.name == "execute_tool inner_work")
        .collect();
    assert_eq!(inner.len(), 2);
    for s in inner {
        assert_eq!(s.parent_span_id, chat.span_context.span_id());
    }
}

#[test]
fn traced_stream_wraps_streams_built_elsewhere() {
    let (guard, collector) = install(ContentCapture::on());
    let events = vec![
        json!({"type": "message_start", "message": {"id": "msg_7", "model": "claude-sonnet-4-20250514",
               "usage": {"input_tokens": 25, "cache_read_input_tokens": 100, "output_tokens": 1}}}),
        json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Checking"}}),
        json!({"type": "content_block_start", "index": 1,
               "content_block": {"type": "tool_use", "id": "toolu_1", "name": "lookup_order", "input": {}}}),
        json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{\"order_id\":"}}),
        json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": " \"ord_1\"}"}}),
        json!({"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 15}}),
        json!({"type": "message_stop"}),
    ];
    let span = InferenceSpan::chat("anthropic", "claude-sonnet-4")
        .streaming()
        .start();
    let stream = TracedStream::new(futures_util::stream::iter(events), span);
    assert!(stream.span().is_some());
    let n = rt().block_on(stream.count());
    assert_eq!(n, 8);
    let spans = flush(&guard, &collector);
    let chat = &spans[0];
    assert_eq!(chat.name, "chat claude-sonnet-4");
    assert_eq!(text(chat, "gen_ai.response.id").as_deref(), Some("msg_7"));
    assert_eq!(int(chat, "gen_ai.usage.input_tokens"), Some(125));
    assert_eq!(int(chat, "gen_ai.usage.cache_read.input_tokens"), Some(100));
    assert_eq!(
        int(chat, "gen_ai.usage.output_tokens"),
        Some(15),
        "the last count wins"
    );
    assert_eq!(
        attribute(chat, "gen_ai.response.finish_reasons"),
        Some(&strings(&["tool_use"]))
    );
    let output: serde_json::Value =
        serde_json::from_str(&text(chat, "gen_ai.output.messages").unwrap()).unwrap();
    assert_eq!(
        output,
        json!([{"role": "assistant", "finish_reason": "tool_use", "parts": [
            {"type": "text", "content": "Checking"},
            {"type": "tool_call", "id": "toolu_1", "name": "lookup_order", "arguments": {"order_id": "ord_1"}}
        ]}])
    );
}

#[test]
fn several_choices_and_an_anthropic_error_event() {
    let (guard, collector) = install(ContentCapture::off());
    let rt = rt();
    let choices = vec![
        json!({"id": "c", "choices": [{"index": 0, "delta": {"content": "a"}, "finish_reason": "stop"},
                                      {"index": 1, "delta": {"content": "b"}, "finish_reason": null}]}),
    ];
    let span = InferenceSpan::chat("openai", "m").streaming().start();
    let mut stream = TracedStream::new(futures_util::stream::iter(choices), span);
    assert!(rt.block_on(stream.next()).is_some());
    drop(stream);
    let span = InferenceSpan::chat("anthropic", "m2").streaming().start();
    let errors = vec![
        json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
    ];
    let _: Vec<_> =
        rt.block_on(TracedStream::new(futures_util::stream::iter(errors), span).collect());
    let spans = flush(&guard, &collector);
    assert_eq!(
        attribute(&spans[0], "gen_ai.response.finish_reasons"),
        Some(&strings(&["stop", "error"]))
    );
    assert_eq!(
        text(&spans[1], "error.type").as_deref(),
        Some("overloaded_error")
    );
    assert_eq!(spans[1].status, Status::error("Overloaded"));
}

#[test]
fn traced_streams_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    let _guard = install(ContentCapture::off());
    assert_send(&stream_chat(vec![]));
    let s = stream_with_inner_work();
    assert_send(&s);
    assert_send(&local_stream(false, false));
}

#[test]
fn a_panicking_stream_ends_its_span_with_an_error() {
    let (guard, collector) = install(ContentCapture::off());
    let items = futures_util::stream::iter(0..3).map(|i| {
        assert!(i < 1, "decoder bug at chunk {i}");
        format!("chunk {i}")
    });
    let span = InferenceSpan::chat("openai", "m").streaming().start();
    let mut stream = TracedStream::new(items, span);
    let rt = rt();
    assert!(rt.block_on(stream.next()).is_some());
    let payload =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rt.block_on(stream.next())))
            .expect_err("the panic continues");
    drop(stream);
    let spans = flush(&guard, &collector);
    assert_eq!(spans.len(), 1, "ended once");
    assert_eq!(text(&spans[0], "error.type").as_deref(), Some("panic"));
    assert!(
        matches!(&spans[0].status, Status::Error { description } if description.contains("decoder bug at chunk 1")),
        "{:?}",
        spans[0].status
    );
    assert!(attribute(&spans[0], semconv::STREAM_CANCELLED).is_none());
    drop(payload);
}
