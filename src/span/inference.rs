//! Model calls: `chat`, `text_completion`, `generate_content`, `embeddings`.

use std::borrow::Cow;

use opentelemetry::{Array, KeyValue, StringValue, Value};

use super::{deref_to_handle, non_empty, CodeFunction, SpanHandle};
use crate::content::{self, ContentKind};
use crate::semconv::{self, operation};

/// Token usage of one model call. Input counts include cached tokens; output counts include
/// reasoning tokens (the conventions' accounting).
///
/// # Examples
///
/// ```
/// let usage = genai_otel::Usage::new(812, 164).cache_read(512);
/// # let _ = usage;
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// `gen_ai.usage.input_tokens`.
    pub input_tokens: Option<u64>,
    /// `gen_ai.usage.output_tokens`.
    pub output_tokens: Option<u64>,
    /// `gen_ai.usage.cache_read.input_tokens`.
    pub cache_read_input_tokens: Option<u64>,
    /// `gen_ai.usage.cache_write.input_tokens`.
    pub cache_write_input_tokens: Option<u64>,
    /// `gen_ai.usage.reasoning.output_tokens`.
    pub reasoning_output_tokens: Option<u64>,
}

impl Usage {
    /// Input and output token counts.
    ///
    /// # Examples
    ///
    /// ```
    /// let usage = genai_otel::Usage::new(10, 5);
    /// assert_eq!(usage.input_tokens, Some(10));
    /// ```
    pub fn new(input_tokens: u64, output_tokens: u64) -> Self {
        Self {
            input_tokens: Some(input_tokens),
            output_tokens: Some(output_tokens),
            ..Self::default()
        }
    }

    /// Cached input tokens read.
    ///
    /// # Examples
    ///
    /// ```
    /// let usage = genai_otel::Usage::new(10, 5).cache_read(4);
    /// # let _ = usage;
    /// ```
    pub fn cache_read(mut self, tokens: u64) -> Self {
        self.cache_read_input_tokens = Some(tokens);
        self
    }

    /// Input tokens written to the provider's cache.
    ///
    /// # Examples
    ///
    /// ```
    /// let usage = genai_otel::Usage::new(10, 5).cache_write(6);
    /// # let _ = usage;
    /// ```
    pub fn cache_write(mut self, tokens: u64) -> Self {
        self.cache_write_input_tokens = Some(tokens);
        self
    }

    /// Reasoning tokens (part of the output).
    ///
    /// # Examples
    ///
    /// ```
    /// let usage = genai_otel::Usage::new(10, 50).reasoning(40);
    /// # let _ = usage;
    /// ```
    pub fn reasoning(mut self, tokens: u64) -> Self {
        self.reasoning_output_tokens = Some(tokens);
        self
    }

    /// Adds `other` to `self` field by field (for streamed usage reported in pieces).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut total = genai_otel::Usage::new(10, 1);
    /// total.accumulate(&genai_otel::Usage::new(0, 4));
    /// assert_eq!(total.output_tokens, Some(5));
    /// ```
    pub fn accumulate(&mut self, other: &Usage) {
        fn add(a: &mut Option<u64>, b: Option<u64>) {
            if let Some(b) = b {
                *a = Some(a.unwrap_or(0).saturating_add(b));
            }
        }
        add(&mut self.input_tokens, other.input_tokens);
        add(&mut self.output_tokens, other.output_tokens);
        add(
            &mut self.cache_read_input_tokens,
            other.cache_read_input_tokens,
        );
        add(
            &mut self.cache_write_input_tokens,
            other.cache_write_input_tokens,
        );
        add(
            &mut self.reasoning_output_tokens,
            other.reasoning_output_tokens,
        );
    }
}

fn int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn strings(values: impl IntoIterator<Item = String>) -> Value {
    Value::Array(Array::String(
        values.into_iter().map(StringValue::from).collect(),
    ))
}

/// Builder of an [`InferenceSpan`]: request parameters, all recorded at span start.
///
/// # Examples
///
/// ```
/// use genai_otel::InferenceSpan;
/// let chat = InferenceSpan::chat("openai", "gpt-4.1-mini")
///     .temperature(0.2)
///     .max_tokens(512)
///     .server("api.openai.com", 443)
///     .start();
/// # drop(chat);
/// ```
#[derive(Debug, Clone)]
#[must_use = "call .start() to create the span"]
pub struct InferenceSpanBuilder<'a> {
    operation: &'static str,
    provider: Cow<'a, str>,
    model: Cow<'a, str>,
    code_function: Option<CodeFunction>,
    attributes: Vec<KeyValue>,
}

impl InferenceSpanBuilder<'_> {
    fn attr(mut self, key: &'static str, value: impl Into<Value>) -> Self {
        self.attributes.push(KeyValue::new(key, value));
        self
    }

    /// `gen_ai.request.temperature`.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::InferenceSpan::chat("openai", "m").temperature(0.0);
    /// # let _ = b;
    /// ```
    pub fn temperature(self, value: f64) -> Self {
        self.attr(semconv::GEN_AI_REQUEST_TEMPERATURE, value)
    }

    /// `gen_ai.request.top_p`.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::InferenceSpan::chat("openai", "m").top_p(0.9);
    /// # let _ = b;
    /// ```
    pub fn top_p(self, value: f64) -> Self {
        self.attr(semconv::GEN_AI_REQUEST_TOP_P, value)
    }

    /// `gen_ai.request.top_k` (decoding top-k).
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::InferenceSpan::chat("anthropic", "m").top_k(40);
    /// # let _ = b;
    /// ```
    pub fn top_k(self, value: u64) -> Self {
        self.attr(semconv::GEN_AI_REQUEST_TOP_K, int(value))
    }

    /// `gen_ai.request.max_tokens`.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::InferenceSpan::chat("openai", "m").max_tokens(256);
    /// # let _ = b;
    /// ```
    pub fn max_tokens(self, value: u64) -> Self {
        self.attr(semconv::GEN_AI_REQUEST_MAX_TOKENS, int(value))
    }

    /// `gen_ai.request.seed`.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::InferenceSpan::chat("openai", "m").seed(7);
    /// # let _ = b;
    /// ```
    pub fn seed(self, value: i64) -> Self {
        self.attr(semconv::GEN_AI_REQUEST_SEED, value)
    }

    /// `gen_ai.request.frequency_penalty`.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::InferenceSpan::chat("openai", "m").frequency_penalty(0.1);
    /// # let _ = b;
    /// ```
    pub fn frequency_penalty(self, value: f64) -> Self {
        self.attr(semconv::GEN_AI_REQUEST_FREQUENCY_PENALTY, value)
    }

    /// `gen_ai.request.presence_penalty`.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::InferenceSpan::chat("openai", "m").presence_penalty(0.1);
    /// # let _ = b;
    /// ```
    pub fn presence_penalty(self, value: f64) -> Self {
        self.attr(semconv::GEN_AI_REQUEST_PRESENCE_PENALTY, value)
    }

    /// `gen_ai.request.stop_sequences`.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::InferenceSpan::chat("openai", "m").stop_sequences(["\n\n"]);
    /// # let _ = b;
    /// ```
    pub fn stop_sequences<S: Into<String>>(self, values: impl IntoIterator<Item = S>) -> Self {
        let v = strings(values.into_iter().map(Into::into));
        self.attr(semconv::GEN_AI_REQUEST_STOP_SEQUENCES, v)
    }

    /// `gen_ai.request.choice.count` (recorded only when != 1).
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::InferenceSpan::chat("openai", "m").choice_count(3);
    /// # let _ = b;
    /// ```
    pub fn choice_count(self, n: u64) -> Self {
        if n == 1 {
            return self;
        }
        self.attr(semconv::GEN_AI_REQUEST_CHOICE_COUNT, int(n))
    }

    /// Marks a streaming request (`gen_ai.request.stream = true`).
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::InferenceSpan::chat("openai", "m").streaming();
    /// # let _ = b;
    /// ```
    pub fn streaming(self) -> Self {
        self.attr(semconv::GEN_AI_REQUEST_STREAM, true)
    }

    /// `gen_ai.output.type` (`text`, `json`, `image`, `speech`).
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::InferenceSpan::chat("openai", "m").output_type("json");
    /// # let _ = b;
    /// ```
    pub fn output_type(self, value: impl Into<String>) -> Self {
        self.attr(semconv::GEN_AI_OUTPUT_TYPE, value.into())
    }

    /// `gen_ai.conversation.id`, when the app has one (never invented).
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::InferenceSpan::chat("openai", "m").conversation_id("conv_1");
    /// # let _ = b;
    /// ```
    pub fn conversation_id(self, id: impl Into<String>) -> Self {
        self.attr(semconv::GEN_AI_CONVERSATION_ID, id.into())
    }

    /// `server.address` and `server.port` of the model endpoint.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::InferenceSpan::chat("openai", "m").server("api.openai.com", 443);
    /// # let _ = b;
    /// ```
    pub fn server(self, address: impl Into<String>, port: u16) -> Self {
        self.attr(semconv::SERVER_ADDRESS, address.into())
            .attr(semconv::SERVER_PORT, i64::from(port))
    }

    /// `gen_ai.embeddings.dimension.count` (embeddings).
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::InferenceSpan::embeddings("openai", "text-embedding-3-small").dimensions(512);
    /// # let _ = b;
    /// ```
    pub fn dimensions(self, n: u64) -> Self {
        self.attr(semconv::GEN_AI_EMBEDDINGS_DIMENSION_COUNT, int(n))
    }

    /// `gen_ai.request.encoding_formats` (embeddings).
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::InferenceSpan::embeddings("openai", "m").encoding_formats(["float"]);
    /// # let _ = b;
    /// ```
    pub fn encoding_formats<S: Into<String>>(self, values: impl IntoIterator<Item = S>) -> Self {
        let v = strings(values.into_iter().map(Into::into));
        self.attr(semconv::GEN_AI_REQUEST_ENCODING_FORMATS, v)
    }

    /// Any other request attribute (metadata only).
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::InferenceSpan::chat("openai", "m").attribute("openai.request.service_tier", "auto");
    /// # let _ = b;
    /// ```
    pub fn attribute(self, key: &'static str, value: impl Into<Value>) -> Self {
        self.attr(key, value)
    }

    /// Creates the span as a child of the current span.
    ///
    /// # Examples
    ///
    /// ```
    /// let span = genai_otel::InferenceSpan::chat("openai", "gpt-4.1-mini").start();
    /// # drop(span);
    /// ```
    pub fn start(self) -> InferenceSpan {
        // Written only when a subscriber records the span (the field values are evaluated then).
        let (mut name_buf, mut function_buf) = (super::NameBuf::new(), String::new());
        let span = tracing::info_span!(
            target: "genai_otel",
            "gen_ai.inference",
            otel.name = super::span_name(self.operation, &self.model, &mut name_buf),
            otel.kind = "client",
            gen_ai.operation.name = self.operation,
            gen_ai.provider.name = &*self.provider,
            gen_ai.request.model = non_empty(&self.model),
            code.function.name = self.code_function.map(|f| f.as_str(&mut function_buf)),
            // Set later, all at once, through the OpenTelemetry span (`set_attributes`).
            // Declared so that tracing-opentelemetry sizes the span's attribute list for
            // them: the response then costs no reallocation of that list.
            gen_ai.usage.input_tokens = tracing::field::Empty,
            gen_ai.usage.output_tokens = tracing::field::Empty,
            gen_ai.usage.cache_read.input_tokens = tracing::field::Empty,
            gen_ai.response.id = tracing::field::Empty,
            gen_ai.response.model = tracing::field::Empty,
            gen_ai.response.finish_reasons = tracing::field::Empty,
        );
        let handle = SpanHandle::new(span);
        if !self.attributes.is_empty() && !handle.span().is_disabled() {
            use tracing_opentelemetry::OpenTelemetrySpanExt;
            for kv in self.attributes {
                handle.span().set_attribute(kv.key, kv.value);
            }
        }
        InferenceSpan {
            handle,
            first_chunk: std::sync::OnceLock::new(),
        }
    }

    /// `code.function.name` as the attribute macros give it.
    pub(crate) fn code_function(mut self, function: CodeFunction) -> Self {
        self.code_function = Some(function);
        self
    }
}

/// A model call: `chat`, `text_completion`, `generate_content` or `embeddings`.
///
/// # Examples
///
/// ```
/// use genai_otel::{InferenceSpan, Message, OutputMessage, Usage};
/// let chat = InferenceSpan::chat("openai", "gpt-4.1-mini").temperature(0.2).start();
/// let messages = vec![Message::system("Be brief."), Message::user("Refund status?")];
/// chat.record_input_messages(&messages);
/// // ... call the model ...
/// chat.record_response("chatcmpl-123", "gpt-4.1-mini-2025-04-14", ["stop"]);
/// chat.record_usage(Usage::new(812, 164).cache_read(512));
/// chat.record_output_messages(&[OutputMessage::new(Message::assistant("Issued."), "stop")]);
/// chat.end();
/// ```
#[derive(Debug, Clone)]
pub struct InferenceSpan {
    handle: SpanHandle,
    first_chunk: std::sync::OnceLock<()>,
}

deref_to_handle!(InferenceSpan);

impl InferenceSpan {
    /// A span that records nothing (no subscriber could record it).
    pub(crate) fn disabled() -> Self {
        InferenceSpan {
            handle: SpanHandle::disabled(),
            first_chunk: std::sync::OnceLock::new(),
        }
    }

    fn builder<'a>(
        operation: &'static str,
        provider: impl Into<Cow<'a, str>>,
        model: impl Into<Cow<'a, str>>,
    ) -> InferenceSpanBuilder<'a> {
        InferenceSpanBuilder {
            operation,
            provider: provider.into(),
            model: model.into(),
            code_function: None,
            attributes: Vec::new(),
        }
    }

    /// A chat call (`chat {model}`).
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::InferenceSpan::chat("anthropic", "claude-sonnet-4");
    /// # let _ = b;
    /// ```
    pub fn chat<'a>(
        provider: impl Into<Cow<'a, str>>,
        model: impl Into<Cow<'a, str>>,
    ) -> InferenceSpanBuilder<'a> {
        Self::builder(operation::CHAT, provider, model)
    }

    /// A legacy completion call (`text_completion {model}`).
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::InferenceSpan::text_completion("openai", "gpt-3.5-turbo-instruct");
    /// # let _ = b;
    /// ```
    pub fn text_completion<'a>(
        provider: impl Into<Cow<'a, str>>,
        model: impl Into<Cow<'a, str>>,
    ) -> InferenceSpanBuilder<'a> {
        Self::builder(operation::TEXT_COMPLETION, provider, model)
    }

    /// A multimodal generation call (`generate_content {model}`).
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::InferenceSpan::generate_content("gcp.gemini", "gemini-2.5-flash");
    /// # let _ = b;
    /// ```
    pub fn generate_content<'a>(
        provider: impl Into<Cow<'a, str>>,
        model: impl Into<Cow<'a, str>>,
    ) -> InferenceSpanBuilder<'a> {
        Self::builder(operation::GENERATE_CONTENT, provider, model)
    }

    /// An embeddings call (`embeddings {model}`).
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::InferenceSpan::embeddings("openai", "text-embedding-3-small");
    /// # let _ = b;
    /// ```
    pub fn embeddings<'a>(
        provider: impl Into<Cow<'a, str>>,
        model: impl Into<Cow<'a, str>>,
    ) -> InferenceSpanBuilder<'a> {
        Self::builder(operation::EMBEDDINGS, provider, model)
    }

    /// Records the chat history sent (`gen_ai.input.messages`) — content: only when
    /// capture allows it, redacted. `messages` is serialized only then.
    ///
    /// # Examples
    ///
    /// ```
    /// let chat = genai_otel::InferenceSpan::chat("openai", "m").start();
    /// chat.record_input_messages(&[genai_otel::Message::user("hi")]);
    /// ```
    pub fn record_input_messages<T: serde::Serialize + ?Sized>(&self, messages: &T) -> bool {
        self.capture(
            ContentKind::InputMessages,
            semconv::GEN_AI_INPUT_MESSAGES,
            || content::json(messages),
        )
    }

    /// Records separately passed system instructions (`gen_ai.system_instructions`) —
    /// content.
    ///
    /// # Examples
    ///
    /// ```
    /// let chat = genai_otel::InferenceSpan::chat("anthropic", "m").start();
    /// chat.record_system_instructions(&[genai_otel::Part::text("Be brief.")]);
    /// ```
    pub fn record_system_instructions<T: serde::Serialize + ?Sized>(&self, parts: &T) -> bool {
        self.capture(
            ContentKind::SystemInstructions,
            semconv::GEN_AI_SYSTEM_INSTRUCTIONS,
            || content::json(parts),
        )
    }

    /// Records the model's answer (`gen_ai.output.messages`) — content.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::{Message, OutputMessage};
    /// let chat = genai_otel::InferenceSpan::chat("openai", "m").start();
    /// chat.record_output_messages(&[OutputMessage::new(Message::assistant("ok"), "stop")]);
    /// ```
    pub fn record_output_messages<T: serde::Serialize + ?Sized>(&self, messages: &T) -> bool {
        self.capture(
            ContentKind::OutputMessages,
            semconv::GEN_AI_OUTPUT_MESSAGES,
            || content::json(messages),
        )
    }

    /// Records the names of the tools offered to the model (`gen_ai.tool.definitions` in
    /// the simplified `[{"type":"function","name":..}]` form, which carries no content).
    ///
    /// # Examples
    ///
    /// ```
    /// let chat = genai_otel::InferenceSpan::chat("openai", "m").start();
    /// chat.record_tool_names(["create_refund", "lookup_order"]);
    /// ```
    pub fn record_tool_names<S: AsRef<str>>(&self, names: impl IntoIterator<Item = S>) {
        let defs: Vec<serde_json::Value> = names
            .into_iter()
            .map(|n| serde_json::json!({"type": "function", "name": n.as_ref()}))
            .collect();
        self.set_attribute(
            semconv::GEN_AI_TOOL_DEFINITIONS,
            serde_json::Value::Array(defs).to_string(),
        );
    }

    /// Records token usage.
    ///
    /// # Examples
    ///
    /// ```
    /// let chat = genai_otel::InferenceSpan::chat("openai", "m").start();
    /// chat.record_usage(genai_otel::Usage::new(100, 20));
    /// ```
    pub fn record_usage(&self, usage: Usage) {
        self.record_response_fields(Some(usage), "", "", None);
    }

    /// Records usage, response id, response model and finish reasons (each when present)
    /// on the OpenTelemetry span in one call (one span lookup, one lock).
    pub(crate) fn record_response_fields(
        &self,
        usage: Option<Usage>,
        response_id: &str,
        response_model: &str,
        finish_reasons: Option<Value>,
    ) {
        if self.span().is_disabled() {
            return;
        }
        let usage = usage.unwrap_or_default();
        let count = |key: &'static str, v: Option<u64>| v.map(|v| KeyValue::new(key, int(v)));
        let text =
            |key: &'static str, v: &str| (!v.is_empty()).then(|| KeyValue::new(key, v.to_string()));
        let attributes = [
            count(semconv::GEN_AI_USAGE_INPUT_TOKENS, usage.input_tokens),
            count(semconv::GEN_AI_USAGE_OUTPUT_TOKENS, usage.output_tokens),
            count(
                semconv::GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
                usage.cache_read_input_tokens,
            ),
            count(
                semconv::GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS,
                usage.cache_write_input_tokens,
            ),
            count(
                semconv::GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
                usage.reasoning_output_tokens,
            ),
            text(semconv::GEN_AI_RESPONSE_ID, response_id),
            text(semconv::GEN_AI_RESPONSE_MODEL, response_model),
            finish_reasons.map(|v| KeyValue::new(semconv::GEN_AI_RESPONSE_FINISH_REASONS, v)),
        ];
        if attributes.iter().any(Option::is_some) {
            self.handle.set_attributes(attributes.into_iter().flatten());
        }
    }

    /// `gen_ai.response.finish_reasons` as recorded: a string array, `None` when empty.
    pub(crate) fn finish_reasons_value<S: Into<String>>(
        reasons: impl IntoIterator<Item = S>,
    ) -> Option<Value> {
        let reasons: Vec<String> = reasons.into_iter().map(Into::into).collect();
        (!reasons.is_empty()).then(|| strings(reasons))
    }

    /// Records the response id, the model that answered and one finish reason per choice.
    ///
    /// # Examples
    ///
    /// ```
    /// let chat = genai_otel::InferenceSpan::chat("openai", "gpt-4.1-mini").start();
    /// chat.record_response("chatcmpl-1", "gpt-4.1-mini-2025-04-14", ["stop"]);
    /// ```
    pub fn record_response<S: Into<String>>(
        &self,
        response_id: &str,
        response_model: &str,
        finish_reasons: impl IntoIterator<Item = S>,
    ) {
        self.record_response_fields(
            None,
            response_id,
            response_model,
            Self::finish_reasons_value(finish_reasons),
        );
    }

    /// Records `gen_ai.response.finish_reasons` alone.
    ///
    /// # Examples
    ///
    /// ```
    /// let chat = genai_otel::InferenceSpan::chat("openai", "m").start();
    /// chat.record_finish_reasons(["length"]);
    /// ```
    pub fn record_finish_reasons<S: Into<String>>(&self, reasons: impl IntoIterator<Item = S>) {
        if let Some(reasons) = Self::finish_reasons_value(reasons) {
            self.set_attribute(semconv::GEN_AI_RESPONSE_FINISH_REASONS, reasons);
        }
    }

    /// Records `gen_ai.response.time_to_first_chunk` (seconds since the span started) the
    /// first time it is called; later calls do nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// let chat = genai_otel::InferenceSpan::chat("openai", "m").streaming().start();
    /// chat.record_first_chunk();
    /// ```
    pub fn record_first_chunk(&self) {
        if self.first_chunk.set(()).is_ok() {
            let secs = self.elapsed_secs();
            self.set_attribute(semconv::GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, secs);
        }
    }

    /// Records the estimated cost in USD (`genai_otel.cost.usd`).
    ///
    /// # Examples
    ///
    /// ```
    /// let chat = genai_otel::InferenceSpan::chat("openai", "m").start();
    /// chat.record_cost_usd(0.00042);
    /// ```
    pub fn record_cost_usd(&self, usd: f64) {
        self.set_attribute(semconv::COST_USD, usd);
    }
}
