//! # genai-otel
//!
//! OpenTelemetry instrumentation for Rust LLM applications. Call [`init_observability`] once
//! at startup; wrap each step of a request in the span of its kind ([`AgentSpan`],
//! [`PromptSpan`], [`RetrievalSpan`], [`InferenceSpan`], [`ToolSpan`], [`ParserSpan`]); every
//! request becomes one trace whose spans follow the OpenTelemetry GenAI semantic conventions
//! (see [`semconv`]).
//!
//! - **Content is off by default.** Prompts, completions, tool arguments and results,
//!   retrieval queries and documents are recorded only when [`ContentCapture`] allows it, and
//!   then only after the [`Redactor`] scrubbed them. User ids are recorded only as keyed
//!   hashes ([`hash_user_id`]).
//! - **Tail sampling in the process** ([`Sampling`]) keeps every error trace, every canary and
//!   new prompt version, a base rate and a metadata-only tier, with bounded memory.
//! - **Export** over OTLP (gRPC or HTTP) to any backend, or — with nothing configured — to a
//!   local store of OTLP/JSON lines that the `genai-otel` CLI reads.
//!
//! ```no_run
//! use genai_otel::{AgentSpan, Config, InferenceSpan, Message, Usage};
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let _guard = genai_otel::init_observability(Config::new("support-api"))?;
//!     let agent = AgentSpan::builder("support_agent").route("/v1/support").user_id("u-42").start();
//!     agent.in_scope(|| {
//!         let chat = InferenceSpan::chat("openai", "gpt-4.1-mini").temperature(0.2).start();
//!         chat.record_input_messages(&[Message::user("Where is my refund?")]); // off by default
//!         chat.record_usage(Usage::new(812, 164));
//!     });
//!     Ok(())
//! }
//! ```
//!
//! ## Attribute macros
//!
//! With the `macros` feature (on by default), one attribute turns a function into the span of
//! its kind: `#[traced_llm]`, `#[traced_tool]`, `#[traced_retrieval]`, `#[traced_parser]`,
//! `#[traced_agent]` — sync or async, methods, `Result`s (an `Err` is the span's error),
//! streams (the span lasts until the [`TracedStream`] ends). What the function returns is
//! read through [`LlmResponse`], [`LlmChunk`], [`RetrievalResults`] and [`ErrorType`]; nothing
//! from its arguments is recorded unless named, and what is named is content.
//!
//! ```
//! use genai_otel::{traced_llm, Message};
//!
//! #[traced_llm(provider = "openai", model = "gpt-4.1-mini", input = messages)]
//! async fn plan_response(messages: &[Message]) -> Result<serde_json::Value, std::io::Error> {
//!     Ok(serde_json::json!({"usage": {"prompt_tokens": 812, "completion_tokens": 164}}))
//! }
//! # let _ = plan_response(&[]);
//! ```
//!
//! ## Pipeline
//!
//! ```text
//! spans (tracing) ─► tracing-opentelemetry ─► SdkTracerProvider
//!   ─► prompt-metadata inheritance ─► tail sampling ─► batch processor
//!   ─► redaction of every string attribute ─► OTLP gRPC / OTLP HTTP / local store / console
//! ```
//!
//! ## Environment
//!
//! Every setting of [`Config`] has an environment variable; code beats environment, which
//! beats the default, and a malformed value is an [`InitError`] naming the variable. The
//! table is on [`Config`].
//!
//! ## Supported Rust versions
//!
//! The current stable Rust and the three minor versions before it.
#![warn(
    missing_docs,
    rust_2018_idioms,
    unreachable_pub,
    missing_debug_implementations
)]
#![deny(rustdoc::broken_intra_doc_links)]

mod config;
pub mod console;
mod content;
mod error;
mod export;
mod inherit;
mod init;
#[cfg(feature = "async-openai")]
mod integrations;
mod message;
pub mod otlp_json;
mod ratio;
pub mod redact;
mod response;
mod runtime;
pub mod sampling;
pub mod semconv;
mod span;
pub mod store;
mod stream;
pub mod testing;
pub mod timeline;
mod user;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use config::{
    Config, ExporterKind, OtlpProtocol, DEFAULT_OTLP_TIMEOUT, DEFAULT_SHUTDOWN_TIMEOUT,
    DEFAULT_STORE_DIR, DEFAULT_STORE_MAX_FILE_BYTES,
};
pub use content::{CaptureMode, ContentCapture, ContentKind, DEFAULT_MAX_CONTENT_LENGTH};
pub use error::{InitError, ShutdownError, ShutdownReport};
pub use init::{init_observability, init_scoped, ObservabilityGuard, ScopedGuard};
pub use message::{Message, OutputMessage, Part, RetrievedDocument};
pub use redact::{
    BuildError, Detector, KeyAction, RedactingExporter, Redactor, RedactorBuilder, Replacement,
    SpanScope,
};
pub use response::{DocumentRef, ErrorType, LlmResponse, RetrievalResults};
pub use sampling::{
    Canary, Override, OverrideId, OverrideMatch, Sampling, SamplingCounters, SamplingEnvError,
    SamplingHandle, TailSamplingProcessor,
};
pub use span::{
    current_trace_id, AgentSpan, AgentSpanBuilder, Evaluation, InferenceSpan, InferenceSpanBuilder,
    ParseStatus, ParserSpan, ParserSpanBuilder, PromptMetadata, PromptSpan, PromptSpanBuilder,
    RetrievalSpan, RetrievalSpanBuilder, SpanHandle, ToolSpan, ToolSpanBuilder, Usage,
};
pub use stream::{ChoiceDelta, LlmChunk, ToolCallDelta, TracedStream};
pub use user::hash_user_id;

#[cfg(feature = "macros")]
#[doc(inline)]
pub use genai_otel_macros::{
    traced_agent, traced_llm, traced_parser, traced_retrieval, traced_tool,
};

/// The OpenTelemetry crates this version is built on, re-exported so that applications use
/// exactly the same versions.
pub use opentelemetry;
pub use opentelemetry_sdk;

/// The README's code blocks, compiled as doctests so they cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
