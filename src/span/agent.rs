//! The request root: an in-process agent (`invoke_agent`) or workflow (`invoke_workflow`).

use opentelemetry::{KeyValue, Value};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::{deref_to_handle, non_empty, CodeFunction, SpanHandle};
use crate::semconv::{self, operation};

/// Builder of an [`AgentSpan`].
///
/// # Examples
///
/// ```
/// let agent = genai_otel::AgentSpan::builder("support_agent")
///     .route("/v1/support")
///     .tenant("acme")
///     .user_id("user-42") // recorded only as `user.hash`
///     .start();
/// # drop(agent);
/// ```
#[derive(Debug, Clone)]
#[must_use = "call .start() to create the span"]
pub struct AgentSpanBuilder {
    operation: &'static str,
    name: String,
    code_function: Option<CodeFunction>,
    attributes: Vec<KeyValue>,
}

impl AgentSpanBuilder {
    fn attr(mut self, key: &'static str, value: impl Into<Value>) -> Self {
        self.attributes.push(KeyValue::new(key, value));
        self
    }

    /// The request's route template (`http.route`), e.g. `/v1/support`.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::AgentSpan::builder("a").route("/v1/support");
    /// # let _ = b;
    /// ```
    pub fn route(self, route: impl Into<String>) -> Self {
        self.attr(semconv::HTTP_ROUTE, route.into())
    }

    /// The tenant (`genai_otel.tenant.id`).
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::AgentSpan::builder("a").tenant("acme");
    /// # let _ = b;
    /// ```
    pub fn tenant(self, tenant: impl Into<String>) -> Self {
        self.attr(semconv::TENANT_ID, tenant.into())
    }

    /// The user: recorded only as `user.hash` = [`hash_user_id`](crate::hash_user_id)
    /// of `user_id`. The raw id never reaches the span.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::AgentSpan::builder("a").user_id("user-42");
    /// # let _ = b;
    /// ```
    pub fn user_id(self, user_id: &str) -> Self {
        let hash = crate::hash_user_id(user_id);
        self.attr(semconv::USER_HASH, hash)
    }

    /// `gen_ai.conversation.id`, when the app has one.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::AgentSpan::builder("a").conversation_id("conv_1");
    /// # let _ = b;
    /// ```
    pub fn conversation_id(self, id: impl Into<String>) -> Self {
        self.attr(semconv::GEN_AI_CONVERSATION_ID, id.into())
    }

    /// `gen_ai.agent.id`.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::AgentSpan::builder("a").agent_id("asst_1");
    /// # let _ = b;
    /// ```
    pub fn agent_id(self, id: impl Into<String>) -> Self {
        self.attr(semconv::GEN_AI_AGENT_ID, id.into())
    }

    /// `gen_ai.agent.description`.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::AgentSpan::builder("a").description("Answers support tickets");
    /// # let _ = b;
    /// ```
    pub fn description(self, text: impl Into<String>) -> Self {
        self.attr(semconv::GEN_AI_AGENT_DESCRIPTION, text.into())
    }

    /// `gen_ai.request.model`, for an agent bound to exactly one model.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::AgentSpan::builder("a").model("gpt-4.1-mini");
    /// # let _ = b;
    /// ```
    pub fn model(self, model: impl Into<String>) -> Self {
        self.attr(semconv::GEN_AI_REQUEST_MODEL, model.into())
    }

    /// Any other metadata attribute.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::AgentSpan::builder("a").attribute("app.channel", "email");
    /// # let _ = b;
    /// ```
    pub fn attribute(self, key: &'static str, value: impl Into<Value>) -> Self {
        self.attr(key, value)
    }

    /// Creates the span as a child of the current span (or a new trace's root).
    ///
    /// # Examples
    ///
    /// ```
    /// let agent = genai_otel::AgentSpan::builder("support_agent").start();
    /// # drop(agent);
    /// ```
    pub fn start(self) -> AgentSpan {
        let workflow = self.operation == operation::INVOKE_WORKFLOW;
        let name = non_empty(&self.name);
        // Written only when a subscriber records the span (the field values are evaluated then).
        let (mut name_buf, mut function_buf) = (super::NameBuf::new(), String::new());
        let span = tracing::info_span!(
            target: "genai_otel",
            "gen_ai.invocation",
            otel.name = super::span_name(self.operation, &self.name, &mut name_buf),
            otel.kind = "internal",
            gen_ai.operation.name = self.operation,
            gen_ai.agent.name = name.filter(|_| !workflow),
            gen_ai.workflow.name = name.filter(|_| workflow),
            code.function.name = self.code_function.map(|f| f.as_str(&mut function_buf)),
        );
        if !span.is_disabled() {
            for kv in self.attributes {
                span.set_attribute(kv.key, kv.value);
            }
        }
        AgentSpan {
            handle: SpanHandle::new(span),
        }
    }

    /// `code.function.name` as the attribute macros give it.
    pub(crate) fn code_function(mut self, function: CodeFunction) -> Self {
        self.code_function = Some(function);
        self
    }
}

/// An in-process agent or workflow invocation; usually the root of a request's trace.
///
/// # Examples
///
/// ```
/// # async fn answer() -> &'static str { "ok" }
/// # async fn doc() {
/// let agent = genai_otel::AgentSpan::builder("support_agent").route("/v1/support").start();
/// let reply = agent.instrument(answer()).await;
/// agent.end();
/// # let _ = reply;
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct AgentSpan {
    handle: SpanHandle,
}

deref_to_handle!(AgentSpan);

impl AgentSpan {
    /// A span that records nothing (no subscriber could record it).
    pub(crate) fn disabled() -> Self {
        AgentSpan {
            handle: SpanHandle::disabled(),
        }
    }

    /// An `invoke_agent {name}` span (an LLM drives the control flow).
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::AgentSpan::builder("support_agent");
    /// # let _ = b;
    /// ```
    pub fn builder(name: impl Into<String>) -> AgentSpanBuilder {
        AgentSpanBuilder {
            operation: operation::INVOKE_AGENT,
            name: name.into(),
            code_function: None,
            attributes: Vec::new(),
        }
    }

    /// An `invoke_workflow {name}` span (the application drives the control flow).
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::AgentSpan::workflow("ticket_triage");
    /// # let _ = b;
    /// ```
    pub fn workflow(name: impl Into<String>) -> AgentSpanBuilder {
        AgentSpanBuilder {
            operation: operation::INVOKE_WORKFLOW,
            name: name.into(),
            code_function: None,
            attributes: Vec::new(),
        }
    }
}
