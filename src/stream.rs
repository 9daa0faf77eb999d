//! Streamed model responses: [`TracedStream`] and the [`LlmChunk`] trait it reads items
//! through.

use std::borrow::Cow;
use std::fmt;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::stream::{FusedStream, Stream};
use serde_json::Value as Json;

use crate::content::{self, ContentKind};
use crate::message::{Message, OutputMessage, Part};
use crate::semconv;
use crate::span::{InferenceSpan, Usage};

/// One item of a streamed model response: what it adds to the response.
///
/// Every method has a default that reports nothing. Implemented for [`String`] and `str` (a
/// text delta of choice 0), [`serde_json::Value`] in the shape of an OpenAI chat-completion
/// chunk (`choices[].delta`, `usage`, ...) or an Anthropic streaming event
/// (`message_start`, `content_block_delta`, `message_delta`, `error`), for `Result<T, E>`
/// (an `Err` item is a [`failure`](LlmChunk::failure) whose `error.type` is the last segment
/// of `E`'s type name), and through `T` for `&T` and `Box<T>`. With the `async-openai`
/// feature, also for `async-openai` 0.43's `CreateChatCompletionStreamResponse`.
///
/// # Examples
///
/// ```
/// use genai_otel::{ChoiceDelta, LlmChunk, Usage};
///
/// enum Event { Text(String), Done { input: u64, output: u64 } }
///
/// impl LlmChunk for Event {
///     fn usage(&self) -> Option<Usage> {
///         match self {
///             Event::Done { input, output } => Some(Usage::new(*input, *output)),
///             Event::Text(_) => None,
///         }
///     }
///     fn deltas(&self) -> Vec<ChoiceDelta<'_>> {
///         match self {
///             Event::Text(t) => vec![ChoiceDelta::new(0).text(t)],
///             Event::Done { .. } => vec![ChoiceDelta::new(0).finish_reason("stop")],
///         }
///     }
/// }
/// # let _ = Event::Text(String::new()).deltas();
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a chunk of a streamed model response",
    label = "streamed items must implement `genai_otel::LlmChunk`",
    note = "implement `genai_otel::LlmChunk` for the item type (every method has a default), \
            or write `stream = false` in `#[traced_llm(..)]` to trace only the call that creates the stream"
)]
pub trait LlmChunk {
    /// The provider's id of the response (`gen_ai.response.id`); the first one seen wins.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::LlmChunk;
    /// assert_eq!(serde_json::json!({"id": "chatcmpl-1"}).response_id(), Some("chatcmpl-1"));
    /// ```
    fn response_id(&self) -> Option<&str> {
        None
    }

    /// The model that answered (`gen_ai.response.model`); the first one seen wins.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::LlmChunk;
    /// assert_eq!(serde_json::json!({"model": "gpt-4.1-mini"}).response_model(), Some("gpt-4.1-mini"));
    /// ```
    fn response_model(&self) -> Option<&str> {
        None
    }

    /// Token usage reported by this item. Providers report running totals, so for each
    /// count the last value reported wins.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::LlmChunk;
    /// let last = serde_json::json!({"choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 3}});
    /// assert_eq!(last.usage(), Some(genai_otel::Usage::new(9, 3)));
    /// ```
    fn usage(&self) -> Option<Usage> {
        None
    }

    /// What this item adds to each choice: text, tool-call pieces, the finish reason. Text
    /// and tool-call arguments are content: they are accumulated only when output-message
    /// capture is on for the span's trace.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::LlmChunk;
    /// let delta = "Refund ".deltas();
    /// assert_eq!(delta[0].text, Some("Refund "));
    /// ```
    fn deltas(&self) -> Vec<ChoiceDelta<'_>> {
        Vec::new()
    }

    /// `Some((error.type, description))` when this item reports that the stream failed.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::LlmChunk;
    /// let item: Result<String, std::fmt::Error> = Err(std::fmt::Error);
    /// assert_eq!(item.failure().map(|(t, _)| t.into_owned()), Some("Error".to_string()));
    /// ```
    fn failure(&self) -> Option<(Cow<'_, str>, String)> {
        None
    }
}

/// What one stream item adds to one choice (see [`LlmChunk::deltas`]).
///
/// # Examples
///
/// ```
/// use genai_otel::{ChoiceDelta, ToolCallDelta};
/// let d = ChoiceDelta::new(0)
///     .text("Checking the order")
///     .tool_call(ToolCallDelta::new(0).id("call_1").name("lookup_order").arguments("{\"id\":"))
///     .finish_reason("tool_calls");
/// assert_eq!(d.tool_calls.len(), 1);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ChoiceDelta<'a> {
    /// The choice's index.
    pub index: usize,
    /// Text appended to the choice's message.
    pub text: Option<&'a str>,
    /// Pieces of tool calls.
    pub tool_calls: Vec<ToolCallDelta<'a>>,
    /// The choice's finish reason, when this item carries it.
    pub finish_reason: Option<&'a str>,
}

impl<'a> ChoiceDelta<'a> {
    /// An empty delta of choice `index`.
    ///
    /// # Examples
    ///
    /// ```
    /// let d = genai_otel::ChoiceDelta::new(1);
    /// assert_eq!(d.index, 1);
    /// ```
    pub fn new(index: usize) -> Self {
        Self {
            index,
            ..Self::default()
        }
    }

    /// Adds text.
    ///
    /// # Examples
    ///
    /// ```
    /// let d = genai_otel::ChoiceDelta::new(0).text("Hel");
    /// # let _ = d;
    /// ```
    pub fn text(mut self, text: &'a str) -> Self {
        self.text = Some(text);
        self
    }

    /// Adds a piece of a tool call.
    ///
    /// # Examples
    ///
    /// ```
    /// let d = genai_otel::ChoiceDelta::new(0).tool_call(genai_otel::ToolCallDelta::new(0).arguments("{}"));
    /// # let _ = d;
    /// ```
    pub fn tool_call(mut self, call: ToolCallDelta<'a>) -> Self {
        self.tool_calls.push(call);
        self
    }

    /// Sets the finish reason.
    ///
    /// # Examples
    ///
    /// ```
    /// let d = genai_otel::ChoiceDelta::new(0).finish_reason("stop");
    /// # let _ = d;
    /// ```
    pub fn finish_reason(mut self, reason: &'a str) -> Self {
        self.finish_reason = Some(reason);
        self
    }
}

/// A piece of one tool call of a choice: the id and name usually come first, the arguments
/// in pieces that are concatenated.
///
/// # Examples
///
/// ```
/// let piece = genai_otel::ToolCallDelta::new(0).arguments("{\"order_id\": \"o1\"}");
/// assert_eq!(piece.index, 0);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ToolCallDelta<'a> {
    /// Position of the call among the choice's tool calls.
    pub index: usize,
    /// The provider's call id.
    pub id: Option<&'a str>,
    /// The tool's name.
    pub name: Option<&'a str>,
    /// A piece of the arguments (JSON text).
    pub arguments: Option<&'a str>,
}

impl<'a> ToolCallDelta<'a> {
    /// An empty piece of tool call `index`.
    ///
    /// # Examples
    ///
    /// ```
    /// let piece = genai_otel::ToolCallDelta::new(2);
    /// # let _ = piece;
    /// ```
    pub fn new(index: usize) -> Self {
        Self {
            index,
            ..Self::default()
        }
    }

    /// Sets the call id.
    ///
    /// # Examples
    ///
    /// ```
    /// let piece = genai_otel::ToolCallDelta::new(0).id("call_1");
    /// # let _ = piece;
    /// ```
    pub fn id(mut self, id: &'a str) -> Self {
        self.id = Some(id);
        self
    }

    /// Sets the tool name.
    ///
    /// # Examples
    ///
    /// ```
    /// let piece = genai_otel::ToolCallDelta::new(0).name("lookup_order");
    /// # let _ = piece;
    /// ```
    pub fn name(mut self, name: &'a str) -> Self {
        self.name = Some(name);
        self
    }

    /// Adds a piece of the arguments.
    ///
    /// # Examples
    ///
    /// ```
    /// let piece = genai_otel::ToolCallDelta::new(0).arguments("{\"id\":");
    /// # let _ = piece;
    /// ```
    pub fn arguments(mut self, arguments: &'a str) -> Self {
        self.arguments = Some(arguments);
        self
    }
}

pin_project_lite::pin_project! {
    /// A stream of model-response chunks that keeps its [`InferenceSpan`] open until the
    /// stream ends, fails or is dropped. The span is the current span while the inner stream
    /// is polled, and items are read through [`LlmChunk`].
    ///
    /// `gen_ai.response.time_to_first_chunk` is recorded at the first item. The span ends
    /// exactly once, at the first of:
    ///
    /// - **the stream ends** (`None`): usage, response id and model, finish reasons and
    ///   (content, only when capture allows it) the accumulated output messages are recorded;
    /// - **an item reports a failure** ([`LlmChunk::failure`], e.g. an `Err` item), or the
    ///   inner stream panics (`error.type = panic`; the panic continues): status Error with
    ///   `error.type`, then the same as above, with finish reason `error` for every choice
    ///   that had none;
    /// - **the stream is dropped early**: `genai_otel.stream.cancelled = true`, finish reason
    ///   `error` for every choice that had none (or a single `error` when no choice was seen).
    ///   Status stays unset: the consumer chose to stop, and the conventions leave
    ///   cancellation to the instrumentation (HTTP's rule is that an intended client-side
    ///   cancellation is not an error).
    ///
    /// Items after the end pass through untouched.
    ///
    /// `#[traced_llm]` wraps streams itself; use this type for streams built elsewhere.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures_util::StreamExt;
    /// use genai_otel::{InferenceSpan, TracedStream};
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let span = InferenceSpan::chat("openai", "gpt-4.1-mini").streaming().start();
    /// let chunks = futures_util::stream::iter(["Refund ", "issued."]);
    /// let mut stream = TracedStream::new(chunks, span);
    /// let mut text = String::new();
    /// while let Some(chunk) = stream.next().await {
    ///     text.push_str(chunk);
    /// }
    /// assert_eq!(text, "Refund issued.");
    /// # });
    /// ```
    #[must_use = "streams do nothing unless polled; dropping it ends the span as cancelled"]
    pub struct TracedStream<S> {
        #[pin]
        inner: S,
        state: Option<StreamState>,
    }
}

impl<S> fmt::Debug for TracedStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TracedStream")
            .field("span", &self.state.as_ref().map(|s| &s.span))
            .finish_non_exhaustive()
    }
}

impl<S> TracedStream<S>
where
    S: Stream,
    S::Item: LlmChunk,
{
    /// Wraps `stream`; `span` ends when the stream ends, fails or is dropped. Start the span
    /// with [`streaming()`](crate::InferenceSpanBuilder::streaming) so that it carries
    /// `gen_ai.request.stream = true`.
    ///
    /// # Examples
    ///
    /// ```
    /// let span = genai_otel::InferenceSpan::chat("openai", "m").streaming().start();
    /// let stream = genai_otel::TracedStream::new(futures_util::stream::empty::<String>(), span);
    /// drop(stream); // ends the span, marked cancelled
    /// ```
    pub fn new(stream: S, span: InferenceSpan) -> Self {
        let capture_output = crate::__private::content_enabled(&span, ContentKind::OutputMessages);
        Self {
            inner: stream,
            state: Some(StreamState {
                span,
                capture_output,
                done: false,
                seen_item: false,
                usage: None,
                response_id: None,
                response_model: None,
                choices: Vec::new(),
            }),
        }
    }
}

impl<S> TracedStream<S> {
    /// The span, until it ends.
    ///
    /// # Examples
    ///
    /// ```
    /// let span = genai_otel::InferenceSpan::chat("openai", "m").streaming().start();
    /// let stream = genai_otel::TracedStream::new(futures_util::stream::empty::<String>(), span);
    /// assert!(stream.span().is_some());
    /// ```
    pub fn span(&self) -> Option<&InferenceSpan> {
        self.state.as_ref().map(|s| &s.span)
    }
}

impl<S> Stream for TracedStream<S>
where
    S: Stream,
    S::Item: LlmChunk,
{
    type Item = S::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let this = self.project();
        let mut inner = this.inner;
        let slot = this.state;
        let Some(state) = slot.as_ref() else {
            return inner.poll_next(cx);
        };
        let polled = {
            let _entered = state.span.span().enter();
            catch_unwind(AssertUnwindSafe(|| inner.as_mut().poll_next(cx)))
        };
        let polled = match polled {
            Ok(polled) => polled,
            Err(payload) => {
                if let Some(state) = slot.take() {
                    state
                        .span
                        .record_error("panic", crate::__private::panic_message(&*payload));
                    state.finish(End::Failed);
                }
                resume_unwind(payload)
            }
        };
        match &polled {
            Poll::Pending => {}
            Poll::Ready(Some(item)) => match item.failure() {
                Some((error_type, message)) => {
                    if let Some(state) = slot.take() {
                        state.span.record_error(&error_type, message);
                        state.finish(End::Failed);
                    }
                }
                None => {
                    if let Some(state) = slot.as_mut() {
                        state.observe(item);
                    }
                }
            },
            Poll::Ready(None) => {
                if let Some(state) = slot.take() {
                    state.finish(End::Completed);
                }
            }
        }
        polled
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<S> FusedStream for TracedStream<S>
where
    S: FusedStream,
    S::Item: LlmChunk,
{
    fn is_terminated(&self) -> bool {
        self.inner.is_terminated()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Completed,
    Failed,
    Cancelled,
}

#[derive(Debug, Default)]
struct ChoiceState {
    index: usize,
    text: String,
    tool_calls: Vec<ToolCallState>,
    finish_reason: Option<String>,
}

#[derive(Debug, Default)]
struct ToolCallState {
    index: usize,
    id: Option<String>,
    name: String,
    arguments: String,
}

/// Everything accumulated while the stream runs; finishing it ends the span. Dropping it
/// unfinished (the stream was dropped early) finishes it as cancelled.
#[derive(Debug)]
struct StreamState {
    span: InferenceSpan,
    capture_output: bool,
    done: bool,
    seen_item: bool,
    usage: Option<Usage>,
    response_id: Option<String>,
    response_model: Option<String>,
    choices: Vec<ChoiceState>,
}

impl StreamState {
    fn observe<C: LlmChunk + ?Sized>(&mut self, chunk: &C) {
        if !self.seen_item {
            self.seen_item = true;
            self.span.record_first_chunk();
        }
        if self.response_id.is_none() {
            self.response_id = chunk
                .response_id()
                .filter(|s| !s.is_empty())
                .map(str::to_string);
        }
        if self.response_model.is_none() {
            self.response_model = chunk
                .response_model()
                .filter(|s| !s.is_empty())
                .map(str::to_string);
        }
        if let Some(u) = chunk.usage() {
            let total = self.usage.get_or_insert_with(Usage::default);
            let latest = |old: &mut Option<u64>, new: Option<u64>| {
                if new.is_some() {
                    *old = new;
                }
            };
            latest(&mut total.input_tokens, u.input_tokens);
            latest(&mut total.output_tokens, u.output_tokens);
            latest(
                &mut total.cache_read_input_tokens,
                u.cache_read_input_tokens,
            );
            latest(
                &mut total.cache_write_input_tokens,
                u.cache_write_input_tokens,
            );
            latest(
                &mut total.reasoning_output_tokens,
                u.reasoning_output_tokens,
            );
        }
        for delta in chunk.deltas() {
            let pos = match self.choices.iter().position(|c| c.index == delta.index) {
                Some(pos) => pos,
                None => {
                    self.choices.push(ChoiceState {
                        index: delta.index,
                        ..ChoiceState::default()
                    });
                    self.choices.len() - 1
                }
            };
            let choice = &mut self.choices[pos];
            if let Some(reason) = delta.finish_reason {
                choice.finish_reason = Some(reason.to_string());
            }
            if !self.capture_output {
                continue;
            }
            if let Some(text) = delta.text {
                choice.text.push_str(text);
            }
            for piece in delta.tool_calls {
                let call = match choice
                    .tool_calls
                    .iter()
                    .position(|c| c.index == piece.index)
                {
                    Some(pos) => &mut choice.tool_calls[pos],
                    None => {
                        choice.tool_calls.push(ToolCallState {
                            index: piece.index,
                            ..ToolCallState::default()
                        });
                        let last = choice.tool_calls.len() - 1;
                        &mut choice.tool_calls[last]
                    }
                };
                if let Some(id) = piece.id {
                    call.id = Some(id.to_string());
                }
                if let Some(name) = piece.name {
                    call.name.push_str(name);
                }
                if let Some(args) = piece.arguments {
                    call.arguments.push_str(args);
                }
            }
        }
    }

    fn finish(mut self, end: End) {
        self.record(end);
        // `self` (and with it the span) is dropped here: the span ends.
    }

    /// Records the end; runs once (`finish` or, for a dropped stream, `drop`).
    fn record(&mut self, end: End) {
        self.done = true;
        let span = &self.span;
        if let Some(usage) = self.usage {
            span.record_usage(usage);
        }
        self.choices.sort_by_key(|c| c.index);
        let mut reasons: Vec<String> = self
            .choices
            .iter()
            .map(|c| {
                c.finish_reason
                    .clone()
                    .unwrap_or_else(|| "error".to_string())
            })
            .collect();
        if reasons.is_empty() && end != End::Completed {
            reasons.push("error".to_string());
        }
        span.record_response(
            self.response_id.as_deref().unwrap_or(""),
            self.response_model.as_deref().unwrap_or(""),
            reasons,
        );
        if end == End::Cancelled {
            span.set_attribute(semconv::STREAM_CANCELLED, true);
        }
        if self.capture_output {
            let choices = std::mem::take(&mut self.choices);
            span.capture(
                ContentKind::OutputMessages,
                semconv::GEN_AI_OUTPUT_MESSAGES,
                || {
                    let messages: Vec<OutputMessage> = choices
                        .into_iter()
                        .filter(|c| !c.text.is_empty() || !c.tool_calls.is_empty())
                        .map(ChoiceState::into_output)
                        .collect();
                    if messages.is_empty() {
                        None
                    } else {
                        content::json(&messages)
                    }
                },
            );
        }
    }
}

impl ChoiceState {
    fn into_output(self) -> OutputMessage {
        let mut parts = Vec::new();
        if !self.text.is_empty() {
            parts.push(Part::text(self.text));
        }
        let mut calls = self.tool_calls;
        calls.sort_by_key(|c| c.index);
        for call in calls {
            let arguments = crate::response::parse_arguments(&Json::String(call.arguments));
            parts.push(Part::tool_call(call.id.as_deref(), call.name, arguments));
        }
        OutputMessage {
            message: Message::with_parts("assistant", parts),
            finish_reason: Some(self.finish_reason.unwrap_or_else(|| "error".to_string())),
        }
    }
}

/// Dropping a state that was not finished means the stream was dropped before it ended.
impl Drop for StreamState {
    fn drop(&mut self) {
        if !self.done {
            self.record(End::Cancelled);
        }
    }
}

// ---- LlmChunk implementations -------------------------------------------------------------

impl LlmChunk for str {
    fn deltas(&self) -> Vec<ChoiceDelta<'_>> {
        vec![ChoiceDelta::new(0).text(self)]
    }
}

impl LlmChunk for String {
    fn deltas(&self) -> Vec<ChoiceDelta<'_>> {
        self.as_str().deltas()
    }
}

impl<T: LlmChunk + ?Sized> LlmChunk for &T {
    fn response_id(&self) -> Option<&str> {
        (**self).response_id()
    }
    fn response_model(&self) -> Option<&str> {
        (**self).response_model()
    }
    fn usage(&self) -> Option<Usage> {
        (**self).usage()
    }
    fn deltas(&self) -> Vec<ChoiceDelta<'_>> {
        (**self).deltas()
    }
    fn failure(&self) -> Option<(Cow<'_, str>, String)> {
        (**self).failure()
    }
}

impl<T: LlmChunk + ?Sized> LlmChunk for Box<T> {
    fn response_id(&self) -> Option<&str> {
        (**self).response_id()
    }
    fn response_model(&self) -> Option<&str> {
        (**self).response_model()
    }
    fn usage(&self) -> Option<Usage> {
        (**self).usage()
    }
    fn deltas(&self) -> Vec<ChoiceDelta<'_>> {
        (**self).deltas()
    }
    fn failure(&self) -> Option<(Cow<'_, str>, String)> {
        (**self).failure()
    }
}

impl<T: LlmChunk, E: fmt::Display> LlmChunk for Result<T, E> {
    fn response_id(&self) -> Option<&str> {
        self.as_ref().ok()?.response_id()
    }
    fn response_model(&self) -> Option<&str> {
        self.as_ref().ok()?.response_model()
    }
    fn usage(&self) -> Option<Usage> {
        self.as_ref().ok()?.usage()
    }
    fn deltas(&self) -> Vec<ChoiceDelta<'_>> {
        self.as_ref().map(T::deltas).unwrap_or_default()
    }
    fn failure(&self) -> Option<(Cow<'_, str>, String)> {
        match self {
            Ok(chunk) => chunk.failure(),
            Err(e) => Some((
                Cow::Borrowed(crate::span::short_type_name::<E>()),
                e.to_string(),
            )),
        }
    }
}

/// An OpenAI chat-completion chunk or an Anthropic streaming event, as JSON.
impl LlmChunk for Json {
    fn response_id(&self) -> Option<&str> {
        self.get("id")
            .or_else(|| self.get("message")?.get("id"))?
            .as_str()
    }

    fn response_model(&self) -> Option<&str> {
        self.get("model")
            .or_else(|| self.get("message")?.get("model"))?
            .as_str()
    }

    fn usage(&self) -> Option<Usage> {
        let usage = self
            .get("usage")
            .filter(|u| u.is_object())
            .or_else(|| self.get("message")?.get("usage"))?;
        crate::response::usage_from_json(usage)
    }

    fn deltas(&self) -> Vec<ChoiceDelta<'_>> {
        if let Some(choices) = self.get("choices").and_then(Json::as_array) {
            return choices.iter().map(openai_choice_delta).collect();
        }
        anthropic_event_delta(self).into_iter().collect()
    }

    fn failure(&self) -> Option<(Cow<'_, str>, String)> {
        if self.get("type").and_then(Json::as_str) != Some("error") {
            return None;
        }
        let error = self.get("error")?;
        let error_type = error.get("type").and_then(Json::as_str).unwrap_or("error");
        let message = error
            .get("message")
            .and_then(Json::as_str)
            .unwrap_or_default();
        Some((Cow::Borrowed(error_type), message.to_string()))
    }
}

fn json_index(v: &Json) -> usize {
    v.get("index")
        .and_then(Json::as_u64)
        .and_then(|i| usize::try_from(i).ok())
        .unwrap_or(0)
}

fn openai_choice_delta(choice: &Json) -> ChoiceDelta<'_> {
    let mut d = ChoiceDelta::new(json_index(choice));
    d.finish_reason = choice.get("finish_reason").and_then(Json::as_str);
    if let Some(delta) = choice.get("delta") {
        d.text = delta.get("content").and_then(Json::as_str);
        for call in delta
            .get("tool_calls")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            let function = call.get("function");
            d.tool_calls.push(ToolCallDelta {
                index: json_index(call),
                id: call.get("id").and_then(Json::as_str),
                name: function.and_then(|f| f.get("name")).and_then(Json::as_str),
                arguments: function
                    .and_then(|f| f.get("arguments"))
                    .and_then(Json::as_str),
            });
        }
    }
    d
}

/// Anthropic events all belong to the one message (choice 0); tool calls are content
/// blocks, indexed by their block index.
fn anthropic_event_delta(event: &Json) -> Option<ChoiceDelta<'_>> {
    let d = ChoiceDelta::new(0);
    match event.get("type")?.as_str()? {
        "content_block_start" => {
            let block = event.get("content_block")?;
            match block.get("type")?.as_str()? {
                "text" => Some(d.text(block.get("text")?.as_str()?)),
                "tool_use" => {
                    let mut call = ToolCallDelta::new(json_index(event));
                    call.id = block.get("id").and_then(Json::as_str);
                    call.name = block.get("name").and_then(Json::as_str);
                    Some(d.tool_call(call))
                }
                _ => None,
            }
        }
        "content_block_delta" => {
            let delta = event.get("delta")?;
            match delta.get("type")?.as_str()? {
                "text_delta" => Some(d.text(delta.get("text")?.as_str()?)),
                "input_json_delta" => Some(
                    d.tool_call(
                        ToolCallDelta::new(json_index(event))
                            .arguments(delta.get("partial_json")?.as_str()?),
                    ),
                ),
                _ => None,
            }
        }
        "message_delta" => Some(d.finish_reason(event.get("delta")?.get("stop_reason")?.as_str()?)),
        _ => None,
    }
}
