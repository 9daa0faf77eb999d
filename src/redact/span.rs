//! The exporter-side stage: the same pipeline over every finished span,
//! including spans that other libraries create.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use opentelemetry::trace::Status;
use opentelemetry::{Array, KeyValue, StringValue, Value};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use opentelemetry_sdk::Resource;

use super::{KeyAction, KeyDecision, Redactor, MASKED};

/// Which values of a span [`Redactor::redact_span`] scrubs.
///
/// In every scope, key rules ([`RedactorBuilder::json_key`]) and the
/// built-in secret-bearing names apply to every attribute key (span, event
/// and link attributes), and the status description, exception events and
/// all event attributes are scrubbed.
///
/// [`RedactorBuilder::json_key`]: crate::RedactorBuilder::json_key
///
/// # Examples
///
/// ```
/// use genai_otel::{Detector, Redactor, SpanScope};
///
/// let r = Redactor::builder()
///     .builtin(Detector::ALL)
///     .span_scope(SpanScope::ContentAndEvents)
///     .build()?;
/// assert_eq!(r.span_scope(), SpanScope::ContentAndEvents);
/// assert_eq!(SpanScope::default(), SpanScope::All);
/// # Ok::<(), genai_otel::BuildError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SpanScope {
    /// Every string: the span name, every string and string-array attribute
    /// value (span, event and link attributes), event names, the status
    /// description, and integer attributes of 7+ digits (a card or phone
    /// number stored as a number is replaced by a string). The default: a
    /// safety net for spans from any library.
    #[default]
    All,
    /// Only the GenAI content attributes (`gen_ai.input.messages`,
    /// `gen_ai.output.messages`, `gen_ai.system_instructions`,
    /// `gen_ai.tool.definitions`, `gen_ai.tool.call.arguments`,
    /// `gen_ai.tool.call.result`, `gen_ai.retrieval.query.text`,
    /// `gen_ai.retrieval.documents`, the legacy `gen_ai.prompt*` /
    /// `gen_ai.completion*`), `exception.*` attributes, all event attributes
    /// and the status description. Cheaper; use it when every other
    /// attribute is known to be free of content.
    ContentAndEvents,
}

/// Span attributes that carry GenAI content.
const CONTENT_KEYS: &[&str] = &[
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.tool.definitions",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
    "gen_ai.retrieval.query.text",
    "gen_ai.retrieval.documents",
];

fn is_content_key(key: &str) -> bool {
    CONTENT_KEYS.contains(&key)
        || key.starts_with("exception.")
        || key.starts_with("gen_ai.prompt")
        || key.starts_with("gen_ai.completion")
}

impl Redactor {
    /// Scrubs a finished span in place, following the configured
    /// [`SpanScope`]: attribute values, event names and attributes
    /// (`exception.message`, `exception.stacktrace`, …), link attributes, the
    /// status description and the span name. Key rules drop, mask or hash
    /// attributes by key. Nothing is allocated for values that need no
    /// change.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::{Detector, Redactor};
    /// use opentelemetry::trace::{Event, SpanContext, SpanId, SpanKind, Status};
    /// use opentelemetry::{InstrumentationScope, KeyValue};
    /// use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};
    /// use std::time::SystemTime;
    ///
    /// let mut events = SpanEvents::default();
    /// events.events.push(Event::new(
    ///     "exception",
    ///     SystemTime::UNIX_EPOCH,
    ///     vec![KeyValue::new("exception.message", "no user ana@example.com")],
    ///     0,
    /// ));
    /// let mut span = SpanData {
    ///     span_context: SpanContext::empty_context(),
    ///     parent_span_id: SpanId::INVALID,
    ///     parent_span_is_remote: false,
    ///     span_kind: SpanKind::Client,
    ///     name: "chat".into(),
    ///     start_time: SystemTime::UNIX_EPOCH,
    ///     end_time: SystemTime::UNIX_EPOCH,
    ///     attributes: vec![KeyValue::new("user.phone", "+1 415 555 2671")],
    ///     dropped_attributes_count: 0,
    ///     events,
    ///     links: SpanLinks::default(),
    ///     status: Status::error("card 4111 1111 1111 1111 declined"),
    ///     instrumentation_scope: InstrumentationScope::builder("x").build(),
    /// };
    /// Redactor::builder().builtin(Detector::ALL).build()?.redact_span(&mut span);
    /// assert_eq!(span.attributes[0].value.as_str(), "[phone]");
    /// assert_eq!(span.events.events[0].attributes[0].value.as_str(), "no user [email]");
    /// assert_eq!(span.status, Status::error("card [card] declined"));
    /// # Ok::<(), genai_otel::BuildError>(())
    /// ```
    pub fn redact_span(&self, span: &mut SpanData) {
        let all = self.span_scope() == SpanScope::All;
        if all {
            if let Cow::Owned(name) = self.redact(&span.name) {
                span.name = Cow::Owned(name);
            }
        }
        self.redact_attributes(&mut span.attributes, all);
        for event in &mut span.events.events {
            if all {
                if let Cow::Owned(name) = self.redact(&event.name) {
                    event.name = Cow::Owned(name);
                }
            }
            self.redact_attributes(&mut event.attributes, true);
        }
        for link in &mut span.links.links {
            self.redact_attributes(&mut link.attributes, all);
        }
        if let Status::Error { description } = &mut span.status {
            if let Cow::Owned(new) = self.redact(description) {
                *description = Cow::Owned(new);
            }
        }
    }

    /// Applies key rules to every attribute, and scrubs the values of those
    /// in scope (`all`, or content keys).
    fn redact_attributes(&self, attributes: &mut Vec<KeyValue>, all: bool) {
        attributes.retain_mut(|kv| {
            let key = kv.key.as_str();
            match self.key_decision(key, true) {
                Some(KeyDecision::Rule(KeyAction::Drop)) => return false,
                Some(KeyDecision::Rule(KeyAction::Mask)) => kv.value = Value::from(MASKED),
                Some(KeyDecision::Rule(KeyAction::Hash)) => {
                    let canonical = match &kv.value {
                        Value::String(s) => s.as_str().to_owned(),
                        other => other.to_string(),
                    };
                    kv.value = Value::from(self.key_hash(&canonical));
                }
                Some(KeyDecision::Secret(kind, det)) => match &mut kv.value {
                    Value::String(s) => {
                        if let Cow::Owned(new) = self.secret_value(s.as_str(), kind, det) {
                            *s = StringValue::from(new);
                        }
                    }
                    Value::Array(Array::String(items)) => {
                        for s in items {
                            if let Cow::Owned(new) = self.secret_value(s.as_str(), kind, det) {
                                *s = StringValue::from(new);
                            }
                        }
                    }
                    Value::I64(_) | Value::F64(_) => {
                        let token = self.token(det.label(), &kv.value.to_string());
                        kv.value = Value::from(token);
                    }
                    _ => {}
                },
                None if all || is_content_key(key) => self.redact_value(&mut kv.value),
                None => {}
            }
            true
        });
    }

    fn redact_value(&self, value: &mut Value) {
        match value {
            Value::String(s) => {
                if let Cow::Owned(new) = self.redact(s.as_str()) {
                    *s = StringValue::from(new);
                }
            }
            Value::Array(Array::String(items)) => {
                for s in items {
                    if let Cow::Owned(new) = self.redact(s.as_str()) {
                        *s = StringValue::from(new);
                    }
                }
            }
            Value::I64(n) if n.unsigned_abs() >= 1_000_000 => {
                let digits = n.to_string();
                if let Cow::Owned(new) = self.redact(&digits) {
                    *value = Value::from(new);
                }
            }
            _ => {}
        }
    }
}

/// A [`SpanExporter`] that runs [`Redactor::redact_span`] over every span of
/// every batch before handing it to the wrapped exporter: the safety net
/// that also covers spans created by other libraries.
///
/// # Examples
///
/// ```
/// use genai_otel::{Detector, RedactingExporter, Redactor};
/// use opentelemetry_sdk::error::OTelSdkResult;
/// use opentelemetry_sdk::trace::{SpanData, SpanExporter};
///
/// #[derive(Debug)]
/// struct Stdout;
/// impl SpanExporter for Stdout {
///     async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
///         for span in batch {
///             let _ = span.name; // send somewhere
///         }
///         Ok(())
///     }
/// }
///
/// let redactor = Redactor::builder().builtin(Detector::ALL).build()?;
/// let exporter = RedactingExporter::new(Stdout, redactor);
/// let _provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
///     .with_simple_exporter(exporter)
///     .build();
/// # Ok::<(), genai_otel::BuildError>(())
/// ```
pub struct RedactingExporter<E> {
    inner: E,
    redactor: Redactor,
}

impl<E> RedactingExporter<E> {
    /// Wraps `inner`.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::{RedactingExporter, Redactor};
    ///
    /// let exporter = RedactingExporter::new((), Redactor::builder().build()?);
    /// assert_eq!(exporter.redactor().failure_count(), 0);
    /// # Ok::<(), genai_otel::BuildError>(())
    /// ```
    pub fn new(inner: E, redactor: Redactor) -> Self {
        RedactingExporter { inner, redactor }
    }

    /// The redactor in use.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::{Detector, RedactingExporter, Redactor};
    ///
    /// let exporter = RedactingExporter::new((), Redactor::builder().builtin(Detector::EMAIL).build()?);
    /// assert_eq!(exporter.redactor().detectors(), Detector::EMAIL);
    /// # Ok::<(), genai_otel::BuildError>(())
    /// ```
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// The wrapped exporter.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::{RedactingExporter, Redactor};
    ///
    /// let exporter = RedactingExporter::new(7_u8, Redactor::builder().build()?);
    /// assert_eq!(*exporter.inner(), 7);
    /// # Ok::<(), genai_otel::BuildError>(())
    /// ```
    pub fn inner(&self) -> &E {
        &self.inner
    }

    /// Unwraps the wrapped exporter.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::{RedactingExporter, Redactor};
    ///
    /// let exporter = RedactingExporter::new(String::from("otlp"), Redactor::builder().build()?);
    /// assert_eq!(exporter.into_inner(), "otlp");
    /// # Ok::<(), genai_otel::BuildError>(())
    /// ```
    pub fn into_inner(self) -> E {
        self.inner
    }
}

impl<E: fmt::Debug> fmt::Debug for RedactingExporter<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedactingExporter")
            .field("inner", &self.inner)
            .field("redactor", &self.redactor)
            .finish()
    }
}

impl<E: SpanExporter> SpanExporter for RedactingExporter<E> {
    async fn export(&self, mut batch: Vec<SpanData>) -> OTelSdkResult {
        for span in &mut batch {
            self.redactor.redact_span(span);
        }
        self.inner.export(batch).await
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}
