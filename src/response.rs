//! What a call returned, read through traits so that any client's types can be recorded:
//! model responses ([`LlmResponse`]), retrieval results ([`RetrievalResults`]) and errors
//! that name their own `error.type` ([`ErrorType`]).
//!
//! The attribute macros use these traits on the value the instrumented function returns;
//! the manual span API uses them through [`InferenceSpan::record_llm_response`],
//! [`RetrievalSpan::record_results`] and [`SpanHandle::record_typed_error`].
//!
//! Content (output messages, document text) is read from a value only when content capture
//! allows it for the span's trace, and then only through the content seam (redaction,
//! truncation). Metadata (token counts, finish reasons, ids, document ids and scores) is
//! always recorded.

use std::borrow::Cow;
use std::fmt;

use opentelemetry::{Array, StringValue, Value};
use serde::Serialize;
use serde_json::Value as Json;

use crate::content::{self, ContentKind};
use crate::message::{Message, OutputMessage, Part, RetrievedDocument};
use crate::semconv;
use crate::span::{InferenceSpan, RetrievalSpan, SpanHandle, Usage};

/// A model's answer, as an inference span records it: token usage, finish reasons, response
/// id and model, and (content, only when capture allows it) the output messages.
///
/// Every method has a default that reports nothing, so a type implements only what it knows.
/// Implemented for [`String`] and `str` (one assistant message), [`Message`],
/// [`OutputMessage`] and slices / `Vec`s of it, [`serde_json::Value`] in the shape of an
/// OpenAI chat completion (`id`, `model`, `usage.prompt_tokens`, `choices[].message`, ...) or
/// an Anthropic message (`usage.input_tokens`, `content[]`, `stop_reason`, ...), and through
/// `T` for `Result<T, E>` (the `Ok` value), `Option<T>`, `&T`, `Box<T>` and `Arc<T>`. With the
/// `async-openai` feature, also for `async-openai` 0.43's `CreateChatCompletionResponse`
/// (and [`ErrorType`] for its `OpenAIError`: the API's error code).
///
/// # Examples
///
/// ```
/// use genai_otel::{LlmResponse, Usage};
///
/// struct Reply { text: String, input: u64, output: u64 }
///
/// impl LlmResponse for Reply {
///     fn usage(&self) -> Option<Usage> {
///         Some(Usage::new(self.input, self.output))
///     }
///     fn finish_reasons(&self) -> Vec<String> {
///         vec!["stop".to_string()]
///     }
/// }
///
/// let reply = Reply { text: "Refund issued.".into(), input: 812, output: 164 };
/// assert_eq!(reply.usage().and_then(|u| u.input_tokens), Some(812));
/// # let _ = reply.text;
/// ```
pub trait LlmResponse {
    /// Token usage (`gen_ai.usage.*`).
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::LlmResponse;
    /// let json = serde_json::json!({"usage": {"prompt_tokens": 10, "completion_tokens": 2}});
    /// assert_eq!(json.usage(), Some(genai_otel::Usage::new(10, 2)));
    /// ```
    fn usage(&self) -> Option<Usage> {
        None
    }

    /// The provider's id of the response (`gen_ai.response.id`).
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::LlmResponse;
    /// let json = serde_json::json!({"id": "chatcmpl-1"});
    /// assert_eq!(json.response_id(), Some("chatcmpl-1"));
    /// ```
    fn response_id(&self) -> Option<&str> {
        None
    }

    /// The model that answered (`gen_ai.response.model`).
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::LlmResponse;
    /// let json = serde_json::json!({"model": "gpt-4.1-mini-2025-04-14"});
    /// assert_eq!(json.response_model(), Some("gpt-4.1-mini-2025-04-14"));
    /// ```
    fn response_model(&self) -> Option<&str> {
        None
    }

    /// One finish reason per choice, in choice order (`gen_ai.response.finish_reasons`).
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::LlmResponse;
    /// let json = serde_json::json!({"choices": [{"index": 0, "finish_reason": "stop"}]});
    /// assert_eq!(json.finish_reasons(), vec!["stop".to_string()]);
    /// ```
    fn finish_reasons(&self) -> Vec<String> {
        Vec::new()
    }

    /// The answer, one message per choice (`gen_ai.output.messages`). Content: called only
    /// when output-message capture is on for the span's trace.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::LlmResponse;
    /// let out = "Refund issued.".output_messages();
    /// assert_eq!(out[0].message.text(), "Refund issued.");
    /// ```
    fn output_messages(&self) -> Vec<OutputMessage> {
        Vec::new()
    }
}

/// An error that names its own `error.type` (a provider error code, an HTTP status, an enum
/// variant), instead of the default: the last segment of the error's type name.
///
/// The attribute macros prefer this trait when a function's `Err` value implements it; the
/// status description is the error's `Display` (passed through the redactor).
///
/// # Examples
///
/// ```
/// use std::borrow::Cow;
/// use std::fmt;
///
/// #[derive(Debug)]
/// enum ApiError { RateLimited, Timeout }
///
/// impl fmt::Display for ApiError {
///     fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
///         f.write_str(match self { ApiError::RateLimited => "slow down", ApiError::Timeout => "timed out" })
///     }
/// }
///
/// impl genai_otel::ErrorType for ApiError {
///     fn error_type(&self) -> Cow<'_, str> {
///         Cow::Borrowed(match self { ApiError::RateLimited => "429", ApiError::Timeout => "timeout" })
///     }
/// }
///
/// let tool = genai_otel::ToolSpan::builder("lookup_order").start();
/// tool.record_typed_error(&ApiError::RateLimited); // error.type = "429"
/// ```
pub trait ErrorType: fmt::Display {
    /// The low-cardinality `error.type` value.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::{borrow::Cow, fmt};
    /// # struct E;
    /// # impl fmt::Display for E { fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str("e") } }
    /// impl genai_otel::ErrorType for E {
    ///     fn error_type(&self) -> Cow<'_, str> { Cow::Borrowed("rate_limit_exceeded") }
    /// }
    /// # use genai_otel::ErrorType;
    /// assert_eq!(E.error_type(), "rate_limit_exceeded");
    /// ```
    fn error_type(&self) -> Cow<'_, str>;
}

/// Documents a retrieval returned, as a retrieval span records them: ids and scores are
/// metadata (always recorded); text is content (recorded only when document capture is on).
///
/// Implemented for [`RetrievedDocument`], for slices and `Vec`s of any implementor (the
/// documents of every element, in order), for [`serde_json::Value`] (an array of objects
/// with `id` and optional `score` and `content` / `text`), and through `T` for
/// `Result<T, E>`, `Option<T>`, `&T` and `Box<T>`.
///
/// # Examples
///
/// ```
/// use genai_otel::{DocumentRef, RetrievalResults};
///
/// struct Doc { id: u32, score: f32, body: String }
///
/// impl RetrievalResults for Doc {
///     fn documents(&self) -> Vec<DocumentRef<'_>> {
///         vec![DocumentRef::new(self.id.to_string(), f64::from(self.score)).content(&self.body)]
///     }
/// }
///
/// let docs = vec![Doc { id: 102, score: 0.91, body: "Damaged items: full refund.".into() }];
/// assert_eq!(docs.documents()[0].id, "102");
/// ```
pub trait RetrievalResults {
    /// The documents, in rank order.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::{RetrievalResults, RetrievedDocument};
    /// let docs = vec![RetrievedDocument::new("doc_1", 0.5)];
    /// assert_eq!(docs.documents().len(), 1);
    /// ```
    fn documents(&self) -> Vec<DocumentRef<'_>>;
}

/// One retrieved document, borrowed from the caller's own type (see [`RetrievalResults`]).
///
/// # Examples
///
/// ```
/// let doc = genai_otel::DocumentRef::new("doc_102", 0.91).content("Damaged items: full refund.");
/// assert_eq!(doc.score, Some(0.91));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct DocumentRef<'a> {
    /// Document id.
    pub id: Cow<'a, str>,
    /// Relevance score, when the store reports one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// Document text (content).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<&'a str>,
}

impl<'a> DocumentRef<'a> {
    /// A document with an id and a score.
    ///
    /// # Examples
    ///
    /// ```
    /// let doc = genai_otel::DocumentRef::new("doc_1", 0.5);
    /// # let _ = doc;
    /// ```
    pub fn new(id: impl Into<Cow<'a, str>>, score: f64) -> Self {
        Self {
            id: id.into(),
            score: Some(score),
            content: None,
        }
    }

    /// A document with an id and no score.
    ///
    /// # Examples
    ///
    /// ```
    /// let doc = genai_otel::DocumentRef::unscored("doc_1");
    /// assert_eq!(doc.score, None);
    /// ```
    pub fn unscored(id: impl Into<Cow<'a, str>>) -> Self {
        Self {
            id: id.into(),
            score: None,
            content: None,
        }
    }

    /// Adds the document's text.
    ///
    /// # Examples
    ///
    /// ```
    /// let doc = genai_otel::DocumentRef::new("doc_1", 0.5).content("text");
    /// # let _ = doc;
    /// ```
    pub fn content(mut self, text: &'a str) -> Self {
        self.content = Some(text);
        self
    }
}

// ---- recording --------------------------------------------------------------------------

impl InferenceSpan {
    /// Records what [`LlmResponse`] reports: usage, response id and model, finish reasons,
    /// and — content, only when output-message capture allows it — the output messages.
    ///
    /// # Examples
    ///
    /// ```
    /// let chat = genai_otel::InferenceSpan::chat("openai", "gpt-4.1-mini").start();
    /// let response = serde_json::json!({
    ///     "id": "chatcmpl-1",
    ///     "model": "gpt-4.1-mini-2025-04-14",
    ///     "choices": [{"index": 0, "finish_reason": "stop",
    ///                  "message": {"role": "assistant", "content": "Refund issued."}}],
    ///     "usage": {"prompt_tokens": 812, "completion_tokens": 164}
    /// });
    /// chat.record_llm_response(&response);
    /// ```
    pub fn record_llm_response<R: LlmResponse + ?Sized>(&self, response: &R) {
        if self.span().is_disabled() {
            return;
        }
        self.record_response_fields(
            response.usage(),
            response.response_id().unwrap_or(""),
            response.response_model().unwrap_or(""),
            InferenceSpan::finish_reasons_value(response.finish_reasons()),
        );
        self.capture(
            ContentKind::OutputMessages,
            semconv::GEN_AI_OUTPUT_MESSAGES,
            || {
                let messages = response.output_messages();
                if messages.is_empty() {
                    None
                } else {
                    content::json(&messages)
                }
            },
        );
    }
}

impl RetrievalSpan {
    /// Records what [`RetrievalResults`] reports: document ids and scores (metadata, as
    /// `genai_otel.retrieval.document_ids` / `genai_otel.retrieval.document_scores`; the
    /// scores only when every document has one), and — content, only when document capture
    /// allows it — `gen_ai.retrieval.documents` with the text.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::{RetrievalSpan, RetrievedDocument};
    /// let retrieval = RetrievalSpan::builder("support_policy_prod").start();
    /// retrieval.record_results(&vec![RetrievedDocument::new("doc_102", 0.91)]);
    /// ```
    pub fn record_results<R: RetrievalResults + ?Sized>(&self, results: &R) {
        let docs = results.documents();
        let ids: Vec<StringValue> = docs.iter().map(|d| d.id.to_string().into()).collect();
        self.set_attribute(
            semconv::RETRIEVAL_DOCUMENT_IDS,
            Value::Array(Array::String(ids)),
        );
        let scores: Option<Vec<f64>> = docs.iter().map(|d| d.score).collect();
        if let Some(scores) = scores {
            self.set_attribute(
                semconv::RETRIEVAL_DOCUMENT_SCORES,
                Value::Array(Array::F64(scores)),
            );
        }
        self.capture(
            ContentKind::RetrievalDocuments,
            semconv::GEN_AI_RETRIEVAL_DOCUMENTS,
            || content::json(&docs),
        );
    }
}

impl SpanHandle {
    /// Marks the operation failed with an error that names its own `error.type`
    /// ([`ErrorType`]); the description is its `Display`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::{borrow::Cow, fmt};
    /// # struct RateLimited;
    /// # impl fmt::Display for RateLimited { fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str("slow down") } }
    /// # impl genai_otel::ErrorType for RateLimited { fn error_type(&self) -> Cow<'_, str> { "429".into() } }
    /// let chat = genai_otel::InferenceSpan::chat("openai", "m").start();
    /// chat.record_typed_error(&RateLimited);
    /// ```
    pub fn record_typed_error<E: ErrorType + ?Sized>(&self, error: &E) {
        self.record_error(&error.error_type(), error);
    }
}

// ---- LlmResponse implementations ----------------------------------------------------------

impl LlmResponse for str {
    fn output_messages(&self) -> Vec<OutputMessage> {
        vec![OutputMessage {
            message: Message::assistant(self),
            finish_reason: None,
        }]
    }
}

impl LlmResponse for String {
    fn output_messages(&self) -> Vec<OutputMessage> {
        self.as_str().output_messages()
    }
}

impl LlmResponse for Message {
    fn output_messages(&self) -> Vec<OutputMessage> {
        vec![OutputMessage {
            message: self.clone(),
            finish_reason: None,
        }]
    }
}

impl LlmResponse for OutputMessage {
    fn finish_reasons(&self) -> Vec<String> {
        self.finish_reason.iter().cloned().collect()
    }
    fn output_messages(&self) -> Vec<OutputMessage> {
        vec![self.clone()]
    }
}

impl LlmResponse for [OutputMessage] {
    fn finish_reasons(&self) -> Vec<String> {
        // One entry per choice: a choice without a reason is reported as `error`, the
        // conventions' marker for a reason that was expected but not received.
        if self.iter().all(|m| m.finish_reason.is_none()) {
            return Vec::new();
        }
        self.iter()
            .map(|m| {
                m.finish_reason
                    .clone()
                    .unwrap_or_else(|| "error".to_string())
            })
            .collect()
    }
    fn output_messages(&self) -> Vec<OutputMessage> {
        self.to_vec()
    }
}

impl LlmResponse for Vec<OutputMessage> {
    fn finish_reasons(&self) -> Vec<String> {
        self.as_slice().finish_reasons()
    }
    fn output_messages(&self) -> Vec<OutputMessage> {
        self.clone()
    }
}

macro_rules! forward_llm_response {
    ($($(#[$m:meta])* [$($g:tt)*] $ty:ty => |$s:ident| $inner:expr;)*) => {$(
        $(#[$m])*
        impl<$($g)*> LlmResponse for $ty {
            fn usage(&self) -> Option<Usage> {
                let $s = self;
                $inner.and_then(|r| r.usage())
            }
            fn response_id(&self) -> Option<&str> {
                let $s = self;
                $inner.and_then(|r| r.response_id())
            }
            fn response_model(&self) -> Option<&str> {
                let $s = self;
                $inner.and_then(|r| r.response_model())
            }
            fn finish_reasons(&self) -> Vec<String> {
                let $s = self;
                $inner.map(|r| r.finish_reasons()).unwrap_or_default()
            }
            fn output_messages(&self) -> Vec<OutputMessage> {
                let $s = self;
                $inner.map(|r| r.output_messages()).unwrap_or_default()
            }
        }
    )*};
}

forward_llm_response! {
    [T: LlmResponse + ?Sized] &T => |s| Some(&**s);
    [T: LlmResponse + ?Sized] Box<T> => |s| Some(&**s);
    [T: LlmResponse + ?Sized] std::sync::Arc<T> => |s| Some(&**s);
    [T: LlmResponse] Option<T> => |s| s.as_ref();
    [T: LlmResponse, E] Result<T, E> => |s| s.as_ref().ok();
}

/// `serde_json::Value` in the shape of an OpenAI chat completion or an Anthropic message.
impl LlmResponse for Json {
    fn usage(&self) -> Option<Usage> {
        usage_from_json(self.get("usage")?)
    }

    fn response_id(&self) -> Option<&str> {
        self.get("id")?.as_str()
    }

    fn response_model(&self) -> Option<&str> {
        self.get("model")?.as_str()
    }

    fn finish_reasons(&self) -> Vec<String> {
        if let Some(choices) = self.get("choices").and_then(Json::as_array) {
            let reasons: Vec<Option<&str>> = choices
                .iter()
                .map(|c| c.get("finish_reason").and_then(Json::as_str))
                .collect();
            if reasons.iter().all(Option::is_none) {
                return Vec::new();
            }
            return reasons
                .into_iter()
                .map(|r| r.unwrap_or("error").to_string())
                .collect();
        }
        // Anthropic: one message, one `stop_reason`.
        self.get("stop_reason")
            .and_then(Json::as_str)
            .map(|r| vec![r.to_string()])
            .unwrap_or_default()
    }

    fn output_messages(&self) -> Vec<OutputMessage> {
        if let Some(choices) = self.get("choices").and_then(Json::as_array) {
            return choices
                .iter()
                .filter_map(|c| {
                    let message = c.get("message")?;
                    Some(OutputMessage {
                        message: openai_message_from_json(message),
                        finish_reason: c
                            .get("finish_reason")
                            .and_then(Json::as_str)
                            .map(str::to_string),
                    })
                })
                .collect();
        }
        if let Some(blocks) = self.get("content").and_then(Json::as_array) {
            let role = self
                .get("role")
                .and_then(Json::as_str)
                .unwrap_or("assistant");
            return vec![OutputMessage {
                message: Message::with_parts(role, anthropic_parts(blocks)),
                finish_reason: self
                    .get("stop_reason")
                    .and_then(Json::as_str)
                    .map(str::to_string),
            }];
        }
        Vec::new()
    }
}

fn json_u64(v: &Json, key: &str) -> Option<u64> {
    v.get(key)?.as_u64()
}

/// Usage from an OpenAI (`prompt_tokens`, ...) or Anthropic (`input_tokens`, ...) `usage`
/// object, in the conventions' accounting: input includes cached tokens, output includes
/// reasoning tokens.
pub(crate) fn usage_from_json(u: &Json) -> Option<Usage> {
    if !u.is_object() {
        return None;
    }
    let mut usage = Usage::default();
    if let Some(prompt) = json_u64(u, "prompt_tokens") {
        // OpenAI: prompt_tokens already includes cached tokens.
        usage.input_tokens = Some(prompt);
        usage.output_tokens = json_u64(u, "completion_tokens");
        usage.cache_read_input_tokens = u
            .get("prompt_tokens_details")
            .and_then(|d| json_u64(d, "cached_tokens"));
        usage.reasoning_output_tokens = u
            .get("completion_tokens_details")
            .and_then(|d| json_u64(d, "reasoning_tokens"));
    } else {
        // Anthropic: input_tokens excludes the cache reads and writes, which are reported
        // beside it; the conventions count them as part of the input.
        let read = json_u64(u, "cache_read_input_tokens");
        let write = json_u64(u, "cache_creation_input_tokens");
        usage.input_tokens = json_u64(u, "input_tokens").map(|i| {
            i.saturating_add(read.unwrap_or(0))
                .saturating_add(write.unwrap_or(0))
        });
        usage.output_tokens = json_u64(u, "output_tokens");
        usage.cache_read_input_tokens = read;
        usage.cache_write_input_tokens = write;
    }
    (usage != Usage::default()).then_some(usage)
}

fn openai_message_from_json(message: &Json) -> Message {
    let role = message
        .get("role")
        .and_then(Json::as_str)
        .unwrap_or("assistant");
    let mut parts = Vec::new();
    if let Some(text) = message.get("content").and_then(Json::as_str) {
        parts.push(Part::text(text));
    }
    for call in message
        .get("tool_calls")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        let function = call.get("function");
        let name = function
            .and_then(|f| f.get("name"))
            .and_then(Json::as_str)
            .unwrap_or_default();
        let arguments = function
            .and_then(|f| f.get("arguments"))
            .map(parse_arguments)
            .unwrap_or(Json::Null);
        parts.push(Part::tool_call(
            call.get("id").and_then(Json::as_str),
            name,
            arguments,
        ));
    }
    Message::with_parts(role, parts)
}

fn anthropic_parts(blocks: &[Json]) -> Vec<Part> {
    blocks
        .iter()
        .filter_map(|b| match b.get("type").and_then(Json::as_str)? {
            "text" => Some(Part::text(b.get("text")?.as_str()?)),
            "thinking" => Some(Part::Reasoning {
                content: b.get("thinking")?.as_str()?.to_string(),
            }),
            "tool_use" => Some(Part::tool_call(
                b.get("id").and_then(Json::as_str),
                b.get("name").and_then(Json::as_str).unwrap_or_default(),
                b.get("input").cloned().unwrap_or(Json::Null),
            )),
            _ => None,
        })
        .collect()
}

/// Tool-call arguments as the conventions want them (a JSON object): a JSON string is
/// parsed when it holds JSON, and kept as a string otherwise.
pub(crate) fn parse_arguments(raw: &Json) -> Json {
    match raw {
        Json::String(s) => serde_json::from_str(s).unwrap_or_else(|_| Json::String(s.clone())),
        other => other.clone(),
    }
}

// ---- RetrievalResults implementations -----------------------------------------------------

impl RetrievalResults for RetrievedDocument {
    fn documents(&self) -> Vec<DocumentRef<'_>> {
        vec![DocumentRef {
            id: Cow::Borrowed(&self.id),
            score: Some(self.score),
            content: self.content.as_deref(),
        }]
    }
}

impl RetrievalResults for DocumentRef<'_> {
    fn documents(&self) -> Vec<DocumentRef<'_>> {
        vec![DocumentRef {
            id: Cow::Borrowed(&self.id),
            score: self.score,
            content: self.content,
        }]
    }
}

impl<T: RetrievalResults> RetrievalResults for [T] {
    fn documents(&self) -> Vec<DocumentRef<'_>> {
        self.iter().flat_map(RetrievalResults::documents).collect()
    }
}

impl<T: RetrievalResults> RetrievalResults for Vec<T> {
    fn documents(&self) -> Vec<DocumentRef<'_>> {
        self.as_slice().documents()
    }
}

impl<T: RetrievalResults + ?Sized> RetrievalResults for &T {
    fn documents(&self) -> Vec<DocumentRef<'_>> {
        (**self).documents()
    }
}

impl<T: RetrievalResults + ?Sized> RetrievalResults for Box<T> {
    fn documents(&self) -> Vec<DocumentRef<'_>> {
        (**self).documents()
    }
}

impl<T: RetrievalResults> RetrievalResults for Option<T> {
    fn documents(&self) -> Vec<DocumentRef<'_>> {
        self.as_ref().map(T::documents).unwrap_or_default()
    }
}

impl<T: RetrievalResults, E> RetrievalResults for Result<T, E> {
    fn documents(&self) -> Vec<DocumentRef<'_>> {
        self.as_ref().map(T::documents).unwrap_or_default()
    }
}

/// An array of `{"id": .., "score": .., "content" | "text": ..}` objects (or one such
/// object); ids may be strings or numbers.
impl RetrievalResults for Json {
    fn documents(&self) -> Vec<DocumentRef<'_>> {
        fn one(v: &Json) -> Option<DocumentRef<'_>> {
            let id = match v.get("id")? {
                Json::String(s) => Cow::Borrowed(s.as_str()),
                Json::Number(n) => Cow::Owned(n.to_string()),
                _ => return None,
            };
            Some(DocumentRef {
                id,
                score: v.get("score").and_then(Json::as_f64),
                content: v
                    .get("content")
                    .or_else(|| v.get("text"))
                    .and_then(Json::as_str),
            })
        }
        match self {
            Json::Array(items) => items.iter().filter_map(one).collect(),
            Json::Object(_) => one(self).into_iter().collect(),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn openai_json_usage_and_reasons() {
        let v = json!({
            "id": "chatcmpl-1", "model": "gpt-4.1-mini",
            "choices": [
                {"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": null,
                  "tool_calls": [{"id": "call_1", "type": "function",
                                  "function": {"name": "create_refund", "arguments": "{\"cents\":9000}"}}]}},
                {"index": 1, "finish_reason": null, "message": {"role": "assistant", "content": "hi"}}
            ],
            "usage": {"prompt_tokens": 100, "completion_tokens": 50,
                      "prompt_tokens_details": {"cached_tokens": 40},
                      "completion_tokens_details": {"reasoning_tokens": 30}}
        });
        assert_eq!(
            v.usage(),
            Some(Usage::new(100, 50).cache_read(40).reasoning(30))
        );
        assert_eq!(v.finish_reasons(), vec!["tool_calls", "error"]);
        let out = v.output_messages();
        assert_eq!(out.len(), 2);
        assert_eq!(
            out[0].message.parts[0],
            Part::tool_call(Some("call_1"), "create_refund", json!({"cents": 9000}))
        );
        assert_eq!(out[1].message.text(), "hi");
    }

    #[test]
    fn anthropic_json_counts_cache_as_input() {
        let v = json!({
            "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4",
            "content": [{"type": "thinking", "thinking": "hmm"}, {"type": "text", "text": "Done."},
                        {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {"q": 1}}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": 10, "cache_read_input_tokens": 90,
                      "cache_creation_input_tokens": 5, "output_tokens": 7}
        });
        assert_eq!(
            v.usage(),
            Some(Usage::new(105, 7).cache_read(90).cache_write(5))
        );
        assert_eq!(v.finish_reasons(), vec!["end_turn"]);
        let out = v.output_messages();
        assert_eq!(out[0].message.parts.len(), 3);
        assert_eq!(out[0].message.text(), "Done.");
    }

    #[test]
    fn shapes_without_fields_report_nothing() {
        for v in [
            json!(null),
            json!("text"),
            json!({"usage": 3}),
            json!({"usage": {}}),
        ] {
            assert_eq!(v.usage(), None, "{v}");
            assert!(v.finish_reasons().is_empty());
            assert!(v.output_messages().is_empty());
        }
    }

    #[test]
    fn results_and_options_forward() {
        let ok: Result<String, ()> = Ok("x".into());
        assert_eq!(ok.output_messages().len(), 1);
        let err: Result<String, ()> = Err(());
        assert!(err.output_messages().is_empty());
        let none: Option<OutputMessage> = None;
        assert!(none.finish_reasons().is_empty());
        let outs = vec![
            OutputMessage::new(Message::assistant("a"), "stop"),
            OutputMessage {
                message: Message::assistant("b"),
                finish_reason: None,
            },
        ];
        assert_eq!(outs.finish_reasons(), vec!["stop", "error"]);
    }

    #[test]
    fn json_documents() {
        let v = json!([{"id": 7, "score": 0.5, "text": "a"}, {"id": "d2"}, {"no_id": true}]);
        let docs = v.documents();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].id, "7");
        assert_eq!(docs[0].content, Some("a"));
        assert_eq!(docs[1].score, None);
    }
}
