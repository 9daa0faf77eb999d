//! The README's main job: a customer-support request traced end to end, offline.
//!
//! ```text
//! cargo run --example support_agent
//! ```
//!
//! Each step is an ordinary function with one attribute (`#[traced_agent]`,
//! `#[traced_retrieval]`, `#[traced_llm]`, `#[traced_tool]`, `#[traced_parser]`); the prompt
//! load uses the manual span API (see `support_agent_manual` for every step written by hand).
//! The request: load the `support_agent_v3` prompt, retrieve policy documents, let the model
//! plan a refund, call the `create_refund` tool (which rejects the amount), let the model
//! recover, and parse the final JSON answer. The model client is a stand-in that answers with
//! recorded OpenAI-format JSON, so nothing leaves the machine.
//!
//! The trace goes to the local store (`.genai-otel/traces`, or `GENAI_OTEL_STORE_DIR`) — or
//! over OTLP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set — and is printed as a timeline. Prompts,
//! completions, tool arguments and results are recorded only with content capture on, and
//! then redacted (the customer's e-mail address becomes `[email]`):
//! `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true cargo run --example support_agent`.

use std::borrow::Cow;
use std::fmt;
use std::sync::Mutex;
use std::thread::sleep;
use std::time::Duration;

use genai_otel::{
    traced_agent, traced_llm, traced_parser, traced_retrieval, traced_tool, Config, ErrorType,
    Message, Part, PromptMetadata, PromptSpan, RetrievedDocument,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

struct SupportRequest {
    user_id: String,
    conversation_id: String,
    question: String,
}

#[derive(Debug, Deserialize)]
struct SupportAnswer {
    answer: String,
    refund_cents: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct RefundArgs {
    order_id: String,
    refund_amount_cents: u64,
}

#[derive(Debug, Serialize)]
struct Refund {
    refund_id: String,
}

/// A tool failure with the code the model sees; it becomes `error.type` on the tool span.
#[derive(Debug)]
enum ToolError {
    InvalidArgument(&'static str),
}

impl fmt::Display for ToolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ToolError::InvalidArgument(m) => f.write_str(m),
        }
    }
}

impl ErrorType for ToolError {
    fn error_type(&self) -> Cow<'_, str> {
        match self {
            ToolError::InvalidArgument(_) => Cow::Borrowed("INVALID_ARGUMENT"),
        }
    }
}

#[derive(Debug)]
enum SupportError {
    Model(&'static str),
    Parse(serde_json::Error),
}

impl fmt::Display for SupportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SupportError::Model(m) => write!(f, "model call failed: {m}"),
            SupportError::Parse(e) => write!(f, "unparsable answer: {e}"),
        }
    }
}

impl std::error::Error for SupportError {}

/// Stand-in for an OpenAI client: answers with recorded responses, in order.
struct ModelClient {
    model: String,
    recorded: Mutex<Vec<serde_json::Value>>,
}

impl ModelClient {
    #[traced_llm(provider = "openai", model = self.model, input = messages, temperature = 0.2, max_tokens = 512)]
    fn chat(
        &self,
        messages: &[Message],
        latency_ms: u64,
    ) -> Result<serde_json::Value, SupportError> {
        let _ = messages;
        sleep(Duration::from_millis(latency_ms));
        let mut recorded = self
            .recorded
            .lock()
            .map_err(|_| SupportError::Model("client poisoned"))?;
        if recorded.is_empty() {
            return Err(SupportError::Model("no recorded response left"));
        }
        Ok(recorded.remove(0))
    }
}

/// Loads the prompt; its name and version are inherited by every later span of the request.
fn load_prompt() -> &'static str {
    let load = PromptSpan::load("support_agent_v3").start();
    sleep(Duration::from_millis(11));
    load.record_metadata(
        &PromptMetadata::new("support_agent_v3")
            .version("3.2.0")
            .version_id("prv_2026_06_03_17")
            .release("prod")
            .git_sha("9f2c1e7")
            .environment("production"),
    );
    "You are Acme's support agent. Answer in JSON: {\"answer\", \"refund_cents\"}."
}

#[traced_retrieval(data_source = "support_policy_prod", top_k = 5, query = query, model = "text-embedding-3-small")]
fn search_policy_docs(query: &str) -> Vec<RetrievedDocument> {
    let _ = query;
    sleep(Duration::from_millis(23));
    vec![
        RetrievedDocument::new("doc_102", 0.91)
            .with_content("Items damaged in transit are refunded in full."),
        RetrievedDocument::new("doc_087", 0.84)
            .with_content("Refunds never exceed the order total."),
    ]
}

#[traced_tool(name = "create_refund", arguments = args, call_id = call_id, agent = "support_agent")]
fn create_refund(call_id: &str, args: &RefundArgs) -> Result<Refund, ToolError> {
    const ORDER_TOTAL_CENTS: u64 = 11_999;
    sleep(Duration::from_millis(5));
    if args.refund_amount_cents > ORDER_TOTAL_CENTS {
        return Err(ToolError::InvalidArgument(
            "refund_amount_cents must be <= order_total_cents",
        ));
    }
    Ok(Refund {
        refund_id: format!("rf_{call_id}"),
    })
}

#[traced_parser(schema = "SupportAnswer", input = raw)]
fn parse_answer(raw: &str) -> Result<SupportAnswer, serde_json::Error> {
    serde_json::from_str(raw)
}

fn tool_call_of(response: &serde_json::Value) -> Option<(String, RefundArgs)> {
    let call = &response["choices"][0]["message"]["tool_calls"][0];
    let args = serde_json::from_str(call["function"]["arguments"].as_str()?).ok()?;
    Some((call["id"].as_str()?.to_string(), args))
}

/// One support request; returns the parsed answer and the request's trace id.
#[traced_agent(
    name = "support_agent",
    route = "/v1/support",
    tenant = "acme-retail",
    user_id = req.user_id, // recorded only as user.hash
    conversation_id = req.conversation_id
)]
fn handle_request(
    req: &SupportRequest,
    model: &ModelClient,
) -> Result<(SupportAnswer, Option<String>), SupportError> {
    let trace_id = genai_otel::current_trace_id();
    let system = load_prompt();
    let _docs = search_policy_docs(&req.question);
    let mut messages = vec![Message::system(system), Message::user(req.question.clone())];

    // The model plans; its tool calls run until it answers in text.
    let mut response = model.chat(&messages, 49)?;
    while let Some((call_id, args)) = tool_call_of(&response) {
        let result = match create_refund(&call_id, &args) {
            Ok(refund) => json!({"refund_id": refund.refund_id}),
            Err(e) => {
                json!({"error": e.error_type(), "message": e.to_string(), "order_total_cents": 11_999})
            }
        };
        messages.push(Message::with_parts(
            "assistant",
            vec![Part::tool_call(
                Some(&call_id),
                "create_refund",
                serde_json::to_value(&args).unwrap_or_default(),
            )],
        ));
        messages.push(Message::with_parts(
            "tool",
            vec![Part::tool_response(Some(&call_id), result)],
        ));
        response = model.chat(&messages, 41)?;
    }
    let raw = response["choices"][0]["message"]["content"]
        .as_str()
        .unwrap_or_default();
    let answer = parse_answer(raw).map_err(SupportError::Parse)?;
    Ok((answer, trace_id))
}

/// What the model answered in production, recorded in OpenAI's response format.
fn recorded_responses() -> Vec<serde_json::Value> {
    let answer = json!({
        "answer": "We're sorry your blender arrived broken. A full refund of $119.99 is on its way.",
        "refund_cents": 11_999
    });
    vec![
        json!({
            "id": "chatcmpl-AX81", "model": "gpt-4.1-mini-2025-04-14",
            "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                "role": "assistant", "content": null,
                "tool_calls": [{"id": "call_9XkQ", "type": "function", "function": {
                    "name": "create_refund",
                    "arguments": json!({"order_id": "ord_55120", "refund_amount_cents": 12_999}).to_string()
                }}]}}],
            "usage": {"prompt_tokens": 812, "completion_tokens": 164,
                      "prompt_tokens_details": {"cached_tokens": 512}}
        }),
        json!({
            "id": "chatcmpl-AX82", "model": "gpt-4.1-mini-2025-04-14",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": answer.to_string()}}],
            "usage": {"prompt_tokens": 1024, "completion_tokens": 58,
                      "prompt_tokens_details": {"cached_tokens": 768}}
        }),
    ]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Default tail sampling: this trace is kept because a span failed (and its prompt version
    // is new to this process); the decision is recorded on the root span.
    let guard = genai_otel::init_observability(Config::new("support-api"))?;

    let model = ModelClient {
        model: "gpt-4.1-mini".to_string(),
        recorded: Mutex::new(recorded_responses()),
    };
    let request = SupportRequest {
        user_id: "customer-8812".to_string(),
        conversation_id: "conv_7f3a".to_string(),
        question:
            "My blender arrived broken, order ord_55120. Reach me at ada.lovelace@example.com."
                .to_string(),
    };
    let (answer, trace_id) = handle_request(&request, &model)?;
    println!(
        "answer: {} (refund {} cents)",
        answer.answer, answer.refund_cents
    );

    let store_dir = guard.store_dir().map(|d| d.to_path_buf());
    let report = guard.shutdown()?;
    println!("exported: {report}");

    match (store_dir, trace_id) {
        (Some(dir), Some(trace_id)) => {
            let spans = genai_otel::store::read_trace(&dir, &trace_id)?;
            let options = genai_otel::timeline::TimelineOptions::default();
            println!();
            print!("{}", genai_otel::timeline::render(&spans, &options));
            println!();
            println!("trace {trace_id} stored in {}", dir.display());
            println!("show it again with: genai-otel show {trace_id}");
        }
        (None, Some(trace_id)) => {
            println!("trace {trace_id} went to the configured exporter (OTLP or console), not the local store")
        }
        (_, None) => println!("no trace was recorded"),
    }
    Ok(())
}
