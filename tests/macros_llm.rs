//! `#[traced_llm]` through the public API: span name, kind and attributes, every function
//! shape (sync, async, `&self` / `&mut self` methods, generic, `impl Trait` return,
//! `async-trait`, `-> impl Future`), errors, panics, parent links, and content present only
//! when capture allows it.
#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is the point

mod common;

use common::{flush, get, install, int, text};
use std::borrow::Cow;
use std::fmt;

use genai_otel::opentelemetry::trace::{SpanKind, Status};
use genai_otel::opentelemetry::{Array, Value};
use genai_otel::opentelemetry_sdk::trace::SpanData;
use genai_otel::testing::attribute;
use genai_otel::{
    semconv, traced_agent, traced_llm, ContentCapture, ErrorType, Message, OutputMessage,
};
use serde_json::json;

fn strings(values: &[&str]) -> Value {
    Value::Array(Array::String(
        values.iter().map(|v| v.to_string().into()).collect(),
    ))
}

fn has_content(span: &SpanData) -> bool {
    span.attributes
        .iter()
        .any(|kv| semconv::is_content_key(kv.key.as_str()))
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn openai_completion() -> serde_json::Value {
    json!({
        "id": "chatcmpl-42",
        "object": "chat.completion",
        "model": "gpt-4.1-mini-2025-04-14",
        "choices": [{
            "index": 0,
            "finish_reason": "stop",
            "message": {"role": "assistant", "content": "Your refund was issued."}
        }],
        "usage": {
            "prompt_tokens": 812, "completion_tokens": 164,
            "prompt_tokens_details": {"cached_tokens": 512},
            "completion_tokens_details": {"reasoning_tokens": 64}
        }
    })
}

/// An error that names its own `error.type`.
#[derive(Debug)]
enum ApiError {
    RateLimited,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("rate limited, retry in 2s")
    }
}

impl ErrorType for ApiError {
    fn error_type(&self) -> Cow<'_, str> {
        match self {
            ApiError::RateLimited => Cow::Borrowed("rate_limit_exceeded"),
        }
    }
}

/// An error with `Display` only: `error.type` is its type name.
#[derive(Debug)]
struct TransportError;

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection reset")
    }
}

/// An error with neither.
#[derive(Debug)]
struct Opaque;

#[traced_llm(provider = "openai", model = "gpt-4.1-mini", input = messages, temperature = 0.2, max_tokens = 512, top_p = 1, seed = 7)]
fn plan_response(messages: &[Message]) -> Result<serde_json::Value, ApiError> {
    Ok(openai_completion())
}

#[test]
fn sync_fn_records_the_inference_span() {
    let (guard, collector) = install(ContentCapture::off());
    let messages = [Message::user("Where is my refund?")];
    let response = plan_response(&messages).expect("ok");
    assert_eq!(
        response["id"], "chatcmpl-42",
        "the value passes through unchanged"
    );
    let spans = flush(&guard, &collector);
    assert_eq!(spans.len(), 1);
    let chat = get(&spans, "chat gpt-4.1-mini");
    assert_eq!(chat.span_kind, SpanKind::Client);
    assert_eq!(chat.status, Status::Unset);
    assert_eq!(text(chat, "gen_ai.operation.name").as_deref(), Some("chat"));
    assert_eq!(
        text(chat, "gen_ai.provider.name").as_deref(),
        Some("openai")
    );
    assert_eq!(
        text(chat, "gen_ai.request.model").as_deref(),
        Some("gpt-4.1-mini")
    );
    assert_eq!(
        attribute(chat, "gen_ai.request.temperature"),
        Some(&Value::F64(0.2))
    );
    assert_eq!(
        attribute(chat, "gen_ai.request.top_p"),
        Some(&Value::F64(1.0))
    );
    assert_eq!(int(chat, "gen_ai.request.max_tokens"), Some(512));
    assert_eq!(int(chat, "gen_ai.request.seed"), Some(7));
    assert_eq!(
        text(chat, semconv::CODE_FUNCTION_NAME).as_deref(),
        Some("macros_llm::plan_response")
    );
    assert_eq!(
        text(chat, "gen_ai.response.id").as_deref(),
        Some("chatcmpl-42")
    );
    assert_eq!(
        text(chat, "gen_ai.response.model").as_deref(),
        Some("gpt-4.1-mini-2025-04-14")
    );
    assert_eq!(
        attribute(chat, "gen_ai.response.finish_reasons"),
        Some(&strings(&["stop"]))
    );
    assert_eq!(int(chat, "gen_ai.usage.input_tokens"), Some(812));
    assert_eq!(int(chat, "gen_ai.usage.output_tokens"), Some(164));
    assert_eq!(int(chat, "gen_ai.usage.cache_read.input_tokens"), Some(512));
    assert_eq!(int(chat, "gen_ai.usage.reasoning.output_tokens"), Some(64));
    assert!(attribute(chat, "error.type").is_none());
    assert!(!has_content(chat), "content is off by default");
}

#[test]
fn content_is_recorded_only_when_capture_is_on() {
    let (guard, collector) = install(ContentCapture::on());
    let messages = [
        Message::system("You are a support agent."),
        Message::user("Where is my refund?"),
    ];
    plan_response(&messages).expect("ok");
    let spans = flush(&guard, &collector);
    let chat = get(&spans, "chat gpt-4.1-mini");
    let input: serde_json::Value =
        serde_json::from_str(&text(chat, "gen_ai.input.messages").expect("input")).unwrap();
    assert_eq!(input, serde_json::to_value(&messages).unwrap());
    let output: serde_json::Value =
        serde_json::from_str(&text(chat, "gen_ai.output.messages").expect("output")).unwrap();
    assert_eq!(output[0]["role"], "assistant");
    assert_eq!(output[0]["parts"][0]["content"], "Your refund was issued.");
    assert_eq!(output[0]["finish_reason"], "stop");

    // A switched-off kind stays off: output on, input off.
    drop(guard);
    let (guard, collector) = install(ContentCapture::on().input_messages(false));
    plan_response(&messages).expect("ok");
    let spans = flush(&guard, &collector);
    let chat = get(&spans, "chat gpt-4.1-mini");
    assert!(text(chat, "gen_ai.input.messages").is_none());
    assert!(text(chat, "gen_ai.output.messages").is_some());
}

/// Serializing it would fail the test: content that capture does not allow is never
/// serialized (nor, through the macro, even evaluated).
struct PanicsOnSerialize;

impl serde::Serialize for PanicsOnSerialize {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        panic!("content was serialized while capture is off");
    }
}

#[traced_llm(provider = "openai", model = "m", input = messages, system = instructions)]
fn never_serialized(messages: &PanicsOnSerialize, instructions: &PanicsOnSerialize) -> String {
    let _ = (messages, instructions);
    "ok".to_string()
}

struct Conversation {
    history: Vec<Message>,
    built: std::cell::Cell<u32>,
}

impl Conversation {
    fn messages(&self) -> &[Message] {
        self.built.set(self.built.get() + 1);
        &self.history
    }
}

#[traced_llm(provider = "openai", model = "m", input = conversation.messages())]
fn chat_with_history(conversation: &Conversation) -> String {
    conversation.history.len().to_string()
}

#[test]
fn computed_content_is_evaluated_only_when_recorded() {
    let conversation = Conversation {
        history: vec![Message::user("hi")],
        built: std::cell::Cell::new(0),
    };
    let (guard, collector) = install(ContentCapture::off());
    chat_with_history(&conversation);
    assert_eq!(
        conversation.built.get(),
        0,
        "not evaluated with capture off"
    );
    assert!(!has_content(&flush(&guard, &collector)[0]));
    drop(guard);
    let (guard, collector) = install(ContentCapture::on());
    chat_with_history(&conversation);
    assert_eq!(conversation.built.get(), 1);
    let spans = flush(&guard, &collector);
    assert!(text(&spans[0], "gen_ai.input.messages")
        .unwrap()
        .contains("hi"));
}

#[test]
fn content_off_is_never_serialized() {
    let (guard, collector) = install(ContentCapture::off());
    assert_eq!(
        never_serialized(&PanicsOnSerialize, &PanicsOnSerialize),
        "ok"
    );
    let spans = flush(&guard, &collector);
    assert!(!has_content(get(&spans, "chat m")));
}

#[traced_llm(provider = "openai", model = "gpt-4.1-mini", input = messages)]
async fn rate_limited(messages: Vec<Message>) -> Result<serde_json::Value, ApiError> {
    tokio::task::yield_now().await;
    let _ = messages;
    Err(ApiError::RateLimited)
}

#[traced_llm(provider = "openai", model = "gpt-4.1-mini")]
async fn transport_failure() -> Result<String, TransportError> {
    Err(TransportError)
}

#[traced_llm(provider = "openai", model = "gpt-4.1-mini")]
fn opaque_failure() -> Result<String, Opaque> {
    Err(Opaque)
}

#[test]
fn errors_set_status_and_error_type() {
    let (guard, collector) = install(ContentCapture::off());
    let rt = rt();
    assert!(rt
        .block_on(rate_limited(vec![Message::user("hi")]))
        .is_err());
    assert!(rt.block_on(transport_failure()).is_err());
    assert!(opaque_failure().is_err());
    let spans = flush(&guard, &collector);
    assert_eq!(spans.len(), 3);
    let by_error: Vec<(Option<String>, Status)> = spans
        .iter()
        .map(|s| (text(s, "error.type"), s.status.clone()))
        .collect();
    assert_eq!(
        by_error,
        vec![
            (
                Some("rate_limit_exceeded".to_string()),
                Status::error("rate limited, retry in 2s")
            ),
            (
                Some("TransportError".to_string()),
                Status::error("connection reset")
            ),
            (Some("Opaque".to_string()), Status::error("Opaque")),
        ]
    );
    for s in &spans {
        assert!(attribute(s, "gen_ai.usage.input_tokens").is_none());
        assert!(attribute(s, "gen_ai.response.finish_reasons").is_none());
    }
}

#[traced_llm(provider = "openai", model = "gpt-4.1-mini")]
fn panics_sync() -> String {
    panic!("model client bug: {}", 42)
}

#[traced_llm(provider = "openai", model = "gpt-4.1-mini")]
async fn panics_async() -> String {
    tokio::task::yield_now().await;
    panic!("async model client bug")
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
}

#[test]
fn panics_end_the_span_with_an_error_and_continue() {
    let (guard, collector) = install(ContentCapture::off());
    let payload = std::panic::catch_unwind(panics_sync).expect_err("the panic continues");
    assert_eq!(
        panic_text(&*payload),
        Some("model client bug: 42"),
        "with its original payload"
    );
    let rt = rt();
    let payload =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rt.block_on(panics_async())))
            .expect_err("the panic continues");
    assert_eq!(panic_text(&*payload), Some("async model client bug"));
    let spans = flush(&guard, &collector);
    assert_eq!(spans.len(), 2, "both spans ended");
    assert_eq!(text(&spans[0], "error.type").as_deref(), Some("panic"));
    assert_eq!(spans[0].status, Status::error("model client bug: 42"));
    assert_eq!(text(&spans[1], "error.type").as_deref(), Some("panic"));
    assert_eq!(spans[1].status, Status::error("async model client bug"));
}

struct Client {
    model: String,
    calls: u32,
}

impl Client {
    #[traced_llm(provider = "anthropic", model = self.model, input = messages)]
    fn complete(&self, messages: &[Message]) -> serde_json::Value {
        let _ = messages;
        json!({
            "id": "msg_1", "type": "message", "role": "assistant", "model": self.model,
            "content": [{"type": "text", "text": "Done."}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": 10, "cache_read_input_tokens": 90, "output_tokens": 7}
        })
    }

    #[traced_llm(provider = "anthropic", model = &self.model)]
    async fn complete_mut(&mut self) -> Option<OutputMessage> {
        self.calls += 1;
        Some(OutputMessage::new(
            Message::assistant("counted"),
            "end_turn",
        ))
    }
}

#[test]
fn methods_use_self_in_arguments_and_record_the_type_in_the_function_name() {
    let (guard, collector) = install(ContentCapture::on());
    let mut client = Client {
        model: "claude-sonnet-4".to_string(),
        calls: 0,
    };
    client.complete(&[Message::user("hi")]);
    rt().block_on(client.complete_mut());
    assert_eq!(client.calls, 1, "&mut self reached the body");
    let spans = flush(&guard, &collector);
    assert_eq!(spans.len(), 2);
    for s in &spans {
        assert_eq!(s.name, "chat claude-sonnet-4", "model from `self.model`");
        assert_eq!(
            text(s, "gen_ai.provider.name").as_deref(),
            Some("anthropic")
        );
    }
    assert_eq!(
        text(&spans[0], semconv::CODE_FUNCTION_NAME).as_deref(),
        Some("macros_llm::Client::complete")
    );
    assert_eq!(
        text(&spans[1], semconv::CODE_FUNCTION_NAME).as_deref(),
        Some("macros_llm::Client::complete_mut")
    );
    // Anthropic usage: cache reads count as input.
    assert_eq!(int(&spans[0], "gen_ai.usage.input_tokens"), Some(100));
    assert_eq!(
        int(&spans[0], "gen_ai.usage.cache_read.input_tokens"),
        Some(90)
    );
    assert_eq!(
        attribute(&spans[0], "gen_ai.response.finish_reasons"),
        Some(&strings(&["end_turn"]))
    );
    assert_eq!(
        attribute(&spans[1], "gen_ai.response.finish_reasons"),
        Some(&strings(&["end_turn"]))
    );
    assert!(text(&spans[1], "gen_ai.output.messages")
        .expect("output")
        .contains("counted"));
}

#[traced_llm(provider = "openai", model = model, input = messages, operation = "text_completion")]
fn generic_call<M, S: AsRef<str>>(model: S, messages: &M) -> String
where
    M: serde::Serialize + fmt::Debug + ?Sized,
{
    format!("{} {messages:?}", model.as_ref())
}

/// The return type is a type parameter: read through its declared `LlmResponse` bound.
#[traced_llm(provider = "openai", model = "gpt-4.1-mini")]
fn generic_response<R: genai_otel::LlmResponse>(make: impl FnOnce() -> R) -> R {
    make()
}

#[test]
fn generic_functions() {
    let (guard, collector) = install(ContentCapture::on());
    let out = generic_call("gpt-3.5-turbo-instruct", &["complete this"][..]);
    assert_eq!(out, r#"gpt-3.5-turbo-instruct ["complete this"]"#);
    generic_call(String::from("davinci-002"), &json!({"prompt": "x"}));
    generic_response(openai_completion);
    let spans = flush(&guard, &collector);
    let bounded = get(&spans, "chat gpt-4.1-mini");
    assert_eq!(
        int(bounded, "gen_ai.usage.input_tokens"),
        Some(812),
        "read through the bound"
    );
    let first = get(&spans, "text_completion gpt-3.5-turbo-instruct");
    assert_eq!(
        text(first, "gen_ai.operation.name").as_deref(),
        Some("text_completion")
    );
    assert_eq!(
        text(first, "gen_ai.input.messages").as_deref(),
        Some(r#"["complete this"]"#)
    );
    let second = get(&spans, "text_completion davinci-002");
    assert_eq!(
        text(second, "gen_ai.input.messages").as_deref(),
        Some(r#"{"prompt":"x"}"#)
    );
    // `String` answers are read through `LlmResponse` too.
    assert!(text(second, "gen_ai.output.messages").is_some());
}

#[traced_llm(provider = "openai", model = "gpt-4.1-mini")]
fn opaque_response() -> impl genai_otel::LlmResponse + fmt::Debug {
    openai_completion()
}

#[traced_llm(
    provider = "openai",
    model = "text-embedding-3-small",
    operation = "embeddings"
)]
fn embed() -> Result<impl fmt::Debug, TransportError> {
    Ok(json!({"model": "text-embedding-3-small", "usage": {"prompt_tokens": 8, "total_tokens": 8}}))
}

#[test]
fn impl_trait_returns_are_read_through_the_concrete_type() {
    let (guard, collector) = install(ContentCapture::off());
    let _ = opaque_response();
    embed().expect("ok");
    let spans = flush(&guard, &collector);
    let chat = get(&spans, "chat gpt-4.1-mini");
    assert_eq!(int(chat, "gen_ai.usage.input_tokens"), Some(812));
    let embeddings = get(&spans, "embeddings text-embedding-3-small");
    assert_eq!(
        text(embeddings, "gen_ai.operation.name").as_deref(),
        Some("embeddings")
    );
    assert_eq!(int(embeddings, "gen_ai.usage.input_tokens"), Some(8));
    assert_eq!(
        text(embeddings, "gen_ai.response.model").as_deref(),
        Some("text-embedding-3-small")
    );
}

#[async_trait::async_trait]
trait ChatClient {
    async fn chat(&self, messages: &[Message]) -> Result<serde_json::Value, ApiError>;
}

struct OpenAi {
    model: &'static str,
}

#[async_trait::async_trait]
impl ChatClient for OpenAi {
    #[traced_llm(provider = "openai", model = self.model, input = messages)]
    async fn chat(&self, messages: &[Message]) -> Result<serde_json::Value, ApiError> {
        tokio::task::yield_now().await;
        if messages.is_empty() {
            return Err(ApiError::RateLimited);
        }
        Ok(openai_completion())
    }
}

/// `-> impl Future` built by an `async` block in tail position: the span covers the
/// future's execution, not just its construction.
#[traced_llm(provider = "openai", model = "gpt-4.1-nano")]
#[allow(clippy::manual_async_fn)] // the shape under test
fn returns_future(delay: u64) -> impl std::future::Future<Output = Result<String, TransportError>> {
    async move {
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
        Ok("late answer".to_string())
    }
}

#[traced_agent(name = "support_agent")]
async fn agent(client: &(dyn ChatClient + Sync)) -> usize {
    let ok = client.chat(&[Message::user("refund?")]).await.is_ok();
    let err = client.chat(&[]).await.is_err();
    let later = returns_future(20).await.is_ok();
    usize::from(ok) + usize::from(err) + usize::from(later)
}

#[test]
fn async_trait_methods_and_returned_futures_nest_under_the_caller() {
    let (guard, collector) = install(ContentCapture::on());
    let client = OpenAi {
        model: "gpt-4.1-mini",
    };
    assert_eq!(rt().block_on(agent(&client)), 3);
    let spans = flush(&guard, &collector);
    assert_eq!(spans.len(), 4, "{:?}", collector.names());
    let root = get(&spans, "invoke_agent support_agent");
    assert_eq!(root.span_kind, SpanKind::Internal);
    assert_eq!(
        root.status,
        Status::Unset,
        "the agent handled its model errors"
    );
    for s in spans.iter().filter(|s| s.name != root.name) {
        assert_eq!(s.parent_span_id, root.span_context.span_id(), "{}", s.name);
        assert_eq!(s.span_context.trace_id(), root.span_context.trace_id());
    }
    let chats: Vec<&SpanData> = spans
        .iter()
        .filter(|s| s.name == "chat gpt-4.1-mini")
        .collect();
    assert_eq!(chats.len(), 2);
    assert_eq!(int(chats[0], "gen_ai.usage.input_tokens"), Some(812));
    assert!(text(chats[0], "gen_ai.input.messages")
        .unwrap()
        .contains("refund?"));
    assert_eq!(
        text(chats[0], semconv::CODE_FUNCTION_NAME).as_deref(),
        Some("macros_llm::OpenAi::chat")
    );
    assert_eq!(
        text(chats[1], "error.type").as_deref(),
        Some("rate_limit_exceeded")
    );
    let later = get(&spans, "chat gpt-4.1-nano");
    let duration = later
        .end_time
        .duration_since(later.start_time)
        .expect("ends after it starts");
    assert!(
        duration >= std::time::Duration::from_millis(20),
        "the span covers the awaited future: {duration:?}"
    );
    assert!(text(later, "gen_ai.output.messages")
        .expect("output")
        .contains("late answer"));
}

#[test]
fn futures_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    let client = OpenAi { model: "m" };
    let messages = vec![Message::user("hi")];
    assert_send(&rate_limited(messages));
    assert_send(&agent(&client));
    assert_send(&returns_future(1));
}

#[traced_llm(provider = "openai", model = "gpt-4.1-mini")]
async fn slow_chat(gate: tokio::sync::oneshot::Receiver<()>) -> String {
    let _ = gate.await;
    "late".to_string()
}

#[test]
fn an_async_call_dropped_mid_flight_ends_its_span_marked_cancelled() {
    let (guard, collector) = install(ContentCapture::off());
    let rt = rt();
    let (_keep_open, gate) = tokio::sync::oneshot::channel::<()>();
    // A timeout drops the call while it waits: the span must end, marked cancelled.
    let outcome = rt.block_on(async {
        tokio::time::timeout(std::time::Duration::from_millis(20), slow_chat(gate)).await
    });
    assert!(outcome.is_err(), "the call was cut off by the timeout");
    let (tx, gate) = tokio::sync::oneshot::channel::<()>();
    tx.send(()).unwrap();
    assert_eq!(rt.block_on(slow_chat(gate)), "late");

    let spans = flush(&guard, &collector);
    assert_eq!(spans.len(), 2, "both spans ended");
    let cancelled: Vec<bool> = spans
        .iter()
        .map(|s| attribute(s, semconv::CANCELLED) == Some(&Value::Bool(true)))
        .collect();
    assert_eq!(cancelled.iter().filter(|c| **c).count(), 1, "{spans:#?}");
    // Cancelling is the caller's choice, not an error.
    assert!(spans.iter().all(|s| s.status == Status::Unset));
}
