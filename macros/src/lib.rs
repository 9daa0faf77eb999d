//! Attribute macros of [genai-otel](https://docs.rs/genai-otel): one attribute turns a
//! function into the span of its kind — `#[traced_llm]`, `#[traced_tool]`,
//! `#[traced_retrieval]`, `#[traced_parser]`, `#[traced_agent]`.
//!
//! Use them through `genai_otel` (feature `macros`, on by default), not from this crate:
//! the expansion names `::genai_otel::__private` (or the path given with `crate = ..`).
//!
//! # What every macro does
//!
//! - Starts the span of its kind as a child of the current span, with the span name, kind
//!   and attributes the GenAI conventions define, plus `code.function.name`
//!   (`module::path::function`, or `module::path::Type::method` for methods).
//! - Runs the body with the span current: sync bodies inside it, `async` bodies (and the
//!   `async` block an `async-trait` method or an `-> impl Future` function returns) entered
//!   at every poll, so that spans started inside nest under it. The span of an `async`
//!   function starts when its future is first polled, as the body does.
//! - Ends the span when the function returns. A `Result` that is `Err` sets status Error and
//!   `error.type`: the value the error gives through `genai_otel::ErrorType`, else the last
//!   segment of its type name; the description is its `Display`. A panic sets status Error
//!   with `error.type = panic` and then continues unwinding.
//! - Records what the returned value reports through the kind's trait (see each macro).
//!
//! **Nothing from the arguments is recorded unless named.** `input = ..`, `system = ..`,
//! `arguments = ..` and `query = ..` name content — a parameter, a field of one, or a
//! method call on one — which is recorded only when `genai_otel::ContentCapture` allows it
//! for the trace, through the redactor, and — when it computes anything (a method call, an
//! index) — is not even evaluated otherwise. Every other
//! argument is metadata and may be a literal or any expression (`model = self.model`),
//! evaluated when the span starts — and only when a subscriber could record it: keep these
//! expressions free of side effects.
//!
//! # Cost
//!
//! With no subscriber installed (or every subscriber set below `INFO`), an instrumented
//! function checks one global level (a load and a compare) and runs its body alone: no
//! builder, no argument evaluated, nothing read from the returned value (a stream is still
//! wrapped, around a span that records nothing). With the pipeline installed, the static
//! attributes are span fields recorded at creation and the response attributes are
//! set in one call, which costs less than the equivalent hand-written
//! `tracing::info_span!` with per-field `record` calls. `benches/span_overhead.rs` measures
//! the ladder (pinned to one CPU, so the export thread's work counts): without a subscriber
//! about 1 ns over the bare call; with content off 0.82–0.96x the hand-written span and
//! about 2.8–3x a span made with the OpenTelemetry API alone, the difference being
//! tracing's registry and tracing-opentelemetry, which the hand-written span pays too.
//!
//! # Errors
//!
//! A bad argument never removes the function: the error is reported next to the unchanged
//! function, at the offending token (unknown or repeated key, wrong literal type, content
//! that does not start from a parameter, missing `provider`).
#![warn(
    missing_docs,
    rust_2018_idioms,
    unreachable_pub,
    missing_debug_implementations
)]
#![deny(rustdoc::broken_intra_doc_links)]

mod attr;
mod expand;

use attr::Kind;

/// Traces a model call as an inference span: `chat {model}` (or `text_completion`,
/// `generate_content`, `embeddings`), kind CLIENT.
///
/// | argument | value | records |
/// |---|---|---|
/// | `provider` (required) | string | `gen_ai.provider.name` |
/// | `model` | string | `gen_ai.request.model`, span name |
/// | `operation` | `"chat"` (default), `"text_completion"`, `"generate_content"`, `"embeddings"` | `gen_ai.operation.name`, span name |
/// | `input` | content: a parameter (`Serialize`) | `gen_ai.input.messages` |
/// | `system` | content: a parameter (`Serialize`) | `gen_ai.system_instructions` |
/// | `temperature`, `top_p` | number | `gen_ai.request.temperature`, `gen_ai.request.top_p` |
/// | `max_tokens`, `seed` | integer | `gen_ai.request.max_tokens`, `gen_ai.request.seed` |
/// | `conversation_id` | string | `gen_ai.conversation.id` |
/// | `stream` | flag | streaming mode (see below); `stream = false` turns it off |
/// | `crate` | path | where `genai_otel` is, for re-exporting crates |
///
/// The returned value is read through `genai_otel::LlmResponse` when its type implements
/// it (for `Result<T, _>` and `Option<T>`: through `T`): usage, response id and model,
/// finish reasons, and — content — output messages. The trait is looked up for the concrete
/// return type where the function is defined (for a type parameter: through the function's
/// own bounds, `R: LlmResponse`); a type that does not implement it is not read, and the
/// span keeps everything else.
///
/// # Streaming
///
/// When the function returns a stream of chunks — `impl Stream<..>`,
/// `Pin<Box<dyn Stream<..>>>`, `BoxStream<..>`, or a `Result` of one, recognized from the
/// declared type; or, with `stream`, an alias of a boxed stream such as `async-openai`'s
/// `ChatCompletionResponseStream` (or a `Result` of one) — the span stays open until the
/// stream ends, fails or is dropped: the function returns its stream wrapped in `genai_otel::TracedStream`, which
/// reads every item through `genai_otel::LlmChunk`, records the time to the first chunk,
/// accumulates usage and (content) output, and marks a stream dropped early with
/// `genai_otel.stream.cancelled = true`.
///
/// # Examples
///
/// ```
/// use genai_otel::{traced_llm, Message, OutputMessage};
///
/// #[derive(Debug)]
/// struct ApiError;
/// impl std::fmt::Display for ApiError {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         f.write_str("rate limited")
///     }
/// }
///
/// #[traced_llm(provider = "openai", model = "gpt-4.1-mini", input = messages, temperature = 0.2)]
/// fn plan_response(messages: &[Message]) -> Result<OutputMessage, ApiError> {
///     Ok(OutputMessage::new(Message::assistant("Refund issued."), "stop"))
/// }
///
/// let answer = plan_response(&[Message::user("Where is my refund?")]).unwrap();
/// assert_eq!(answer.message.text(), "Refund issued.");
/// ```
///
/// A stream:
///
/// ```
/// use futures_util::StreamExt;
///
/// #[genai_otel::traced_llm(provider = "openai", model = "gpt-4.1-mini")]
/// fn stream_answer() -> impl futures_util::Stream<Item = String> {
///     futures_util::stream::iter(vec!["Refund ".to_string(), "issued.".to_string()])
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let text: Vec<String> = stream_answer().collect().await; // the span ends with the stream
/// assert_eq!(text.concat(), "Refund issued.");
/// # });
/// ```
#[proc_macro_attribute]
pub fn traced_llm(
    args: proc_macro::TokenStream,
    item: proc_macro::TokenStream,
) -> proc_macro::TokenStream {
    expand::traced(Kind::Llm, args.into(), item.into()).into()
}

/// Traces a tool call as an `execute_tool {name}` span, kind INTERNAL.
///
/// | argument | value | records |
/// |---|---|---|
/// | `name` | string (default: the function's name) | `gen_ai.tool.name`, span name |
/// | `arguments` | content: a parameter (`Serialize`) | `gen_ai.tool.call.arguments` |
/// | `call_id` | string | `gen_ai.tool.call.id` |
/// | `description` | string | `gen_ai.tool.description` |
/// | `tool_type` | `"function"` (default), `"extension"`, `"datastore"` | `gen_ai.tool.type` |
/// | `agent` | string | `gen_ai.agent.name` |
/// | `crate` | path | where `genai_otel` is |
///
/// The result — content — is recorded as `gen_ai.tool.call.result` when it is
/// `serde::Serialize` (for a `Result`, the `Ok` value; an `Err` records no result).
///
/// # Examples
///
/// ```
/// #[derive(serde::Serialize)]
/// struct RefundArgs { order_id: String, cents: u64 }
///
/// #[derive(Debug, serde::Serialize)]
/// struct Refund { refund_id: String }
///
/// #[genai_otel::traced_tool(name = "create_refund", arguments = args)]
/// fn create_refund(args: &RefundArgs) -> Result<Refund, std::io::Error> {
///     Ok(Refund { refund_id: format!("rf_{}", args.order_id) })
/// }
///
/// let refund = create_refund(&RefundArgs { order_id: "o1".into(), cents: 9000 }).unwrap();
/// assert_eq!(refund.refund_id, "rf_o1");
/// ```
#[proc_macro_attribute]
pub fn traced_tool(
    args: proc_macro::TokenStream,
    item: proc_macro::TokenStream,
) -> proc_macro::TokenStream {
    expand::traced(Kind::Tool, args.into(), item.into()).into()
}

/// Traces a retrieval as a `retrieval {data_source}` span, kind CLIENT.
///
/// | argument | value | records |
/// |---|---|---|
/// | `data_source` | string | `gen_ai.data_source.id`, span name |
/// | `top_k` | integer | `gen_ai.retrieval.top_k` |
/// | `query` | content: a parameter (`AsRef<str>`) | `gen_ai.retrieval.query.text` |
/// | `provider` | string | `gen_ai.provider.name` |
/// | `model` | string | `gen_ai.request.model` (the embedding model) |
/// | `crate` | path | where `genai_otel` is |
///
/// The returned documents are read through `genai_otel::RetrievalResults` when the type
/// implements it: ids and scores always, text only as content.
///
/// # Examples
///
/// ```
/// use genai_otel::RetrievedDocument;
///
/// #[genai_otel::traced_retrieval(data_source = "support_policy_prod", top_k = 5, query = q)]
/// async fn search_policy_docs(q: &str) -> Vec<RetrievedDocument> {
///     vec![RetrievedDocument::new("doc_102", 0.91).with_content("Damaged items: full refund.")]
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let docs = search_policy_docs("refund for a damaged blender").await;
/// assert_eq!(docs[0].id, "doc_102");
/// # });
/// ```
#[proc_macro_attribute]
pub fn traced_retrieval(
    args: proc_macro::TokenStream,
    item: proc_macro::TokenStream,
) -> proc_macro::TokenStream {
    expand::traced(Kind::Retrieval, args.into(), item.into()).into()
}

/// Traces output parsing as a `parse_output {schema}` span, kind INTERNAL.
///
/// | argument | value | records |
/// |---|---|---|
/// | `schema` | string | `genai_otel.parser.schema`, span name |
/// | `input` | content: a parameter (`AsRef<str>`) | `genai_otel.parser.input` |
/// | `crate` | path | where `genai_otel` is |
///
/// The call is one parse step: `Ok` (or any non-`Result` value) finishes with
/// `genai_otel.parser.status = ok`; `Err` with `failed`, status Error and the error's
/// `error.type`.
///
/// # Examples
///
/// ```
/// #[derive(Debug, serde::Deserialize)]
/// struct SupportAnswer { answer: String }
///
/// #[genai_otel::traced_parser(schema = "SupportAnswer", input = raw)]
/// fn parse_answer(raw: &str) -> Result<SupportAnswer, serde_json::Error> {
///     serde_json::from_str(raw)
/// }
///
/// assert_eq!(parse_answer(r#"{"answer": "Refund issued."}"#).unwrap().answer, "Refund issued.");
/// assert!(parse_answer("{").is_err()); // status Error, error.type = "Error"
/// ```
#[proc_macro_attribute]
pub fn traced_parser(
    args: proc_macro::TokenStream,
    item: proc_macro::TokenStream,
) -> proc_macro::TokenStream {
    expand::traced(Kind::Parser, args.into(), item.into()).into()
}

/// Traces an agent (`invoke_agent {name}`) or workflow (`invoke_workflow {workflow}`)
/// invocation, kind INTERNAL: usually the root of a request's trace.
///
/// | argument | value | records |
/// |---|---|---|
/// | `name` | string (default: the function's name) | `gen_ai.agent.name`, span name |
/// | `workflow` | string (instead of `name`) | `gen_ai.workflow.name`, `invoke_workflow` span |
/// | `route` | string | `http.route` |
/// | `tenant` | string | `genai_otel.tenant.id` |
/// | `user_id` | string | `user.hash` only (a keyed hash; the id itself is never recorded) |
/// | `conversation_id` | string | `gen_ai.conversation.id` |
/// | `agent_id` | string | `gen_ai.agent.id` |
/// | `description` | string | `gen_ai.agent.description` |
/// | `model` | string | `gen_ai.request.model` |
/// | `crate` | path | where `genai_otel` is |
///
/// # Examples
///
/// ```
/// struct Request { user: String, text: String }
///
/// #[genai_otel::traced_agent(name = "support_agent", route = "/v1/support", user_id = req.user)]
/// async fn handle(req: Request) -> String {
///     format!("answered: {}", req.text)
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let reply = handle(Request { user: "u-42".into(), text: "refund?".into() }).await;
/// assert_eq!(reply, "answered: refund?");
/// # });
/// ```
#[proc_macro_attribute]
pub fn traced_agent(
    args: proc_macro::TokenStream,
    item: proc_macro::TokenStream,
) -> proc_macro::TokenStream {
    expand::traced(Kind::Agent, args.into(), item.into()).into()
}
