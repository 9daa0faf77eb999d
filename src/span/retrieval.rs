//! Retrieval from a vector store, search index or knowledge base.

use opentelemetry::{Array, KeyValue, StringValue, Value};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::{deref_to_handle, non_empty, CodeFunction, SpanHandle};
use crate::content::{self, ContentKind};
use crate::message::RetrievedDocument;
use crate::semconv::{self, operation};

/// Builder of a [`RetrievalSpan`].
///
/// # Examples
///
/// ```
/// let retrieval = genai_otel::RetrievalSpan::builder("support_policy_prod").top_k(5).start();
/// # drop(retrieval);
/// ```
#[derive(Debug, Clone)]
#[must_use = "call .start() to create the span"]
pub struct RetrievalSpanBuilder {
    data_source: String,
    code_function: Option<CodeFunction>,
    attributes: Vec<KeyValue>,
}

impl RetrievalSpanBuilder {
    fn attr(mut self, key: &'static str, value: impl Into<Value>) -> Self {
        self.attributes.push(KeyValue::new(key, value));
        self
    }

    /// `gen_ai.retrieval.top_k`: how many documents were asked for.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::RetrievalSpan::builder("kb").top_k(5);
    /// # let _ = b;
    /// ```
    pub fn top_k(self, k: u64) -> Self {
        self.attr(
            semconv::GEN_AI_RETRIEVAL_TOP_K,
            i64::try_from(k).unwrap_or(i64::MAX),
        )
    }

    /// `gen_ai.provider.name` of the retrieval service, when it is a GenAI provider.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::RetrievalSpan::builder("vs_123").provider("openai");
    /// # let _ = b;
    /// ```
    pub fn provider(self, provider: impl Into<String>) -> Self {
        self.attr(semconv::GEN_AI_PROVIDER_NAME, provider.into())
    }

    /// `gen_ai.request.model`: the embedding model used for the query.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::RetrievalSpan::builder("kb").model("text-embedding-3-small");
    /// # let _ = b;
    /// ```
    pub fn model(self, model: impl Into<String>) -> Self {
        self.attr(semconv::GEN_AI_REQUEST_MODEL, model.into())
    }

    /// `server.address` and `server.port` of the store.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::RetrievalSpan::builder("kb").server("qdrant.internal", 6334);
    /// # let _ = b;
    /// ```
    pub fn server(self, address: impl Into<String>, port: u16) -> Self {
        self.attr(semconv::SERVER_ADDRESS, address.into())
            .attr(semconv::SERVER_PORT, i64::from(port))
    }

    /// Creates the span as a child of the current span.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = genai_otel::RetrievalSpan::builder("kb").start();
    /// # drop(s);
    /// ```
    pub fn start(self) -> RetrievalSpan {
        // Written only when a subscriber records the span (the field values are evaluated then).
        let (mut name_buf, mut function_buf) = (super::NameBuf::new(), String::new());
        let span = tracing::info_span!(
            target: "genai_otel",
            "gen_ai.retrieval",
            otel.name = super::span_name(operation::RETRIEVAL, &self.data_source, &mut name_buf),
            otel.kind = "client",
            gen_ai.operation.name = operation::RETRIEVAL,
            gen_ai.data_source.id = non_empty(&self.data_source),
            code.function.name = self.code_function.map(|f| f.as_str(&mut function_buf)),
        );
        if !span.is_disabled() {
            for kv in self.attributes {
                span.set_attribute(kv.key, kv.value);
            }
        }
        RetrievalSpan {
            handle: SpanHandle::new(span),
        }
    }

    /// `code.function.name` as the attribute macros give it.
    pub(crate) fn code_function(mut self, function: CodeFunction) -> Self {
        self.code_function = Some(function);
        self
    }
}

/// A retrieval step.
///
/// # Examples
///
/// ```
/// use genai_otel::{RetrievalSpan, RetrievedDocument};
/// let retrieval = RetrievalSpan::builder("support_policy_prod").top_k(5).start();
/// retrieval.record_query("refund window for damaged items");
/// retrieval.record_documents(&[RetrievedDocument::new("doc_102", 0.91), RetrievedDocument::new("doc_087", 0.84)]);
/// retrieval.end();
/// ```
#[derive(Debug, Clone)]
pub struct RetrievalSpan {
    handle: SpanHandle,
}

deref_to_handle!(RetrievalSpan);

impl RetrievalSpan {
    /// A span that records nothing (no subscriber could record it).
    pub(crate) fn disabled() -> Self {
        RetrievalSpan {
            handle: SpanHandle::disabled(),
        }
    }

    /// A `retrieval {data_source}` span; `data_source` becomes `gen_ai.data_source.id`.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = genai_otel::RetrievalSpan::builder("support_policy_prod");
    /// # let _ = b;
    /// ```
    pub fn builder(data_source: impl Into<String>) -> RetrievalSpanBuilder {
        RetrievalSpanBuilder {
            data_source: data_source.into(),
            code_function: None,
            attributes: Vec::new(),
        }
    }

    /// Records the query text (`gen_ai.retrieval.query.text`) — content.
    ///
    /// # Examples
    ///
    /// ```
    /// let r = genai_otel::RetrievalSpan::builder("kb").start();
    /// r.record_query("refund policy");
    /// ```
    pub fn record_query(&self, query: &str) -> bool {
        self.capture(
            ContentKind::RetrievalQuery,
            semconv::GEN_AI_RETRIEVAL_QUERY_TEXT,
            || Some(query.to_string()),
        )
    }

    /// Records the retrieved documents: ids and scores always (as
    /// `genai_otel.retrieval.document_ids` / `genai_otel.retrieval.document_scores`), and the
    /// full `gen_ai.retrieval.documents` (with content) only when document capture allows it.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::{RetrievalSpan, RetrievedDocument};
    /// let r = RetrievalSpan::builder("kb").start();
    /// r.record_documents(&[RetrievedDocument::new("doc_1", 0.9).with_content("text")]);
    /// ```
    pub fn record_documents(&self, documents: &[RetrievedDocument]) {
        let ids: Vec<StringValue> = documents.iter().map(|d| d.id.clone().into()).collect();
        let scores: Vec<f64> = documents.iter().map(|d| d.score).collect();
        self.set_attribute(
            semconv::RETRIEVAL_DOCUMENT_IDS,
            Value::Array(Array::String(ids)),
        );
        self.set_attribute(
            semconv::RETRIEVAL_DOCUMENT_SCORES,
            Value::Array(Array::F64(scores)),
        );
        self.capture(
            ContentKind::RetrievalDocuments,
            semconv::GEN_AI_RETRIEVAL_DOCUMENTS,
            || content::json(documents),
        );
    }
}
