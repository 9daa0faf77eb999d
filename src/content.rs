//! Content capture: whether prompts, completions, tool arguments and results, retrieval
//! queries and documents are recorded, and the single seam every content value passes.
//!
//! Content is **off by default**. When it is off for a value, the value is never formatted
//! or serialized: the closure producing it is not called. When it is on, the value is
//! serialized, passed through the [`Redactor`](crate::Redactor), cut to the configured
//! maximum length with a visible marker, and only then becomes a span attribute. There is no
//! other path from content to an attribute in this crate.

use std::fmt;

use opentelemetry::trace::{TraceContextExt, TraceId};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::error::InitError;
use crate::runtime::Runtime;
use crate::semconv;

/// Default maximum length of one recorded content value, in bytes (32 KiB).
pub const DEFAULT_MAX_CONTENT_LENGTH: usize = 32 * 1024;

/// Whether content is recorded at all.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum CaptureMode {
    /// Never record content. The default.
    Off,
    /// Record content on every trace.
    On,
    /// Record content on a fraction of traces, decided from the trace id so that a trace is
    /// either recorded whole or not at all (and identically in every process).
    Sampled(f64),
}

/// The kinds of content, each with its own switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ContentKind {
    /// `gen_ai.input.messages`: the chat history sent to the model.
    InputMessages,
    /// `gen_ai.output.messages`: what the model answered.
    OutputMessages,
    /// `gen_ai.system_instructions`.
    SystemInstructions,
    /// `gen_ai.tool.call.arguments`.
    ToolArguments,
    /// `gen_ai.tool.call.result`.
    ToolResult,
    /// `gen_ai.retrieval.query.text`.
    RetrievalQuery,
    /// `gen_ai.retrieval.documents` (document ids and scores are metadata and always recorded).
    RetrievalDocuments,
    /// `gen_ai.prompt.variable.*`: template variables of a rendered prompt.
    PromptVariables,
    /// `genai_otel.parser.input`: the raw text an output parser received.
    ParserInput,
}

/// Content-capture policy: off / on / sampled per trace, per-kind switches, maximum length.
///
/// Environment (used only when code does not pass a policy):
///
/// | variable | values | effect |
/// |---|---|---|
/// | `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` | `true`/`1`/`SPAN_ONLY`/`SPAN_AND_EVENT`; `false`/`0`/`NO_CONTENT`/`EVENT_ONLY` | on / off (events are not emitted, so `EVENT_ONLY` records nothing on spans) |
/// | `GENAI_OTEL_CONTENT_SAMPLE_RATE` | `0.0`–`1.0` | record content on that fraction of traces (turns capture on) |
/// | `GENAI_OTEL_CONTENT_MAX_LENGTH` | bytes | maximum length of one value (default 32 KiB) |
///
/// # Examples
///
/// ```
/// use genai_otel::ContentCapture;
/// let everything = ContentCapture::on();
/// let some_traces = ContentCapture::sampled(0.01).tool_io(false);
/// let default = ContentCapture::default();
/// assert_eq!(default, ContentCapture::off());
/// # let _ = (everything, some_traces);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ContentCapture {
    mode: CaptureMode,
    input_messages: bool,
    output_messages: bool,
    system_instructions: bool,
    tool_arguments: bool,
    tool_results: bool,
    retrieval_query: bool,
    retrieval_documents: bool,
    prompt_variables: bool,
    parser_input: bool,
    max_length: usize,
}

impl Default for ContentCapture {
    fn default() -> Self {
        Self::off()
    }
}

impl ContentCapture {
    fn with_mode(mode: CaptureMode) -> Self {
        Self {
            mode,
            input_messages: true,
            output_messages: true,
            system_instructions: true,
            tool_arguments: true,
            tool_results: true,
            retrieval_query: true,
            retrieval_documents: true,
            prompt_variables: true,
            parser_input: true,
            max_length: DEFAULT_MAX_CONTENT_LENGTH,
        }
    }

    /// Record no content. The default.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = genai_otel::ContentCapture::off();
    /// # let _ = c;
    /// ```
    pub fn off() -> Self {
        Self::with_mode(CaptureMode::Off)
    }

    /// Record every kind of content on every trace (each kind can still be switched off).
    ///
    /// # Examples
    ///
    /// ```
    /// let c = genai_otel::ContentCapture::on().retrieval_documents(false);
    /// # let _ = c;
    /// ```
    pub fn on() -> Self {
        Self::with_mode(CaptureMode::On)
    }

    /// Record content on the fraction `rate` (0.0–1.0, clamped) of traces, decided from
    /// the trace id: the whole trace or nothing of it.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = genai_otel::ContentCapture::sampled(0.05);
    /// # let _ = c;
    /// ```
    pub fn sampled(rate: f64) -> Self {
        let rate = if rate.is_nan() {
            0.0
        } else {
            rate.clamp(0.0, 1.0)
        };
        Self::with_mode(CaptureMode::Sampled(rate))
    }

    /// The mode.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::{CaptureMode, ContentCapture};
    /// assert_eq!(ContentCapture::on().mode(), CaptureMode::On);
    /// ```
    pub fn mode(&self) -> CaptureMode {
        self.mode
    }

    /// Switch for input and output messages together.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = genai_otel::ContentCapture::on().messages(false);
    /// # let _ = c;
    /// ```
    pub fn messages(mut self, on: bool) -> Self {
        self.input_messages = on;
        self.output_messages = on;
        self
    }

    /// Switch for `gen_ai.input.messages`.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = genai_otel::ContentCapture::on().input_messages(false);
    /// # let _ = c;
    /// ```
    pub fn input_messages(mut self, on: bool) -> Self {
        self.input_messages = on;
        self
    }

    /// Switch for `gen_ai.output.messages`.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = genai_otel::ContentCapture::on().output_messages(false);
    /// # let _ = c;
    /// ```
    pub fn output_messages(mut self, on: bool) -> Self {
        self.output_messages = on;
        self
    }

    /// Switch for `gen_ai.system_instructions`.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = genai_otel::ContentCapture::on().system_instructions(false);
    /// # let _ = c;
    /// ```
    pub fn system_instructions(mut self, on: bool) -> Self {
        self.system_instructions = on;
        self
    }

    /// Switch for tool call arguments and results together.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = genai_otel::ContentCapture::on().tool_io(false);
    /// # let _ = c;
    /// ```
    pub fn tool_io(mut self, on: bool) -> Self {
        self.tool_arguments = on;
        self.tool_results = on;
        self
    }

    /// Switch for retrieval query text.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = genai_otel::ContentCapture::on().retrieval_query(false);
    /// # let _ = c;
    /// ```
    pub fn retrieval_query(mut self, on: bool) -> Self {
        self.retrieval_query = on;
        self
    }

    /// Switch for retrieved document content (`gen_ai.retrieval.documents`).
    ///
    /// # Examples
    ///
    /// ```
    /// let c = genai_otel::ContentCapture::on().retrieval_documents(false);
    /// # let _ = c;
    /// ```
    pub fn retrieval_documents(mut self, on: bool) -> Self {
        self.retrieval_documents = on;
        self
    }

    /// Switch for prompt template variables.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = genai_otel::ContentCapture::on().prompt_variables(false);
    /// # let _ = c;
    /// ```
    pub fn prompt_variables(mut self, on: bool) -> Self {
        self.prompt_variables = on;
        self
    }

    /// Switch for the raw text handed to output parsers.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = genai_otel::ContentCapture::on().parser_input(false);
    /// # let _ = c;
    /// ```
    pub fn parser_input(mut self, on: bool) -> Self {
        self.parser_input = on;
        self
    }

    /// Maximum length in bytes of one recorded value; longer values are cut at a character
    /// boundary and end with `…[truncated N bytes]`. Default 32 KiB.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = genai_otel::ContentCapture::on().max_length(4096);
    /// # let _ = c;
    /// ```
    pub fn max_length(mut self, bytes: usize) -> Self {
        self.max_length = bytes;
        self
    }

    /// Whether the kind is switched on (ignoring the mode).
    fn kind_enabled(&self, kind: ContentKind) -> bool {
        match kind {
            ContentKind::InputMessages => self.input_messages,
            ContentKind::OutputMessages => self.output_messages,
            ContentKind::SystemInstructions => self.system_instructions,
            ContentKind::ToolArguments => self.tool_arguments,
            ContentKind::ToolResult => self.tool_results,
            ContentKind::RetrievalQuery => self.retrieval_query,
            ContentKind::RetrievalDocuments => self.retrieval_documents,
            ContentKind::PromptVariables => self.prompt_variables,
            ContentKind::ParserInput => self.parser_input,
        }
    }

    /// Whether a value of `kind` in the trace `trace_id` is recorded.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::{ContentCapture, ContentKind};
    /// use opentelemetry::trace::TraceId;
    /// let id = TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap();
    /// assert!(ContentCapture::on().allows(ContentKind::InputMessages, id));
    /// assert!(!ContentCapture::off().allows(ContentKind::InputMessages, id));
    /// assert!(!ContentCapture::on().tool_io(false).allows(ContentKind::ToolResult, id));
    /// ```
    pub fn allows(&self, kind: ContentKind, trace_id: TraceId) -> bool {
        if !self.kind_enabled(kind) {
            return false;
        }
        match self.mode {
            CaptureMode::Off => false,
            CaptureMode::On => true,
            CaptureMode::Sampled(rate) => crate::ratio::trace_id_below(trace_id, rate),
        }
    }

    pub(crate) fn is_off(&self) -> bool {
        self.mode == CaptureMode::Off
    }

    pub(crate) fn resolve(
        code: Option<ContentCapture>,
        var: &dyn Fn(&str) -> Option<String>,
    ) -> Result<ContentCapture, InitError> {
        if let Some(c) = code {
            return Ok(c);
        }
        const CAPTURE: &str = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT";
        const RATE: &str = "GENAI_OTEL_CONTENT_SAMPLE_RATE";
        const MAX: &str = "GENAI_OTEL_CONTENT_MAX_LENGTH";
        let mut capture =
            match var(CAPTURE) {
                None => ContentCapture::off(),
                Some(v) => match v.trim().to_ascii_lowercase().as_str() {
                    "true" | "1" | "span_only" | "span_and_event" => ContentCapture::on(),
                    "false" | "0" | "no_content" | "event_only" => ContentCapture::off(),
                    _ => return Err(InitError::invalid_env(
                        CAPTURE,
                        &v,
                        "expected true, false, NO_CONTENT, SPAN_ONLY, SPAN_AND_EVENT or EVENT_ONLY",
                    )),
                },
            };
        if let Some(v) = var(RATE) {
            let rate = crate::config::parse_f64_rate(RATE, &v)?;
            let explicitly_off = var(CAPTURE).is_some() && capture.is_off();
            if !explicitly_off {
                capture.mode = CaptureMode::Sampled(rate);
            }
        }
        if let Some(v) = var(MAX) {
            capture.max_length = crate::config::parse_u64(MAX, &v, "bytes")? as usize;
        }
        Ok(capture)
    }
}

/// Serializes structured content (messages, tool arguments, documents) as JSON; called only
/// once capture allowed the value.
pub(crate) fn json<T: serde::Serialize + ?Sized>(value: &T) -> Option<String> {
    serde_json::to_string(value).ok()
}

impl fmt::Display for ContentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// The content seam: records `make()` under `key` on `span` if capture allows `kind` for the
/// span's trace. Redaction (JSON-aware: a JSON document is walked) and truncation happen
/// here and nowhere else.
pub(crate) fn capture(
    runtime: &Runtime,
    span: &tracing::Span,
    kind: ContentKind,
    key: opentelemetry::Key,
    make: impl FnOnce() -> Option<String>,
) -> bool {
    if runtime.content.is_off() || span.is_disabled() {
        return false;
    }
    let trace_id = span.context().span().span_context().trace_id();
    if !runtime.content.allows(kind, trace_id) {
        return false;
    }
    let Some(text) = make() else {
        return false;
    };
    let text = match &runtime.redactor {
        Some(r) => match r.redact(&text) {
            std::borrow::Cow::Borrowed(_) => text,
            std::borrow::Cow::Owned(redacted) => redacted,
        },
        None => text,
    };
    let (text, truncated) = truncate(text, runtime.content.max_length);
    span.set_attribute(key, text);
    if truncated {
        span.set_attribute(semconv::CONTENT_TRUNCATED, true);
    }
    true
}

/// Cuts `text` to at most `max` bytes (at a char boundary) plus a visible marker.
pub(crate) fn truncate(mut text: String, max: usize) -> (String, bool) {
    if text.len() <= max {
        return (text, false);
    }
    let mut cut = max;
    while cut > 0 && !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let removed = text.len() - cut;
    text.truncate(cut);
    text.push_str(&format!("…[truncated {removed} bytes]"));
    (text, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_is_char_safe_and_visible() {
        let (t, cut) = truncate("héllo wörld".to_string(), 2);
        assert!(cut);
        assert_eq!(t, "h…[truncated 12 bytes]");
        let (t, cut) = truncate("short".to_string(), 10);
        assert!(!cut);
        assert_eq!(t, "short");
    }

    #[test]
    fn sampled_capture_is_a_function_of_the_trace_id() {
        let c = ContentCapture::sampled(0.5);
        let mut yes = 0;
        for i in 0..2000u128 {
            let id = TraceId::from(i.wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835));
            let a = c.allows(ContentKind::InputMessages, id);
            assert_eq!(a, c.allows(ContentKind::OutputMessages, id));
            yes += a as u32;
        }
        assert!((800..1200).contains(&yes), "{yes}");
    }

    #[test]
    fn env_values() {
        let on = |v: &'static str| {
            move |n: &str| {
                (n == "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT").then(|| v.to_string())
            }
        };
        assert_eq!(
            ContentCapture::resolve(None, &on("SPAN_ONLY"))
                .unwrap()
                .mode(),
            CaptureMode::On
        );
        assert_eq!(
            ContentCapture::resolve(None, &on("false")).unwrap().mode(),
            CaptureMode::Off
        );
        assert!(ContentCapture::resolve(None, &on("loud")).is_err());
        let rate = |n: &str| (n == "GENAI_OTEL_CONTENT_SAMPLE_RATE").then(|| "0.25".to_string());
        assert_eq!(
            ContentCapture::resolve(None, &rate).unwrap().mode(),
            CaptureMode::Sampled(0.25)
        );
        // code beats env
        assert_eq!(
            ContentCapture::resolve(Some(ContentCapture::off()), &on("true"))
                .unwrap()
                .mode(),
            CaptureMode::Off
        );
    }
}
