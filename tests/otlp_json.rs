//! Encoding SDK spans as OTLP/JSON and decoding them back.

mod common;

use std::borrow::Cow;

use genai_otel::otlp_json::{
    decode_request, encode_request, AttrValue, DecodeError, SpanKindRecord, SpanRecord,
    StatusCodeRecord,
};
use opentelemetry::trace::{
    Event, Link, SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState,
};
use opentelemetry::{Array, InstrumentationScope, KeyValue, StringValue, Value};
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};
use opentelemetry_sdk::Resource;
use serde_json::Value as Json;

const TRACE: u128 = 0x5b8e_fff7_9803_8103_d269_b633_813f_c60c;

/// A span with every attribute value type, events, links, an error status and a remote
/// parent.
fn rich_span() -> SpanData {
    let mut events = SpanEvents::default();
    events.events = vec![
        Event::new(
            "gen_ai.evaluation.result",
            common::at_ms(7),
            vec![
                KeyValue::new("gen_ai.evaluation.name", "faithfulness"),
                KeyValue::new("gen_ai.evaluation.score.value", 0.25),
            ],
            1,
        ),
        Event::new("exception", common::at_ms(8), Vec::new(), 0),
    ];
    events.dropped_count = 3;
    let mut links = SpanLinks::default();
    links.links = vec![Link::new(
        SpanContext::new(
            TraceId::from(0x0af7_6519_16cd_43dd_8448_eb21_1c80_319c_u128),
            SpanId::from(0xb7ad_6b71_6920_3331_u64),
            TraceFlags::SAMPLED,
            true,
            TraceState::from_key_value([("vendor", "x1")]).expect("valid trace state"),
        ),
        vec![KeyValue::new("link.reason", "retry")],
        2,
    )];
    links.dropped_count = 4;
    SpanData {
        span_context: SpanContext::new(
            TraceId::from(TRACE),
            SpanId::from(0xeee1_9b7e_c3c1_b174_u64),
            TraceFlags::SAMPLED,
            false,
            TraceState::from_key_value([("congo", "t61rcWkgMzE")]).expect("valid trace state"),
        ),
        parent_span_id: SpanId::from(0x00f0_67aa_0ba9_02b7_u64),
        parent_span_is_remote: true,
        span_kind: SpanKind::Client,
        name: Cow::Borrowed("chat gpt-4.1-mini"),
        start_time: common::at_ms(5),
        end_time: common::at_ms(54),
        attributes: vec![
            KeyValue::new("s", "text with \"quotes\", \\ backslash, \n newline, é, 😀"),
            KeyValue::new("empty_string", ""),
            KeyValue::new("b", true),
            KeyValue::new("i", -9_007_199_254_740_993_i64), // not exact as a JSON double
            KeyValue::new("i_max", i64::MAX),
            KeyValue::new("f", 0.1_f64),
            KeyValue::new("f_whole", 3.0_f64),
            KeyValue::new("f_tiny", 1e-300_f64),
            KeyValue::new("inf", f64::INFINITY),
            KeyValue::new("ninf", f64::NEG_INFINITY),
            KeyValue::new(
                "arr_s",
                Value::Array(Array::String(vec![
                    StringValue::from("stop"),
                    StringValue::from("length"),
                ])),
            ),
            KeyValue::new("arr_b", Value::Array(Array::Bool(vec![true, false]))),
            KeyValue::new("arr_i", Value::Array(Array::I64(vec![1, -2, i64::MIN]))),
            KeyValue::new("arr_f", Value::Array(Array::F64(vec![0.91, 0.84]))),
            KeyValue::new("arr_empty", Value::Array(Array::I64(Vec::new()))),
            KeyValue::new("dup", "first"),
            KeyValue::new("dup", "second"),
        ],
        dropped_attributes_count: 5,
        events,
        links,
        status: Status::error("INVALID_ARGUMENT: refund \"amount\" too large"),
        instrumentation_scope: InstrumentationScope::builder("genai-otel")
            .with_version("0.1.0")
            .with_schema_url("https://opentelemetry.io/schemas/1.42.0")
            .with_attributes([KeyValue::new("scope.attr", 1_i64)])
            .build(),
    }
}

fn resource() -> Resource {
    Resource::builder_empty()
        .with_service_name("support-api")
        .with_attribute(KeyValue::new("deployment.environment.name", "test"))
        .build()
}

fn parse(line: &str) -> Json {
    serde_json::from_str(line).expect("encoder output is JSON")
}

#[test]
fn round_trip_preserves_every_field() {
    let resource = resource();
    let data = rich_span();
    let line = encode_request(&resource, std::slice::from_ref(&data));
    assert!(!line.contains('\n'), "one line: {line}");

    let decoded = decode_request(&line).expect("decodes");
    assert_eq!(decoded.len(), 1);
    let span = &decoded[0];

    // Equal to the direct conversion, field by field (SpanRecord: PartialEq).
    let direct = SpanRecord::from_span_data(&data, &resource);
    assert_eq!(span, &direct);

    // And equal to the SDK data itself, independently of `from_span_data`.
    assert_eq!(
        span.trace_id,
        format!("{:032x}", data.span_context.trace_id())
    );
    assert_eq!(span.trace_id, "5b8efff798038103d269b633813fc60c");
    assert_eq!(span.span_id, "eee19b7ec3c1b174");
    assert_eq!(span.parent_span_id.as_deref(), Some("00f067aa0ba902b7"));
    assert_eq!(span.parent_is_remote, Some(true));
    assert!(span.is_local_root());
    assert_eq!(span.trace_state, "congo=t61rcWkgMzE");
    assert_eq!(span.flags, 0x301);
    assert_eq!(span.name, "chat gpt-4.1-mini");
    assert_eq!(span.kind, SpanKindRecord::Client);
    assert_eq!(span.start_unix_nanos, 1_780_506_000_005_000_000);
    assert_eq!(span.end_unix_nanos, 1_780_506_000_054_000_000);
    assert_eq!(span.duration_nanos(), 49_000_000);
    assert_eq!(span.status.code, StatusCodeRecord::Error);
    assert_eq!(
        span.status.message,
        "INVALID_ARGUMENT: refund \"amount\" too large"
    );
    assert_eq!(
        span.attr_str("s"),
        Some("text with \"quotes\", \\ backslash, \n newline, é, 😀")
    );
    assert_eq!(span.attr_str("empty_string"), Some(""));
    assert_eq!(span.attr_bool("b"), Some(true));
    assert_eq!(span.attr_i64("i"), Some(-9_007_199_254_740_993));
    assert_eq!(span.attr_i64("i_max"), Some(i64::MAX));
    assert_eq!(span.attr_f64("f"), Some(0.1));
    assert_eq!(span.attr("f_whole"), Some(&AttrValue::Double(3.0)));
    assert_eq!(span.attr_f64("f_tiny"), Some(1e-300));
    assert_eq!(span.attr_f64("inf"), Some(f64::INFINITY));
    assert_eq!(span.attr_f64("ninf"), Some(f64::NEG_INFINITY));
    assert_eq!(span.attr_str_array("arr_s"), Some(vec!["stop", "length"]));
    assert_eq!(
        span.attr("arr_b"),
        Some(&AttrValue::Array(vec![
            AttrValue::Bool(true),
            AttrValue::Bool(false)
        ]))
    );
    assert_eq!(
        span.attr("arr_i"),
        Some(&AttrValue::Array(vec![
            AttrValue::Int(1),
            AttrValue::Int(-2),
            AttrValue::Int(i64::MIN)
        ]))
    );
    assert_eq!(span.attr_f64_array("arr_f"), Some(vec![0.91, 0.84]));
    assert_eq!(span.attr("arr_empty"), Some(&AttrValue::Array(Vec::new())));
    assert_eq!(span.attr_str("dup"), Some("second"));
    assert_eq!(
        span.attributes.len(),
        data.attributes.len(),
        "duplicates are kept"
    );
    assert_eq!(span.dropped_attributes_count, 5);

    assert_eq!(span.events.len(), 2);
    assert_eq!(span.events[0].name, "gen_ai.evaluation.result");
    assert_eq!(span.events[0].time_unix_nanos, 1_780_506_000_007_000_000);
    assert_eq!(
        span.events[0].attributes,
        vec![
            (
                "gen_ai.evaluation.name".to_owned(),
                AttrValue::Str("faithfulness".into())
            ),
            (
                "gen_ai.evaluation.score.value".to_owned(),
                AttrValue::Double(0.25)
            ),
        ]
    );
    assert_eq!(span.events[0].dropped_attributes_count, 1);
    assert_eq!(span.events[1].name, "exception");
    assert_eq!(span.dropped_events_count, 3);

    assert_eq!(span.links.len(), 1);
    let link = &span.links[0];
    assert_eq!(link.trace_id, "0af7651916cd43dd8448eb211c80319c");
    assert_eq!(link.span_id, "b7ad6b7169203331");
    assert_eq!(link.trace_state, "vendor=x1");
    assert_eq!(link.flags, 0x301);
    assert_eq!(
        link.attributes,
        vec![("link.reason".to_owned(), AttrValue::Str("retry".into()))]
    );
    assert_eq!(link.dropped_attributes_count, 2);
    assert_eq!(span.dropped_links_count, 4);

    assert_eq!(span.resource_str("service.name"), Some("support-api"));
    assert_eq!(
        span.resource_str("deployment.environment.name"),
        Some("test")
    );
    assert_eq!(span.scope_name, "genai-otel");
    assert_eq!(span.scope_version.as_deref(), Some("0.1.0"));
}

#[test]
fn nan_round_trips_as_the_string_nan() {
    let mut data = common::span(1, 2, 0, "s", 0, 1);
    data.attributes = vec![KeyValue::new("nan", f64::NAN)];
    let line = encode_request(&Resource::builder_empty().build(), &[data]);
    assert!(
        line.contains(r#"{"key":"nan","value":{"doubleValue":"NaN"}}"#),
        "{line}"
    );
    let decoded = decode_request(&line).expect("decodes");
    assert!(decoded[0].attr_f64("nan").is_some_and(f64::is_nan));
}

#[test]
fn json_shape_follows_the_otlp_json_mapping() {
    let mut root = common::span(TRACE, 0xa1, 0, "invoke_agent support_agent", 0, 312);
    root.span_kind = SpanKind::Server;
    root.status = Status::Ok;
    let child = common::span(TRACE, 0xb2, 0xa1, "chat gpt-4.1-mini", 91, 140);
    let line = encode_request(&Resource::builder_empty().build(), &[root, child]);
    let json = parse(&line);

    let scope_spans = &json["resourceSpans"][0]["scopeSpans"][0];
    assert_eq!(
        scope_spans["scope"],
        serde_json::json!({"name": "genai-otel-test"})
    );
    let root = &scope_spans["spans"][0];
    let child = &scope_spans["spans"][1];

    // Root: no parentSpanId; local-root flags = sampled | HAS_IS_REMOTE.
    assert_eq!(root["traceId"], "5b8efff798038103d269b633813fc60c");
    assert_eq!(root["spanId"], "00000000000000a1");
    assert!(root.get("parentSpanId").is_none());
    assert_eq!(root["flags"], 0x101);
    assert_eq!(root["kind"], 2);
    assert_eq!(root["startTimeUnixNano"], "1780506000000000000");
    assert_eq!(root["endTimeUnixNano"], "1780506000312000000");
    assert_eq!(root["status"], serde_json::json!({"code": 1}));
    // Default values are omitted.
    for absent in [
        "traceState",
        "attributes",
        "droppedAttributesCount",
        "events",
        "droppedEventsCount",
        "links",
        "droppedLinksCount",
    ] {
        assert!(
            root.get(absent).is_none(),
            "{absent} should be omitted: {root}"
        );
    }

    assert_eq!(child["parentSpanId"], "00000000000000a1");
    assert_eq!(child["kind"], 1);
    assert!(child.get("status").is_none(), "Unset status is omitted");

    // The resource is present even when empty.
    assert_eq!(json["resourceSpans"][0]["resource"], serde_json::json!({}));
}

#[test]
fn error_status_and_attribute_encodings() {
    let line = encode_request(&resource(), &[rich_span()]);
    let json = parse(&line);
    let rs = &json["resourceSpans"][0];
    assert_eq!(
        rs["resource"]["attributes"]
            .as_array()
            .map(|a| a.len())
            .unwrap_or(0),
        2
    );
    let ss = &rs["scopeSpans"][0];
    assert_eq!(ss["schemaUrl"], "https://opentelemetry.io/schemas/1.42.0");
    assert_eq!(
        ss["scope"],
        serde_json::json!({"name": "genai-otel", "version": "0.1.0",
            "attributes": [{"key": "scope.attr", "value": {"intValue": "1"}}]})
    );
    let span = &ss["spans"][0];
    assert_eq!(
        span["status"],
        serde_json::json!({"code": 2, "message": "INVALID_ARGUMENT: refund \"amount\" too large"})
    );
    assert_eq!(span["traceState"], "congo=t61rcWkgMzE");
    assert_eq!(span["droppedAttributesCount"], 5);
    assert_eq!(span["droppedEventsCount"], 3);
    assert_eq!(span["droppedLinksCount"], 4);
    let attrs = span["attributes"].as_array().expect("attributes array");
    let value = |key: &str| {
        attrs
            .iter()
            .find(|kv| kv["key"] == key)
            .map(|kv| kv["value"].clone())
            .expect("attribute present")
    };
    assert_eq!(
        value("i"),
        serde_json::json!({"intValue": "-9007199254740993"})
    );
    assert_eq!(value("b"), serde_json::json!({"boolValue": true}));
    assert_eq!(value("f"), serde_json::json!({"doubleValue": 0.1}));
    assert_eq!(value("inf"), serde_json::json!({"doubleValue": "Infinity"}));
    assert_eq!(
        value("empty_string"),
        serde_json::json!({"stringValue": ""})
    );
    assert_eq!(
        value("arr_s"),
        serde_json::json!({"arrayValue": {"values": [{"stringValue": "stop"}, {"stringValue": "length"}]}})
    );
    assert_eq!(value("arr_empty"), serde_json::json!({"arrayValue": {}}));
    let event = &span["events"][0];
    assert_eq!(event["timeUnixNano"], "1780506000007000000");
    assert_eq!(event["droppedAttributesCount"], 1);
    let link = &span["links"][0];
    assert_eq!(link["flags"], 0x301);
    assert_eq!(link["traceState"], "vendor=x1");
}

#[test]
fn spans_are_grouped_by_instrumentation_scope() {
    let scope_b = InstrumentationScope::builder("scope-b")
        .with_version("2")
        .build();
    let a1 = common::span(1, 1, 0, "a1", 0, 1);
    let mut b1 = common::span(1, 2, 1, "b1", 0, 1);
    b1.instrumentation_scope = scope_b.clone();
    let a2 = common::span(1, 3, 1, "a2", 0, 1);
    let mut b2 = common::span(1, 4, 1, "b2", 0, 1);
    b2.instrumentation_scope = scope_b;
    let line = encode_request(&Resource::builder_empty().build(), &[a1, b1, a2, b2]);
    let json = parse(&line);
    let scopes = json["resourceSpans"][0]["scopeSpans"]
        .as_array()
        .expect("scopeSpans");
    assert_eq!(scopes.len(), 2);
    let names = |i: usize| -> Vec<String> {
        scopes[i]["spans"]
            .as_array()
            .expect("spans")
            .iter()
            .map(|s| s["name"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(scopes[0]["scope"]["name"], "genai-otel-test");
    assert_eq!(names(0), ["a1", "a2"]);
    assert_eq!(scopes[1]["scope"]["name"], "scope-b");
    assert_eq!(scopes[1]["scope"]["version"], "2");
    assert_eq!(names(1), ["b1", "b2"]);

    let decoded = decode_request(&line).expect("decodes");
    let scope_of: Vec<(&str, &str)> = decoded
        .iter()
        .map(|s| (s.name.as_str(), s.scope_name.as_str()))
        .collect();
    assert_eq!(
        scope_of,
        [
            ("a1", "genai-otel-test"),
            ("a2", "genai-otel-test"),
            ("b1", "scope-b"),
            ("b2", "scope-b")
        ]
    );
}

#[test]
fn empty_batch_encodes_an_empty_request() {
    let line = encode_request(&Resource::builder_empty().build(), &[]);
    assert_eq!(
        line,
        r#"{"resourceSpans":[{"resource":{},"scopeSpans":[]}]}"#
    );
    assert_eq!(decode_request(&line).expect("decodes"), Vec::new());
}

#[test]
fn decode_errors_name_the_location() {
    let err = decode_request("{\"resourceSpans\":[").expect_err("truncated");
    assert!(matches!(err, DecodeError::Syntax { .. }), "{err:?}");
    assert!(err.to_string().contains("cut-off"), "{err}");

    let err = decode_request("[1,2]").expect_err("not an object");
    assert_eq!(
        err,
        DecodeError::Invalid {
            path: "$".into(),
            reason: "expected a JSON object with a resourceSpans array, found an array".into()
        }
    );

    let line = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[
        {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174"},
        {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b175",
         "attributes":[{"key":"n","value":{"intValue":"twelve"}}]}]}]}]}"#;
    let err = decode_request(line).expect_err("bad intValue");
    match &err {
        DecodeError::Invalid { path, reason } => {
            assert_eq!(
                path,
                "resourceSpans[0].scopeSpans[0].spans[1].attributes[0].value.intValue"
            );
            assert!(reason.contains("\"twelve\""), "{reason}");
        }
        other => panic!("unexpected {other:?}"),
    }

    let line = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"abc","spanId":"eee19b7ec3c1b174"}]}]}]}"#;
    let err = decode_request(line).expect_err("short trace id");
    assert!(
        err.to_string()
            .contains("resourceSpans[0].scopeSpans[0].spans[0].traceId: \"abc\" is neither 32 hex characters nor base64 of 16 bytes"),
        "{err}"
    );
}

#[test]
fn span_record_serializes_as_plain_json_for_tools() {
    let data = rich_span();
    let record = SpanRecord::from_span_data(&data, &resource());
    let json: Json = serde_json::to_value(&record).expect("serializes");
    assert_eq!(json["kind"], "client");
    assert_eq!(json["status"]["code"], "error");
    assert_eq!(
        json["attributes"]["dup"], "second",
        "last value of a key wins"
    );
    assert_eq!(json["attributes"]["i_max"], i64::MAX);
    assert_eq!(
        json["attributes"]["arr_s"],
        serde_json::json!(["stop", "length"])
    );
    assert_eq!(json["resource_attributes"]["service.name"], "support-api");
    assert_eq!(json["parent_span_id"], "00f067aa0ba902b7");
}
