//! Tool execution (`execute_tool`).

use opentelemetry::{KeyValue, Value};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::{deref_to_handle, CodeFunction, SpanHandle};
use crate::content::{self, ContentKind};
use crate::semconv::{self, operation};

/// Builder of a [`ToolSpan`].
///
/// # Examples
///
/// ```
/// let tool = genai_otel::ToolSpan::builder("create_refund").call_id("call_1").start();
/// # drop(tool);
/// ```
#[derive(Debug, Clone)]
#[must_use = "call .start() to create the span"]
pub struct ToolSpanBuilder {
    name: String,
    tool_type: &'static str,
    code_function: Option<CodeFunction>,
    attributes: Vec<KeyValue>,
}

impl ToolSpanBuilder {
    fn attr(mut self, key: &'static str, value: impl Into<Value>) -> Self {
        self.attributes.push(KeyValue::new(key, value));
        self
    }

    /// `gen_ai.tool.type`: `function` (default; executed by the app), `extension` or
    /// `datastore`.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::ToolSpan::builder("search").tool_type("datastore");
    /// # let _ = b;
    /// ```
    pub fn tool_type(mut self, tool_type: &'static str) -> Self {
        self.tool_type = tool_type;
        self
    }

    /// `gen_ai.tool.call.id`: the model's id for this call.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::ToolSpan::builder("t").call_id("call_abc");
    /// # let _ = b;
    /// ```
    pub fn call_id(self, id: impl Into<String>) -> Self {
        self.attr(semconv::GEN_AI_TOOL_CALL_ID, id.into())
    }

    /// `gen_ai.tool.description`.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::ToolSpan::builder("t").description("Creates a refund");
    /// # let _ = b;
    /// ```
    pub fn description(self, text: impl Into<String>) -> Self {
        self.attr(semconv::GEN_AI_TOOL_DESCRIPTION, text.into())
    }

    /// `gen_ai.agent.name` of the agent executing the tool.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::ToolSpan::builder("t").agent("support_agent");
    /// # let _ = b;
    /// ```
    pub fn agent(self, name: impl Into<String>) -> Self {
        self.attr(semconv::GEN_AI_AGENT_NAME, name.into())
    }

    /// Creates the span as a child of the current span.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = genai_otel::ToolSpan::builder("t").start();
    /// # drop(s);
    /// ```
    pub fn start(self) -> ToolSpan {
        // Written only when a subscriber records the span (the field values are evaluated then).
        let (mut name_buf, mut function_buf) = (super::NameBuf::new(), String::new());
        let span = tracing::info_span!(
            target: "genai_otel",
            "gen_ai.execute_tool",
            otel.name = super::span_name(operation::EXECUTE_TOOL, &self.name, &mut name_buf),
            otel.kind = "internal",
            gen_ai.operation.name = operation::EXECUTE_TOOL,
            gen_ai.tool.name = &*self.name,
            gen_ai.tool.type = self.tool_type,
            code.function.name = self.code_function.map(|f| f.as_str(&mut function_buf)),
        );
        if !span.is_disabled() {
            for kv in self.attributes {
                span.set_attribute(kv.key, kv.value);
            }
        }
        ToolSpan {
            handle: SpanHandle::new(span),
        }
    }

    /// `code.function.name` as the attribute macros give it.
    pub(crate) fn code_function(mut self, function: CodeFunction) -> Self {
        self.code_function = Some(function);
        self
    }
}

/// One tool call.
///
/// # Examples
///
/// ```
/// let tool = genai_otel::ToolSpan::builder("create_refund").start();
/// tool.record_arguments(&serde_json::json!({"order_id": "ord_1", "refund_amount_cents": 9000}));
/// tool.record_error("INVALID_ARGUMENT", "refund_amount_cents must be <= order_total_cents");
/// tool.end();
/// ```
#[derive(Debug, Clone)]
pub struct ToolSpan {
    handle: SpanHandle,
}

deref_to_handle!(ToolSpan);

impl ToolSpan {
    /// A span that records nothing (no subscriber could record it).
    pub(crate) fn disabled() -> Self {
        ToolSpan {
            handle: SpanHandle::disabled(),
        }
    }

    /// An `execute_tool {name}` span.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::ToolSpan::builder("create_refund");
    /// # let _ = b;
    /// ```
    pub fn builder(name: impl Into<String>) -> ToolSpanBuilder {
        ToolSpanBuilder {
            name: name.into(),
            tool_type: "function",
            code_function: None,
            attributes: Vec::new(),
        }
    }

    /// Records the call arguments (`gen_ai.tool.call.arguments`) — content.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = genai_otel::ToolSpan::builder("t").start();
    /// t.record_arguments(&serde_json::json!({"q": 1}));
    /// ```
    pub fn record_arguments<T: serde::Serialize + ?Sized>(&self, arguments: &T) -> bool {
        self.capture(
            ContentKind::ToolArguments,
            semconv::GEN_AI_TOOL_CALL_ARGUMENTS,
            || content::json(arguments),
        )
    }

    /// Records the result of a successful call (`gen_ai.tool.call.result`) — content.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = genai_otel::ToolSpan::builder("t").start();
    /// t.record_result(&serde_json::json!({"refund_id": "rf_1"}));
    /// ```
    pub fn record_result<T: serde::Serialize + ?Sized>(&self, result: &T) -> bool {
        self.capture(
            ContentKind::ToolResult,
            semconv::GEN_AI_TOOL_CALL_RESULT,
            || content::json(result),
        )
    }
}
