//! A real Arize Phoenix as SOURCE (`--phoenix URL`).
//!
//! The support_agent trace is sent by the library over OTLP/HTTP to Phoenix, listed, shown
//! and exported back through Phoenix's REST API, and the export is compared with the export
//! of the very same spans from a local store.
//!
//! Phoenix: `$GENAI_OTEL_PHOENIX_URL` when set (a running server); otherwise the test installs
//! PyPI `arize-phoenix` into a venv under the target directory (first run ~1 min, ~850 MB)
//! and starts `phoenix serve` on free loopback ports with a temporary working directory,
//! killing it when the test ends, also on panic. It never skips.

use std::fs::File;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use genai_otel::opentelemetry_sdk::Resource;
use genai_otel::otlp_json::encode_request;
use genai_otel::testing::SpanCollector;
use genai_otel::{ExporterKind, OtlpProtocol};

use crate::common::{cli, json_lines, python_venv, support_request, test_config, TempDir};

const PHOENIX: &str = "arize-phoenix==20.26.1";
const PROJECT: &str = "genai-otel-cli-test";

/// A Phoenix server for the test; stops the one it started when dropped.
struct PhoenixServer {
    url: String,
    child: Option<Child>,
    log: Option<std::path::PathBuf>,
    _workdir: Option<TempDir>,
}

impl Drop for PhoenixServer {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl PhoenixServer {
    fn log_tail(&self) -> String {
        let Some(log) = &self.log else {
            return String::new();
        };
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn start_phoenix() -> PhoenixServer {
    if let Ok(url) = std::env::var("GENAI_OTEL_PHOENIX_URL") {
        return PhoenixServer {
            url: url.trim_end_matches('/').to_owned(),
            child: None,
            log: None,
            _workdir: None,
        };
    }
    let python = python_venv("pyvenv-phoenix", &[PHOENIX]);
    let phoenix = python.with_file_name("phoenix");
    let workdir = TempDir::new("phoenix");
    let (port, grpc_port) = (free_port(), free_port());
    let log = workdir.path().join("phoenix.log");
    let log_file = File::create(&log).expect("log file");
    let child = Command::new(&phoenix)
        .arg("serve")
        .env("PHOENIX_WORKING_DIR", workdir.path())
        .env("PHOENIX_HOST", "127.0.0.1")
        .env("PHOENIX_PORT", port.to_string())
        .env("PHOENIX_GRPC_PORT", grpc_port.to_string())
        .env("PHOENIX_TELEMETRY_ENABLED", "false")
        .env("PHOENIX_ALLOW_EXTERNAL_RESOURCES", "false")
        .stdin(Stdio::null())
        .stdout(log_file.try_clone().expect("log file"))
        .stderr(log_file)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", phoenix.display()));
    let mut server = PhoenixServer {
        url: format!("http://127.0.0.1:{port}"),
        child: Some(child),
        log: Some(log),
        _workdir: Some(workdir),
    };
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .expect("http client");
    let started = Instant::now();
    loop {
        let healthy = client
            .get(format!("{}/healthz", server.url))
            .send()
            .is_ok_and(|r| r.status().is_success());
        if healthy {
            eprintln!("phoenix up after {:.1?}", started.elapsed());
            return server;
        }
        if let Some(Ok(Some(status))) = server.child.as_mut().map(Child::try_wait) {
            panic!("phoenix exited with {status}:\n{}", server.log_tail());
        }
        if started.elapsed() > Duration::from_secs(120) {
            panic!(
                "phoenix did not answer /healthz within 120 s:\n{}",
                server.log_tail()
            );
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Cases without the parts that name the source (`trace.show`, `dataset`).
fn comparable(cases: &[serde_json::Value]) -> Vec<serde_json::Value> {
    cases
        .iter()
        .map(|case| {
            let mut case = case.clone();
            if let Some(object) = case.as_object_mut() {
                object.remove("dataset");
                if let Some(trace) = object.get_mut("trace").and_then(|t| t.as_object_mut()) {
                    trace.remove("show");
                }
            }
            case
        })
        .collect()
}

#[test]
fn phoenix_traces_are_listed_shown_and_exported() {
    let started = Instant::now();
    let server = start_phoenix();
    let url = server.url.clone();

    // Send the support_agent trace over OTLP/HTTP; keep a copy of the exported spans.
    let spans = SpanCollector::new();
    let guard = genai_otel::init_scoped(
        test_config("support-api", true)
            .exporter(ExporterKind::Otlp)
            .otlp_protocol(OtlpProtocol::HttpProtobuf)
            .otlp_endpoint(format!("{url}/v1/traces"))
            .resource_attribute("openinference.project.name", PROJECT)
            .collector(spans.clone()),
    )
    .expect("init OTLP pipeline");
    let trace_id = support_request(
        "customer-8812",
        "My blender arrived broken, order ord_55120.",
    );
    let report = guard.shutdown().expect("spans delivered to Phoenix");
    assert!(report.is_complete(), "{report}");

    // The same spans in a local store, for comparison.
    let dir = TempDir::new("phoenix-store");
    let store = dir.path().join("store");
    std::fs::create_dir_all(&store).expect("mkdir");
    let resource = Resource::builder_empty()
        .with_service_name("support-api")
        .build();
    std::fs::write(
        store.join("traces.jsonl"),
        encode_request(&resource, &spans.spans()) + "\n",
    )
    .expect("write store");
    let store_arg = store.to_str().expect("utf-8 path");

    // Phoenix writes asynchronously: poll until all seven spans are there.
    let source = ["--phoenix", url.as_str(), "--project", PROJECT];
    let list = |extra: &[&str]| {
        let mut args = vec!["list"];
        args.extend_from_slice(&source);
        args.extend_from_slice(extra);
        cli(&args)
    };
    let deadline = Instant::now() + Duration::from_secs(90);
    let row = loop {
        let run = list(&["--json"]);
        let row = if run.code == 0 {
            json_lines(&run.stdout)
                .into_iter()
                .find(|r| r["trace_id"] == trace_id.as_str() && r["spans"] == 7)
        } else {
            None
        };
        match row {
            Some(row) => break row,
            None if Instant::now() > deadline => panic!(
                "trace {trace_id} did not appear complete in Phoenix within 90 s:\n{}\n{}\n{}",
                run.stdout,
                run.stderr,
                server.log_tail()
            ),
            None => std::thread::sleep(Duration::from_millis(500)),
        }
    };
    assert_eq!(row["root"], "invoke_agent support_agent");
    assert_eq!(row["status"], "error");
    assert_eq!(row["error_spans"], 1);
    assert_eq!(row["models"], serde_json::json!(["gpt-4.1-mini"]));
    assert_eq!(row["input_tokens"], 1836);
    assert_eq!(row["output_tokens"], 222);
    let table = list(&["--errors"]);
    assert!(
        table
            .ok()
            .lines()
            .any(|l| l.starts_with(&trace_id) && l.contains("error(1)")),
        "{}",
        table.stdout
    );

    // show through the REST API.
    let mut args = vec!["show"];
    args.extend_from_slice(&source);
    args.push(&trace_id);
    let text = cli(&args).ok().to_owned();
    for expected in [
        "invoke_agent support_agent",
        "top_k=5 docs=doc_102(0.91),doc_087(0.84)",
        "in=812 out=164 cached=512 finish=tool_calls",
        "INVALID_ARGUMENT: refund_amount_cents must be <= order_total_cents",
        "└─ parse_output SupportAnswer",
    ] {
        assert!(text.contains(expected), "`{expected}` missing:\n{text}");
    }

    // export-trace through Phoenix equals the export of the same spans from the store.
    let mut args = vec!["export-trace"];
    args.extend_from_slice(&source);
    args.extend_from_slice(&[&trace_id, "--format", "jsonl"]);
    let from_phoenix = json_lines(cli(&args).ok());
    let from_store =
        json_lines(cli(&["export-trace", store_arg, &trace_id, "--format", "jsonl"]).ok());
    assert_eq!(from_phoenix.len(), 2);
    assert_eq!(comparable(&from_phoenix), comparable(&from_store));
    assert_eq!(from_phoenix[0]["dataset"]["source"]["type"], "phoenix");
    assert_eq!(from_phoenix[0]["dataset"]["source"]["project"], PROJECT);

    // ... and its baselines pass.
    let file = dir.path().join("phoenix.jsonl");
    let mut args = vec!["export-trace"];
    args.extend_from_slice(&source);
    args.push(&trace_id);
    args.extend_from_slice(&["--format", "jsonl"]);
    std::fs::write(&file, cli(&args).ok()).expect("write");
    let eval = cli(&["eval", file.to_str().expect("utf-8")]);
    assert!(
        eval.ok().ends_with("2 passed, 0 failed\n"),
        "{}",
        eval.stdout
    );

    // Errors name the fix.
    let run = cli(&[
        "list",
        "--phoenix",
        url.as_str(),
        "--project",
        "no-such-project",
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("has no project `no-such-project`") && run.stderr.contains(PROJECT),
        "{}",
        run.stderr
    );
    let mut args = vec!["show"];
    args.extend_from_slice(&source);
    args.push("4bf92f3577b34da6a3ce929d0e0e4736");
    let run = cli(&args);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains(&format!(
            "not found in Phoenix project {PROJECT} at {url}; run `genai-otel list --phoenix {url} --project {PROJECT}`"
        )),
        "{}",
        run.stderr
    );
    eprintln!(
        "phoenix test: {:.1?} (including start-up)",
        started.elapsed()
    );
}

#[test]
fn unreachable_phoenix_is_an_error_not_an_empty_list() {
    let port = free_port(); // nothing listens there
    let run = cli(&["list", "--phoenix", &format!("http://127.0.0.1:{port}")]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("cannot reach Phoenix"),
        "{}",
        run.stderr
    );
    let run = cli(&["list", "--phoenix", "https://app.phoenix.arize.com"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("plain HTTP only"), "{}", run.stderr);
}
