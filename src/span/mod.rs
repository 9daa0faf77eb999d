//! The span model: one type per step of an LLM application, usable without macros.
//!
//! | step | type | span name | kind |
//! |---|---|---|---|
//! | request / agent | [`AgentSpan`] | `invoke_agent {agent}` / `invoke_workflow {workflow}` | INTERNAL |
//! | prompt load / render | [`PromptSpan`] | `prompt.load` / `prompt.render` | INTERNAL |
//! | retrieval | [`RetrievalSpan`] | `retrieval {data source}` | CLIENT |
//! | model call | [`InferenceSpan`] | `chat {model}`, `text_completion {model}`, `generate_content {model}`, `embeddings {model}` | CLIENT |
//! | tool call | [`ToolSpan`] | `execute_tool {tool}` | INTERNAL |
//! | output parsing | [`ParserSpan`] | `parse_output {schema}` | INTERNAL |
//!
//! Each span is a `tracing` span, so it nests under the current span (the app's own, an
//! axum request, another of ours) and ends when the handle and all its clones are dropped,
//! or at [`SpanHandle::end`]. Every type dereferences to [`SpanHandle`] for what all spans
//! share: entering, errors, evaluation results, prompt metadata.
//!
//! Success leaves the status unset; [`SpanHandle::record_error`] sets status Error and
//! `error.type`.

mod agent;
mod inference;
mod parser;
mod prompt;
mod retrieval;
mod tool;

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use opentelemetry::trace::{Status, TraceContextExt};
use opentelemetry::{KeyValue, Value};
use tracing::instrument::Instrumented;
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::content::{self, ContentKind};
use crate::runtime::Runtime;
use crate::semconv;

pub use agent::{AgentSpan, AgentSpanBuilder};
pub use inference::{InferenceSpan, InferenceSpanBuilder, Usage};
pub use parser::{ParseStatus, ParserSpan, ParserSpanBuilder};
pub use prompt::{PromptMetadata, PromptSpan, PromptSpanBuilder};
pub use retrieval::{RetrievalSpan, RetrievalSpanBuilder};
pub use tool::{ToolSpan, ToolSpanBuilder};

/// What every span of the model shares: the underlying `tracing` span and the record-time
/// settings it was created under.
///
/// # Examples
///
/// ```
/// use genai_otel::ToolSpan;
/// let tool = ToolSpan::builder("lookup_order").start();
/// let order = tool.in_scope(|| 42);
/// tool.record_error("NOT_FOUND", "order 42 does not exist");
/// tool.end();
/// # let _ = order;
/// ```
#[derive(Debug, Clone)]
pub struct SpanHandle {
    span: tracing::Span,
    /// `None` when the span is disabled (no pipeline installed, or filtered out): then
    /// nothing is recorded, and creating the handle costs neither a lookup nor a clock read.
    runtime: Option<Arc<Runtime>>,
    started: Option<Instant>,
}

impl SpanHandle {
    pub(crate) fn new(span: tracing::Span) -> Self {
        if span.is_disabled() {
            return Self {
                span,
                runtime: None,
                started: None,
            };
        }
        Self {
            span,
            runtime: Some(crate::runtime::current()),
            started: Some(Instant::now()),
        }
    }

    /// A handle on no span at all (what a disabled span gives), made without touching the
    /// dispatcher: the attribute macros use it when no subscriber could record the span.
    pub(crate) fn disabled() -> Self {
        Self {
            span: tracing::Span::none(),
            runtime: None,
            started: None,
        }
    }

    /// The record-time settings, `None` for a disabled span.
    pub(crate) fn runtime(&self) -> Option<&Runtime> {
        self.runtime.as_deref()
    }

    /// The underlying `tracing` span (to enter it, instrument futures, or record fields).
    ///
    /// # Examples
    ///
    /// ```
    /// let agent = genai_otel::AgentSpan::builder("support_agent").start();
    /// let _entered = agent.span().enter();
    /// ```
    pub fn span(&self) -> &tracing::Span {
        &self.span
    }

    /// Runs `f` with this span as the current span.
    ///
    /// # Examples
    ///
    /// ```
    /// let agent = genai_otel::AgentSpan::builder("support_agent").start();
    /// let answer = agent.in_scope(|| "done");
    /// # let _ = answer;
    /// ```
    pub fn in_scope<T>(&self, f: impl FnOnce() -> T) -> T {
        self.span.in_scope(f)
    }

    /// Wraps a future so that this span is current whenever it is polled: spans created
    /// inside it (also on other tokio tasks spawned with their own `instrument`) nest here.
    ///
    /// # Examples
    ///
    /// ```
    /// # async fn call_model() -> &'static str { "ok" }
    /// # async fn doc() {
    /// let agent = genai_otel::AgentSpan::builder("support_agent").start();
    /// let answer = agent.instrument(async { call_model().await }).await;
    /// # let _ = answer;
    /// # }
    /// ```
    pub fn instrument<F: Future>(&self, future: F) -> Instrumented<F> {
        future.instrument(self.span.clone())
    }

    /// Sets a metadata attribute (never content: content goes through the typed
    /// `record_*` methods so that capture settings and redaction apply).
    ///
    /// # Examples
    ///
    /// ```
    /// let agent = genai_otel::AgentSpan::builder("support_agent").start();
    /// agent.set_attribute("app.feature_flag", "new-refund-flow");
    /// ```
    pub fn set_attribute(&self, key: &'static str, value: impl Into<Value>) {
        self.span.set_attribute(key, value);
    }

    /// Sets several attributes in one call to the subscriber (one span lookup and one lock
    /// instead of one each). Starts the OpenTelemetry span if it was not yet entered, as
    /// `OpenTelemetrySpanExt::context` does.
    pub(crate) fn set_attributes(&self, attributes: impl IntoIterator<Item = KeyValue>) {
        if self.span.is_disabled() {
            return;
        }
        let cx = self.span.context();
        cx.span().set_attributes(attributes);
    }

    /// Marks the operation failed: status Error with `message` as description (passed
    /// through the redactor) and `error.type` = `error_type`, which should be low-cardinality
    /// (an error code or type name, e.g. `INVALID_ARGUMENT`, `429`, `RateLimitError`).
    ///
    /// # Examples
    ///
    /// ```
    /// let tool = genai_otel::ToolSpan::builder("create_refund").start();
    /// tool.record_error("INVALID_ARGUMENT", "refund_amount_cents must be <= order_total_cents");
    /// ```
    pub fn record_error(&self, error_type: &str, message: impl fmt::Display) {
        let Some(runtime) = self.runtime() else {
            return;
        };
        let message = message.to_string();
        let message = match &runtime.redactor {
            Some(r) => r.redact(&message).into_owned(),
            None => message,
        };
        self.span
            .set_attribute(semconv::ERROR_TYPE, error_type.to_string());
        self.span.set_status(Status::error(message));
    }

    /// Marks the operation failed with a Rust error: `error.type` is the error's type name
    /// (the last path segment of `std::any::type_name`), the description its `Display`.
    ///
    /// # Examples
    ///
    /// ```
    /// let parser = genai_otel::ParserSpan::builder("SupportAnswer").start();
    /// let err = serde_json::from_str::<serde_json::Value>("{").unwrap_err();
    /// parser.record_rust_error(&err);
    /// ```
    pub fn record_rust_error<E: std::error::Error + ?Sized>(&self, error: &E) {
        self.record_error(short_type_name::<E>(), error);
    }

    /// Records a `gen_ai.evaluation.result` event on this span (an online check of the
    /// operation's output).
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::{Evaluation, InferenceSpan};
    /// let chat = InferenceSpan::chat("openai", "gpt-4.1-mini").start();
    /// chat.record_evaluation(&Evaluation::new("groundedness").score(0.93).label("pass"));
    /// ```
    pub fn record_evaluation(&self, evaluation: &Evaluation) {
        let Some(runtime) = self.runtime() else {
            return;
        };
        let mut attrs = vec![KeyValue::new(
            semconv::GEN_AI_EVALUATION_NAME,
            evaluation.name.clone(),
        )];
        if let Some(v) = evaluation.score_value {
            attrs.push(KeyValue::new(semconv::GEN_AI_EVALUATION_SCORE_VALUE, v));
        }
        if let Some(l) = &evaluation.score_label {
            attrs.push(KeyValue::new(
                semconv::GEN_AI_EVALUATION_SCORE_LABEL,
                l.clone(),
            ));
        }
        if let Some(e) = &evaluation.explanation {
            let e = match &runtime.redactor {
                Some(r) => r.redact(e).into_owned(),
                None => e.clone(),
            };
            attrs.push(KeyValue::new(semconv::GEN_AI_EVALUATION_EXPLANATION, e));
        }
        if let Some(id) = &evaluation.response_id {
            attrs.push(KeyValue::new(semconv::GEN_AI_RESPONSE_ID, id.clone()));
        }
        if let Some(t) = &evaluation.error_type {
            attrs.push(KeyValue::new(semconv::ERROR_TYPE, t.clone()));
        }
        self.span
            .add_event(semconv::GEN_AI_EVALUATION_RESULT, attrs);
    }

    /// Records prompt metadata on this span and makes it inherited: every span started
    /// below this one from now on carries it too (`gen_ai.prompt.name`,
    /// `gen_ai.prompt.version`, version id, release label, git sha, deployment).
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::{AgentSpan, PromptMetadata};
    /// let agent = AgentSpan::builder("support_agent").start();
    /// agent.set_prompt(&PromptMetadata::new("support_agent_v3").version("3").release("prod"));
    /// ```
    pub fn set_prompt(&self, prompt: &PromptMetadata) {
        let attrs = prompt.attributes();
        for kv in &attrs {
            self.span.set_attribute(kv.key.clone(), kv.value.clone());
        }
        let id = self.span.context().span().span_context().span_id();
        crate::inherit::attach(id, attrs);
    }

    /// The id of this span's trace (lowercase hex), for finding it later with
    /// `genai-otel show`; `None` when no pipeline is installed.
    ///
    /// # Examples
    ///
    /// ```
    /// let agent = genai_otel::AgentSpan::builder("support_agent").start();
    /// if let Some(id) = agent.trace_id() {
    ///     println!("genai-otel show {id}");
    /// }
    /// ```
    pub fn trace_id(&self) -> Option<String> {
        trace_id_of(&self.span)
    }

    /// Time since the span was created.
    pub(crate) fn elapsed_secs(&self) -> f64 {
        self.started.map_or(0.0, |t| t.elapsed().as_secs_f64())
    }

    /// The single content seam (see [`crate::content`]).
    pub(crate) fn capture(
        &self,
        kind: ContentKind,
        key: impl Into<opentelemetry::Key>,
        make: impl FnOnce() -> Option<String>,
    ) -> bool {
        match self.runtime() {
            Some(runtime) => content::capture(runtime, &self.span, kind, key.into(), make),
            None => false,
        }
    }

    /// Ends the span now (it also ends when the last clone of the handle is dropped).
    ///
    /// # Examples
    ///
    /// ```
    /// genai_otel::ToolSpan::builder("noop").start().end();
    /// ```
    pub fn end(self) {
        drop(self);
    }
}

/// The id of the current span's trace (lowercase hex): inside a `#[traced_agent]` function,
/// the request's trace. `None` outside any recorded span.
///
/// # Examples
///
/// ```
/// // Log it, return it in a response header, or look the trace up later:
/// if let Some(id) = genai_otel::current_trace_id() {
///     println!("genai-otel show {id}");
/// }
/// ```
pub fn current_trace_id() -> Option<String> {
    trace_id_of(&tracing::Span::current())
}

fn trace_id_of(span: &tracing::Span) -> Option<String> {
    if span.is_disabled() {
        return None;
    }
    let cx = span.context();
    let sc = cx.span().span_context().clone();
    sc.is_valid().then(|| sc.trace_id().to_string())
}

/// `code.function.name` as the macros give it: a path (`module::function`), or a method of a
/// type known only through `std::any::type_name` (`module::Type::method`, generic arguments
/// dropped). Turned into a string only when a subscriber records it (`as_str`
/// inside the `info_span!` field list), so a disabled span pays nothing.
///
/// Not public API: the attribute macros reach it through `__private`.
#[derive(Debug, Clone, Copy)]
pub struct CodeFunction {
    ty: Option<&'static str>,
    name: &'static str,
}

impl CodeFunction {
    /// A function's full path.
    pub fn path(path: &'static str) -> Self {
        Self {
            ty: None,
            name: path,
        }
    }

    /// `method` of `T`.
    pub fn method<T: ?Sized>(method: &'static str) -> Self {
        let ty = std::any::type_name::<T>();
        Self {
            ty: Some(ty.split('<').next().unwrap_or(ty)),
            name: method,
        }
    }

    /// The name as a string: the path itself, or `Type::method` written into `buf` (one
    /// allocation of the exact size). Recorded as a string field, which tracing-opentelemetry
    /// copies without going through the formatting machinery.
    pub(crate) fn as_str(self, buf: &mut String) -> &str {
        match self.ty {
            None => self.name,
            Some(ty) => {
                buf.reserve_exact(ty.len() + 2 + self.name.len());
                buf.push_str(ty);
                buf.push_str("::");
                buf.push_str(self.name);
                buf
            }
        }
    }
}

/// Room for a span name built on the stack: names that fit (nearly all: `chat gpt-4.1-mini`,
/// `execute_tool create_refund`) cost no allocation before tracing-opentelemetry copies them.
const NAME_ON_STACK: usize = 96;

/// The scratch space [`span_name`] writes a name into.
pub(crate) struct NameBuf {
    stack: [u8; NAME_ON_STACK],
    heap: String,
}

impl NameBuf {
    pub(crate) fn new() -> Self {
        Self {
            stack: [0; NAME_ON_STACK],
            heap: String::new(),
        }
    }
}

/// A span name `{operation} {target}` (or just the operation when the target is empty),
/// written into `buf`. Called inside `info_span!`'s field list, so it runs only when a
/// subscriber records the span.
pub(crate) fn span_name<'a>(
    operation: &'static str,
    target: &str,
    buf: &'a mut NameBuf,
) -> &'a str {
    if target.is_empty() {
        return operation;
    }
    let len = operation.len() + 1 + target.len();
    if len <= NAME_ON_STACK {
        buf.stack[..operation.len()].copy_from_slice(operation.as_bytes());
        buf.stack[operation.len()] = b' ';
        buf.stack[operation.len() + 1..len].copy_from_slice(target.as_bytes());
        // Two `str`s joined by an ASCII space are UTF-8: this cannot fail.
        return std::str::from_utf8(&buf.stack[..len]).unwrap_or(operation);
    }
    buf.heap.reserve_exact(len);
    buf.heap.push_str(operation);
    buf.heap.push(' ');
    buf.heap.push_str(target);
    &buf.heap
}

/// A non-empty string, for an optional span field.
pub(crate) fn non_empty(text: &str) -> Option<&str> {
    (!text.is_empty()).then_some(text)
}

/// The last path segment of a type name, without generics: `serde_json::Error` → `Error`,
/// `my_crate::ApiError` → `ApiError`.
pub(crate) fn short_type_name<T: ?Sized>() -> &'static str {
    let full = std::any::type_name::<T>();
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
}

/// An online evaluation result, recorded as a `gen_ai.evaluation.result` event.
///
/// # Examples
///
/// ```
/// let e = genai_otel::Evaluation::new("json_schema").label("fail").explanation("missing field `answer`");
/// # let _ = e;
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evaluation {
    name: String,
    score_value: Option<f64>,
    score_label: Option<String>,
    explanation: Option<String>,
    response_id: Option<String>,
    error_type: Option<String>,
}

impl Evaluation {
    /// An evaluation named `name` (`gen_ai.evaluation.name`).
    ///
    /// # Examples
    ///
    /// ```
    /// let e = genai_otel::Evaluation::new("toxicity");
    /// # let _ = e;
    /// ```
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    /// Numeric score (`gen_ai.evaluation.score.value`).
    ///
    /// # Examples
    ///
    /// ```
    /// let e = genai_otel::Evaluation::new("relevance").score(0.8);
    /// # let _ = e;
    /// ```
    pub fn score(mut self, value: f64) -> Self {
        self.score_value = Some(value);
        self
    }

    /// Label (`gen_ai.evaluation.score.label`), e.g. `pass` / `fail`.
    ///
    /// # Examples
    ///
    /// ```
    /// let e = genai_otel::Evaluation::new("relevance").label("pass");
    /// # let _ = e;
    /// ```
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.score_label = Some(label.into());
        self
    }

    /// Free-text explanation (`gen_ai.evaluation.explanation`; redacted).
    ///
    /// # Examples
    ///
    /// ```
    /// let e = genai_otel::Evaluation::new("relevance").explanation("cites the right policy");
    /// # let _ = e;
    /// ```
    pub fn explanation(mut self, text: impl Into<String>) -> Self {
        self.explanation = Some(text.into());
        self
    }

    /// The evaluated response (`gen_ai.response.id`), when the event is not on its span.
    ///
    /// # Examples
    ///
    /// ```
    /// let e = genai_otel::Evaluation::new("relevance").response_id("chatcmpl-1");
    /// # let _ = e;
    /// ```
    pub fn response_id(mut self, id: impl Into<String>) -> Self {
        self.response_id = Some(id.into());
        self
    }

    /// The evaluator itself failed (`error.type`).
    ///
    /// # Examples
    ///
    /// ```
    /// let e = genai_otel::Evaluation::new("relevance").error_type("timeout");
    /// # let _ = e;
    /// ```
    pub fn error_type(mut self, error_type: impl Into<String>) -> Self {
        self.error_type = Some(error_type.into());
        self
    }
}

macro_rules! deref_to_handle {
    ($ty:ty) => {
        impl std::ops::Deref for $ty {
            type Target = $crate::span::SpanHandle;
            fn deref(&self) -> &Self::Target {
                &self.handle
            }
        }

        impl $ty {
            /// Ends the span now (it also ends when the last clone is dropped).
            ///
            /// # Examples
            ///
            /// ```
            /// # let span = genai_otel::ToolSpan::builder("t").start();
            /// span.end();
            /// ```
            pub fn end(self) {
                drop(self);
            }

            /// The shared handle (entering, errors, evaluations, prompt metadata).
            ///
            /// # Examples
            ///
            /// ```
            /// # let span = genai_otel::ToolSpan::builder("t").start();
            /// let handle: genai_otel::SpanHandle = span.handle().clone();
            /// # let _ = handle;
            /// ```
            pub fn handle(&self) -> &$crate::span::SpanHandle {
                &self.handle
            }
        }
    };
}
pub(crate) use deref_to_handle;

#[cfg(test)]
mod tests {
    #[test]
    fn short_names() {
        assert_eq!(super::short_type_name::<serde_json::Error>(), "Error");
        assert_eq!(super::short_type_name::<Vec<u8>>(), "Vec");
        assert_eq!(super::short_type_name::<str>(), "str");
    }

    #[test]
    fn span_names_on_the_stack_and_on_the_heap() {
        let mut buf = super::NameBuf::new();
        assert_eq!(super::span_name("chat", "", &mut buf), "chat");
        let mut buf = super::NameBuf::new();
        assert_eq!(
            super::span_name("chat", "gpt-4.1-mini", &mut buf),
            "chat gpt-4.1-mini"
        );
        assert!(buf.heap.capacity() == 0, "a short name stays on the stack");
        let model = "m".repeat(super::NAME_ON_STACK - 5);
        let mut buf = super::NameBuf::new();
        assert_eq!(
            super::span_name("chat", &model, &mut buf),
            format!("chat {model}")
        );
        assert!(
            buf.heap.capacity() == 0,
            "a name of exactly the stack size fits"
        );
        let model = "é".repeat(super::NAME_ON_STACK);
        let mut buf = super::NameBuf::new();
        assert_eq!(
            super::span_name("execute_tool", &model, &mut buf),
            format!("execute_tool {model}")
        );
    }

    #[test]
    fn code_function_names_as_strings() {
        struct Client<T>(T);
        let _ = Client(1).0;
        let mut buf = String::new();
        assert_eq!(
            super::CodeFunction::path("app::plan").as_str(&mut buf),
            "app::plan"
        );
        assert!(buf.is_empty());
        let method = super::CodeFunction::method::<Client<u8>>("chat");
        let name = method.as_str(&mut buf);
        assert_eq!(
            name,
            concat!(
                module_path!(),
                "::code_function_names_as_strings::Client::chat"
            )
        );
        assert_eq!(
            buf.capacity(),
            buf.len(),
            "one allocation of the exact size"
        );
    }
}
