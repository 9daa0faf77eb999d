//! Decoding OTLP/JSON written by other implementations.

use genai_otel::otlp_json::{decode_request, AttrValue, SpanKindRecord, StatusCodeRecord};

/// The style of opentelemetry-python's `proto_json` encoder (`to_json()` = `json.dumps`):
/// spaces after separators, hex ids, 64-bit integers as strings, enums as integers, flags,
/// defaults omitted.
const PYTHON_PROTO_JSON: &str = r#"{"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "py-support"}}, {"key": "telemetry.sdk.language", "value": {"stringValue": "python"}}]}, "scopeSpans": [{"scope": {"name": "app.agent", "version": "1.2.0"}, "spans": [{"traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174", "parentSpanId": "eee19b7ec3c1b173", "flags": 256, "name": "chat gpt-4.1-mini", "kind": 3, "startTimeUnixNano": "1544712660000000000", "endTimeUnixNano": "1544712661000000000", "attributes": [{"key": "gen_ai.usage.input_tokens", "value": {"intValue": "812"}}, {"key": "gen_ai.request.temperature", "value": {"doubleValue": 0.2}}, {"key": "gen_ai.response.finish_reasons", "value": {"arrayValue": {"values": [{"stringValue": "stop"}]}}}, {"key": "blob", "value": {"bytesValue": "aGVsbG8="}}, {"key": "meta", "value": {"kvlistValue": {"values": [{"key": "attempt", "value": {"intValue": "1"}}]}}}, {"key": "unset", "value": {}}], "events": [{"timeUnixNano": "1544712660500000000", "name": "gen_ai.choice", "attributes": [{"key": "index", "value": {"intValue": "0"}}]}], "status": {"code": 2, "message": "rate limited"}}]}]}]}"#;

/// The style of the older opentelemetry-python JSON encoder: base64 ids, enum names,
/// empty `parentSpanId` for roots, zero counts and empty lists written out.
const PYTHON_LEGACY: &str = r#"{"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "py-legacy"}}], "droppedAttributesCount": 0}, "scopeSpans": [{"scope": {"name": "legacy", "version": "", "attributes": [], "droppedAttributesCount": 0}, "spans": [{"traceId": "W47/95gDgQPSabYzgT/GDA==", "spanId": "7uGbfsPBsXQ=", "parentSpanId": "", "name": "invoke_agent support_agent", "kind": "SPAN_KIND_SERVER", "startTimeUnixNano": "1544712660000000000", "endTimeUnixNano": "1544712661000000000", "attributes": [{"key": "http.route", "value": {"stringValue": "/v1/support"}}], "droppedAttributesCount": 0, "events": [], "droppedEventsCount": 0, "links": [{"traceId": "CvdlGRbNQ92ESOshHIAxnA==", "spanId": "t61rcWkgMzE=", "attributes": [], "droppedAttributesCount": 0}], "droppedLinksCount": 0, "status": {"code": "STATUS_CODE_UNSET"}}], "schemaUrl": ""}], "schemaUrl": ""}]}"#;

/// The OpenTelemetry Collector file exporter / `opentelemetry-proto` example style:
/// compact, hex ids (upper case in the spec example), empty `parentSpanId` and `status: {}`
/// written out, resource `schemaUrl` after `scopeSpans`.
const COLLECTOR: &str = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"my.service"}}]},"scopeSpans":[{"scope":{"name":"my.library","version":"1.0.0","attributes":[{"key":"my.scope.attribute","value":{"stringValue":"some scope attribute"}}]},"spans":[{"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174","parentSpanId":"","flags":257,"name":"I'm a server span","kind":2,"startTimeUnixNano":"1544712660000000000","endTimeUnixNano":"1544712661000000000","attributes":[{"key":"my.span.attr","value":{"stringValue":"some value"}}],"status":{}},{"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B175","parentSpanId":"EEE19B7EC3C1B174","flags":769,"name":"downstream","kind":3,"startTimeUnixNano":"1544712660100000000","endTimeUnixNano":"1544712660900000000","status":{"code":1}}]}],"schemaUrl":"https://opentelemetry.io/schemas/1.4.0"}]}"#;

/// Go `jsonpb` with original (snake_case) field names and integers as JSON numbers.
const SNAKE_CASE_NUMBERS: &str = r#"{"resource_spans":[{"scope_spans":[{"scope":{"name":"go"},"spans":[{"trace_id":"0af7651916cd43dd8448eb211c80319c","span_id":"b7ad6b7169203331","name":"db.query","kind":"SPAN_KIND_CLIENT","start_time_unix_nano":1544712660000000000,"end_time_unix_nano":1544712660000000123,"attributes":[{"key":"rows","value":{"int_value":42}},{"key":"ratio","value":{"double_value":"NaN"}},{"key":"ok","value":{"bool_value":true}}],"status":{"code":"STATUS_CODE_OK"}}]}]}]}"#;

#[test]
fn decodes_python_proto_json_style() {
    let spans = decode_request(PYTHON_PROTO_JSON).expect("decodes");
    assert_eq!(spans.len(), 1);
    let span = &spans[0];
    assert_eq!(span.trace_id, "5b8efff798038103d269b633813fc60c");
    assert_eq!(span.span_id, "eee19b7ec3c1b174");
    assert_eq!(span.parent_span_id.as_deref(), Some("eee19b7ec3c1b173"));
    assert_eq!(span.parent_is_remote, Some(false));
    assert!(!span.is_local_root());
    assert_eq!(span.kind, SpanKindRecord::Client);
    assert_eq!(span.start_unix_nanos, 1_544_712_660_000_000_000);
    assert_eq!(span.duration_nanos(), 1_000_000_000);
    assert_eq!(span.attr_i64("gen_ai.usage.input_tokens"), Some(812));
    assert_eq!(span.attr_f64("gen_ai.request.temperature"), Some(0.2));
    assert_eq!(
        span.attr_str_array("gen_ai.response.finish_reasons"),
        Some(vec!["stop"])
    );
    assert_eq!(
        span.attr("blob"),
        Some(&AttrValue::Bytes(b"hello".to_vec()))
    );
    assert_eq!(
        span.attr("meta"),
        Some(&AttrValue::Map(vec![("attempt".into(), AttrValue::Int(1))]))
    );
    assert_eq!(span.attr("unset"), Some(&AttrValue::Empty));
    assert_eq!(span.events[0].name, "gen_ai.choice");
    assert_eq!(
        span.events[0].attributes,
        vec![("index".into(), AttrValue::Int(0))]
    );
    assert_eq!(span.status.code, StatusCodeRecord::Error);
    assert_eq!(span.status.message, "rate limited");
    assert_eq!(span.resource_str("service.name"), Some("py-support"));
    assert_eq!(span.scope_name, "app.agent");
    assert_eq!(span.scope_version.as_deref(), Some("1.2.0"));
}

#[test]
fn decodes_python_legacy_style_with_base64_ids_and_enum_names() {
    let spans = decode_request(PYTHON_LEGACY).expect("decodes");
    assert_eq!(spans.len(), 1);
    let span = &spans[0];
    assert_eq!(span.trace_id, "5b8efff798038103d269b633813fc60c");
    assert_eq!(span.span_id, "eee19b7ec3c1b174");
    assert_eq!(span.parent_span_id, None, "empty parentSpanId is a root");
    assert_eq!(span.parent_is_remote, None, "no flags written");
    assert!(span.is_local_root());
    assert_eq!(span.kind, SpanKindRecord::Server);
    assert_eq!(span.status.code, StatusCodeRecord::Unset);
    assert_eq!(span.attr_str("http.route"), Some("/v1/support"));
    assert_eq!(span.links.len(), 1);
    assert_eq!(span.links[0].trace_id, "0af7651916cd43dd8448eb211c80319c");
    assert_eq!(span.links[0].span_id, "b7ad6b7169203331");
    assert_eq!(span.scope_name, "legacy");
    assert_eq!(span.scope_version, None, "empty version is no version");
}

#[test]
fn decodes_collector_style() {
    let spans = decode_request(COLLECTOR).expect("decodes");
    assert_eq!(spans.len(), 2);
    let (server, client) = (&spans[0], &spans[1]);
    assert_eq!(server.trace_id, "5b8efff798038103d269b633813fc60c");
    assert_eq!(server.span_id, "eee19b7ec3c1b174");
    assert_eq!(server.parent_span_id, None);
    assert_eq!(server.flags, 257);
    assert_eq!(server.kind, SpanKindRecord::Server);
    assert_eq!(server.status.code, StatusCodeRecord::Unset);
    assert_eq!(server.attr_str("my.span.attr"), Some("some value"));
    assert_eq!(server.resource_str("service.name"), Some("my.service"));
    assert_eq!(server.scope_name, "my.library");

    assert_eq!(client.parent_span_id.as_deref(), Some("eee19b7ec3c1b174"));
    assert_eq!(client.parent_is_remote, Some(true), "flags 0x301");
    assert!(client.is_local_root());
    assert_eq!(client.kind, SpanKindRecord::Client);
    assert_eq!(client.status.code, StatusCodeRecord::Ok);
    assert_eq!(client.duration_nanos(), 800_000_000);
    assert!(
        std::sync::Arc::ptr_eq(&server.resource_attributes, &client.resource_attributes),
        "spans of one resource share its attributes"
    );
}

#[test]
fn decodes_snake_case_and_numeric_integers() {
    let spans = decode_request(SNAKE_CASE_NUMBERS).expect("decodes");
    let span = &spans[0];
    assert_eq!(span.trace_id, "0af7651916cd43dd8448eb211c80319c");
    assert_eq!(span.kind, SpanKindRecord::Client);
    assert_eq!(span.start_unix_nanos, 1_544_712_660_000_000_000);
    assert_eq!(span.duration_nanos(), 123);
    assert_eq!(span.attr_i64("rows"), Some(42));
    assert!(span.attr_f64("ratio").is_some_and(f64::is_nan));
    assert_eq!(span.attr_bool("ok"), Some(true));
    assert_eq!(span.status.code, StatusCodeRecord::Ok);
    assert_eq!(span.scope_name, "go");
}

#[test]
fn requests_of_other_signals_hold_no_spans() {
    let metrics = r#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"gen_ai.client.token.usage"}]}]}]}"#;
    assert_eq!(decode_request(metrics).expect("decodes"), Vec::new());
}
