//! The real `async-openai` client, instrumented with `#[traced_llm]`, against a local HTTP
//! server on 127.0.0.1 that answers with recorded OpenAI-format JSON and SSE bodies.
//! Chat completions and streamed completions report usage, finish reasons, ids and output
//! through the crate's traits; API errors name their `error.type` (the API's error code).
#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is the point
#![cfg(feature = "async-openai")]

mod common;

use common::{install, int, text};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::types::chat::{
    ChatCompletionRequestMessage, ChatCompletionRequestUserMessage, ChatCompletionResponseStream,
    ChatCompletionStreamOptions, CreateChatCompletionRequestArgs, CreateChatCompletionResponse,
};
use async_openai::Client;
use futures_util::StreamExt;
use genai_otel::opentelemetry::trace::{SpanKind, Status};
use genai_otel::opentelemetry::{Array, Value};
use genai_otel::testing::attribute;
use genai_otel::{semconv, traced_llm, ContentCapture};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn strings(values: &[&str]) -> Value {
    Value::Array(Array::String(
        values.iter().map(|v| v.to_string().into()).collect(),
    ))
}

// ---- recorded responses -------------------------------------------------------------------

const COMPLETION: &str = r#"{
  "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
  "object": "chat.completion",
  "created": 1741570283,
  "model": "gpt-4.1-mini-2025-04-14",
  "choices": [{
    "index": 0,
    "message": {"role": "assistant", "content": "Your refund of $90.00 was issued.", "refusal": null, "annotations": []},
    "logprobs": null,
    "finish_reason": "stop"
  }],
  "usage": {
    "prompt_tokens": 1117, "completion_tokens": 46, "total_tokens": 1163,
    "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                  "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}
  },
  "service_tier": "default",
  "system_fingerprint": "fp_fc9f1d7035"
}"#;

const TOOL_CALL_COMPLETION: &str = r#"{
  "id": "chatcmpl-tool",
  "object": "chat.completion",
  "created": 1741570283,
  "model": "gpt-4.1-mini-2025-04-14",
  "choices": [{
    "index": 0,
    "message": {"role": "assistant", "content": null, "tool_calls": [{
      "id": "call_9xA", "type": "function",
      "function": {"name": "create_refund", "arguments": "{\"order_id\":\"ord_1\",\"cents\":9000}"}
    }]},
    "logprobs": null,
    "finish_reason": "tool_calls"
  }],
  "usage": {"prompt_tokens": 200, "completion_tokens": 20, "total_tokens": 220}
}"#;

const RATE_LIMITED: &str = r#"{"error": {"message": "Rate limit reached for gpt-4.1-mini", "type": "requests", "param": null, "code": "rate_limit_exceeded"}}"#;

const NO_QUOTA: &str = r#"{"error": {"message": "You exceeded your current quota, please check your plan and billing details.", "type": "insufficient_quota", "param": null, "code": "insufficient_quota"}}"#;

fn sse_body() -> String {
    let chunk = |choices: &str, usage: &str| {
        format!(
            r#"data: {{"id":"chatcmpl-stream1","object":"chat.completion.chunk","created":1741570283,"model":"gpt-4.1-mini-2025-04-14","system_fingerprint":"fp_1","choices":{choices},"usage":{usage}}}"#
        ) + "\n\n"
    };
    [
        chunk(
            r#"[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]"#,
            "null",
        ),
        chunk(
            r#"[{"index":0,"delta":{"content":"Refund "},"logprobs":null,"finish_reason":null}]"#,
            "null",
        ),
        chunk(
            r#"[{"index":0,"delta":{"content":"issued."},"logprobs":null,"finish_reason":null}]"#,
            "null",
        ),
        chunk(
            r#"[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]"#,
            "null",
        ),
        chunk(
            "[]",
            r#"{"prompt_tokens":21,"completion_tokens":3,"total_tokens":24,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}"#,
        ),
        "data: [DONE]\n\n".to_string(),
    ]
    .concat()
}

// ---- the local server ---------------------------------------------------------------------

/// Serves at most `max_requests` requests on 127.0.0.1 and stops; the answer depends on the
/// request body (`"stream": true`, a message asking for a tool, for a rate limit once —
/// answered 429 with `retry-after: 0` the first time —, or for a quota error).
async fn serve(max_requests: usize) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}/v1", listener.local_addr().expect("addr"));
    let served = Arc::new(AtomicUsize::new(0));
    let count = served.clone();
    tokio::spawn(async move {
        let mut rate_limited_once = false;
        for _ in 0..max_requests {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let mut buf = Vec::new();
            let mut chunk = [0_u8; 4096];
            // Headers, then as many body bytes as Content-Length says.
            let (head_end, length) = loop {
                let n = socket.read(&mut chunk).await.expect("read");
                assert!(n > 0, "client closed early");
                buf.extend_from_slice(&chunk[..n]);
                if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&buf[..pos]).to_ascii_lowercase();
                    assert!(head.starts_with("post /v1/chat/completions "), "{head}");
                    assert!(head.contains("authorization: bearer sk-test"), "{head}");
                    let length = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length: "))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .expect("content-length");
                    break (pos + 4, length);
                }
            };
            while buf.len() < head_end + length {
                let n = socket.read(&mut chunk).await.expect("read body");
                assert!(n > 0, "client closed early");
                buf.extend_from_slice(&chunk[..n]);
            }
            let request: serde_json::Value =
                serde_json::from_slice(&buf[head_end..head_end + length]).expect("JSON body");
            let asks = request["messages"].to_string();
            let (status, content_type, body) = if request["stream"] == true {
                ("200 OK", "text/event-stream", sse_body())
            } else if asks.contains("rate limit me once") && !rate_limited_once {
                rate_limited_once = true;
                (
                    "429 Too Many Requests",
                    "application/json",
                    RATE_LIMITED.to_string(),
                )
            } else if asks.contains("no quota") {
                (
                    "429 Too Many Requests",
                    "application/json",
                    NO_QUOTA.to_string(),
                )
            } else if asks.contains("use a tool") {
                (
                    "200 OK",
                    "application/json",
                    TOOL_CALL_COMPLETION.to_string(),
                )
            } else {
                ("200 OK", "application/json", COMPLETION.to_string())
            };
            let response = format!(
                "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\
                 retry-after: 0\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            socket.write_all(response.as_bytes()).await.expect("write");
            socket.shutdown().await.ok();
            count.fetch_add(1, Ordering::SeqCst);
        }
    });
    (base, served)
}

// ---- the instrumented client --------------------------------------------------------------

struct Assistant {
    client: Client<OpenAIConfig>,
    model: String,
}

impl Assistant {
    fn new(base: &str) -> Self {
        Self {
            client: Client::with_config(
                OpenAIConfig::new()
                    .with_api_base(base)
                    .with_api_key("sk-test"),
            ),
            model: "gpt-4.1-mini".to_string(),
        }
    }

    #[traced_llm(provider = "openai", model = self.model, input = messages)]
    async fn answer(
        &self,
        messages: Vec<ChatCompletionRequestMessage>,
    ) -> Result<CreateChatCompletionResponse, OpenAIError> {
        let request = CreateChatCompletionRequestArgs::default()
            .model(&self.model)
            .messages(messages)
            .build()?;
        self.client.chat().create(request).await
    }

    /// `ChatCompletionResponseStream` is an alias of a boxed stream: `stream` says so.
    #[traced_llm(provider = "openai", model = self.model, input = messages, stream)]
    async fn answer_stream(
        &self,
        messages: Vec<ChatCompletionRequestMessage>,
    ) -> Result<ChatCompletionResponseStream, OpenAIError> {
        let request = CreateChatCompletionRequestArgs::default()
            .model(&self.model)
            .messages(messages)
            .stream_options(ChatCompletionStreamOptions {
                include_usage: Some(true),
                include_obfuscation: None,
            })
            .build()?;
        self.client.chat().create_stream(request).await
    }
}

fn user(text: &str) -> Vec<ChatCompletionRequestMessage> {
    vec![ChatCompletionRequestUserMessage::from(text).into()]
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn chat_completions_report_usage_finish_reasons_and_output() {
    let (guard, collector) = install(ContentCapture::on());
    let rt = rt();
    rt.block_on(async {
        let (base, served) = serve(5).await;
        let assistant = Assistant::new(&base);
        let answer = assistant
            .answer(user("Where is my refund?"))
            .await
            .expect("completion");
        assert_eq!(
            answer.choices[0].message.content.as_deref(),
            Some("Your refund of $90.00 was issued.")
        );
        assistant
            .answer(user("use a tool"))
            .await
            .expect("tool call");
        // The client retries a rate limit by itself: one call, one span, two requests.
        assistant
            .answer(user("rate limit me once"))
            .await
            .expect("retried");
        let err = assistant
            .answer(user("no quota"))
            .await
            .expect_err("429 insufficient_quota is not retried");
        assert!(matches!(err, OpenAIError::ApiError(_)), "{err:?}");
        assert_eq!(served.load(Ordering::SeqCst), 5);
    });
    assert!(guard.force_flush());
    let spans = collector.spans();
    assert_eq!(spans.len(), 4, "{:?}", collector.names());
    for s in &spans {
        assert_eq!(s.name, "chat gpt-4.1-mini");
        assert_eq!(s.span_kind, SpanKind::Client);
        assert_eq!(text(s, "gen_ai.provider.name").as_deref(), Some("openai"));
        assert_eq!(
            text(s, semconv::CODE_FUNCTION_NAME).as_deref(),
            Some("macros_async_openai::Assistant::answer")
        );
        assert!(text(s, "gen_ai.input.messages").is_some());
    }

    let ok = &spans[0];
    assert_eq!(ok.status, Status::Unset);
    assert_eq!(
        text(ok, "gen_ai.response.id").as_deref(),
        Some("chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG")
    );
    assert_eq!(
        text(ok, "gen_ai.response.model").as_deref(),
        Some("gpt-4.1-mini-2025-04-14")
    );
    assert_eq!(int(ok, "gen_ai.usage.input_tokens"), Some(1117));
    assert_eq!(int(ok, "gen_ai.usage.output_tokens"), Some(46));
    assert_eq!(int(ok, "gen_ai.usage.cache_read.input_tokens"), Some(1024));
    assert_eq!(int(ok, "gen_ai.usage.reasoning.output_tokens"), Some(0));
    assert_eq!(
        attribute(ok, "gen_ai.response.finish_reasons"),
        Some(&strings(&["stop"]))
    );
    let output: serde_json::Value =
        serde_json::from_str(&text(ok, "gen_ai.output.messages").unwrap()).unwrap();
    assert_eq!(
        output,
        serde_json::json!([{"role": "assistant", "finish_reason": "stop",
            "parts": [{"type": "text", "content": "Your refund of $90.00 was issued."}]}])
    );

    let tool = &spans[1];
    assert_eq!(
        attribute(tool, "gen_ai.response.finish_reasons"),
        Some(&strings(&["tool_calls"]))
    );
    let output: serde_json::Value =
        serde_json::from_str(&text(tool, "gen_ai.output.messages").unwrap()).unwrap();
    assert_eq!(
        output[0]["parts"][0],
        serde_json::json!({"type": "tool_call", "id": "call_9xA", "name": "create_refund",
                           "arguments": {"order_id": "ord_1", "cents": 9000}})
    );

    let retried = &spans[2];
    assert_eq!(
        retried.status,
        Status::Unset,
        "the retry succeeded inside the span"
    );
    assert_eq!(int(retried, "gen_ai.usage.input_tokens"), Some(1117));

    let no_quota = &spans[3];
    assert_eq!(
        text(no_quota, "error.type").as_deref(),
        Some("insufficient_quota"),
        "the API's error code, through ErrorType"
    );
    assert!(
        matches!(&no_quota.status, Status::Error { description } if description.contains("exceeded your current quota"))
    );
    assert!(attribute(no_quota, "gen_ai.usage.input_tokens").is_none());
}

#[test]
fn streamed_chat_completions() {
    let (guard, collector) = install(ContentCapture::on());
    let rt = rt();
    let text_out = rt.block_on(async {
        let (base, _served) = serve(2).await;
        let assistant = Assistant::new(&base);
        let mut stream = assistant
            .answer_stream(user("Where is my refund?"))
            .await
            .expect("stream");
        let mut out = String::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.expect("chunk");
            for choice in &chunk.choices {
                out.push_str(choice.delta.content.as_deref().unwrap_or_default());
            }
        }
        // A second stream, dropped after its first chunk.
        let mut early = assistant
            .answer_stream(user("Where is my refund?"))
            .await
            .expect("stream");
        early.next().await.expect("first chunk").expect("ok");
        drop(early);
        out
    });
    assert_eq!(text_out, "Refund issued.");
    assert!(guard.force_flush());
    let spans = collector.spans();
    assert_eq!(spans.len(), 2, "{:?}", collector.names());

    let full = &spans[0];
    assert_eq!(full.name, "chat gpt-4.1-mini");
    assert_eq!(
        attribute(full, "gen_ai.request.stream"),
        Some(&Value::Bool(true))
    );
    assert!(matches!(
        attribute(full, "gen_ai.response.time_to_first_chunk"),
        Some(Value::F64(s)) if *s > 0.0
    ));
    assert_eq!(
        text(full, "gen_ai.response.id").as_deref(),
        Some("chatcmpl-stream1")
    );
    assert_eq!(int(full, "gen_ai.usage.input_tokens"), Some(21));
    assert_eq!(int(full, "gen_ai.usage.output_tokens"), Some(3));
    assert_eq!(
        attribute(full, "gen_ai.response.finish_reasons"),
        Some(&strings(&["stop"]))
    );
    let output: serde_json::Value =
        serde_json::from_str(&text(full, "gen_ai.output.messages").unwrap()).unwrap();
    assert_eq!(output[0]["parts"][0]["content"], "Refund issued.");
    assert!(attribute(full, semconv::STREAM_CANCELLED).is_none());

    let early = &spans[1];
    assert_eq!(
        attribute(early, semconv::STREAM_CANCELLED),
        Some(&Value::Bool(true))
    );
    assert_eq!(
        attribute(early, "gen_ai.response.finish_reasons"),
        Some(&strings(&["error"]))
    );
    assert_eq!(early.status, Status::Unset);
}
