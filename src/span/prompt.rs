//! Prompt loading and rendering, and the prompt metadata inherited by later spans.

use opentelemetry::KeyValue;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::{deref_to_handle, SpanHandle};
use crate::content::ContentKind;
use crate::semconv;

/// Which prompt ran: name and version (GenAI conventions) plus the registry's version id,
/// release label, git sha and deployment (this crate's namespace and `deployment.*`).
///
/// # Examples
///
/// ```
/// let prompt = genai_otel::PromptMetadata::new("support_agent_v3")
///     .version("3.2.0")
///     .version_id("prv_2026_06_03_17")
///     .release("prod")
///     .git_sha("9f2c1e7")
///     .deployment_id("dep_481")
///     .environment("production");
/// # let _ = prompt;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PromptMetadata {
    name: String,
    version: Option<String>,
    version_id: Option<String>,
    release: Option<String>,
    git_sha: Option<String>,
    deployment_id: Option<String>,
    environment: Option<String>,
}

impl PromptMetadata {
    /// Metadata of the prompt named `name` (`gen_ai.prompt.name`).
    ///
    /// # Examples
    ///
    /// ```
    /// let p = genai_otel::PromptMetadata::new("support_agent_v3");
    /// # let _ = p;
    /// ```
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    /// `gen_ai.prompt.version`.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = genai_otel::PromptMetadata::new("p").version("3");
    /// # let _ = p;
    /// ```
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// `genai_otel.prompt.version_id`: the registry's immutable id of this version.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = genai_otel::PromptMetadata::new("p").version_id("prv_1");
    /// # let _ = p;
    /// ```
    pub fn version_id(mut self, id: impl Into<String>) -> Self {
        self.version_id = Some(id.into());
        self
    }

    /// `genai_otel.prompt.release`: the release label (`prod`, `canary`, ...). The default
    /// tail-sampling canary policy keeps every trace labelled `canary`.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = genai_otel::PromptMetadata::new("p").release("canary");
    /// # let _ = p;
    /// ```
    pub fn release(mut self, label: impl Into<String>) -> Self {
        self.release = Some(label.into());
        self
    }

    /// `genai_otel.prompt.git_sha`.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = genai_otel::PromptMetadata::new("p").git_sha("9f2c1e7");
    /// # let _ = p;
    /// ```
    pub fn git_sha(mut self, sha: impl Into<String>) -> Self {
        self.git_sha = Some(sha.into());
        self
    }

    /// `deployment.id`.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = genai_otel::PromptMetadata::new("p").deployment_id("dep_1");
    /// # let _ = p;
    /// ```
    pub fn deployment_id(mut self, id: impl Into<String>) -> Self {
        self.deployment_id = Some(id.into());
        self
    }

    /// `deployment.environment.name`.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = genai_otel::PromptMetadata::new("p").environment("staging");
    /// # let _ = p;
    /// ```
    pub fn environment(mut self, env: impl Into<String>) -> Self {
        self.environment = Some(env.into());
        self
    }

    pub(crate) fn attributes(&self) -> Vec<KeyValue> {
        let mut out = vec![KeyValue::new(
            semconv::GEN_AI_PROMPT_NAME,
            self.name.clone(),
        )];
        let optional = [
            (semconv::GEN_AI_PROMPT_VERSION, &self.version),
            (semconv::PROMPT_VERSION_ID, &self.version_id),
            (semconv::PROMPT_RELEASE, &self.release),
            (semconv::PROMPT_GIT_SHA, &self.git_sha),
            (semconv::DEPLOYMENT_ID, &self.deployment_id),
            (semconv::DEPLOYMENT_ENVIRONMENT_NAME, &self.environment),
        ];
        for (key, value) in optional {
            if let Some(v) = value {
                out.push(KeyValue::new(key, v.clone()));
            }
        }
        out
    }
}

/// Loading (`prompt.load`) or rendering (`prompt.render`) a prompt template.
///
/// [`PromptSpan::record_metadata`] records which prompt ran on this span **and** on its
/// parent, from which every later span of the request inherits it.
///
/// # Examples
///
/// ```
/// use genai_otel::{AgentSpan, PromptMetadata, PromptSpan};
/// let agent = AgentSpan::builder("support_agent").start();
/// agent.in_scope(|| {
///     let load = PromptSpan::load("support_agent_v3").start();
///     load.record_metadata(&PromptMetadata::new("support_agent_v3").version("3").version_id("prv_1"));
///     load.end();
///     // spans started here on carry gen_ai.prompt.name = support_agent_v3
/// });
/// ```
#[derive(Debug, Clone)]
pub struct PromptSpan {
    handle: SpanHandle,
    parent: tracing::Span,
}

deref_to_handle!(PromptSpan);

/// Builder of a [`PromptSpan`].
///
/// # Examples
///
/// ```
/// let span = genai_otel::PromptSpan::render("support_agent_v3").start();
/// # drop(span);
/// ```
#[derive(Debug, Clone)]
#[must_use = "call .start() to create the span"]
pub struct PromptSpanBuilder {
    step: &'static str,
    name: String,
}

impl PromptSpanBuilder {
    /// Creates the span as a child of the current span.
    ///
    /// # Examples
    ///
    /// ```
    /// let span = genai_otel::PromptSpan::load("p").start();
    /// # drop(span);
    /// ```
    pub fn start(self) -> PromptSpan {
        let span = tracing::info_span!(
            target: "genai_otel",
            "genai_otel.prompt",
            otel.name = self.step,
            otel.kind = "internal",
        );
        span.set_attribute(semconv::SPAN_TYPE, self.step);
        if !self.name.is_empty() {
            span.set_attribute(semconv::GEN_AI_PROMPT_NAME, self.name);
        }
        let parent = tracing::Span::current();
        PromptSpan {
            handle: SpanHandle::new(span),
            parent,
        }
    }
}

impl PromptSpan {
    /// A `prompt.load` span: fetching a template from a registry, file or cache.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::PromptSpan::load("support_agent_v3");
    /// # let _ = b;
    /// ```
    pub fn load(name: impl Into<String>) -> PromptSpanBuilder {
        PromptSpanBuilder {
            step: "prompt.load",
            name: name.into(),
        }
    }

    /// A `prompt.render` span: filling a template's variables.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::PromptSpan::render("support_agent_v3");
    /// # let _ = b;
    /// ```
    pub fn render(name: impl Into<String>) -> PromptSpanBuilder {
        PromptSpanBuilder {
            step: "prompt.render",
            name: name.into(),
        }
    }

    /// Records the prompt metadata here and on the parent span, so that every span started
    /// under the parent from now on inherits it.
    ///
    /// # Examples
    ///
    /// ```
    /// let load = genai_otel::PromptSpan::load("p").start();
    /// load.record_metadata(&genai_otel::PromptMetadata::new("p").version("1"));
    /// ```
    pub fn record_metadata(&self, prompt: &PromptMetadata) {
        for kv in prompt.attributes() {
            self.span().set_attribute(kv.key, kv.value);
        }
        if !self.parent.is_none() {
            SpanHandle::new(self.parent.clone()).set_prompt(prompt);
        }
    }

    /// Records template variables as `gen_ai.prompt.variable.<key>` — content.
    ///
    /// # Examples
    ///
    /// ```
    /// let render = genai_otel::PromptSpan::render("p").start();
    /// render.record_variables([("customer_name", "Ada"), ("order_id", "ord_1")]);
    /// ```
    pub fn record_variables<K: AsRef<str>, V: AsRef<str>>(
        &self,
        variables: impl IntoIterator<Item = (K, V)>,
    ) {
        for (k, v) in variables {
            let key = format!("{}{}", semconv::GEN_AI_PROMPT_VARIABLE_PREFIX, k.as_ref());
            self.capture(ContentKind::PromptVariables, key, || {
                Some(v.as_ref().to_string())
            });
        }
    }
}
