//! Helpers for unit tests: hand-built spans and a collecting inner processor.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use opentelemetry::trace::{
    SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState,
};
use opentelemetry::{Context, InstrumentationScope, KeyValue};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{Span, SpanData, SpanEvents, SpanLinks, SpanProcessor};

/// A finished span of trace `trace`, id `span`, parent `parent` (0 = root).
pub(crate) fn span(trace: u128, span: u64, parent: u64) -> SpanData {
    let start = SystemTime::now() - Duration::from_millis(20);
    SpanData {
        span_context: SpanContext::new(
            TraceId::from(trace),
            SpanId::from(span),
            TraceFlags::SAMPLED,
            false,
            TraceState::default(),
        ),
        parent_span_id: SpanId::from(parent),
        parent_span_is_remote: false,
        span_kind: SpanKind::Internal,
        name: format!("span-{span}").into(),
        start_time: start,
        end_time: start + Duration::from_millis(10),
        attributes: vec![KeyValue::new("gen_ai.operation.name", "chat")],
        dropped_attributes_count: 0,
        events: SpanEvents::default(),
        links: SpanLinks::default(),
        status: Status::Unset,
        instrumentation_scope: InstrumentationScope::builder("test").build(),
    }
}

/// An inner processor that records every span it receives.
#[derive(Debug, Clone, Default)]
pub(crate) struct Collect(pub(crate) Arc<Mutex<Vec<SpanData>>>);

impl Collect {
    pub(crate) fn spans(&self) -> Vec<SpanData> {
        self.0.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

impl SpanProcessor for Collect {
    fn on_start(&self, _span: &mut Span, _cx: &Context) {}
    fn on_end(&self, span: SpanData) {
        if let Ok(mut v) = self.0.lock() {
            v.push(span);
        }
    }
    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }
    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }
}

/// SplitMix64: a tiny seeded generator for reproducible trace ids.
pub(crate) fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
