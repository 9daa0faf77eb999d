//! Helpers: temp dirs, running the binary, writing traces through the library, Python venvs.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use genai_otel::{
    AgentSpan, Config, ExporterKind, InferenceSpan, Message, OutputMessage, ParseStatus,
    ParserSpan, Part, PromptMetadata, PromptSpan, RetrievalSpan, RetrievedDocument, Sampling,
    ToolSpan, Usage,
};

/// The user-hash key of every test pipeline, so `user.hash` values are deterministic.
pub(crate) const USER_HASH_KEY: &[u8] = b"genai-otel-cli-tests-user-hash-key";

/// A directory under the system temp dir, unique per call, removed on drop.
#[derive(Debug)]
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new(name: &str) -> TempDir {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "genai-otel-cli-{name}-{}-{nanos}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The outcome of one `genai-otel` run.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    /// Asserts success and returns standard output.
    #[track_caller]
    pub(crate) fn ok(&self) -> &str {
        assert_eq!(
            self.code, 0,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        &self.stdout
    }
}

/// `genai-otel args…` with a clean environment for the variables it reads.
pub(crate) fn command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_genai-otel"));
    command
        .args(args)
        .env_remove("GENAI_OTEL_STORE_DIR")
        .env_remove("NO_COLOR")
        .env("TERM", "xterm");
    command
}

/// Runs `genai-otel args…` in `cwd` with a clean environment for the variables it reads.
pub(crate) fn cli_in(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = command(args);
    command.current_dir(cwd);
    for (k, v) in env {
        command.env(k, v);
    }
    let output = command.output().expect("run genai-otel");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs `genai-otel args…` in the system temp dir.
pub(crate) fn cli(args: &[&str]) -> Run {
    cli_in(&std::env::temp_dir(), args, &[])
}

/// A pipeline configuration isolated from the process environment: content capture as
/// given, fixed user-hash key, no sampling (every trace kept).
pub(crate) fn test_config(service: &str, content: bool) -> Config {
    Config::new(service)
        .env_lookup(|_| None)
        .record_content(content)
        .user_hash_key(USER_HASH_KEY)
        .sampling(Sampling::disabled())
}

/// Writes the support request of `examples/support_agent.rs` (and, with `with_second`, a
/// second, simpler request of another tenant and model) to a local store at `dir`; returns
/// the trace ids.
pub(crate) fn write_support_store(dir: &Path, content: bool, with_second: bool) -> Vec<String> {
    let guard = genai_otel::init_scoped(
        test_config("support-api", content)
            .exporter(ExporterKind::Store)
            .store_dir(dir),
    )
    .expect("init pipeline");
    let mut ids = vec![support_request(
        "customer-8812",
        "My blender arrived broken, order ord_55120.",
    )];
    if with_second {
        ids.push(simple_request());
    }
    guard.shutdown().expect("every span stored");
    ids
}

/// The request of `examples/support_agent.rs`, step for step (without the sleeps): prompt
/// load, retrieval, a chat that calls `create_refund`, the tool's rejection, a chat that
/// recovers with a JSON answer, and the parser. Returns the trace id.
pub(crate) fn support_request(user_id: &str, question: &str) -> String {
    const MODEL: &str = "gpt-4.1-mini";
    let agent = AgentSpan::builder("support_agent")
        .route("/v1/support")
        .tenant("acme-retail")
        .user_id(user_id)
        .conversation_id("conv_7f3a")
        .start();
    let trace_id = agent.trace_id().expect("a sampled trace");
    agent.in_scope(|| {
        let load = PromptSpan::load("support_agent_v3").start();
        load.record_metadata(
            &PromptMetadata::new("support_agent_v3")
                .version("3.2.0")
                .version_id("prv_2026_06_03_17")
                .release("prod")
                .git_sha("9f2c1e7")
                .environment("production"),
        );
        load.end();
        let system = "You are Acme's support agent. Answer in JSON: {\"answer\", \"refund_cents\"}.";

        let retrieval = RetrievalSpan::builder("support_policy_prod")
            .top_k(5)
            .model("text-embedding-3-small")
            .start();
        retrieval.record_query(question);
        retrieval.record_documents(&[
            RetrievedDocument::new("doc_102", 0.91)
                .with_content("Items damaged in transit are refunded in full."),
            RetrievedDocument::new("doc_087", 0.84)
                .with_content("Refunds never exceed the order total."),
        ]);
        retrieval.end();

        let mut messages = vec![Message::system(system), Message::user(question)];
        let plan = InferenceSpan::chat("openai", MODEL)
            .temperature(0.2)
            .max_tokens(512)
            .server("api.openai.com", 443)
            .start();
        plan.record_tool_names(["create_refund"]);
        plan.record_input_messages(&messages);
        let call = Part::tool_call(
            Some("call_9XkQ"),
            "create_refund",
            serde_json::json!({"order_id": "ord_55120", "refund_amount_cents": 12999}),
        );
        plan.record_response("chatcmpl-AX81", "gpt-4.1-mini-2025-04-14", ["tool_calls"]);
        plan.record_usage(Usage::new(812, 164).cache_read(512));
        plan.record_output_messages(&[OutputMessage::new(
            Message::with_parts("assistant", vec![call.clone()]),
            "tool_call",
        )]);
        plan.end();

        let tool = ToolSpan::builder("create_refund")
            .call_id("call_9XkQ")
            .agent("support_agent")
            .start();
        tool.record_arguments(
            &serde_json::json!({"order_id": "ord_55120", "refund_amount_cents": 12999}),
        );
        tool.record_error(
            "INVALID_ARGUMENT",
            "refund_amount_cents must be <= order_total_cents",
        );
        tool.end();

        messages.push(Message::with_parts("assistant", vec![call]));
        messages.push(Message::with_parts(
            "tool",
            vec![Part::tool_response(
                Some("call_9XkQ"),
                serde_json::json!({"error": "INVALID_ARGUMENT: refund_amount_cents must be <= order_total_cents (order total 11999)"}),
            )],
        ));
        let recover = InferenceSpan::chat("openai", MODEL)
            .temperature(0.2)
            .max_tokens(512)
            .output_type("json")
            .server("api.openai.com", 443)
            .start();
        recover.record_input_messages(&messages);
        let answer = r#"{"answer": "We're sorry your blender arrived broken. A full refund of $119.99 is on its way.", "refund_cents": 11999}"#;
        recover.record_response("chatcmpl-AX82", "gpt-4.1-mini-2025-04-14", ["stop"]);
        recover.record_usage(Usage::new(1024, 58).cache_read(768));
        recover.record_output_messages(&[OutputMessage::new(Message::assistant(answer), "stop")]);
        recover.end();

        let parser = ParserSpan::builder("SupportAnswer").start();
        parser.record_input(answer);
        parser.record_parse(Ok(()));
        parser.record_validate(Ok(()));
        parser.finish(ParseStatus::Ok);
        parser.end();
    });
    agent.end();
    trace_id
}

/// A second request: tenant `globex`, model `gpt-4.1`, one chat, no error. Returns the trace
/// id.
pub(crate) fn simple_request() -> String {
    let agent = AgentSpan::builder("faq_agent")
        .route("/v1/faq")
        .tenant("globex")
        .start();
    let trace_id = agent.trace_id().expect("a sampled trace");
    agent.in_scope(|| {
        let chat = InferenceSpan::chat("openai", "gpt-4.1").start();
        chat.record_input_messages(&[Message::user("What are your opening hours?")]);
        chat.record_response("chatcmpl-F1", "gpt-4.1-2025-04-14", ["stop"]);
        chat.record_usage(Usage::new(20, 12));
        chat.record_output_messages(&[OutputMessage::new(
            Message::assistant("We are open 9am to 5pm, Monday to Friday."),
            "stop",
        )]);
        chat.end();
    });
    agent.end();
    trace_id
}

/// A Python interpreter with `packages` installed, in the virtual environment `name` under
/// the target directory (created on first use, guarded by a file lock so parallel tests
/// share it). `GENAI_OTEL_CLI_PYTHON` overrides the interpreter of the `pyvenv-cli` venv
/// (it must have the packages).
///
/// Panics with the command to run by hand when Python or PyPI is unreachable: the tests
/// that need a Python peer fail rather than pass without it.
pub(crate) fn python_venv(name: &str, packages: &[&str]) -> PathBuf {
    if name == "pyvenv-cli" {
        if let Ok(python) = std::env::var("GENAI_OTEL_CLI_PYTHON") {
            return PathBuf::from(python);
        }
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::create_dir_all(&dir).expect("create venv dir");
    let lock = std::fs::File::create(dir.with_extension("lock")).expect("lock file");
    lock.lock().expect("lock venv");
    let python = dir.join("bin").join("python");
    if !python.exists() {
        let status = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&dir)
            .status()
            .expect("python3 is required for this test: install CPython 3.9+");
        assert!(status.success(), "python3 -m venv {} failed", dir.display());
    }
    let marker = dir.join(format!(
        "installed-{}",
        packages.join("+").replace(['/', '=', '<', '>'], "_")
    ));
    if !marker.exists() {
        let status = Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(packages)
            .status()
            .expect("run pip");
        assert!(
            status.success(),
            "pip install {} failed; run it by hand: {} -m pip install {}",
            packages.join(" "),
            python.display(),
            packages.join(" ")
        );
        std::fs::write(&marker, b"").expect("marker");
    }
    python
}

/// Parses JSON Lines.
pub(crate) fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}
