//! Test support: collect exported spans in memory and assert on them.

use std::sync::{Arc, Mutex, MutexGuard};

use opentelemetry::Value;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};

/// An exporter target that keeps every exported span in memory. Clones share the spans;
/// unlike the SDK's `InMemorySpanExporter`, spans survive shutdown, so tests can read them
/// after the guard is dropped.
///
/// # Examples
///
/// ```
/// use genai_otel::{testing::SpanCollector, Config, ExporterKind, ToolSpan};
/// let spans = SpanCollector::new();
/// let guard = genai_otel::init_scoped(
///     Config::new("test")
///         .exporter(ExporterKind::None)
///         .collector(spans.clone())
///         .sampling(genai_otel::Sampling::disabled()), // keep every trace
/// )?;
/// ToolSpan::builder("lookup").start().end();
/// guard.force_flush();
/// assert_eq!(spans.names(), vec!["execute_tool lookup"]);
/// # Ok::<(), genai_otel::InitError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct SpanCollector {
    spans: Arc<Mutex<Vec<SpanData>>>,
}

impl SpanCollector {
    /// An empty collector.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = genai_otel::testing::SpanCollector::new();
    /// assert!(c.spans().is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<SpanData>> {
        self.spans
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A copy of every span collected so far, in export order.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = genai_otel::testing::SpanCollector::new();
    /// assert_eq!(c.spans().len(), 0);
    /// ```
    pub fn spans(&self) -> Vec<SpanData> {
        self.lock().clone()
    }

    /// The names of the collected spans, in export order.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = genai_otel::testing::SpanCollector::new();
    /// assert!(c.names().is_empty());
    /// ```
    pub fn names(&self) -> Vec<String> {
        self.lock().iter().map(|s| s.name.to_string()).collect()
    }

    /// The first collected span named `name`.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = genai_otel::testing::SpanCollector::new();
    /// assert!(c.find("chat gpt-4.1-mini").is_none());
    /// ```
    pub fn find(&self, name: &str) -> Option<SpanData> {
        self.lock().iter().find(|s| s.name == name).cloned()
    }

    /// Removes and returns every collected span.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = genai_otel::testing::SpanCollector::new();
    /// assert!(c.take().is_empty());
    /// ```
    pub fn take(&self) -> Vec<SpanData> {
        std::mem::take(&mut *self.lock())
    }
}

/// The value of attribute `key` on `span`, if present (the last one wins, as backends do).
///
/// # Examples
///
/// ```
/// # use genai_otel::testing::attribute;
/// # fn check(span: &opentelemetry_sdk::trace::SpanData) {
/// let model = attribute(span, "gen_ai.request.model");
/// # let _ = model;
/// # }
/// ```
pub fn attribute<'a>(span: &'a SpanData, key: &str) -> Option<&'a Value> {
    span.attributes
        .iter()
        .rev()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| &kv.value)
}

impl SpanExporter for SpanCollector {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        self.lock().extend(batch);
        Ok(())
    }
}
