//! Decision vocabulary, the trace-id ratio rule and content stripping.

use opentelemetry::trace::TraceId;
use opentelemetry::{Array, KeyValue, Value};
use opentelemetry_sdk::trace::SpanData;

use crate::semconv;

/// Why a trace was kept, reduced or dropped, in decision order (first match wins).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Reason {
    Error,
    Canary,
    NewPromptVersion,
    Slow,
    Override,
    BaseRate,
    MetadataOnly,
    Drop,
}

impl Reason {
    /// Every reason, in decision order.
    #[cfg(test)]
    pub(crate) const ALL: [Reason; 8] = [
        Reason::Error,
        Reason::Canary,
        Reason::NewPromptVersion,
        Reason::Slow,
        Reason::Override,
        Reason::BaseRate,
        Reason::MetadataOnly,
        Reason::Drop,
    ];

    pub(crate) const fn index(self) -> usize {
        self as usize
    }

    /// The value used in `genai_otel.sampling.decision` and in metric attributes.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Reason::Error => "error",
            Reason::Canary => "canary",
            Reason::NewPromptVersion => "new_prompt_version",
            Reason::Slow => "slow",
            Reason::Override => "override",
            Reason::BaseRate => "base_rate",
            Reason::MetadataOnly => "metadata_only",
            Reason::Drop => "drop",
        }
    }

    /// Whether the trace is exported at all.
    pub(crate) const fn is_kept(self) -> bool {
        !matches!(self, Reason::Drop)
    }

    /// Whether the trace is exported with its content.
    pub(crate) const fn is_full(self) -> bool {
        !matches!(self, Reason::Drop | Reason::MetadataOnly)
    }
}

/// Whether the decision saw the local root, or was taken early on what was buffered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Partial {
    /// Decided when the local root ended.
    Complete,
    /// Decided before the local root ended because a cap, the age or the idle limit hit.
    Evicted,
    /// Decided with partial data while the processor shut down.
    Shutdown,
}

/// A trace's final decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Decision {
    pub(crate) reason: Reason,
    pub(crate) partial: Partial,
}

impl Decision {
    pub(crate) const fn new(reason: Reason, partial: Partial) -> Self {
        Decision { reason, partial }
    }

    /// The attribute value recorded on local roots, e.g. `error` or `base_rate;evicted`.
    pub(crate) const fn label(self) -> &'static str {
        use Partial::*;
        use Reason::*;
        match (self.reason, self.partial) {
            (Error, Complete) => "error",
            (Error, Evicted) => "error;evicted",
            (Error, Shutdown) => "error;shutdown",
            (Canary, Complete) => "canary",
            (Canary, Evicted) => "canary;evicted",
            (Canary, Shutdown) => "canary;shutdown",
            (NewPromptVersion, Complete) => "new_prompt_version",
            (NewPromptVersion, Evicted) => "new_prompt_version;evicted",
            (NewPromptVersion, Shutdown) => "new_prompt_version;shutdown",
            (Slow, Complete) => "slow",
            (Slow, Evicted) => "slow;evicted",
            (Slow, Shutdown) => "slow;shutdown",
            (Override, Complete) => "override",
            (Override, Evicted) => "override;evicted",
            (Override, Shutdown) => "override;shutdown",
            (BaseRate, Complete) => "base_rate",
            (BaseRate, Evicted) => "base_rate;evicted",
            (BaseRate, Shutdown) => "base_rate;shutdown",
            (MetadataOnly, Complete) => "metadata_only",
            (MetadataOnly, Evicted) => "metadata_only;evicted",
            (MetadataOnly, Shutdown) => "metadata_only;shutdown",
            (Drop, Complete) => "drop",
            (Drop, Evicted) => "drop;evicted",
            (Drop, Shutdown) => "drop;shutdown",
        }
    }
}

/// The trace id's position on the sampling line: `(low 64 bits of the trace id) >> 1`, the
/// value `TraceIdRatioBased` compares.
pub(crate) fn trace_position(trace_id: TraceId) -> u64 {
    // Truncation keeps exactly the low 64 bits (bytes 8..16, big endian), as the SDK reads them.
    let low = u128::from_be_bytes(trace_id.to_bytes()) as u64;
    low >> 1
}

/// The exclusive upper bound on [`trace_position`] for `rate`: `rate * 2^63`, saturating for
/// `rate >= 1` (the SDK keeps everything at `rate >= 1` as well).
pub(crate) fn ratio_bound(rate: f64) -> u64 {
    if rate >= 1.0 {
        u64::MAX
    } else if rate > 0.0 {
        // In (0, 2^63): the float-to-int cast is exact enough and cannot overflow.
        (rate * (1u64 << 63) as f64) as u64
    } else {
        // Zero, negative and NaN keep nothing.
        0
    }
}

/// Clamps a configured rate into `[0, 1]`; NaN becomes 0.
pub(crate) fn clamp_rate(rate: f64) -> f64 {
    if rate.is_nan() {
        0.0
    } else {
        rate.clamp(0.0, 1.0)
    }
}

/// Removes content from a span of a metadata-only trace.
///
/// Rule: every span, event and link attribute whose key satisfies
/// [`semconv::is_content_key`] is removed; an event that carried at least one content
/// attribute and has no attribute left afterwards is content-bearing and removed whole.
/// Events without content attributes (e.g. `exception` events) and the status description
/// are kept.
pub(crate) fn strip_content(span: &mut SpanData) {
    span.attributes.retain(not_content);
    span.events.events.retain_mut(|event| {
        let before = event.attributes.len();
        event.attributes.retain(not_content);
        let removed = before - event.attributes.len();
        removed == 0 || !event.attributes.is_empty()
    });
    for link in span.links.links.iter_mut() {
        link.attributes.retain(not_content);
    }
}

fn not_content(kv: &KeyValue) -> bool {
    !semconv::is_content_key(kv.key.as_str())
}

/// Fixed per-span overhead counted by [`estimate_span_bytes`].
pub(crate) const SPAN_OVERHEAD_BYTES: usize = std::mem::size_of::<SpanData>();

/// Estimated heap and inline bytes a buffered span occupies.
///
/// `size_of::<SpanData>()` + name + status description, plus for every span, event and
/// link attribute `size_of::<KeyValue>()` + key bytes + value bytes (string length; arrays:
/// per-element size plus string lengths), plus `size_of::<Event>()` + event name per event
/// and `size_of::<Link>()` per link. Vector slack capacity and allocator overhead are not
/// counted; keys are counted even when they are `&'static str`.
///
/// The processor computes the same sum in its single pass over the span's attributes, as
/// [`span_bytes_without_attributes`] plus [`attribute_bytes`] per span attribute.
#[cfg(test)]
pub(crate) fn estimate_span_bytes(span: &SpanData) -> usize {
    span_bytes_without_attributes(span) + attributes_bytes(&span.attributes)
}

/// [`estimate_span_bytes`] without the span's own attributes (events and links included).
pub(crate) fn span_bytes_without_attributes(span: &SpanData) -> usize {
    let mut bytes = SPAN_OVERHEAD_BYTES + span.name.len();
    if let opentelemetry::trace::Status::Error { description } = &span.status {
        bytes += description.len();
    }
    for event in span.events.iter() {
        bytes += std::mem::size_of::<opentelemetry::trace::Event>()
            + event.name.len()
            + attributes_bytes(&event.attributes);
    }
    for link in span.links.iter() {
        bytes +=
            std::mem::size_of::<opentelemetry::trace::Link>() + attributes_bytes(&link.attributes);
    }
    bytes
}

/// The estimate for one attribute: `size_of::<KeyValue>()` + key bytes + value bytes.
#[inline]
pub(crate) fn attribute_bytes(key: &str, value: &Value) -> usize {
    std::mem::size_of::<KeyValue>() + key.len() + value_bytes(value)
}

fn attributes_bytes(attributes: &[KeyValue]) -> usize {
    attributes
        .iter()
        .map(|kv| attribute_bytes(kv.key.as_str(), &kv.value))
        .sum()
}

#[inline]
fn value_bytes(value: &Value) -> usize {
    match value {
        Value::String(s) => s.as_str().len(),
        Value::Array(Array::String(items)) => items
            .iter()
            .map(|s| std::mem::size_of::<opentelemetry::StringValue>() + s.as_str().len())
            .sum(),
        Value::Array(Array::Bool(items)) => items.len(),
        Value::Array(Array::I64(items)) => items.len() * 8,
        Value::Array(Array::F64(items)) => items.len() * 8,
        // Scalars live inline in the KeyValue; unknown future variants count as inline.
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampling::test_support::splitmix64;
    use opentelemetry::trace::{Event, SpanKind, TraceContextExt as _};
    use opentelemetry::Context;
    use opentelemetry_sdk::trace::{Sampler, ShouldSample};

    #[test]
    fn labels_are_unique_and_prefixed_by_reason() {
        let mut seen = std::collections::HashSet::new();
        for reason in Reason::ALL {
            for partial in [Partial::Complete, Partial::Evicted, Partial::Shutdown] {
                let label = Decision::new(reason, partial).label();
                assert!(label.starts_with(reason.as_str()), "{label}");
                assert!(seen.insert(label), "duplicate {label}");
            }
        }
        assert_eq!(
            Reason::ALL.iter().map(|r| r.index()).collect::<Vec<_>>(),
            (0..8).collect::<Vec<_>>()
        );
    }

    #[test]
    fn ratio_rule_matches_the_sdk_trace_id_ratio_sampler() {
        let mut state = 0x5eed_u64;
        for rate in [0.0, 0.01, 0.1, 0.11, 0.5, 0.999, 1.0] {
            let sampler = Sampler::TraceIdRatioBased(rate);
            let bound = ratio_bound(rate);
            for _ in 0..20_000 {
                let hi = splitmix64(&mut state);
                let lo = splitmix64(&mut state);
                let trace_id = TraceId::from(((hi as u128) << 64) | lo as u128);
                let sdk = sampler
                    .should_sample(None, trace_id, "x", &SpanKind::Internal, &[], &[])
                    .decision;
                let ours = trace_position(trace_id) < bound;
                assert_eq!(
                    ours,
                    sdk == opentelemetry_sdk::trace::SamplingDecision::RecordAndSample,
                    "rate {rate} trace {trace_id}"
                );
            }
        }
        // Context is unused by the ratio sampler; make sure a parent does not change that.
        let _ = Context::new().has_active_span();
    }

    #[test]
    fn ratio_bound_edges() {
        assert_eq!(ratio_bound(0.0), 0);
        assert_eq!(ratio_bound(-1.0), 0);
        assert_eq!(ratio_bound(f64::NAN), 0);
        assert_eq!(ratio_bound(1.0), u64::MAX);
        assert_eq!(ratio_bound(0.5), 1u64 << 62);
        assert_eq!(clamp_rate(f64::NAN), 0.0);
        assert_eq!(clamp_rate(2.0), 1.0);
        assert_eq!(clamp_rate(-0.5), 0.0);
    }

    #[test]
    fn strip_removes_content_attributes_and_content_only_events() {
        let mut span = crate::sampling::test_support::span(1, 1, 0);
        span.attributes = vec![
            KeyValue::new(semconv::GEN_AI_INPUT_MESSAGES, "secret prompt"),
            KeyValue::new(semconv::GEN_AI_REQUEST_MODEL, "m"),
            KeyValue::new("gen_ai.prompt.variable.user", "alice"),
        ];
        let mut events = opentelemetry_sdk::trace::SpanEvents::default();
        events.events = vec![
            Event::new(
                "gen_ai.content.prompt",
                std::time::SystemTime::now(),
                vec![KeyValue::new("gen_ai.prompt", "secret")],
                0,
            ),
            Event::new(
                "gen_ai.choice",
                std::time::SystemTime::now(),
                vec![
                    KeyValue::new("gen_ai.completion", "secret"),
                    KeyValue::new("index", 0),
                ],
                0,
            ),
            Event::new(
                "exception",
                std::time::SystemTime::now(),
                vec![KeyValue::new("exception.type", "E")],
                0,
            ),
            Event::new("marker", std::time::SystemTime::now(), vec![], 0),
        ];
        span.events = events;
        let before = estimate_span_bytes(&span);
        strip_content(&mut span);
        assert!(estimate_span_bytes(&span) < before);
        let keys: Vec<&str> = span.attributes.iter().map(|kv| kv.key.as_str()).collect();
        assert_eq!(keys, [semconv::GEN_AI_REQUEST_MODEL]);
        let names: Vec<&str> = span.events.iter().map(|e| e.name.as_ref()).collect();
        assert_eq!(names, ["gen_ai.choice", "exception", "marker"]);
        assert_eq!(
            span.events.events[0].attributes,
            vec![KeyValue::new("index", 0)]
        );
    }

    #[test]
    fn byte_estimate_counts_names_keys_and_values() {
        let mut span = crate::sampling::test_support::span(1, 1, 0);
        span.name = "abcd".into();
        span.attributes = vec![];
        let base = estimate_span_bytes(&span);
        assert_eq!(base, SPAN_OVERHEAD_BYTES + 4);
        span.attributes.push(KeyValue::new("k", "0123456789"));
        assert_eq!(
            estimate_span_bytes(&span),
            base + std::mem::size_of::<KeyValue>() + 1 + 10
        );
    }
}
