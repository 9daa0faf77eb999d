//! OTLP/JSON encoding of finished spans and a tolerant decoder.
//!
//! [`encode_request`] writes one OTLP `ExportTraceServiceRequest` in the
//! [OTLP/JSON encoding] (the protobuf JSON mapping with the OTLP deviations: trace and
//! span ids as lowercase hex, enums as integers, 64-bit integers as decimal strings), the
//! shape the OpenTelemetry Collector's file exporter writes. Default values are omitted,
//! as protobuf JSON does, so every line parses with any protobuf JSON parser.
//!
//! [`decode_request`] reads such a line back into [`SpanRecord`]s. It accepts what other
//! implementations write: integers as strings or numbers, enums as integers or names,
//! ids as hex or base64, camelCase or snake_case field names, and missing optional
//! fields.
//!
//! [OTLP/JSON encoding]: https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding
//!
//! # Examples
//!
//! ```
//! use genai_otel::otlp_json::decode_request;
//!
//! let line = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{
//!     "traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",
//!     "name":"chat gpt-4.1-mini","kind":3,
//!     "startTimeUnixNano":"1000","endTimeUnixNano":"5000"}]}]}]}"#;
//! let spans = decode_request(line)?;
//! assert_eq!(spans[0].name, "chat gpt-4.1-mini");
//! assert_eq!(spans[0].duration_nanos(), 4000);
//! # Ok::<(), genai_otel::otlp_json::DecodeError>(())
//! ```

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use opentelemetry::trace::{SpanId, SpanKind, Status};
use opentelemetry::{Array, InstrumentationScope, Key, KeyValue, Value};
use opentelemetry_sdk::trace::SpanData;
use opentelemetry_sdk::Resource;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::Serialize;
use serde_json::{Map, Value as Json};

/// Span flag bit 8: the producer knows whether the parent is remote (OTLP `SpanFlags`).
///
/// # Examples
///
/// ```
/// use genai_otel::otlp_json::{FLAG_CONTEXT_HAS_IS_REMOTE, FLAG_CONTEXT_IS_REMOTE};
/// let flags = 0x01 | FLAG_CONTEXT_HAS_IS_REMOTE | FLAG_CONTEXT_IS_REMOTE;
/// assert_eq!(flags, 0x301); // sampled, parent known to be remote
/// ```
pub const FLAG_CONTEXT_HAS_IS_REMOTE: u32 = 0x100;
/// Span flag bit 9: the parent (or linked) span context is remote (OTLP `SpanFlags`).
///
/// # Examples
///
/// ```
/// use genai_otel::otlp_json::FLAG_CONTEXT_IS_REMOTE;
/// assert_eq!(0x301 & FLAG_CONTEXT_IS_REMOTE, 0x200);
/// ```
pub const FLAG_CONTEXT_IS_REMOTE: u32 = 0x200;

// =============================================================================================
// Encoding
// =============================================================================================

/// Encodes `spans` as one OTLP/JSON `ExportTraceServiceRequest` on a single line (no
/// trailing newline).
///
/// The output has one `resourceSpans` entry carrying `resource`'s attributes and one
/// `scopeSpans` entry per distinct instrumentation scope, in order of first appearance.
/// Field choices (all parse with protobuf's JSON parser):
///
/// * `traceId` / `spanId` / `parentSpanId`: lowercase hex; `parentSpanId` is omitted for
///   roots.
/// * `flags`: the W3C trace flags of the span context in bits 0-7, plus
///   [`FLAG_CONTEXT_HAS_IS_REMOTE`] always and [`FLAG_CONTEXT_IS_REMOTE`] when the parent is
///   remote (what `opentelemetry-otlp` sends). Links get the same treatment from the linked
///   context's `is_remote`.
/// * `kind`: integer enum (`1` internal ... `5` consumer).
/// * 64-bit integers (`*UnixNano`, `intValue`) as decimal strings; non-finite doubles as
///   `"NaN"`, `"Infinity"`, `"-Infinity"`.
/// * Omitted when default: empty `traceState`, empty attribute / event / link lists, zero
///   dropped counts, zero timestamps, an empty status message, and the whole `status` when
///   it is `Unset`.
///
/// # Examples
///
/// ```
/// use genai_otel::otlp_json::{decode_request, encode_request};
/// use opentelemetry::trace::{SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState};
/// use opentelemetry::{InstrumentationScope, KeyValue};
/// use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};
/// use opentelemetry_sdk::Resource;
/// use std::time::{Duration, UNIX_EPOCH};
///
/// let span = SpanData {
///     span_context: SpanContext::new(
///         TraceId::from(0x5b8e_u128),
///         SpanId::from(0xeee1_u64),
///         TraceFlags::SAMPLED,
///         false,
///         TraceState::default(),
///     ),
///     parent_span_id: SpanId::INVALID,
///     parent_span_is_remote: false,
///     span_kind: SpanKind::Client,
///     name: "chat gpt-4.1-mini".into(),
///     start_time: UNIX_EPOCH + Duration::from_millis(1),
///     end_time: UNIX_EPOCH + Duration::from_millis(3),
///     attributes: vec![KeyValue::new("gen_ai.usage.input_tokens", 812_i64)],
///     dropped_attributes_count: 0,
///     events: SpanEvents::default(),
///     links: SpanLinks::default(),
///     status: Status::Ok,
///     instrumentation_scope: InstrumentationScope::builder("genai-otel").build(),
/// };
/// let resource = Resource::builder_empty().with_service_name("support-api").build();
/// let line = encode_request(&resource, &[span]);
/// assert!(line.contains(r#""spanId":"000000000000eee1""#));
/// assert!(line.contains(r#""flags":257"#)); // sampled | CONTEXT_HAS_IS_REMOTE
/// assert!(line.contains(r#""intValue":"812""#));
/// assert!(line.contains(r#""status":{"code":1}"#));
/// assert_eq!(decode_request(&line)?[0].attr_i64("gen_ai.usage.input_tokens"), Some(812));
/// # Ok::<(), genai_otel::otlp_json::DecodeError>(())
/// ```
pub fn encode_request(resource: &Resource, spans: &[SpanData]) -> String {
    let mut scope_index: HashMap<&InstrumentationScope, usize> = HashMap::new();
    let mut scope_spans: Vec<ScopeSpansOut<'_>> = Vec::new();
    for span in spans {
        let scope = &span.instrumentation_scope;
        let index = match scope_index.get(scope) {
            Some(&index) => index,
            None => {
                scope_spans.push(ScopeSpansOut {
                    scope: ScopeOut {
                        name: scope.name(),
                        version: scope.version(),
                        attributes: scope.attributes().map(kv_out).collect(),
                    },
                    schema_url: scope.schema_url().unwrap_or_default(),
                    spans: Vec::new(),
                });
                scope_index.insert(scope, scope_spans.len() - 1);
                scope_spans.len() - 1
            }
        };
        scope_spans[index].spans.push(SpanOut(span));
    }
    let request = RequestOut {
        resource_spans: [ResourceSpansOut {
            resource: ResourceOut {
                attributes: resource
                    .iter()
                    .map(|(key, value)| KvOut {
                        key: key.as_str(),
                        value: ValueOut(value),
                    })
                    .collect(),
            },
            scope_spans,
            schema_url: resource.schema_url().unwrap_or_default(),
        }],
    };
    // Every map key written here is a string and no `Serialize` impl in this module
    // returns an error, so serialization into a `String` cannot fail; the fallback only
    // keeps the function total.
    serde_json::to_string(&request).unwrap_or_else(|_| String::from("{}"))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RequestOut<'a> {
    resource_spans: [ResourceSpansOut<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResourceSpansOut<'a> {
    resource: ResourceOut<'a>,
    scope_spans: Vec<ScopeSpansOut<'a>>,
    #[serde(skip_serializing_if = "str::is_empty")]
    schema_url: &'a str,
}

#[derive(Serialize)]
struct ResourceOut<'a> {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attributes: Vec<KvOut<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ScopeSpansOut<'a> {
    scope: ScopeOut<'a>,
    spans: Vec<SpanOut<'a>>,
    #[serde(skip_serializing_if = "str::is_empty")]
    schema_url: &'a str,
}

#[derive(Serialize)]
struct ScopeOut<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attributes: Vec<KvOut<'a>>,
}

#[derive(Serialize)]
struct KvOut<'a> {
    key: &'a str,
    value: ValueOut<'a>,
}

fn kv_out(kv: &KeyValue) -> KvOut<'_> {
    KvOut {
        key: kv.key.as_str(),
        value: ValueOut(&kv.value),
    }
}

/// A list of attributes, written as `[{"key":..,"value":{..}}, ..]`.
struct KvSlice<'a>(&'a [KeyValue]);

impl Serialize for KvSlice<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for kv in self.0 {
            seq.serialize_element(&kv_out(kv))?;
        }
        seq.end()
    }
}

/// An `AnyValue`: a one-entry object keyed by the value type.
struct ValueOut<'a>(&'a Value);

impl Serialize for ValueOut<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        match self.0 {
            Value::Bool(b) => map.serialize_entry("boolValue", b)?,
            Value::I64(i) => map.serialize_entry("intValue", &i.to_string())?,
            Value::F64(f) => map.serialize_entry("doubleValue", &DoubleOut(*f))?,
            Value::String(s) => map.serialize_entry("stringValue", s.as_str())?,
            Value::Array(array) => map.serialize_entry("arrayValue", &ArrayOut(array))?,
            // `Value` is non-exhaustive: a future variant is written as its display string
            // rather than dropped.
            other => map.serialize_entry("stringValue", &other.to_string())?,
        }
        map.end()
    }
}

/// A double, with the proto3 JSON spellings for non-finite values.
struct DoubleOut(f64);

impl Serialize for DoubleOut {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let f = self.0;
        if f.is_nan() {
            serializer.serialize_str("NaN")
        } else if f == f64::INFINITY {
            serializer.serialize_str("Infinity")
        } else if f == f64::NEG_INFINITY {
            serializer.serialize_str("-Infinity")
        } else {
            serializer.serialize_f64(f)
        }
    }
}

/// An `ArrayValue`: `{"values":[..]}`, or `{}` when empty.
struct ArrayOut<'a>(&'a Array);

impl Serialize for ArrayOut<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let values: Vec<Value> = match self.0 {
            Array::Bool(v) => v.iter().map(|b| Value::Bool(*b)).collect(),
            Array::I64(v) => v.iter().map(|i| Value::I64(*i)).collect(),
            Array::F64(v) => v.iter().map(|f| Value::F64(*f)).collect(),
            Array::String(v) => v.iter().map(|s| Value::String(s.clone())).collect(),
            // `Array` is non-exhaustive: keep a future variant as one display string.
            other => vec![Value::String(other.to_string().into())],
        };
        let mut map = serializer.serialize_map(None)?;
        if !values.is_empty() {
            let values: Vec<ValueOut<'_>> = values.iter().map(ValueOut).collect();
            map.serialize_entry("values", &values)?;
        }
        map.end()
    }
}

/// One span in OTLP/JSON field order.
struct SpanOut<'a>(&'a SpanData);

impl Serialize for SpanOut<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let span = self.0;
        let context = &span.span_context;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("traceId", &hex(&context.trace_id().to_bytes()))?;
        map.serialize_entry("spanId", &hex(&context.span_id().to_bytes()))?;
        let trace_state = context.trace_state().header();
        if !trace_state.is_empty() {
            map.serialize_entry("traceState", &trace_state)?;
        }
        if span.parent_span_id != SpanId::INVALID {
            map.serialize_entry("parentSpanId", &hex(&span.parent_span_id.to_bytes()))?;
        }
        map.serialize_entry(
            "flags",
            &span_flags(context.trace_flags().to_u8(), span.parent_span_is_remote),
        )?;
        if !span.name.is_empty() {
            map.serialize_entry("name", &*span.name)?;
        }
        map.serialize_entry("kind", &kind_number(&span.span_kind))?;
        let start = unix_nanos(span.start_time);
        if start != 0 {
            map.serialize_entry("startTimeUnixNano", &start.to_string())?;
        }
        let end = unix_nanos(span.end_time);
        if end != 0 {
            map.serialize_entry("endTimeUnixNano", &end.to_string())?;
        }
        if !span.attributes.is_empty() {
            map.serialize_entry("attributes", &KvSlice(&span.attributes))?;
        }
        if span.dropped_attributes_count != 0 {
            map.serialize_entry("droppedAttributesCount", &span.dropped_attributes_count)?;
        }
        if !span.events.events.is_empty() {
            let events: Vec<EventOut<'_>> = span.events.events.iter().map(EventOut).collect();
            map.serialize_entry("events", &events)?;
        }
        if span.events.dropped_count != 0 {
            map.serialize_entry("droppedEventsCount", &span.events.dropped_count)?;
        }
        if !span.links.links.is_empty() {
            let links: Vec<LinkOut<'_>> = span.links.links.iter().map(LinkOut).collect();
            map.serialize_entry("links", &links)?;
        }
        if span.links.dropped_count != 0 {
            map.serialize_entry("droppedLinksCount", &span.links.dropped_count)?;
        }
        match &span.status {
            Status::Unset => {}
            Status::Ok => map.serialize_entry(
                "status",
                &StatusOut {
                    code: 1,
                    message: "",
                },
            )?,
            Status::Error { description } => map.serialize_entry(
                "status",
                &StatusOut {
                    code: 2,
                    message: description,
                },
            )?,
        }
        map.end()
    }
}

#[derive(Serialize)]
struct StatusOut<'a> {
    code: u8,
    #[serde(skip_serializing_if = "str::is_empty")]
    message: &'a str,
}

struct EventOut<'a>(&'a opentelemetry::trace::Event);

impl Serialize for EventOut<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let event = self.0;
        let mut map = serializer.serialize_map(None)?;
        let time = unix_nanos(event.timestamp);
        if time != 0 {
            map.serialize_entry("timeUnixNano", &time.to_string())?;
        }
        if !event.name.is_empty() {
            map.serialize_entry("name", &*event.name)?;
        }
        if !event.attributes.is_empty() {
            map.serialize_entry("attributes", &KvSlice(&event.attributes))?;
        }
        if event.dropped_attributes_count != 0 {
            map.serialize_entry("droppedAttributesCount", &event.dropped_attributes_count)?;
        }
        map.end()
    }
}

struct LinkOut<'a>(&'a opentelemetry::trace::Link);

impl Serialize for LinkOut<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let link = self.0;
        let context = &link.span_context;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("traceId", &hex(&context.trace_id().to_bytes()))?;
        map.serialize_entry("spanId", &hex(&context.span_id().to_bytes()))?;
        let trace_state = context.trace_state().header();
        if !trace_state.is_empty() {
            map.serialize_entry("traceState", &trace_state)?;
        }
        if !link.attributes.is_empty() {
            map.serialize_entry("attributes", &KvSlice(&link.attributes))?;
        }
        if link.dropped_attributes_count != 0 {
            map.serialize_entry("droppedAttributesCount", &link.dropped_attributes_count)?;
        }
        map.serialize_entry(
            "flags",
            &span_flags(context.trace_flags().to_u8(), context.is_remote()),
        )?;
        map.end()
    }
}

fn span_flags(trace_flags: u8, remote: bool) -> u32 {
    let mut flags = u32::from(trace_flags) | FLAG_CONTEXT_HAS_IS_REMOTE;
    if remote {
        flags |= FLAG_CONTEXT_IS_REMOTE;
    }
    flags
}

fn kind_number(kind: &SpanKind) -> u8 {
    match kind {
        SpanKind::Internal => 1,
        SpanKind::Server => 2,
        SpanKind::Client => 3,
        SpanKind::Producer => 4,
        SpanKind::Consumer => 5,
    }
}

fn unix_nanos(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

// =============================================================================================
// Records
// =============================================================================================

/// Attributes as `(key, value)` pairs in recorded order; keys may repeat (the SDK does not
/// deduplicate), and the getters on [`SpanRecord`] take the last occurrence.
///
/// # Examples
///
/// ```
/// use genai_otel::otlp_json::{AttrValue, Attributes};
/// let attributes: Attributes = vec![("gen_ai.request.model".into(), AttrValue::Str("gpt-4.1-mini".into()))];
/// assert_eq!(attributes[0].1.as_str(), Some("gpt-4.1-mini"));
/// ```
pub type Attributes = Vec<(String, AttrValue)>;

/// An attribute value (the OTLP `AnyValue`).
///
/// # Examples
///
/// ```
/// use genai_otel::otlp_json::AttrValue;
///
/// let finish = AttrValue::Array(vec![AttrValue::Str("stop".into())]);
/// assert_eq!(finish.to_string(), "[stop]");
/// assert_eq!(AttrValue::from(&opentelemetry::Value::I64(7)), AttrValue::Int(7));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum AttrValue {
    /// `stringValue`.
    Str(String),
    /// `boolValue`.
    Bool(bool),
    /// `intValue`.
    Int(i64),
    /// `doubleValue` (may be NaN or infinite).
    Double(f64),
    /// `arrayValue`.
    Array(Vec<AttrValue>),
    /// `kvlistValue`: nested key/value pairs.
    Map(Vec<(String, AttrValue)>),
    /// `bytesValue`, base64-decoded.
    Bytes(Vec<u8>),
    /// An `AnyValue` with no value set (`{}`).
    Empty,
    /// A value in a shape this decoder does not know, kept as its JSON text.
    Other(String),
}

impl AttrValue {
    /// The value as a string slice, if it is a [`AttrValue::Str`].
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::otlp_json::AttrValue;
    /// assert_eq!(AttrValue::Str("stop".into()).as_str(), Some("stop"));
    /// assert_eq!(AttrValue::Int(1).as_str(), None);
    /// ```
    pub fn as_str(&self) -> Option<&str> {
        match self {
            AttrValue::Str(s) => Some(s),
            _ => None,
        }
    }
}

impl From<&Value> for AttrValue {
    fn from(value: &Value) -> Self {
        match value {
            Value::Bool(b) => AttrValue::Bool(*b),
            Value::I64(i) => AttrValue::Int(*i),
            Value::F64(f) => AttrValue::Double(*f),
            Value::String(s) => AttrValue::Str(s.as_str().to_owned()),
            Value::Array(Array::Bool(v)) => {
                AttrValue::Array(v.iter().map(|b| AttrValue::Bool(*b)).collect())
            }
            Value::Array(Array::I64(v)) => {
                AttrValue::Array(v.iter().map(|i| AttrValue::Int(*i)).collect())
            }
            Value::Array(Array::F64(v)) => {
                AttrValue::Array(v.iter().map(|f| AttrValue::Double(*f)).collect())
            }
            Value::Array(Array::String(v)) => AttrValue::Array(
                v.iter()
                    .map(|s| AttrValue::Str(s.as_str().to_owned()))
                    .collect(),
            ),
            // Non-exhaustive upstream enums: mirror what `encode_request` writes.
            Value::Array(other) => AttrValue::Array(vec![AttrValue::Str(other.to_string())]),
            other => AttrValue::Str(other.to_string()),
        }
    }
}

impl fmt::Display for AttrValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttrValue::Str(s) => f.write_str(s),
            AttrValue::Bool(b) => write!(f, "{b}"),
            AttrValue::Int(i) => write!(f, "{i}"),
            AttrValue::Double(d) => write!(f, "{d}"),
            AttrValue::Array(values) => {
                f.write_str("[")?;
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            AttrValue::Map(entries) => {
                f.write_str("{")?;
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{k}={v}")?;
                }
                f.write_str("}")
            }
            AttrValue::Bytes(bytes) => f.write_str(&hex(bytes)),
            AttrValue::Empty => Ok(()),
            AttrValue::Other(json) => f.write_str(json),
        }
    }
}

impl Serialize for AttrValue {
    /// Plain JSON: strings, booleans, numbers, arrays, objects (for [`AttrValue::Map`]);
    /// bytes as a hex string, [`AttrValue::Empty`] as `null`, [`AttrValue::Other`] as its
    /// JSON text string. Non-finite doubles become `null` (serde_json's rule).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            AttrValue::Str(s) => serializer.serialize_str(s),
            AttrValue::Bool(b) => serializer.serialize_bool(*b),
            AttrValue::Int(i) => serializer.serialize_i64(*i),
            AttrValue::Double(d) => serializer.serialize_f64(*d),
            AttrValue::Array(values) => values.serialize(serializer),
            AttrValue::Map(entries) => serialize_attr_map(entries, serializer),
            AttrValue::Bytes(bytes) => serializer.serialize_str(&hex(bytes)),
            AttrValue::Empty => serializer.serialize_unit(),
            AttrValue::Other(json) => serializer.serialize_str(json),
        }
    }
}

/// Writes attributes as a JSON object; a repeated key keeps its last value.
fn serialize_attr_map<S: Serializer>(
    entries: &[(String, AttrValue)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(entries.len());
    for (i, (key, _)) in entries.iter().enumerate() {
        seen.insert(key, i);
    }
    let mut map = serializer.serialize_map(Some(seen.len()))?;
    for (i, (key, value)) in entries.iter().enumerate() {
        if seen.get(key.as_str()) == Some(&i) {
            map.serialize_entry(key, value)?;
        }
    }
    map.end()
}

fn serialize_attrs<S: Serializer>(entries: &Attributes, serializer: S) -> Result<S::Ok, S::Error> {
    serialize_attr_map(entries, serializer)
}

fn serialize_shared_attrs<S: Serializer>(
    entries: &Arc<Attributes>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serialize_attr_map(entries, serializer)
}

/// The kind of a span (OTLP `Span.SpanKind`).
///
/// # Examples
///
/// ```
/// use genai_otel::otlp_json::SpanKindRecord;
/// assert_eq!(SpanKindRecord::from_otlp(3), SpanKindRecord::Client);
/// assert_eq!(SpanKindRecord::Client.as_str(), "client");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SpanKindRecord {
    /// `SPAN_KIND_UNSPECIFIED` (0), also used for unknown values.
    #[default]
    Unspecified,
    /// `SPAN_KIND_INTERNAL` (1).
    Internal,
    /// `SPAN_KIND_SERVER` (2).
    Server,
    /// `SPAN_KIND_CLIENT` (3).
    Client,
    /// `SPAN_KIND_PRODUCER` (4).
    Producer,
    /// `SPAN_KIND_CONSUMER` (5).
    Consumer,
}

impl SpanKindRecord {
    /// Maps the OTLP enum number; unknown numbers become [`SpanKindRecord::Unspecified`].
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::otlp_json::SpanKindRecord;
    /// assert_eq!(SpanKindRecord::from_otlp(2), SpanKindRecord::Server);
    /// assert_eq!(SpanKindRecord::from_otlp(42), SpanKindRecord::Unspecified);
    /// ```
    pub fn from_otlp(number: i64) -> Self {
        match number {
            1 => SpanKindRecord::Internal,
            2 => SpanKindRecord::Server,
            3 => SpanKindRecord::Client,
            4 => SpanKindRecord::Producer,
            5 => SpanKindRecord::Consumer,
            _ => SpanKindRecord::Unspecified,
        }
    }

    /// Lowercase name: `internal`, `server`, `client`, `producer`, `consumer`,
    /// `unspecified`.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::otlp_json::SpanKindRecord;
    /// assert_eq!(SpanKindRecord::Internal.as_str(), "internal");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            SpanKindRecord::Unspecified => "unspecified",
            SpanKindRecord::Internal => "internal",
            SpanKindRecord::Server => "server",
            SpanKindRecord::Client => "client",
            SpanKindRecord::Producer => "producer",
            SpanKindRecord::Consumer => "consumer",
        }
    }
}

impl From<&SpanKind> for SpanKindRecord {
    fn from(kind: &SpanKind) -> Self {
        SpanKindRecord::from_otlp(i64::from(kind_number(kind)))
    }
}

/// The status code of a span (OTLP `Status.StatusCode`).
///
/// # Examples
///
/// ```
/// use genai_otel::otlp_json::StatusCodeRecord;
/// assert_eq!(StatusCodeRecord::default(), StatusCodeRecord::Unset);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusCodeRecord {
    /// `STATUS_CODE_UNSET` (0), also used for unknown values.
    #[default]
    Unset,
    /// `STATUS_CODE_OK` (1).
    Ok,
    /// `STATUS_CODE_ERROR` (2).
    Error,
}

/// The status of a span.
///
/// # Examples
///
/// ```
/// use genai_otel::otlp_json::{StatusCodeRecord, StatusRecord};
/// let status = StatusRecord { code: StatusCodeRecord::Error, message: "timeout".into() };
/// assert!(status.is_error());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StatusRecord {
    /// The status code.
    pub code: StatusCodeRecord,
    /// The description; empty unless the code is `Error`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
}

impl StatusRecord {
    /// Whether the code is [`StatusCodeRecord::Error`].
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::otlp_json::StatusRecord;
    /// assert!(!StatusRecord::default().is_error());
    /// ```
    pub fn is_error(&self) -> bool {
        self.code == StatusCodeRecord::Error
    }
}

impl From<&Status> for StatusRecord {
    fn from(status: &Status) -> Self {
        match status {
            Status::Unset => StatusRecord::default(),
            Status::Ok => StatusRecord {
                code: StatusCodeRecord::Ok,
                message: String::new(),
            },
            Status::Error { description } => StatusRecord {
                code: StatusCodeRecord::Error,
                message: description.to_string(),
            },
        }
    }
}

/// A span event.
///
/// # Examples
///
/// ```
/// use genai_otel::otlp_json::EventRecord;
/// let event = EventRecord { name: "exception".into(), ..Default::default() };
/// assert!(event.attributes.is_empty());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct EventRecord {
    /// Event name.
    pub name: String,
    /// Time of the event, nanoseconds since the Unix epoch.
    pub time_unix_nanos: u64,
    /// Event attributes (serialized as a JSON object).
    #[serde(serialize_with = "serialize_attrs")]
    pub attributes: Attributes,
    /// Attributes dropped by limits.
    #[serde(skip_serializing_if = "is_zero")]
    pub dropped_attributes_count: u32,
}

/// A link to another span.
///
/// # Examples
///
/// ```
/// use genai_otel::otlp_json::LinkRecord;
/// let link = LinkRecord { span_id: "eee19b7ec3c1b174".into(), ..Default::default() };
/// assert_eq!(link.span_id.len(), 16);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LinkRecord {
    /// Linked trace id, 32 lowercase hex characters.
    pub trace_id: String,
    /// Linked span id, 16 lowercase hex characters.
    pub span_id: String,
    /// W3C `tracestate` of the linked context; empty when none.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub trace_state: String,
    /// OTLP link flags (W3C trace flags in bits 0-7, remote bits 8-9); 0 when not written.
    pub flags: u32,
    /// Link attributes (serialized as a JSON object).
    #[serde(serialize_with = "serialize_attrs")]
    pub attributes: Attributes,
    /// Attributes dropped by limits.
    #[serde(skip_serializing_if = "is_zero")]
    pub dropped_attributes_count: u32,
}

/// One finished span, decoded from OTLP/JSON or converted from [`SpanData`].
///
/// All fields are public; `Serialize` writes plain JSON for tools (attributes as a JSON
/// object, kind and status code as lowercase names), not OTLP/JSON.
///
/// # Examples
///
/// ```
/// use genai_otel::otlp_json::{AttrValue, SpanRecord};
///
/// let span = SpanRecord {
///     trace_id: "5b8efff798038103d269b633813fc60c".into(),
///     span_id: "eee19b7ec3c1b174".into(),
///     name: "chat gpt-4.1-mini".into(),
///     start_unix_nanos: 1_000,
///     end_unix_nanos: 50_000_000,
///     attributes: vec![("gen_ai.usage.input_tokens".into(), AttrValue::Int(812))],
///     ..Default::default()
/// };
/// assert!(span.is_local_root());
/// assert_eq!(span.attr_i64("gen_ai.usage.input_tokens"), Some(812));
/// let json = serde_json::to_string(&span)?;
/// assert!(json.contains(r#""attributes":{"gen_ai.usage.input_tokens":812}"#));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SpanRecord {
    /// Trace id, 32 lowercase hex characters.
    pub trace_id: String,
    /// Span id, 16 lowercase hex characters.
    pub span_id: String,
    /// Parent span id, 16 lowercase hex characters; `None` for a root.
    pub parent_span_id: Option<String>,
    /// Whether the parent is in another process (from `flags` bits 8-9); `None` when the
    /// producer did not say.
    pub parent_is_remote: Option<bool>,
    /// W3C `tracestate`; empty when none.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub trace_state: String,
    /// OTLP span flags (W3C trace flags in bits 0-7, remote bits 8-9); 0 when not written.
    pub flags: u32,
    /// Span name.
    pub name: String,
    /// Span kind.
    pub kind: SpanKindRecord,
    /// Start time, nanoseconds since the Unix epoch.
    pub start_unix_nanos: u64,
    /// End time, nanoseconds since the Unix epoch.
    pub end_unix_nanos: u64,
    /// Status.
    pub status: StatusRecord,
    /// Span attributes (serialized as a JSON object, last value of a repeated key wins).
    #[serde(serialize_with = "serialize_attrs")]
    pub attributes: Attributes,
    /// Attributes dropped by limits.
    #[serde(skip_serializing_if = "is_zero")]
    pub dropped_attributes_count: u32,
    /// Events in recorded order.
    pub events: Vec<EventRecord>,
    /// Events dropped by limits.
    #[serde(skip_serializing_if = "is_zero")]
    pub dropped_events_count: u32,
    /// Links.
    pub links: Vec<LinkRecord>,
    /// Links dropped by limits.
    #[serde(skip_serializing_if = "is_zero")]
    pub dropped_links_count: u32,
    /// Attributes of the resource (process / service) that produced the span, shared by
    /// all spans of one request.
    #[serde(serialize_with = "serialize_shared_attrs")]
    pub resource_attributes: Arc<Attributes>,
    /// Instrumentation scope name (the tracer's name).
    pub scope_name: String,
    /// Instrumentation scope version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope_version: Option<String>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl SpanRecord {
    /// Converts a finished SDK span without a JSON round trip. `resource` supplies
    /// [`SpanRecord::resource_attributes`]; `flags` is computed as [`encode_request`] writes
    /// it, so `decode_request(&encode_request(r, &[s]))` equals `from_span_data(&s, r)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::otlp_json::SpanRecord;
    /// use opentelemetry::trace::{SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState};
    /// use opentelemetry::InstrumentationScope;
    /// use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};
    /// use opentelemetry_sdk::Resource;
    /// use std::time::UNIX_EPOCH;
    ///
    /// let data = SpanData {
    ///     span_context: SpanContext::new(TraceId::from(1_u128), SpanId::from(2_u64),
    ///         TraceFlags::SAMPLED, false, TraceState::default()),
    ///     parent_span_id: SpanId::from(3_u64),
    ///     parent_span_is_remote: true,
    ///     span_kind: SpanKind::Server,
    ///     name: "invoke_agent support_agent".into(),
    ///     start_time: UNIX_EPOCH,
    ///     end_time: UNIX_EPOCH,
    ///     attributes: vec![],
    ///     dropped_attributes_count: 0,
    ///     events: SpanEvents::default(),
    ///     links: SpanLinks::default(),
    ///     status: Status::Unset,
    ///     instrumentation_scope: InstrumentationScope::builder("app").build(),
    /// };
    /// let record = SpanRecord::from_span_data(&data, &Resource::builder_empty().build());
    /// assert_eq!(record.parent_span_id.as_deref(), Some("0000000000000003"));
    /// assert!(record.is_local_root()); // the parent is remote
    /// ```
    pub fn from_span_data(span: &SpanData, resource: &Resource) -> SpanRecord {
        SpanRecord::from_span_data_shared(span, resource_attributes(resource))
    }

    /// [`SpanRecord::from_span_data`] with already converted resource attributes.
    pub(crate) fn from_span_data_shared(
        span: &SpanData,
        resource_attributes: Arc<Attributes>,
    ) -> SpanRecord {
        let context = &span.span_context;
        let scope = &span.instrumentation_scope;
        SpanRecord {
            trace_id: hex(&context.trace_id().to_bytes()),
            span_id: hex(&context.span_id().to_bytes()),
            parent_span_id: (span.parent_span_id != SpanId::INVALID)
                .then(|| hex(&span.parent_span_id.to_bytes())),
            parent_is_remote: Some(span.parent_span_is_remote),
            trace_state: context.trace_state().header(),
            flags: span_flags(context.trace_flags().to_u8(), span.parent_span_is_remote),
            name: span.name.to_string(),
            kind: SpanKindRecord::from(&span.span_kind),
            start_unix_nanos: unix_nanos(span.start_time),
            end_unix_nanos: unix_nanos(span.end_time),
            status: StatusRecord::from(&span.status),
            attributes: convert_kvs(&span.attributes),
            dropped_attributes_count: span.dropped_attributes_count,
            events: span
                .events
                .events
                .iter()
                .map(|event| EventRecord {
                    name: event.name.to_string(),
                    time_unix_nanos: unix_nanos(event.timestamp),
                    attributes: convert_kvs(&event.attributes),
                    dropped_attributes_count: event.dropped_attributes_count,
                })
                .collect(),
            dropped_events_count: span.events.dropped_count,
            links: span
                .links
                .links
                .iter()
                .map(|link| LinkRecord {
                    trace_id: hex(&link.span_context.trace_id().to_bytes()),
                    span_id: hex(&link.span_context.span_id().to_bytes()),
                    trace_state: link.span_context.trace_state().header(),
                    flags: span_flags(
                        link.span_context.trace_flags().to_u8(),
                        link.span_context.is_remote(),
                    ),
                    attributes: convert_kvs(&link.attributes),
                    dropped_attributes_count: link.dropped_attributes_count,
                })
                .collect(),
            dropped_links_count: span.links.dropped_count,
            resource_attributes,
            scope_name: scope.name().to_owned(),
            scope_version: scope.version().map(str::to_owned),
        }
    }

    /// The last value recorded for `key`.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::otlp_json::{AttrValue, SpanRecord};
    /// let span = SpanRecord {
    ///     attributes: vec![("k".into(), AttrValue::Int(1)), ("k".into(), AttrValue::Int(2))],
    ///     ..Default::default()
    /// };
    /// assert_eq!(span.attr("k"), Some(&AttrValue::Int(2)));
    /// assert_eq!(span.attr("missing"), None);
    /// ```
    pub fn attr(&self, key: &str) -> Option<&AttrValue> {
        find_attr(&self.attributes, key)
    }

    /// The value of `key` if it is a string.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::otlp_json::{AttrValue, SpanRecord};
    /// let span = SpanRecord {
    ///     attributes: vec![("gen_ai.request.model".into(), AttrValue::Str("gpt-4.1-mini".into()))],
    ///     ..Default::default()
    /// };
    /// assert_eq!(span.attr_str("gen_ai.request.model"), Some("gpt-4.1-mini"));
    /// ```
    pub fn attr_str(&self, key: &str) -> Option<&str> {
        self.attr(key).and_then(AttrValue::as_str)
    }

    /// The value of `key` if it is an integer (or a string holding one, as some
    /// exporters write token counts).
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::otlp_json::{AttrValue, SpanRecord};
    /// let span = SpanRecord {
    ///     attributes: vec![("gen_ai.usage.output_tokens".into(), AttrValue::Int(164))],
    ///     ..Default::default()
    /// };
    /// assert_eq!(span.attr_i64("gen_ai.usage.output_tokens"), Some(164));
    /// ```
    pub fn attr_i64(&self, key: &str) -> Option<i64> {
        match self.attr(key)? {
            AttrValue::Int(i) => Some(*i),
            AttrValue::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// The value of `key` as a float (doubles and integers).
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::otlp_json::{AttrValue, SpanRecord};
    /// let span = SpanRecord {
    ///     attributes: vec![("genai_otel.cost.usd".into(), AttrValue::Double(0.0021))],
    ///     ..Default::default()
    /// };
    /// assert_eq!(span.attr_f64("genai_otel.cost.usd"), Some(0.0021));
    /// ```
    pub fn attr_f64(&self, key: &str) -> Option<f64> {
        match self.attr(key)? {
            AttrValue::Double(d) => Some(*d),
            AttrValue::Int(i) => Some(*i as f64),
            _ => None,
        }
    }

    /// The value of `key` if it is a boolean.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::otlp_json::{AttrValue, SpanRecord};
    /// let span = SpanRecord {
    ///     attributes: vec![("gen_ai.request.stream".into(), AttrValue::Bool(true))],
    ///     ..Default::default()
    /// };
    /// assert_eq!(span.attr_bool("gen_ai.request.stream"), Some(true));
    /// ```
    pub fn attr_bool(&self, key: &str) -> Option<bool> {
        match self.attr(key)? {
            AttrValue::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The value of `key` if it is an array whose items are all strings.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::otlp_json::{AttrValue, SpanRecord};
    /// let span = SpanRecord {
    ///     attributes: vec![(
    ///         "gen_ai.response.finish_reasons".into(),
    ///         AttrValue::Array(vec![AttrValue::Str("stop".into())]),
    ///     )],
    ///     ..Default::default()
    /// };
    /// assert_eq!(span.attr_str_array("gen_ai.response.finish_reasons"), Some(vec!["stop"]));
    /// ```
    pub fn attr_str_array(&self, key: &str) -> Option<Vec<&str>> {
        match self.attr(key)? {
            AttrValue::Array(values) => values.iter().map(AttrValue::as_str).collect(),
            _ => None,
        }
    }

    /// The value of `key` if it is an array whose items are all numbers.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::otlp_json::{AttrValue, SpanRecord};
    /// let span = SpanRecord {
    ///     attributes: vec![(
    ///         "genai_otel.retrieval.document_scores".into(),
    ///         AttrValue::Array(vec![AttrValue::Double(0.91), AttrValue::Int(1)]),
    ///     )],
    ///     ..Default::default()
    /// };
    /// assert_eq!(span.attr_f64_array("genai_otel.retrieval.document_scores"), Some(vec![0.91, 1.0]));
    /// ```
    pub fn attr_f64_array(&self, key: &str) -> Option<Vec<f64>> {
        match self.attr(key)? {
            AttrValue::Array(values) => values
                .iter()
                .map(|v| match v {
                    AttrValue::Double(d) => Some(*d),
                    AttrValue::Int(i) => Some(*i as f64),
                    _ => None,
                })
                .collect(),
            _ => None,
        }
    }

    /// A resource attribute's string value (e.g. `service.name`).
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::otlp_json::{AttrValue, SpanRecord};
    /// use std::sync::Arc;
    /// let span = SpanRecord {
    ///     resource_attributes: Arc::new(vec![("service.name".into(), AttrValue::Str("support-api".into()))]),
    ///     ..Default::default()
    /// };
    /// assert_eq!(span.resource_str("service.name"), Some("support-api"));
    /// ```
    pub fn resource_str(&self, key: &str) -> Option<&str> {
        find_attr(&self.resource_attributes, key).and_then(AttrValue::as_str)
    }

    /// `end - start` in nanoseconds, 0 if the end precedes the start.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::otlp_json::SpanRecord;
    /// let span = SpanRecord { start_unix_nanos: 10, end_unix_nanos: 25, ..Default::default() };
    /// assert_eq!(span.duration_nanos(), 15);
    /// ```
    pub fn duration_nanos(&self) -> u64 {
        self.end_unix_nanos.saturating_sub(self.start_unix_nanos)
    }

    /// Whether this span is the local root of its trace in its process: it has no parent,
    /// or its parent is remote.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::otlp_json::SpanRecord;
    /// let child = SpanRecord { parent_span_id: Some("eee19b7ec3c1b174".into()), ..Default::default() };
    /// assert!(!child.is_local_root());
    /// let continued = SpanRecord { parent_is_remote: Some(true), ..child };
    /// assert!(continued.is_local_root());
    /// ```
    pub fn is_local_root(&self) -> bool {
        self.parent_span_id.is_none() || self.parent_is_remote == Some(true)
    }
}

fn find_attr<'a>(attributes: &'a [(String, AttrValue)], key: &str) -> Option<&'a AttrValue> {
    attributes
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

fn convert_kvs(kvs: &[KeyValue]) -> Attributes {
    kvs.iter()
        .map(|kv| (kv.key.as_str().to_owned(), AttrValue::from(&kv.value)))
        .collect()
}

/// Converts a resource's attributes once for sharing between records.
pub(crate) fn resource_attributes(resource: &Resource) -> Arc<Attributes> {
    Arc::new(
        resource
            .iter()
            .map(|(key, value): (&Key, &Value)| (key.as_str().to_owned(), AttrValue::from(value)))
            .collect(),
    )
}

// =============================================================================================
// Decoding
// =============================================================================================

/// Why a line is not a readable OTLP/JSON trace request.
///
/// # Examples
///
/// ```
/// use genai_otel::otlp_json::{decode_request, DecodeError};
/// let err = decode_request(r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"spanId":"01"}]}]}]}"#)
///     .unwrap_err();
/// assert!(matches!(err, DecodeError::Invalid { .. }));
/// assert!(err.to_string().contains("resourceSpans[0].scopeSpans[0].spans[0].traceId"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The text is not JSON (for example a line cut short by a crash mid-write).
    Syntax {
        /// serde_json's description, with line and column.
        message: String,
    },
    /// The text is JSON but not an OTLP trace request.
    Invalid {
        /// Where in the document, e.g. `resourceSpans[0].scopeSpans[1].spans[3].traceId`.
        path: String,
        /// What is wrong there.
        reason: String,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Syntax { message } => write!(
                f,
                "not valid JSON ({message}); each line must be one complete OTLP/JSON \
                 ExportTraceServiceRequest (a cut-off last line means the writer stopped mid-write)"
            ),
            DecodeError::Invalid { path, reason } => {
                write!(f, "not an OTLP/JSON trace request: {path}: {reason}")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

/// Error inside a span or value, with a path relative to it; the caller prefixes the
/// location.
struct FieldError {
    path: String,
    reason: String,
}

impl FieldError {
    fn new(path: impl Into<String>, reason: impl Into<String>) -> Self {
        FieldError {
            path: path.into(),
            reason: reason.into(),
        }
    }

    fn within(self, prefix: &str) -> Self {
        let path = if self.path.is_empty() {
            prefix.to_owned()
        } else if self.path.starts_with('[') {
            format!("{prefix}{}", self.path)
        } else {
            format!("{prefix}.{}", self.path)
        };
        FieldError {
            path,
            reason: self.reason,
        }
    }

    fn into_decode(self) -> DecodeError {
        DecodeError::Invalid {
            path: self.path,
            reason: self.reason,
        }
    }
}

/// Decodes one OTLP/JSON `ExportTraceServiceRequest` into span records.
///
/// Tolerant of other writers: integers as JSON numbers or decimal strings; `kind` and
/// status `code` as integers or enum names (`"SPAN_KIND_CLIENT"`, `"STATUS_CODE_ERROR"`);
/// ids as hex (any case) or, when not hex of the right length, base64 of 16 / 8 bytes (the
/// plain protobuf JSON mapping); snake_case field names; the pre-1.0 OTLP names
/// `instrumentationLibrarySpans` / `instrumentationLibrary`; missing optional fields;
/// `kvlistValue` and `bytesValue`; unknown fields are ignored. An empty or all-zero
/// `parentSpanId` means "no parent". A request without `resourceSpans` decodes to no
/// spans.
///
/// # Errors
///
/// [`DecodeError::Syntax`] if `line` is not JSON; [`DecodeError::Invalid`] (with the JSON
/// path) if a span lacks a valid `traceId` / `spanId` or a field has an impossible type.
///
/// # Examples
///
/// ```
/// use genai_otel::otlp_json::{decode_request, SpanKindRecord, StatusCodeRecord};
///
/// // Python SDK style: enum names, ids in hex, integers as strings.
/// let line = r#"{"resource_spans":[{"scope_spans":[{"spans":[{
///     "trace_id":"5B8EFFF798038103D269B633813FC60C","span_id":"eee19b7ec3c1b174",
///     "name":"execute_tool create_refund","kind":"SPAN_KIND_INTERNAL",
///     "status":{"code":"STATUS_CODE_ERROR","message":"INVALID_ARGUMENT"}}]}]}]}"#;
/// let span = &decode_request(line)?[0];
/// assert_eq!(span.trace_id, "5b8efff798038103d269b633813fc60c");
/// assert_eq!(span.kind, SpanKindRecord::Internal);
/// assert_eq!(span.status.code, StatusCodeRecord::Error);
/// # Ok::<(), genai_otel::otlp_json::DecodeError>(())
/// ```
pub fn decode_request(line: &str) -> Result<Vec<SpanRecord>, DecodeError> {
    let root: Json = serde_json::from_str(line).map_err(|e| DecodeError::Syntax {
        message: e.to_string(),
    })?;
    let root = root.as_object().ok_or_else(|| DecodeError::Invalid {
        path: "$".into(),
        reason: format!(
            "expected a JSON object with a resourceSpans array, found {}",
            type_name(&root)
        ),
    })?;
    let mut out = Vec::new();
    let resource_spans = list(root, &["resourceSpans", "resource_spans"])
        .map_err(|e| e.within("$").into_decode())?;
    for (ri, rs) in resource_spans.iter().enumerate() {
        let rs_path = format!("resourceSpans[{ri}]");
        let rs = object(rs).map_err(|e| e.within(&rs_path).into_decode())?;
        let resource_attributes = match field(rs, &["resource"]) {
            Some(resource) => {
                let resource = object(resource)
                    .map_err(|e| e.within(&format!("{rs_path}.resource")).into_decode())?;
                attributes(resource)
                    .map_err(|e| e.within(&format!("{rs_path}.resource")).into_decode())?
            }
            None => Vec::new(),
        };
        let resource_attributes = Arc::new(resource_attributes);
        let scope_list = list(
            rs,
            &[
                "scopeSpans",
                "scope_spans",
                "instrumentationLibrarySpans",
                "instrumentation_library_spans",
            ],
        )
        .map_err(|e| e.within(&rs_path).into_decode())?;
        for (si, ss) in scope_list.iter().enumerate() {
            let ss_path = format!("{rs_path}.scopeSpans[{si}]");
            let ss = object(ss).map_err(|e| e.within(&ss_path).into_decode())?;
            let (scope_name, scope_version) = match field(
                ss,
                &["scope", "instrumentationLibrary", "instrumentation_library"],
            ) {
                Some(scope) => {
                    let scope = object(scope)
                        .map_err(|e| e.within(&format!("{ss_path}.scope")).into_decode())?;
                    let name = opt_string(scope, &["name"])
                        .map_err(|e| e.within(&format!("{ss_path}.scope")).into_decode())?;
                    let version = opt_string(scope, &["version"])
                        .map_err(|e| e.within(&format!("{ss_path}.scope")).into_decode())?;
                    (name.unwrap_or_default(), version.filter(|v| !v.is_empty()))
                }
                None => (String::new(), None),
            };
            let spans = list(ss, &["spans"]).map_err(|e| e.within(&ss_path).into_decode())?;
            out.reserve(spans.len());
            for (pi, span) in spans.iter().enumerate() {
                let record =
                    decode_span(span, &resource_attributes, &scope_name, &scope_version)
                        .map_err(|e| e.within(&format!("{ss_path}.spans[{pi}]")).into_decode())?;
                out.push(record);
            }
        }
    }
    Ok(out)
}

fn decode_span(
    span: &Json,
    resource_attributes: &Arc<Attributes>,
    scope_name: &str,
    scope_version: &Option<String>,
) -> Result<SpanRecord, FieldError> {
    let span = object(span)?;
    let trace_id = required_id(span, &["traceId", "trace_id"], 16)?;
    let span_id = required_id(span, &["spanId", "span_id"], 8)?;
    let parent_span_id = optional_id(span, &["parentSpanId", "parent_span_id"], 8)?;
    let flags = opt_u32(span, &["flags"])?.unwrap_or(0);
    let parent_is_remote =
        (flags & FLAG_CONTEXT_HAS_IS_REMOTE != 0).then_some(flags & FLAG_CONTEXT_IS_REMOTE != 0);
    let kind = match field(span, &["kind"]) {
        None | Some(Json::Null) => SpanKindRecord::Unspecified,
        Some(value) => decode_kind(value).map_err(|e| e.within("kind"))?,
    };
    let status = match field(span, &["status"]) {
        None | Some(Json::Null) => StatusRecord::default(),
        Some(value) => decode_status(value).map_err(|e| e.within("status"))?,
    };
    let events = match field(span, &["events"]) {
        None | Some(Json::Null) => Vec::new(),
        Some(value) => array(value)
            .map_err(|e| e.within("events"))?
            .iter()
            .enumerate()
            .map(|(i, event)| decode_event(event).map_err(|e| e.within(&format!("events[{i}]"))))
            .collect::<Result<_, _>>()?,
    };
    let links = match field(span, &["links"]) {
        None | Some(Json::Null) => Vec::new(),
        Some(value) => array(value)
            .map_err(|e| e.within("links"))?
            .iter()
            .enumerate()
            .map(|(i, link)| decode_link(link).map_err(|e| e.within(&format!("links[{i}]"))))
            .collect::<Result<_, _>>()?,
    };
    Ok(SpanRecord {
        trace_id,
        span_id,
        parent_span_id,
        parent_is_remote,
        trace_state: opt_string(span, &["traceState", "trace_state"])?.unwrap_or_default(),
        flags,
        name: opt_string(span, &["name"])?.unwrap_or_default(),
        kind,
        start_unix_nanos: opt_u64(span, &["startTimeUnixNano", "start_time_unix_nano"])?
            .unwrap_or(0),
        end_unix_nanos: opt_u64(span, &["endTimeUnixNano", "end_time_unix_nano"])?.unwrap_or(0),
        status,
        attributes: attributes(span)?,
        dropped_attributes_count: opt_u32(
            span,
            &["droppedAttributesCount", "dropped_attributes_count"],
        )?
        .unwrap_or(0),
        events,
        dropped_events_count: opt_u32(span, &["droppedEventsCount", "dropped_events_count"])?
            .unwrap_or(0),
        links,
        dropped_links_count: opt_u32(span, &["droppedLinksCount", "dropped_links_count"])?
            .unwrap_or(0),
        resource_attributes: Arc::clone(resource_attributes),
        scope_name: scope_name.to_owned(),
        scope_version: scope_version.clone(),
    })
}

fn decode_event(event: &Json) -> Result<EventRecord, FieldError> {
    let event = object(event)?;
    Ok(EventRecord {
        name: opt_string(event, &["name"])?.unwrap_or_default(),
        time_unix_nanos: opt_u64(event, &["timeUnixNano", "time_unix_nano"])?.unwrap_or(0),
        attributes: attributes(event)?,
        dropped_attributes_count: opt_u32(
            event,
            &["droppedAttributesCount", "dropped_attributes_count"],
        )?
        .unwrap_or(0),
    })
}

fn decode_link(link: &Json) -> Result<LinkRecord, FieldError> {
    let link = object(link)?;
    Ok(LinkRecord {
        trace_id: required_id(link, &["traceId", "trace_id"], 16)?,
        span_id: required_id(link, &["spanId", "span_id"], 8)?,
        trace_state: opt_string(link, &["traceState", "trace_state"])?.unwrap_or_default(),
        flags: opt_u32(link, &["flags"])?.unwrap_or(0),
        attributes: attributes(link)?,
        dropped_attributes_count: opt_u32(
            link,
            &["droppedAttributesCount", "dropped_attributes_count"],
        )?
        .unwrap_or(0),
    })
}

fn decode_kind(value: &Json) -> Result<SpanKindRecord, FieldError> {
    if let Some(name) = value.as_str() {
        if let Ok(number) = name.trim().parse::<i64>() {
            return Ok(SpanKindRecord::from_otlp(number));
        }
        let upper = name.trim().to_ascii_uppercase();
        let short = upper.strip_prefix("SPAN_KIND_").unwrap_or(&upper);
        return Ok(match short {
            "INTERNAL" => SpanKindRecord::Internal,
            "SERVER" => SpanKindRecord::Server,
            "CLIENT" => SpanKindRecord::Client,
            "PRODUCER" => SpanKindRecord::Producer,
            "CONSUMER" => SpanKindRecord::Consumer,
            _ => SpanKindRecord::Unspecified,
        });
    }
    let number = integer(value)?;
    Ok(SpanKindRecord::from_otlp(number))
}

fn decode_status(value: &Json) -> Result<StatusRecord, FieldError> {
    let status = object(value)?;
    let code = match field(status, &["code"]) {
        None | Some(Json::Null) => StatusCodeRecord::Unset,
        Some(Json::String(name)) if name.trim().parse::<i64>().is_err() => {
            let upper = name.trim().to_ascii_uppercase();
            match upper.strip_prefix("STATUS_CODE_").unwrap_or(&upper) {
                "OK" => StatusCodeRecord::Ok,
                "ERROR" => StatusCodeRecord::Error,
                _ => StatusCodeRecord::Unset,
            }
        }
        Some(code) => match integer(code).map_err(|e| e.within("code"))? {
            1 => StatusCodeRecord::Ok,
            2 => StatusCodeRecord::Error,
            _ => StatusCodeRecord::Unset,
        },
    };
    Ok(StatusRecord {
        code,
        message: opt_string(status, &["message"])?.unwrap_or_default(),
    })
}

/// Reads the `attributes` list of an object.
fn attributes(object: &Map<String, Json>) -> Result<Attributes, FieldError> {
    match field(object, &["attributes"]) {
        None | Some(Json::Null) => Ok(Vec::new()),
        Some(value) => key_values(value).map_err(|e| e.within("attributes")),
    }
}

/// Reads a `[{"key":..,"value":..}]` list.
fn key_values(value: &Json) -> Result<Attributes, FieldError> {
    let items = array(value)?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let kv = object(item).map_err(|e| e.within(&format!("[{i}]")))?;
        let key = opt_string(kv, &["key"])
            .map_err(|e| e.within(&format!("[{i}]")))?
            .unwrap_or_default();
        let value = match field(kv, &["value"]) {
            None | Some(Json::Null) => AttrValue::Empty,
            Some(value) => any_value(value).map_err(|e| e.within(&format!("[{i}].value")))?,
        };
        out.push((key, value));
    }
    Ok(out)
}

/// Reads an `AnyValue`. Bare JSON scalars are accepted too.
fn any_value(value: &Json) -> Result<AttrValue, FieldError> {
    let object = match value {
        Json::Object(object) => object,
        Json::String(s) => return Ok(AttrValue::Str(s.clone())),
        Json::Bool(b) => return Ok(AttrValue::Bool(*b)),
        Json::Number(n) => {
            return Ok(match n.as_i64() {
                Some(i) => AttrValue::Int(i),
                None => AttrValue::Double(n.as_f64().unwrap_or(f64::NAN)),
            })
        }
        Json::Null => return Ok(AttrValue::Empty),
        Json::Array(_) => {
            return Ok(AttrValue::Array(
                array(value)?
                    .iter()
                    .map(any_value)
                    .collect::<Result<_, _>>()?,
            ))
        }
    };
    if let Some(v) = field(object, &["stringValue", "string_value"]) {
        return match v {
            Json::String(s) => Ok(AttrValue::Str(s.clone())),
            Json::Null => Ok(AttrValue::Str(String::new())),
            other => Ok(AttrValue::Str(other.to_string())),
        };
    }
    if let Some(v) = field(object, &["boolValue", "bool_value"]) {
        return match v {
            Json::Bool(b) => Ok(AttrValue::Bool(*b)),
            Json::String(s) if s == "true" => Ok(AttrValue::Bool(true)),
            Json::String(s) if s == "false" => Ok(AttrValue::Bool(false)),
            other => Err(FieldError::new(
                "boolValue",
                format!("expected true or false, found {}", type_name(other)),
            )),
        };
    }
    if let Some(v) = field(object, &["intValue", "int_value"]) {
        return integer(v)
            .map(AttrValue::Int)
            .map_err(|e| e.within("intValue"));
    }
    if let Some(v) = field(object, &["doubleValue", "double_value"]) {
        return double(v)
            .map(AttrValue::Double)
            .map_err(|e| e.within("doubleValue"));
    }
    if let Some(v) = field(object, &["arrayValue", "array_value"]) {
        let inner = self::object(v).map_err(|e| e.within("arrayValue"))?;
        let values = match field(inner, &["values"]) {
            None | Some(Json::Null) => Vec::new(),
            Some(values) => array(values)
                .map_err(|e| e.within("arrayValue.values"))?
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    any_value(v).map_err(|e| e.within(&format!("arrayValue.values[{i}]")))
                })
                .collect::<Result<_, _>>()?,
        };
        return Ok(AttrValue::Array(values));
    }
    if let Some(v) = field(object, &["kvlistValue", "kvlist_value"]) {
        let inner = self::object(v).map_err(|e| e.within("kvlistValue"))?;
        let values = match field(inner, &["values"]) {
            None | Some(Json::Null) => Vec::new(),
            Some(values) => key_values(values).map_err(|e| e.within("kvlistValue.values"))?,
        };
        return Ok(AttrValue::Map(values));
    }
    if let Some(v) = field(object, &["bytesValue", "bytes_value"]) {
        return match v.as_str() {
            Some(text) => Ok(match base64_decode(text) {
                Some(bytes) => AttrValue::Bytes(bytes),
                None => AttrValue::Str(text.to_owned()),
            }),
            None => Ok(AttrValue::Other(v.to_string())),
        };
    }
    if object.is_empty() {
        Ok(AttrValue::Empty)
    } else {
        Ok(AttrValue::Other(Json::Object(object.clone()).to_string()))
    }
}

// ---- JSON helpers --------------------------------------------------------------------------

fn field<'a>(object: &'a Map<String, Json>, names: &[&str]) -> Option<&'a Json> {
    names.iter().find_map(|name| object.get(*name))
}

fn object(value: &Json) -> Result<&Map<String, Json>, FieldError> {
    value.as_object().ok_or_else(|| {
        FieldError::new(
            "",
            format!("expected a JSON object, found {}", type_name(value)),
        )
    })
}

fn array(value: &Json) -> Result<&Vec<Json>, FieldError> {
    value.as_array().ok_or_else(|| {
        FieldError::new(
            "",
            format!("expected a JSON array, found {}", type_name(value)),
        )
    })
}

/// An optional list field; missing or `null` is empty.
fn list<'a>(object: &'a Map<String, Json>, names: &[&str]) -> Result<&'a [Json], FieldError> {
    match field(object, names) {
        None | Some(Json::Null) => Ok(&[]),
        Some(value) => array(value)
            .map(Vec::as_slice)
            .map_err(|e| e.within(names[0])),
    }
}

fn opt_string(object: &Map<String, Json>, names: &[&str]) -> Result<Option<String>, FieldError> {
    match field(object, names) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(FieldError::new(
            names[0],
            format!("expected a string, found {}", type_name(other)),
        )),
    }
}

fn opt_u64(object: &Map<String, Json>, names: &[&str]) -> Result<Option<u64>, FieldError> {
    match field(object, names) {
        None | Some(Json::Null) => Ok(None),
        Some(value) => {
            let n = integer_u64(value).map_err(|e| e.within(names[0]))?;
            Ok(Some(n))
        }
    }
}

fn opt_u32(object: &Map<String, Json>, names: &[&str]) -> Result<Option<u32>, FieldError> {
    match opt_u64(object, names)? {
        None => Ok(None),
        Some(n) => u32::try_from(n).map(Some).map_err(|_| {
            FieldError::new(
                names[0],
                format!("{n} does not fit an unsigned 32-bit field"),
            )
        }),
    }
}

fn integer_u64(value: &Json) -> Result<u64, FieldError> {
    let parsed = match value {
        Json::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= u64::MAX as f64)
                .map(|f| f as u64)
        }),
        Json::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    parsed.ok_or_else(|| {
        FieldError::new(
            "",
            format!(
                "expected an unsigned integer (number or decimal string), found {}",
                short_json(value)
            ),
        )
    })
}

fn integer(value: &Json) -> Result<i64, FieldError> {
    let parsed = match value {
        Json::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= i64::MIN as f64 && *f <= i64::MAX as f64)
                .map(|f| f as i64)
        }),
        Json::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    parsed.ok_or_else(|| {
        FieldError::new(
            "",
            format!(
                "expected an integer (number or decimal string), found {}",
                short_json(value)
            ),
        )
    })
}

fn double(value: &Json) -> Result<f64, FieldError> {
    let parsed = match value {
        Json::Number(n) => n.as_f64(),
        Json::String(s) => match s.trim() {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            other => other.parse::<f64>().ok(),
        },
        _ => None,
    };
    parsed.ok_or_else(|| {
        FieldError::new(
            "",
            format!("expected a number, found {}", short_json(value)),
        )
    })
}

fn required_id(
    object: &Map<String, Json>,
    names: &[&str],
    len: usize,
) -> Result<String, FieldError> {
    match optional_id_raw(object, names, len)? {
        Some(id) => Ok(id),
        None => Err(FieldError::new(
            names[0],
            format!("missing or empty; expected {} hex characters", len * 2),
        )),
    }
}

/// An optional id; empty or all zeros means absent.
fn optional_id(
    object: &Map<String, Json>,
    names: &[&str],
    len: usize,
) -> Result<Option<String>, FieldError> {
    Ok(optional_id_raw(object, names, len)?.filter(|id| id.bytes().any(|b| b != b'0')))
}

fn optional_id_raw(
    object: &Map<String, Json>,
    names: &[&str],
    len: usize,
) -> Result<Option<String>, FieldError> {
    let text = match field(object, names) {
        None | Some(Json::Null) => return Ok(None),
        Some(Json::String(s)) => s.trim(),
        Some(other) => {
            return Err(FieldError::new(
                names[0],
                format!("expected a hex string, found {}", type_name(other)),
            ))
        }
    };
    if text.is_empty() {
        return Ok(None);
    }
    if text.len() == len * 2 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(Some(text.to_ascii_lowercase()));
    }
    match base64_decode(text) {
        Some(bytes) if bytes.len() == len => Ok(Some(hex(&bytes))),
        _ => Err(FieldError::new(
            names[0],
            format!(
                "{text:?} is neither {} hex characters nor base64 of {len} bytes",
                len * 2
            ),
        )),
    }
}

/// Decodes standard or URL-safe base64, padded or not; `None` if invalid.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    fn sextet(c: u8) -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' | b'-' => Some(62),
            b'/' | b'_' => Some(63),
            _ => None,
        }
    }
    let body = text.trim_end_matches('=');
    if text.len() - body.len() > 2 || body.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in body.bytes() {
        acc = (acc << 6) | sextet(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

fn type_name(value: &Json) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

fn short_json(value: &Json) -> String {
    let text = value.to_string();
    if text.chars().count() > 40 {
        let cut: String = text.chars().take(40).collect();
        format!("{cut}…")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes_ids_and_rejects_garbage() {
        // 16 bytes 0x00..0x0f
        let bytes = base64_decode("AAECAwQFBgcICQoLDA0ODw==").expect("valid base64");
        assert_eq!(hex(&bytes), "000102030405060708090a0b0c0d0e0f");
        assert_eq!(base64_decode("AAECAwQFBgcICQoLDA0ODw"), Some(bytes));
        assert_eq!(base64_decode("a"), None);
        assert_eq!(base64_decode("ab!d"), None);
        assert_eq!(base64_decode("ab==="), None);
    }

    #[test]
    fn ids_accept_hex_and_base64_and_reject_wrong_lengths() {
        let obj = |v: &str| {
            let mut m = Map::new();
            m.insert("spanId".into(), Json::String(v.into()));
            m
        };
        let id = |v: &str| optional_id(&obj(v), &["spanId"], 8).ok().flatten();
        assert_eq!(id("EEE19B7EC3C1B174").as_deref(), Some("eee19b7ec3c1b174"));
        assert_eq!(id("7uGbfsPBsXQ=").as_deref(), Some("eee19b7ec3c1b174"));
        assert_eq!(id("0000000000000000"), None);
        assert_eq!(id(""), None);
        assert!(optional_id(&obj("eee19b"), &["spanId"], 8).is_err());
    }

    #[test]
    fn non_finite_doubles_use_proto3_spellings() {
        let line = encode_kvs(&[
            KeyValue::new("nan", f64::NAN),
            KeyValue::new("inf", f64::INFINITY),
            KeyValue::new("ninf", f64::NEG_INFINITY),
        ]);
        assert!(line.contains(r#"{"key":"nan","value":{"doubleValue":"NaN"}}"#));
        assert!(line.contains(r#"{"key":"inf","value":{"doubleValue":"Infinity"}}"#));
        assert!(line.contains(r#"{"key":"ninf","value":{"doubleValue":"-Infinity"}}"#));
    }

    #[test]
    fn empty_array_is_an_empty_array_value() {
        let line = encode_kvs(&[KeyValue::new(
            "empty",
            Value::Array(Array::String(Vec::new())),
        )]);
        assert!(
            line.contains(r#"{"key":"empty","value":{"arrayValue":{}}}"#),
            "{line}"
        );
    }

    fn encode_kvs(kvs: &[KeyValue]) -> String {
        serde_json::to_string(&KvSlice(kvs)).expect("serializes")
    }
}
