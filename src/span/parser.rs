//! Output parsing and validation (`parse_output {schema}`): a step the GenAI conventions do
//! not cover, recorded under this crate's namespace.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use opentelemetry::KeyValue;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::{deref_to_handle, non_empty, CodeFunction, SpanHandle};
use crate::content::ContentKind;
use crate::semconv;

/// Final outcome of a parser span (`genai_otel.parser.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseStatus {
    /// Parsed and valid on the first attempt.
    Ok,
    /// Valid after one or more repair attempts.
    Repaired,
    /// Parsed, but failed validation (status Error).
    Invalid,
    /// Could not be parsed (status Error).
    Failed,
}

impl ParseStatus {
    fn as_str(self) -> &'static str {
        match self {
            ParseStatus::Ok => "ok",
            ParseStatus::Repaired => "repaired",
            ParseStatus::Invalid => "invalid",
            ParseStatus::Failed => "failed",
        }
    }
}

/// Builder of a [`ParserSpan`].
///
/// # Examples
///
/// ```
/// let parser = genai_otel::ParserSpan::builder("SupportAnswer").start();
/// # drop(parser);
/// ```
#[derive(Debug, Clone)]
#[must_use = "call .start() to create the span"]
pub struct ParserSpanBuilder {
    schema: String,
    code_function: Option<CodeFunction>,
}

impl ParserSpanBuilder {
    /// Creates the span as a child of the current span.
    ///
    /// # Examples
    ///
    /// ```
    /// let parser = genai_otel::ParserSpan::builder("SupportAnswer").start();
    /// # drop(parser);
    /// ```
    pub fn start(self) -> ParserSpan {
        // Written only when a subscriber records the span (the field values are evaluated then).
        let (mut name_buf, mut function_buf) = (super::NameBuf::new(), String::new());
        let span = tracing::info_span!(
            target: "genai_otel",
            "genai_otel.parse_output",
            otel.name = super::span_name("parse_output", &self.schema, &mut name_buf),
            otel.kind = "internal",
            genai_otel.span.type = "parse_output",
            genai_otel.parser.schema = non_empty(&self.schema),
            code.function.name = self.code_function.map(|f| f.as_str(&mut function_buf)),
        );
        ParserSpan {
            handle: SpanHandle::new(span),
            attempts: Arc::new(AtomicI64::new(0)),
            last_error: Arc::new(Mutex::new(None)),
        }
    }

    /// `code.function.name` as the attribute macros give it.
    pub(crate) fn code_function(mut self, function: CodeFunction) -> Self {
        self.code_function = Some(function);
        self
    }
}

/// Parsing a model's output: parse, validate and repair steps, and the final status.
///
/// # Examples
///
/// ```
/// use genai_otel::{ParseStatus, ParserSpan};
/// let parser = ParserSpan::builder("SupportAnswer").start();
/// parser.record_input(r#"{"answer": "Refund issued""#);
/// parser.record_parse(Err("EOF while parsing an object"));
/// parser.record_repair(Ok(()));
/// parser.record_parse(Ok(()));
/// parser.record_validate(Ok(()));
/// parser.finish(ParseStatus::Repaired);
/// ```
#[derive(Debug, Clone)]
pub struct ParserSpan {
    handle: SpanHandle,
    attempts: Arc<AtomicI64>,
    last_error: Arc<Mutex<Option<String>>>,
}

deref_to_handle!(ParserSpan);

impl ParserSpan {
    /// A span that records nothing (no subscriber could record it).
    pub(crate) fn disabled() -> Self {
        ParserSpan {
            handle: SpanHandle::disabled(),
            attempts: Arc::new(AtomicI64::new(0)),
            last_error: Arc::new(Mutex::new(None)),
        }
    }

    /// A `parse_output {schema}` span.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::ParserSpan::builder("SupportAnswer");
    /// # let _ = b;
    /// ```
    pub fn builder(schema: impl Into<String>) -> ParserSpanBuilder {
        ParserSpanBuilder {
            schema: schema.into(),
            code_function: None,
        }
    }

    /// Records the raw text the parser received (`genai_otel.parser.input`) — content.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = genai_otel::ParserSpan::builder("S").start();
    /// p.record_input("{}");
    /// ```
    pub fn record_input(&self, raw: &str) -> bool {
        self.capture(ContentKind::ParserInput, semconv::PARSER_INPUT, || {
            Some(raw.to_string())
        })
    }

    fn step(&self, step: &'static str, outcome: Result<(), &str>) {
        let mut attrs = vec![
            KeyValue::new(semconv::PARSER_STEP, step),
            KeyValue::new(semconv::PARSER_STEP_OK, outcome.is_ok()),
        ];
        if let Err(e) = outcome {
            let e = match self.handle.runtime().and_then(|rt| rt.redactor.as_ref()) {
                Some(r) => r.redact(e).into_owned(),
                None => e.to_string(),
            };
            attrs.push(KeyValue::new(semconv::PARSER_STEP_ERROR, e.clone()));
            let mut last = self
                .last_error
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            *last = Some(e);
        }
        self.span().add_event(semconv::PARSER_STEP_EVENT, attrs);
    }

    /// Records one parse attempt (counted in `genai_otel.parser.attempts`).
    ///
    /// # Examples
    ///
    /// ```
    /// let p = genai_otel::ParserSpan::builder("S").start();
    /// p.record_parse(Err("expected `,` at line 1 column 9"));
    /// ```
    pub fn record_parse(&self, outcome: Result<(), &str>) {
        self.attempts.fetch_add(1, Ordering::Relaxed);
        self.step("parse", outcome);
    }

    /// Records one validation against the schema.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = genai_otel::ParserSpan::builder("S").start();
    /// p.record_validate(Err("missing field `answer`"));
    /// ```
    pub fn record_validate(&self, outcome: Result<(), &str>) {
        self.step("validate", outcome);
    }

    /// Records one repair attempt (re-prompting, fixing JSON, ...).
    ///
    /// # Examples
    ///
    /// ```
    /// let p = genai_otel::ParserSpan::builder("S").start();
    /// p.record_repair(Ok(()));
    /// ```
    pub fn record_repair(&self, outcome: Result<(), &str>) {
        self.step("repair", outcome);
    }

    /// Records the final status and attempt count; `Invalid` and `Failed` also set status
    /// Error with `error.type` `invalid_output` / `parse_error` and the last step's error.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = genai_otel::ParserSpan::builder("S").start();
    /// p.record_parse(Ok(()));
    /// p.finish(genai_otel::ParseStatus::Ok);
    /// ```
    pub fn finish(&self, status: ParseStatus) {
        self.set_attribute(semconv::PARSER_STATUS, status.as_str());
        self.set_attribute(
            semconv::PARSER_ATTEMPTS,
            self.attempts.load(Ordering::Relaxed).max(1),
        );
        let error_type = match status {
            ParseStatus::Invalid => "invalid_output",
            ParseStatus::Failed => "parse_error",
            _ => return,
        };
        let message = self
            .last_error
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
            .unwrap_or_else(|| status.as_str().to_string());
        self.record_error(error_type, message);
    }
}
