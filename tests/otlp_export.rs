//! Export over OTLP gRPC and OTLP HTTP/protobuf to real receivers running in the test
//! (a tonic TraceService server and a plain HTTP/1.1 server decoding protobuf), including
//! spans that end just before the guard is dropped: nothing may be lost at shutdown.
#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is the point

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use genai_otel::{
    AgentSpan, Config, ExporterKind, InferenceSpan, OtlpProtocol, Sampling, ToolSpan, Usage,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value;
use prost::Message as _;

type Received = Arc<Mutex<Vec<ExportTraceServiceRequest>>>;

#[derive(Clone, Default)]
struct Receiver {
    received: Received,
}

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.received.lock().unwrap().push(request.into_inner());
        Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

/// Starts a gRPC OTLP receiver on a background runtime; returns its address.
fn start_grpc_receiver(received: Received) -> (SocketAddr, tokio::runtime::Runtime) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move {
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(Receiver { received }))
            .serve_with_incoming(tokio_stream_from(listener))
            .await
            .unwrap();
    });
    (addr, rt)
}

fn tokio_stream_from(
    listener: tokio::net::TcpListener,
) -> impl futures_core::Stream<Item = std::io::Result<tokio::net::TcpStream>> {
    futures_util::stream::unfold(listener, |l| async move {
        let r = l.accept().await.map(|(s, _)| s);
        Some((r, l))
    })
}

/// Starts an HTTP/1.1 OTLP receiver (protobuf bodies) on a thread; returns its address.
fn start_http_receiver(received: Received) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let received = received.clone();
            std::thread::spawn(move || serve_http(stream, received));
        }
    });
    addr
}

fn serve_http(stream: std::net::TcpStream, received: Received) {
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut content_length = 0usize;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    content_length = v.trim().parse().unwrap();
                }
            }
        }
        let mut body = vec![0; content_length];
        reader.read_exact(&mut body).unwrap();
        assert!(
            request_line.starts_with("POST /v1/traces "),
            "{request_line}"
        );
        let request = ExportTraceServiceRequest::decode(body.as_slice()).expect("protobuf body");
        received.lock().unwrap().push(request);
        let response = ExportTraceServiceResponse {
            partial_success: None,
        }
        .encode_to_vec();
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: {}\r\n\r\n",
            response.len()
        );
        writer.write_all(head.as_bytes()).unwrap();
        writer.write_all(&response).unwrap();
    }
}

struct ArrivedSpan {
    name: String,
    trace_id: Vec<u8>,
    span_id: Vec<u8>,
    parent_span_id: Vec<u8>,
    attributes: Vec<(String, String)>,
    status_code: i32,
}

fn arrived(received: &Received) -> (Vec<ArrivedSpan>, Vec<(String, String)>) {
    let mut spans = Vec::new();
    let mut resource = Vec::new();
    for req in received.lock().unwrap().iter() {
        for rs in &req.resource_spans {
            if let Some(r) = &rs.resource {
                for kv in &r.attributes {
                    resource.push((kv.key.clone(), value_string(kv.value.as_ref())));
                }
            }
            for ss in &rs.scope_spans {
                for s in &ss.spans {
                    spans.push(ArrivedSpan {
                        name: s.name.clone(),
                        trace_id: s.trace_id.clone(),
                        span_id: s.span_id.clone(),
                        parent_span_id: s.parent_span_id.clone(),
                        attributes: s
                            .attributes
                            .iter()
                            .map(|kv| (kv.key.clone(), value_string(kv.value.as_ref())))
                            .collect(),
                        status_code: s.status.as_ref().map(|s| s.code).unwrap_or(0),
                    });
                }
            }
        }
    }
    (spans, resource)
}

fn value_string(v: Option<&opentelemetry_proto::tonic::common::v1::AnyValue>) -> String {
    match v.and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        Some(any_value::Value::IntValue(i)) => i.to_string(),
        Some(any_value::Value::DoubleValue(d)) => d.to_string(),
        Some(any_value::Value::BoolValue(b)) => b.to_string(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    }
}

/// 20 requests, the last one ending immediately before the guard drops.
fn emit_requests() {
    for i in 0..20 {
        let agent = AgentSpan::builder("support_agent").tenant("acme").start();
        agent.in_scope(|| {
            let chat = InferenceSpan::chat("openai", "gpt-4.1-mini").start();
            chat.record_usage(Usage::new(100 + i, 10));
            chat.end();
            let tool = ToolSpan::builder("create_refund").start();
            tool.record_error("INVALID_ARGUMENT", "too much");
            tool.end();
        });
        agent.end();
    }
}

fn check_arrived(received: &Received) {
    let (spans, resource) = arrived(received);
    assert_eq!(spans.len(), 60, "every span arrived, none lost at shutdown");
    assert!(resource.contains(&("service.name".to_string(), "otlp-test".to_string())));
    let roots: Vec<_> = spans
        .iter()
        .filter(|s| s.name == "invoke_agent support_agent")
        .collect();
    assert_eq!(roots.len(), 20);
    for root in roots {
        assert!(root.parent_span_id.is_empty(), "root has no parent");
        let children: Vec<_> = spans
            .iter()
            .filter(|s| s.trace_id == root.trace_id && s.parent_span_id == root.span_id)
            .collect();
        assert_eq!(children.len(), 2);
        let tool = children
            .iter()
            .find(|s| s.name == "execute_tool create_refund")
            .unwrap();
        assert_eq!(tool.status_code, 2, "status Error");
        assert!(tool
            .attributes
            .contains(&("error.type".into(), "INVALID_ARGUMENT".into())));
        let chat = children
            .iter()
            .find(|s| s.name == "chat gpt-4.1-mini")
            .unwrap();
        assert!(chat
            .attributes
            .contains(&("gen_ai.provider.name".into(), "openai".into())));
        assert!(chat
            .attributes
            .iter()
            .any(|(k, _)| k == "gen_ai.usage.input_tokens"));
    }
}

fn config(protocol: OtlpProtocol, endpoint: String) -> Config {
    Config::new("otlp-test")
        .exporter(ExporterKind::Otlp)
        .otlp_protocol(protocol)
        .otlp_endpoint(endpoint)
        .otlp_header("x-test-header", "1")
        .sampling(Sampling::disabled())
        .shutdown_timeout(Duration::from_secs(10))
}

#[test]
fn grpc_export_delivers_everything_by_shutdown() {
    let received = Received::default();
    let (addr, _rt) = start_grpc_receiver(received.clone());
    let guard =
        genai_otel::init_scoped(config(OtlpProtocol::Grpc, format!("http://{addr}"))).unwrap();
    emit_requests();
    let report = guard.shutdown().expect("clean shutdown");
    assert_eq!(report.submitted, 60);
    assert_eq!(report.exported, 60);
    check_arrived(&received);
}

#[test]
fn grpc_export_works_from_a_current_thread_runtime() {
    let received = Received::default();
    let (addr, _rt) = start_grpc_receiver(received.clone());
    let app = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    app.block_on(async {
        let guard =
            genai_otel::init_scoped(config(OtlpProtocol::Grpc, format!("http://{addr}"))).unwrap();
        emit_requests();
        // Dropping the guard inside the runtime must neither panic nor deadlock.
        drop(guard);
    });
    check_arrived(&received);
}

#[test]
fn http_export_delivers_everything_by_shutdown() {
    let received = Received::default();
    let addr = start_http_receiver(received.clone());
    let guard =
        genai_otel::init_scoped(config(OtlpProtocol::HttpProtobuf, format!("http://{addr}")))
            .unwrap();
    emit_requests();
    drop(guard);
    check_arrived(&received);
}

#[test]
fn http_export_works_inside_a_multi_thread_runtime() {
    let received = Received::default();
    let addr = start_http_receiver(received.clone());
    let app = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    app.block_on(async {
        let guard = genai_otel::init_scoped(config(
            OtlpProtocol::HttpProtobuf,
            format!("http://{addr}/v1/traces"),
        ))
        .unwrap();
        emit_requests();
        let report = guard.shutdown().expect("clean shutdown");
        assert!(report.is_complete());
    });
    check_arrived(&received);
}

#[test]
fn undeliverable_spans_are_reported_not_silently_lost() {
    // Bind and close a port so nothing listens there.
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let guard = genai_otel::init_scoped(
        config(OtlpProtocol::HttpProtobuf, format!("http://{addr}"))
            .otlp_timeout(Duration::from_millis(500))
            .shutdown_timeout(Duration::from_secs(20)),
    )
    .unwrap();
    emit_requests();
    let err = guard.shutdown().expect_err("the endpoint is down");
    assert_eq!(err.report.submitted, 60);
    assert_eq!(err.report.exported, 0);
    assert_eq!(err.report.failed + err.report.dropped, 60, "{err}");
    assert!(err.to_string().contains("60 spans submitted"), "{err}");
}

#[test]
fn shutdown_is_bounded_even_when_the_receiver_hangs() {
    // Accepts connections and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().flatten() {
            held.push(s);
        }
    });
    let guard = genai_otel::init_scoped(
        config(OtlpProtocol::HttpProtobuf, format!("http://{addr}"))
            .otlp_timeout(Duration::from_secs(30))
            .shutdown_timeout(Duration::from_secs(1)),
    )
    .unwrap();
    emit_requests();
    let started = std::time::Instant::now();
    let err = guard.shutdown().expect_err("nothing can be delivered");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(4), "shutdown took {took:?}");
    assert_eq!(err.report.exported, 0);
    assert_eq!(err.report.submitted, 60);
}
