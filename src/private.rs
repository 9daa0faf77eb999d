//! What the expansions of the attribute macros (`#[traced_llm]` and siblings) name. Not
//! public API: anything here may change in any release.
//!
//! Generated code reaches everything through `::genai_otel::__private::...` (or the path
//! given with `crate = ..`), so that it compiles under `#![no_implicit_prelude]` and next to
//! user items that shadow std names.
//!
//! Return values are inspected with autoref dispatch: the expansion calls a method on
//! `&&&Outcome(&value)` / `&&Returned(&value)`, and the most specific trait implemented for
//! the value's type wins (e.g. an `Err` that implements [`ErrorType`] over one that only
//! implements `Display`, over one that implements neither; a response that implements
//! [`LlmResponse`] over one that does not). Because the choice is made where the value's
//! type is concrete, a user type needs no extra bound; inside a generic function, a value
//! whose type is a type parameter uses the fallback.
#![allow(missing_docs, missing_debug_implementations)]

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use opentelemetry::trace::TraceContextExt;
use serde::Serialize;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::response::{ErrorType, LlmResponse, RetrievalResults};
use crate::semconv;

pub use crate::content::ContentKind;
pub use crate::span::{
    AgentSpan, CodeFunction, InferenceSpan, ParseStatus, ParserSpan, RetrievalSpan, SpanHandle,
    ToolSpan,
};
use crate::span::{
    AgentSpanBuilder, InferenceSpanBuilder, ParserSpanBuilder, RetrievalSpanBuilder,
    ToolSpanBuilder,
};
pub use crate::stream::TracedStream;

// ---- argument conversion ------------------------------------------------------------------

/// A string-valued macro argument (`model = cfg.model`, `provider = "openai"`).
#[inline]
pub fn text<T: AsRef<str> + ?Sized>(value: &T) -> &str {
    value.as_ref()
}

/// An integer-valued macro argument; negative values count as 0.
pub trait IntArg {
    fn to_u64(self) -> u64;
}

macro_rules! int_arg {
    ($($t:ty => |$v:ident| $e:expr),* $(,)?) => {$(
        impl IntArg for $t {
            #[inline]
            fn to_u64(self) -> u64 {
                let $v = self;
                $e
            }
        }
    )*};
}
int_arg!(
    u8 => |v| u64::from(v),
    u16 => |v| u64::from(v),
    u32 => |v| u64::from(v),
    u64 => |v| v,
    usize => |v| u64::try_from(v).unwrap_or(u64::MAX),
    i8 => |v| u64::try_from(v).unwrap_or(0),
    i16 => |v| u64::try_from(v).unwrap_or(0),
    i32 => |v| u64::try_from(v).unwrap_or(0),
    i64 => |v| u64::try_from(v).unwrap_or(0),
    isize => |v| u64::try_from(v).unwrap_or(0),
);

#[inline]
pub fn int<T: IntArg>(value: T) -> u64 {
    value.to_u64()
}

/// `gen_ai.request.seed` is an `i64`.
#[inline]
pub fn seed<T: IntArg>(value: T) -> i64 {
    i64::try_from(value.to_u64()).unwrap_or(i64::MAX)
}

#[inline]
pub fn float<T: Into<f64>>(value: T) -> f64 {
    value.into()
}

/// `code.function.name` on any builder, recorded as a span field at creation (formatted
/// only when a subscriber records it).
pub trait WithCodeFunction: Sized {
    fn genai_otel_code_function(self, function: CodeFunction) -> Self;
}

macro_rules! with_code_function {
    ($($t:ty),*) => {$(
        impl WithCodeFunction for $t {
            #[inline]
            fn genai_otel_code_function(self, function: CodeFunction) -> Self {
                self.code_function(function)
            }
        }
    )*};
}
with_code_function!(
    InferenceSpanBuilder<'_>,
    ToolSpanBuilder,
    RetrievalSpanBuilder,
    ParserSpanBuilder,
    AgentSpanBuilder
);

/// Whether any subscriber could record an INFO span of this crate: `false` (one load and a
/// compare) when no subscriber is installed or every one is set below INFO. A necessary
/// condition only: when it holds, the span's own callsite still decides.
#[inline]
pub fn may_record() -> bool {
    tracing::Level::INFO <= tracing::level_filters::STATIC_MAX_LEVEL
        && tracing::Level::INFO <= tracing::level_filters::LevelFilter::current()
}

/// The span of each kind when [`may_record`] is `false`: made without a builder, a
/// dispatcher lookup or a clock read.
pub trait DisabledSpan {
    fn genai_otel_disabled() -> Self;
}

macro_rules! disabled_span {
    ($($t:ident),*) => {$(
        impl DisabledSpan for $t {
            #[inline]
            fn genai_otel_disabled() -> Self {
                $t::disabled()
            }
        }
    )*};
}
disabled_span!(
    InferenceSpan,
    ToolSpan,
    RetrievalSpan,
    ParserSpan,
    AgentSpan
);

/// Whether `span` records anything: with no subscriber installed (or the span filtered
/// out) the expansion skips reading the returned value altogether.
#[inline]
pub fn recording(span: &SpanHandle) -> bool {
    !span.span().is_disabled()
}

// ---- content --------------------------------------------------------------------------------

/// Whether content of `kind` would be recorded on `span` (so that a named content expression
/// is not even evaluated otherwise). The seam itself checks again when recording.
pub fn content_enabled(span: &SpanHandle, kind: ContentKind) -> bool {
    let span = span.span();
    if span.is_disabled() {
        return false;
    }
    let runtime = crate::runtime::current();
    if runtime.content.is_off() {
        return false;
    }
    let trace_id = span.context().span().span_context().trace_id();
    runtime.content.allows(kind, trace_id)
}

// ---- running the body -------------------------------------------------------------------------

/// Runs a synchronous body with no span (the closure may be `FnMut`, e.g. over `&mut self`).
#[inline(always)]
pub fn call_once<R>(body: impl FnOnce() -> R) -> R {
    body()
}

/// Runs a synchronous body with `span` entered. A panic is recorded on the span (status
/// Error, `error.type = panic`) and then continues unwinding with its original payload.
pub fn run_sync<R>(span: &SpanHandle, body: impl FnOnce() -> R) -> R {
    let result = {
        let _entered = span.span().enter();
        catch_unwind(AssertUnwindSafe(body))
    };
    match result {
        Ok(value) => value,
        Err(payload) => {
            record_panic(span, &*payload);
            resume_unwind(payload)
        }
    }
}

/// Runs an asynchronous body with `span` entered at every poll; panics as in [`run_sync`].
/// The expansion names `R` (`run_async::<R, _>`), so that the body's `async` block is
/// checked against the declared output type and a mismatch is reported in the body.
pub fn run_async<R, F: Future<Output = R>>(span: &SpanHandle, body: F) -> RunAsync<'_, F> {
    RunAsync {
        inner: body,
        span,
        done: false,
    }
}

pin_project_lite::pin_project! {
    /// The future of [`run_async`]. Dropped before it completed, it marks the span
    /// `genai_otel.cancelled = true` (not an error: cancelling is the caller's choice).
    pub struct RunAsync<'a, F> {
        #[pin]
        inner: F,
        span: &'a SpanHandle,
        done: bool,
    }

    impl<'a, F> PinnedDrop for RunAsync<'a, F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if !*this.done && !this.span.span().is_disabled() {
                this.span.set_attribute(semconv::CANCELLED, true);
            }
        }
    }
}

impl<F: Future> Future for RunAsync<'_, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let span: &SpanHandle = this.span;
        let inner = this.inner;
        let result = {
            let _entered = span.span().enter();
            catch_unwind(AssertUnwindSafe(|| inner.poll(cx)))
        };
        match result {
            Ok(poll) => {
                if poll.is_ready() {
                    *this.done = true;
                }
                poll
            }
            Err(payload) => {
                *this.done = true;
                record_panic(span, &*payload);
                resume_unwind(payload)
            }
        }
    }
}

fn record_panic(span: &SpanHandle, payload: &(dyn Any + Send)) {
    span.record_error("panic", panic_message(payload));
}

/// The message of a panic payload (`panic!` gives a `&str` or a `String`).
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("panicked")
}

// ---- errors -----------------------------------------------------------------------------------

/// The returned value, for the error dispatch: `(&&&Outcome(&value)).genai_otel_error()`
/// gives `Some((error.type, description))` for an `Err`.
pub struct Outcome<'a, T: ?Sized>(pub &'a T);

impl<T: ?Sized> Clone for Outcome<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized> Copy for Outcome<'_, T> {}

/// `Err(e)` where `e` names its own `error.type`.
pub trait ViaErrorType {
    fn genai_otel_error(self) -> Option<(String, String)>;
}

impl<T, E: ErrorType> ViaErrorType for &&&Outcome<'_, Result<T, E>> {
    fn genai_otel_error(self) -> Option<(String, String)> {
        let e = self.0.as_ref().err()?;
        Some((e.error_type().into_owned(), e.to_string()))
    }
}

/// `Err(e)` where `e: Display`: the type name, and the `Display` as description.
pub trait ViaDisplay {
    fn genai_otel_error(self) -> Option<(String, String)>;
}

impl<T, E: fmt::Display> ViaDisplay for &&Outcome<'_, Result<T, E>> {
    fn genai_otel_error(self) -> Option<(String, String)> {
        let e = self.0.as_ref().err()?;
        Some((
            crate::span::short_type_name::<E>().to_string(),
            e.to_string(),
        ))
    }
}

/// Any other `Err(e)`: the type name, also as description.
pub trait ViaTypeName {
    fn genai_otel_error(self) -> Option<(String, String)>;
}

impl<T, E> ViaTypeName for &Outcome<'_, Result<T, E>> {
    fn genai_otel_error(self) -> Option<(String, String)> {
        self.0.as_ref().err()?;
        let name = crate::span::short_type_name::<E>();
        Some((name.to_string(), name.to_string()))
    }
}

/// Not a `Result`: never an error.
pub trait ViaNotAResult {
    fn genai_otel_error(self) -> Option<(String, String)>;
}

impl<T: ?Sized> ViaNotAResult for Outcome<'_, T> {
    fn genai_otel_error(self) -> Option<(String, String)> {
        None
    }
}

/// Records an error found by the dispatch.
pub fn record_error(span: &SpanHandle, error: Option<(String, String)>) {
    if let Some((error_type, message)) = error {
        span.record_error(&error_type, message);
    }
}

// ---- successful values ------------------------------------------------------------------------

/// The returned value, for the per-kind success dispatch.
pub struct Returned<'a, T: ?Sized>(pub &'a T);

impl<T: ?Sized> Clone for Returned<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized> Copy for Returned<'_, T> {}

/// A model response: `(&Returned(&value)).genai_otel_llm(&span)`.
pub trait ViaLlmResponse {
    fn genai_otel_llm(self, span: &InferenceSpan);
}

impl<T: LlmResponse + ?Sized> ViaLlmResponse for &Returned<'_, T> {
    fn genai_otel_llm(self, span: &InferenceSpan) {
        span.record_llm_response(self.0);
    }
}

pub trait ViaNoLlmResponse {
    fn genai_otel_llm(self, span: &InferenceSpan);
}

impl<T: ?Sized> ViaNoLlmResponse for Returned<'_, T> {
    fn genai_otel_llm(self, _span: &InferenceSpan) {}
}

/// A tool result: `(&&Returned(&value)).genai_otel_tool(&span)`; the `Ok` value of a
/// `Result`, or the value itself, when it is `Serialize`.
pub trait ViaToolOk {
    fn genai_otel_tool(self, span: &ToolSpan);
}

impl<T: Serialize, E> ViaToolOk for &&Returned<'_, Result<T, E>> {
    fn genai_otel_tool(self, span: &ToolSpan) {
        if let Ok(value) = self.0 {
            span.record_result(value);
        }
    }
}

pub trait ViaToolValue {
    fn genai_otel_tool(self, span: &ToolSpan);
}

impl<T: Serialize + ?Sized> ViaToolValue for &Returned<'_, T> {
    fn genai_otel_tool(self, span: &ToolSpan) {
        span.record_result(self.0);
    }
}

pub trait ViaNoToolResult {
    fn genai_otel_tool(self, span: &ToolSpan);
}

impl<T: ?Sized> ViaNoToolResult for Returned<'_, T> {
    fn genai_otel_tool(self, _span: &ToolSpan) {}
}

/// Retrieval results: `(&Returned(&value)).genai_otel_retrieval(&span)`.
pub trait ViaRetrievalResults {
    fn genai_otel_retrieval(self, span: &RetrievalSpan);
}

impl<T: RetrievalResults + ?Sized> ViaRetrievalResults for &Returned<'_, T> {
    fn genai_otel_retrieval(self, span: &RetrievalSpan) {
        span.record_results(self.0);
    }
}

pub trait ViaNoRetrievalResults {
    fn genai_otel_retrieval(self, span: &RetrievalSpan);
}

impl<T: ?Sized> ViaNoRetrievalResults for Returned<'_, T> {
    fn genai_otel_retrieval(self, _span: &RetrievalSpan) {}
}

/// The end of a parser function: one parse step, the final status, and on error status
/// Error with the error's `error.type`.
pub fn finish_parser(span: &ParserSpan, error: Option<(String, String)>) {
    match error {
        None => {
            span.record_parse(Ok(()));
            span.finish(ParseStatus::Ok);
        }
        Some((error_type, message)) => {
            span.record_parse(Err(&message));
            span.set_attribute(semconv::PARSER_STATUS, "failed");
            span.set_attribute(semconv::PARSER_ATTEMPTS, 1_i64);
            span.record_error(&error_type, message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_args_saturate() {
        assert_eq!(int(-3_i32), 0);
        assert_eq!(int(7_usize), 7);
        assert_eq!(int(u64::MAX), u64::MAX);
        assert_eq!(seed(u64::MAX), i64::MAX);
        assert_eq!(float(3_i32), 3.0);
    }

    #[test]
    fn method_names_drop_generics() {
        struct Client<T>(T);
        let _ = Client(1).0;
        let mut buf = String::new();
        let name = CodeFunction::method::<Client<u8>>("chat").as_str(&mut buf);
        assert!(name.ends_with("::Client::chat"), "{name}");
        assert!(!name.contains('<'), "{name}");
    }

    #[derive(Debug)]
    struct Coded;
    impl fmt::Display for Coded {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("coded failure")
        }
    }
    impl ErrorType for Coded {
        fn error_type(&self) -> std::borrow::Cow<'_, str> {
            "E42".into()
        }
    }
    struct Opaque;

    #[test]
    #[allow(clippy::needless_borrow)] // the three references are the dispatch under test
    fn error_dispatch_prefers_the_most_specific() {
        let a: Result<(), Coded> = Err(Coded);
        assert_eq!(
            (&&&Outcome(&a)).genai_otel_error(),
            Some(("E42".to_string(), "coded failure".to_string()))
        );
        let b: Result<(), std::fmt::Error> = Err(std::fmt::Error);
        assert_eq!(
            (&&&Outcome(&b)).genai_otel_error().map(|e| e.0),
            Some("Error".to_string())
        );
        let c: Result<(), Opaque> = Err(Opaque);
        assert_eq!(
            (&&&Outcome(&c)).genai_otel_error(),
            Some(("Opaque".to_string(), "Opaque".to_string()))
        );
        let d: Result<u8, Opaque> = Ok(1);
        assert_eq!((&&&Outcome(&d)).genai_otel_error(), None);
        assert_eq!((&&&Outcome(&5_u8)).genai_otel_error(), None);
    }
}
