//! `async-openai` 0.43 (feature `async-openai`; the application's own `async-openai`
//! dependency must be the same minor version for these implementations to apply, and chooses
//! the TLS backend — this crate enables only the `chat-completion` types, without TLS).
//!
//! Chat completions and their streamed chunks report
//! usage, finish reasons, ids and output through [`LlmResponse`] / [`LlmChunk`], and
//! `OpenAIError` names its `error.type` through [`ErrorType`] (the API's error code, else its
//! error type, else the HTTP status).

use std::borrow::Cow;

use async_openai::error::OpenAIError;
use async_openai::types::chat::{
    ChatCompletionMessageToolCalls, ChatCompletionResponseMessage, CompletionUsage,
    CreateChatCompletionResponse, CreateChatCompletionStreamResponse, FinishReason, Role,
};
use serde_json::Value as Json;

use crate::message::{Message, OutputMessage, Part};
use crate::response::{parse_arguments, ErrorType, LlmResponse};
use crate::span::Usage;
use crate::stream::{ChoiceDelta, LlmChunk, ToolCallDelta};

fn usage(u: &CompletionUsage) -> Usage {
    let mut usage = Usage::new(u64::from(u.prompt_tokens), u64::from(u.completion_tokens));
    if let Some(details) = &u.prompt_tokens_details {
        usage.cache_read_input_tokens = details.cached_tokens.map(u64::from);
        usage.cache_write_input_tokens = details
            .cache_write_tokens
            .and_then(|t| u64::try_from(t).ok());
    }
    if let Some(details) = &u.completion_tokens_details {
        usage.reasoning_output_tokens = details.reasoning_tokens.map(u64::from);
    }
    usage
}

fn finish_reason(reason: FinishReason) -> &'static str {
    match reason {
        FinishReason::Stop => "stop",
        FinishReason::Length => "length",
        FinishReason::ToolCalls => "tool_calls",
        FinishReason::ContentFilter => "content_filter",
        FinishReason::FunctionCall => "function_call",
    }
}

fn role(role: &Role) -> &'static str {
    match role {
        Role::Developer => "developer",
        Role::System => "system",
        Role::User => "user",
        Role::Assistant => "assistant",
        Role::Tool => "tool",
        Role::Function => "function",
    }
}

fn message(m: &ChatCompletionResponseMessage) -> Message {
    let mut parts = Vec::new();
    if let Some(text) = &m.content {
        parts.push(Part::text(text.clone()));
    }
    for call in m.tool_calls.iter().flatten() {
        parts.push(match call {
            ChatCompletionMessageToolCalls::Function(f) => Part::tool_call(
                Some(&f.id),
                f.function.name.clone(),
                parse_arguments(&Json::String(f.function.arguments.clone())),
            ),
            ChatCompletionMessageToolCalls::Custom(c) => Part::tool_call(
                Some(&c.id),
                c.custom_tool.name.clone(),
                Json::String(c.custom_tool.input.clone()),
            ),
        });
    }
    Message::with_parts(role(&m.role), parts)
}

impl LlmResponse for CreateChatCompletionResponse {
    fn usage(&self) -> Option<Usage> {
        self.usage.as_ref().map(usage)
    }

    fn response_id(&self) -> Option<&str> {
        Some(&self.id)
    }

    fn response_model(&self) -> Option<&str> {
        Some(&self.model)
    }

    fn finish_reasons(&self) -> Vec<String> {
        if self.choices.iter().all(|c| c.finish_reason.is_none()) {
            return Vec::new();
        }
        self.choices
            .iter()
            .map(|c| c.finish_reason.map_or("error", finish_reason).to_string())
            .collect()
    }

    fn output_messages(&self) -> Vec<OutputMessage> {
        self.choices
            .iter()
            .map(|c| OutputMessage {
                message: message(&c.message),
                finish_reason: c.finish_reason.map(|r| finish_reason(r).to_string()),
            })
            .collect()
    }
}

impl LlmChunk for CreateChatCompletionStreamResponse {
    fn response_id(&self) -> Option<&str> {
        Some(&self.id)
    }

    fn response_model(&self) -> Option<&str> {
        Some(&self.model)
    }

    fn usage(&self) -> Option<Usage> {
        self.usage.as_ref().map(usage)
    }

    fn deltas(&self) -> Vec<ChoiceDelta<'_>> {
        self.choices
            .iter()
            .map(|c| {
                let mut d = ChoiceDelta::new(usize::try_from(c.index).unwrap_or(usize::MAX));
                d.text = c.delta.content.as_deref();
                d.finish_reason = c.finish_reason.map(finish_reason);
                for call in c.delta.tool_calls.iter().flatten() {
                    let mut piece =
                        ToolCallDelta::new(usize::try_from(call.index).unwrap_or(usize::MAX));
                    piece.id = call.id.as_deref();
                    piece.name = call.function.as_ref().and_then(|f| f.name.as_deref());
                    piece.arguments = call.function.as_ref().and_then(|f| f.arguments.as_deref());
                    d.tool_calls.push(piece);
                }
                d
            })
            .collect()
    }
}

impl ErrorType for OpenAIError {
    fn error_type(&self) -> Cow<'_, str> {
        match self {
            OpenAIError::ApiError(e) => {
                let api = &e.api_error;
                match api.code.as_deref().or(api.r#type.as_deref()) {
                    Some(code) if !code.is_empty() => Cow::Borrowed(code),
                    _ => Cow::Owned(e.status_code.as_u16().to_string()),
                }
            }
            OpenAIError::Reqwest(e) => match e.status() {
                Some(status) => Cow::Owned(status.as_u16().to_string()),
                None if e.is_timeout() => Cow::Borrowed("timeout"),
                None => Cow::Borrowed("http_error"),
            },
            OpenAIError::JSONDeserialize(..) => Cow::Borrowed("invalid_response"),
            OpenAIError::StreamError(_) => Cow::Borrowed("stream_error"),
            OpenAIError::InvalidArgument(_) => Cow::Borrowed("invalid_argument"),
            _ => Cow::Borrowed("OpenAIError"),
        }
    }
}
