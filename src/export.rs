//! The export end of the pipeline: delivery counting, the exporter-side redaction stage,
//! and fan-out to the configured targets.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use opentelemetry::Context;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{Span, SpanData, SpanExporter, SpanProcessor};
use opentelemetry_sdk::Resource;

use crate::console::ConsoleExporter;
use crate::redact::Redactor;
use crate::store::LocalStore;
use crate::testing::SpanCollector;

/// Delivery counters shared by the counting processor, the exporter and the guard.
#[derive(Debug, Default)]
pub(crate) struct Delivery {
    pub(crate) submitted: AtomicU64,
    pub(crate) exported: AtomicU64,
    pub(crate) failed: AtomicU64,
}

impl Delivery {
    pub(crate) fn report(&self) -> crate::ShutdownReport {
        let submitted = self.submitted.load(Ordering::Relaxed);
        let exported = self.exported.load(Ordering::Relaxed);
        let failed = self.failed.load(Ordering::Relaxed);
        crate::ShutdownReport {
            submitted,
            exported,
            failed,
            dropped: submitted.saturating_sub(exported + failed),
        }
    }
}

/// Counts the spans handed to the batch processor (after sampling).
#[derive(Debug)]
pub(crate) struct CountingProcessor<P> {
    pub(crate) inner: P,
    pub(crate) delivery: Arc<Delivery>,
}

impl<P: SpanProcessor> SpanProcessor for CountingProcessor<P> {
    fn on_start(&self, span: &mut Span, cx: &Context) {
        self.inner.on_start(span, cx);
    }

    fn on_end(&self, span: SpanData) {
        self.delivery.submitted.fetch_add(1, Ordering::Relaxed);
        self.inner.on_end(span);
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

/// One destination of exported spans.
#[derive(Debug)]
pub(crate) enum Target {
    Otlp(opentelemetry_otlp::SpanExporter),
    Store(LocalStore),
    Console(ConsoleExporter),
    Collector(SpanCollector),
}

impl Target {
    fn name(&self) -> &'static str {
        match self {
            Target::Otlp(_) => "otlp",
            Target::Store(_) => "store",
            Target::Console(_) => "console",
            Target::Collector(_) => "collector",
        }
    }

    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        match self {
            Target::Otlp(e) => e.export(batch).await,
            Target::Store(e) => e.export(batch).await,
            Target::Console(e) => e.export(batch).await,
            Target::Collector(e) => e.export(batch).await,
        }
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        match self {
            Target::Otlp(e) => e.shutdown_with_timeout(timeout),
            Target::Store(e) => e.shutdown_with_timeout(timeout),
            Target::Console(e) => e.shutdown_with_timeout(timeout),
            Target::Collector(e) => e.shutdown_with_timeout(timeout),
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        match self {
            Target::Otlp(e) => e.force_flush(),
            Target::Store(e) => e.force_flush(),
            Target::Console(e) => e.force_flush(),
            Target::Collector(e) => e.force_flush(),
        }
    }

    fn set_resource(&mut self, resource: &Resource) {
        match self {
            Target::Otlp(e) => e.set_resource(resource),
            Target::Store(e) => e.set_resource(resource),
            Target::Console(e) => e.set_resource(resource),
            Target::Collector(e) => e.set_resource(resource),
        }
    }
}

/// The exporter the batch processor drives: redacts every span, then exports to each
/// target. Delivery is counted on the first (primary) target.
#[derive(Debug)]
pub(crate) struct PipelineExporter {
    pub(crate) targets: Vec<Target>,
    pub(crate) redactor: Option<Redactor>,
    pub(crate) delivery: Arc<Delivery>,
}

impl SpanExporter for PipelineExporter {
    async fn export(&self, mut batch: Vec<SpanData>) -> OTelSdkResult {
        // With no target (`ExporterKind::None` and no collector) nothing leaves the
        // process: there is nothing to redact for.
        if let Some(redactor) = self.redactor.as_ref().filter(|_| !self.targets.is_empty()) {
            for span in &mut batch {
                redactor.redact_span(span);
            }
        }
        let n = batch.len() as u64;
        let mut first_result: Option<OTelSdkResult> = None;
        let mut errors = Vec::new();
        let count = self.targets.len();
        for (i, target) in self.targets.iter().enumerate() {
            let spans = if i + 1 == count {
                std::mem::take(&mut batch)
            } else {
                batch.clone()
            };
            let result = target.export(spans).await;
            if let Err(e) = &result {
                errors.push(format!("{}: {e}", target.name()));
            }
            if first_result.is_none() {
                first_result = Some(result);
            }
        }
        match first_result {
            Some(Err(_)) => self.delivery.failed.fetch_add(n, Ordering::Relaxed),
            _ => self.delivery.exported.fetch_add(n, Ordering::Relaxed),
        };
        if errors.is_empty() {
            Ok(())
        } else {
            Err(OTelSdkError::InternalFailure(errors.join("; ")))
        }
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        let mut errors = Vec::new();
        for t in &self.targets {
            if let Err(e) = t.shutdown_with_timeout(timeout) {
                errors.push(format!("{}: {e}", t.name()));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(OTelSdkError::InternalFailure(errors.join("; ")))
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        for t in &self.targets {
            t.force_flush()?;
        }
        Ok(())
    }

    fn set_resource(&mut self, resource: &Resource) {
        for t in &mut self.targets {
            t.set_resource(resource);
        }
    }
}
