//! `genai-otel export-trace`: production traces to eval datasets.
//!
//! One dataset per trace, one case per model call (`chat`, `text_completion`,
//! `generate_content` spans, in start order). A case holds:
//!
//! * `variables`: the call's input — `messages` (`gen_ai.input.messages`),
//!   `system_instructions`, and each rendered prompt variable (`gen_ai.prompt.variable.*`,
//!   from the latest `prompt.render` span that finished before the call, or the call itself);
//! * `context`: what shaped the call — prompt name / version / registry id / release, provider,
//!   model and request parameters, the tools offered, the documents retrieved and the tool
//!   executions (with results or errors) that finished before the call started;
//! * `trace`: the trace and span id, and the command that shows the trace;
//! * `production_output`: the text and tool calls the model produced;
//! * `assertions`: baselines derived from that output (see `eval.rs`), which all pass on it.
//!
//! Export needs recorded content: without a call's input and output there is no case to
//! write. Then nothing is written and the error names the setting to turn on.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use genai_otel::otlp_json::{AttrValue, SpanRecord};
use genai_otel::semconv;
use serde_json::Value as Json;

use crate::dataset::{map, to_json, to_yaml, Node};
use crate::error::{out, CliError};
use crate::eval::{baseline_assertions, Output};
use crate::source::{collect_traces, split_source, BackendArgs, Source};
use crate::timefmt::{now_nanos, rfc3339_millis, rfc3339_secs};

/// Dataset file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// One YAML document per trace: `name`, `source`, `metadata`, `cases`.
    Yaml,
    /// One JSON object per case and line, each with its dataset's `name`, `source` and
    /// `metadata` under `dataset`.
    Jsonl,
}

/// Arguments of `genai-otel export-trace`.
#[derive(Debug, Args)]
#[command(
    about = "Turn traces into eval datasets, one case per model call",
    long_about = "Turn production traces into eval datasets: one case per model call, with the \
call's input (messages, system instructions, rendered prompt variables), the context that shaped \
it (prompt name and version, model and parameters, retrieved document ids, tool calls and their \
results), a link back to the trace and span, the production output, and baseline assertions \
derived from it:\n  \
max_length    1.5x the production text length\n  \
not_contains  refusal phrases, when production did not refuse\n  \
is_json       when production returned a JSON object or array\n  \
tool_called   each tool production called\n\n\
Add your own assertions under a case's `assertions:` and check them with `genai-otel eval`.\n\n\
Needs recorded content: the application must run with content capture on \
(Config::record_content(true) or OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true). \
For a trace without it, nothing is written and the command exits with 1.",
    override_usage = "genai-otel export-trace [OPTIONS] [SOURCE] <TRACE_ID>...",
    after_help = "Examples:\n  \
genai-otel export-trace 4bf92f3577b34da6a3ce929d0e0e4736 > case.yaml\n  \
genai-otel export-trace traces.jsonl 4bf92f35 0af76519 --output evals/\n  \
genai-otel export-trace --phoenix http://127.0.0.1:6006 --project support 4bf92f35... --format jsonl"
)]
pub(crate) struct ExportArgs {
    #[arg(
        value_name = "TRACE_ID",
        num_args = 1..,
        required = true,
        help = "[SOURCE] TRACE_ID...: an optional store directory or OTLP/JSON file or \
                directory (default: the local store), then one or more trace ids (32 hex \
                digits, or unique prefixes of at least 8)"
    )]
    args: Vec<String>,
    #[command(flatten)]
    backend: BackendArgs,
    /// Dataset format.
    #[arg(long, value_enum, default_value_t = Format::Yaml)]
    format: Format,
    /// Write one file per trace, DIR/trace-<TRACE_ID>.<yaml|jsonl>, instead of printing to
    /// standard output (YAML documents are then separated by `---`). DIR is created if needed.
    #[arg(long, short, value_name = "DIR")]
    output: Option<PathBuf>,
}

/// Runs `genai-otel export-trace`.
pub(crate) fn run(args: &ExportArgs) -> Result<(), CliError> {
    let (source_arg, ids) = split_source(&args.args, args.backend.phoenix.is_some())?;
    let source = Source::resolve(source_arg.as_deref(), &args.backend)?;
    let traces = collect_traces(&source, &ids)?;
    let exported_at = now_nanos();
    let mut datasets = Vec::new();
    let mut problems = Vec::new();
    for (trace_id, spans) in &traces {
        match build_dataset(trace_id, spans, &source, exported_at) {
            Ok(dataset) => datasets.push(dataset),
            Err(problem) => problems.push(problem),
        }
    }
    if !problems.is_empty() {
        return Err(CliError::failed(format!(
            "{}\nnothing was written",
            problems.join("\n")
        )));
    }
    let rendered: Vec<(String, String, usize)> = datasets
        .iter()
        .map(|d| (d.trace_id.clone(), render(d, args.format), d.cases))
        .collect();
    match &args.output {
        None => {
            let mut text = String::new();
            for (i, (_, body, _)) in rendered.iter().enumerate() {
                if i > 0 && args.format == Format::Yaml {
                    text.push_str("---\n");
                }
                text.push_str(body);
            }
            out(&text)
        }
        Some(dir) => {
            fs::create_dir_all(dir).map_err(|err| {
                CliError::failed(format!("cannot create {}: {err}", dir.display()))
            })?;
            let extension = match args.format {
                Format::Yaml => "yaml",
                Format::Jsonl => "jsonl",
            };
            for (trace_id, body, cases) in &rendered {
                let path = dir.join(format!("trace-{trace_id}.{extension}"));
                write_atomically(&path, body)?;
                eprintln!(
                    "wrote {}: {cases} case{} from trace {trace_id}",
                    path.display(),
                    if *cases == 1 { "" } else { "s" }
                );
            }
            Ok(())
        }
    }
}

fn write_atomically(path: &Path, body: &str) -> Result<(), CliError> {
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, body)
        .and_then(|()| fs::rename(&tmp, path))
        .map_err(|err| {
            let _ = fs::remove_file(&tmp);
            CliError::failed(format!("cannot write {}: {err}", path.display()))
        })
}

/// A built dataset.
#[derive(Debug)]
pub(crate) struct Dataset {
    trace_id: String,
    cases: usize,
    head: Vec<(String, Node)>,
    case_nodes: Vec<Node>,
}

fn render(dataset: &Dataset, format: Format) -> String {
    let mut text = String::new();
    match format {
        Format::Yaml => {
            let mut entries = dataset.head.clone();
            entries.push(("cases".into(), Node::Seq(dataset.case_nodes.clone())));
            to_yaml(
                &Node::Map(entries),
                &[
                    &format!("Eval dataset exported by genai-otel from trace {}.", dataset.trace_id),
                    "One case per model call. `assertions` are baselines derived from the production output;",
                    "add your own (max_length, min_length, contains, not_contains, equals, regex, is_json,",
                    "tool_called) and check them with: genai-otel eval <this file> [--outputs run.jsonl]",
                ],
                &mut text,
            );
        }
        Format::Jsonl => {
            for case in &dataset.case_nodes {
                let mut entries = match case {
                    Node::Map(entries) => entries.clone(),
                    other => vec![("case".into(), other.clone())],
                };
                entries.push(("dataset".into(), Node::Map(dataset.head.clone())));
                to_json(&Node::Map(entries), &mut text);
                text.push('\n');
            }
        }
    }
    text
}

fn operation(span: &SpanRecord) -> Option<&str> {
    span.attr_str(semconv::GEN_AI_OPERATION_NAME)
}

fn is_generation(span: &SpanRecord) -> bool {
    matches!(
        operation(span),
        Some(
            semconv::operation::CHAT
                | semconv::operation::TEXT_COMPLETION
                | semconv::operation::GENERATE_CONTENT
        )
    )
}

fn attr_node(value: &AttrValue) -> Node {
    match value {
        AttrValue::Str(s) => Node::Str(s.clone()),
        AttrValue::Bool(b) => Node::Bool(*b),
        AttrValue::Int(i) => Node::Int(*i),
        AttrValue::Double(d) => Node::Float(*d),
        AttrValue::Array(items) => Node::Seq(items.iter().map(attr_node).collect()),
        AttrValue::Map(entries) => Node::Map(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), attr_node(v)))
                .collect(),
        ),
        AttrValue::Empty => Node::Null,
        other => Node::Str(other.to_string()),
    }
}

fn str_node(span: &SpanRecord, key: &str) -> Option<Node> {
    span.attr_str(key).filter(|s| !s.is_empty()).map(Node::str)
}

fn any_node(span: &SpanRecord, key: &str) -> Option<Node> {
    span.attr(key).map(attr_node)
}

/// A content attribute that holds JSON (messages, arguments): parsed when it parses, else
/// kept as text.
fn json_attr(span: &SpanRecord, key: &str) -> Option<(Node, bool)> {
    let text = span.attr_str(key)?;
    Some(match serde_json::from_str::<Json>(text) {
        Ok(value) => (Node::from_json(&value), true),
        Err(_) => (Node::str(text), false),
    })
}

/// The output of a generation span, from `gen_ai.output.messages` (first message = first
/// choice) or the legacy `gen_ai.completion`.
fn production_output(span: &SpanRecord) -> Result<Option<(Output, Vec<Node>)>, String> {
    if let Some(text) = span.attr_str(semconv::GEN_AI_OUTPUT_MESSAGES) {
        let messages: Json = serde_json::from_str(text).map_err(|err| {
            format!("gen_ai.output.messages is not JSON ({err}); was it cut short?")
        })?;
        let first = match &messages {
            Json::Array(items) => items.first().cloned().unwrap_or(Json::Null),
            other => other.clone(),
        };
        let mut output = Output::default();
        let mut calls = Vec::new();
        if let Some(content) = first.get("content").and_then(Json::as_str) {
            output.text.push_str(content);
        }
        for part in first
            .get("parts")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            match part.get("type").and_then(Json::as_str) {
                Some("text") => {
                    if let Some(content) = part.get("content").and_then(Json::as_str) {
                        output.text.push_str(content);
                    }
                }
                Some("tool_call") => {
                    let name = part
                        .get("name")
                        .and_then(Json::as_str)
                        .unwrap_or_default()
                        .to_owned();
                    output.tool_calls.push(name.clone());
                    calls.push(map(vec![
                        ("name", Some(Node::str(name))),
                        ("id", part.get("id").map(Node::from_json)),
                        ("arguments", part.get("arguments").map(Node::from_json)),
                    ]));
                }
                _ => {}
            }
        }
        return Ok(Some((output, calls)));
    }
    if let Some(text) = span.attr_str("gen_ai.completion") {
        return Ok(Some((
            Output {
                text: text.to_owned(),
                tool_calls: Vec::new(),
            },
            Vec::new(),
        )));
    }
    Ok(None)
}

fn content_hint(spans: &[SpanRecord]) -> String {
    let decision = spans
        .iter()
        .find_map(|s| s.attr_str(semconv::SAMPLING_DECISION));
    let mut hint = String::from(
        "turn content capture on in the application — Config::record_content(true), or \
         OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true (with a ContentCapture policy, \
         input_messages and output_messages must be on and the trace sampled for content) — \
         and export a trace recorded after that",
    );
    if let Some(decision) = decision.filter(|d| d.contains("metadata")) {
        let _ = write!(
            hint,
            "; this trace was kept by the sampler's metadata-only tier (`{decision}`), which \
             removes content"
        );
    }
    hint
}

fn build_dataset(
    trace_id: &str,
    spans: &[SpanRecord],
    source: &Source,
    exported_at: u64,
) -> Result<Dataset, String> {
    let calls: Vec<&SpanRecord> = spans.iter().filter(|s| is_generation(s)).collect();
    if calls.is_empty() {
        return Err(format!(
            "trace {trace_id} has no model calls (spans with gen_ai.operation.name chat, \
             text_completion or generate_content); there is nothing to export"
        ));
    }
    let short = &trace_id[..8.min(trace_id.len())];
    let show = format!("genai-otel show{} {trace_id}", source.command_args());
    let mut missing = Vec::new();
    let mut cases = Vec::new();
    for (index, span) in calls.iter().enumerate() {
        let label = format!("span {} ({})", span.span_id, span.name);
        if span.attr_bool(semconv::CONTENT_TRUNCATED) == Some(true) {
            missing.push(format!(
                "{label}: content was truncated (genai_otel.content.truncated); raise \
                 GENAI_OTEL_CONTENT_MAX_LENGTH / ContentCapture::max_length so outputs are \
                 recorded whole"
            ));
            continue;
        }
        let output = match production_output(span) {
            Ok(output) => output,
            Err(why) => {
                missing.push(format!("{label}: {why}"));
                continue;
            }
        };
        let mut variables: Vec<(String, Node)> = Vec::new();
        if let Some((messages, _)) = json_attr(span, semconv::GEN_AI_INPUT_MESSAGES) {
            variables.push(("messages".into(), messages));
        }
        if let Some((system, _)) = json_attr(span, semconv::GEN_AI_SYSTEM_INSTRUCTIONS) {
            variables.push(("system_instructions".into(), system));
        }
        if let Some(prompt) = span.attr_str("gen_ai.prompt") {
            variables.push(("prompt".into(), Node::str(prompt)));
        }
        // Rendered variables: on the latest `prompt.render` span that finished before the
        // call (where the library records them), then on the call itself.
        let render = spans
            .iter()
            .filter(|s| s.attr_str(semconv::SPAN_TYPE) == Some("prompt.render"))
            .filter(|s| s.end_unix_nanos != 0 && s.end_unix_nanos <= span.start_unix_nanos)
            .max_by_key(|s| s.end_unix_nanos);
        for source in render.into_iter().chain([*span]) {
            for (key, value) in &source.attributes {
                if let Some(name) = key.strip_prefix(semconv::GEN_AI_PROMPT_VARIABLE_PREFIX) {
                    variables.retain(|(k, _)| k != name);
                    variables.push((name.to_owned(), attr_node(value)));
                }
            }
        }
        let (output, output_calls) = match output {
            Some(output) if !variables.is_empty() => output,
            Some(_) => {
                missing.push(format!(
                    "{label}: its input was not recorded (no gen_ai.input.messages or \
                     gen_ai.prompt.variable.*)"
                ));
                continue;
            }
            None => {
                missing.push(format!(
                    "{label}: its output was not recorded (no gen_ai.output.messages){}",
                    if variables.is_empty() {
                        " and neither was its input"
                    } else {
                        ""
                    }
                ));
                continue;
            }
        };

        let context = case_context(span, spans);
        let production = map(vec![
            ("text", Some(Node::str(output.text.clone()))),
            ("tool_calls", Some(Node::Seq(output_calls))),
            (
                "finish_reasons",
                any_node(span, semconv::GEN_AI_RESPONSE_FINISH_REASONS),
            ),
            (
                "usage",
                Some(map(vec![
                    (
                        "input_tokens",
                        any_node(span, semconv::GEN_AI_USAGE_INPUT_TOKENS),
                    ),
                    (
                        "output_tokens",
                        any_node(span, semconv::GEN_AI_USAGE_OUTPUT_TOKENS),
                    ),
                ]))
                .filter(|n| !n.is_empty_map()),
            ),
        ]);
        cases.push(map(vec![
            ("id", Some(Node::str(format!("{short}-{}", index + 1)))),
            (
                "description",
                Some(Node::str(format!(
                    "{} — model call {} of {} in trace {short}",
                    span.name,
                    index + 1,
                    calls.len()
                ))),
            ),
            (
                "trace",
                Some(map(vec![
                    ("trace_id", Some(Node::str(trace_id))),
                    ("span_id", Some(Node::str(span.span_id.clone()))),
                    ("show", Some(Node::str(show.clone()))),
                ])),
            ),
            ("variables", Some(Node::Map(variables))),
            ("context", Some(context)),
            ("production_output", Some(production)),
            ("assertions", Some(Node::Seq(baseline_assertions(&output)))),
        ]));
    }
    if !missing.is_empty() {
        return Err(format!(
            "trace {trace_id}: content was not recorded for {} of its {} model calls:\n  {}\n{}",
            missing.len(),
            calls.len(),
            missing.join("\n  "),
            content_hint(spans)
        ));
    }

    let first = calls[0];
    let root = spans
        .iter()
        .filter(|s| s.parent_span_id.is_none())
        .chain(spans.iter().filter(|s| s.is_local_root()))
        .next();
    let name = match root {
        Some(root) => format!("{} {short}", root.name),
        None => format!("trace {short}"),
    };
    let trace_start = spans
        .iter()
        .map(|s| s.start_unix_nanos)
        .filter(|&t| t != 0)
        .min()
        .unwrap_or(0);
    let source_node = match source {
        Source::Files { path, .. } => map(vec![
            ("type", Some(Node::str("otlp-json"))),
            ("location", Some(Node::str(path.display().to_string()))),
        ]),
        Source::Phoenix(phoenix) => map(vec![
            ("type", Some(Node::str("phoenix"))),
            ("location", Some(Node::str(phoenix.url()))),
            ("project", Some(Node::str(phoenix.project()))),
        ]),
    };
    let head = vec![
        ("name".to_owned(), Node::str(name)),
        (
            "description".to_owned(),
            Node::str(format!(
                "Regression cases from trace {trace_id}: one per model call, with baseline \
                 assertions derived from the production output."
            )),
        ),
        ("source".to_owned(), source_node),
        (
            "metadata".to_owned(),
            map(vec![
                ("trace_id", Some(Node::str(trace_id))),
                ("trace_start", Some(Node::str(rfc3339_millis(trace_start)))),
                ("exported_at", Some(Node::str(rfc3339_secs(exported_at)))),
                (
                    "exported_by",
                    Some(Node::str(concat!("genai-otel ", env!("CARGO_PKG_VERSION")))),
                ),
                ("model", str_node(first, semconv::GEN_AI_REQUEST_MODEL)),
                ("provider", str_node(first, semconv::GEN_AI_PROVIDER_NAME)),
                (
                    "service",
                    spans
                        .iter()
                        .find_map(|s| s.resource_str("service.name"))
                        .map(Node::str),
                ),
                ("prompt", str_node(first, semconv::GEN_AI_PROMPT_NAME)),
                (
                    "prompt_version",
                    str_node(first, semconv::GEN_AI_PROMPT_VERSION),
                ),
            ]),
        ),
    ];
    Ok(Dataset {
        trace_id: trace_id.to_owned(),
        cases: cases.len(),
        head,
        case_nodes: cases,
    })
}

impl Node {
    fn is_empty_map(&self) -> bool {
        matches!(self, Node::Map(entries) if entries.is_empty())
    }
}

/// The context of one generation span within its trace.
fn case_context(span: &SpanRecord, spans: &[SpanRecord]) -> Node {
    let prompt = map(vec![
        ("name", str_node(span, semconv::GEN_AI_PROMPT_NAME)),
        ("version", str_node(span, semconv::GEN_AI_PROMPT_VERSION)),
        ("version_id", str_node(span, semconv::PROMPT_VERSION_ID)),
        ("release", str_node(span, semconv::PROMPT_RELEASE)),
    ]);
    let parameter_keys = [
        ("temperature", semconv::GEN_AI_REQUEST_TEMPERATURE),
        ("top_p", semconv::GEN_AI_REQUEST_TOP_P),
        ("top_k", semconv::GEN_AI_REQUEST_TOP_K),
        ("max_tokens", semconv::GEN_AI_REQUEST_MAX_TOKENS),
        ("seed", semconv::GEN_AI_REQUEST_SEED),
        (
            "frequency_penalty",
            semconv::GEN_AI_REQUEST_FREQUENCY_PENALTY,
        ),
        ("presence_penalty", semconv::GEN_AI_REQUEST_PRESENCE_PENALTY),
        ("stop_sequences", semconv::GEN_AI_REQUEST_STOP_SEQUENCES),
        ("choice_count", semconv::GEN_AI_REQUEST_CHOICE_COUNT),
        ("output_type", semconv::GEN_AI_OUTPUT_TYPE),
        ("stream", semconv::GEN_AI_REQUEST_STREAM),
    ];
    let parameters = map(parameter_keys
        .iter()
        .map(|(name, key)| (*name, any_node(span, key)))
        .collect());
    let model = map(vec![
        ("provider", str_node(span, semconv::GEN_AI_PROVIDER_NAME)),
        (
            "request_model",
            str_node(span, semconv::GEN_AI_REQUEST_MODEL),
        ),
        (
            "response_model",
            str_node(span, semconv::GEN_AI_RESPONSE_MODEL),
        ),
        ("parameters", Some(parameters).filter(|p| !p.is_empty_map())),
    ]);
    let tools: Vec<Node> = span
        .attr_str(semconv::GEN_AI_TOOL_DEFINITIONS)
        .and_then(|text| serde_json::from_str::<Json>(text).ok())
        .and_then(|defs| defs.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|def| {
            def.get("name")
                .or_else(|| def.get("function").and_then(|f| f.get("name")))
                .and_then(Json::as_str)
                .map(Node::str)
        })
        .collect();

    // Steps of the same trace that finished before this call started.
    let before = |other: &&SpanRecord| {
        other.span_id != span.span_id
            && other.end_unix_nanos != 0
            && other.end_unix_nanos <= span.start_unix_nanos
    };
    let mut documents = Vec::new();
    for retrieval in spans
        .iter()
        .filter(|s| operation(s) == Some(semconv::operation::RETRIEVAL))
        .filter(before)
    {
        let ids = retrieval
            .attr_str_array(semconv::RETRIEVAL_DOCUMENT_IDS)
            .unwrap_or_default();
        let scores = retrieval
            .attr_f64_array(semconv::RETRIEVAL_DOCUMENT_SCORES)
            .unwrap_or_default();
        for (i, id) in ids.iter().enumerate() {
            documents.push(map(vec![
                ("id", Some(Node::str(*id))),
                ("score", scores.get(i).map(|s| Node::Float(*s))),
                (
                    "data_source",
                    str_node(retrieval, semconv::GEN_AI_DATA_SOURCE_ID),
                ),
            ]));
        }
    }
    let tool_runs: Vec<Node> = spans
        .iter()
        .filter(|s| operation(s) == Some(semconv::operation::EXECUTE_TOOL))
        .filter(before)
        .map(|tool| {
            let error = tool.status.is_error().then(|| {
                let kind = tool.attr_str(semconv::ERROR_TYPE).unwrap_or_default();
                let message = tool.status.message.as_str();
                Node::str(match (kind.is_empty(), message.is_empty()) {
                    (false, false) => format!("{kind}: {message}"),
                    (false, true) => kind.to_owned(),
                    _ => message.to_owned(),
                })
            });
            map(vec![
                ("name", str_node(tool, semconv::GEN_AI_TOOL_NAME)),
                ("call_id", str_node(tool, semconv::GEN_AI_TOOL_CALL_ID)),
                (
                    "status",
                    Some(Node::str(if tool.status.is_error() {
                        "error"
                    } else {
                        "ok"
                    })),
                ),
                ("error", error),
                (
                    "arguments",
                    json_attr(tool, semconv::GEN_AI_TOOL_CALL_ARGUMENTS).map(|(n, _)| n),
                ),
                (
                    "result",
                    json_attr(tool, semconv::GEN_AI_TOOL_CALL_RESULT).map(|(n, _)| n),
                ),
            ])
        })
        .collect();
    map(vec![
        ("prompt", Some(prompt).filter(|p| !p.is_empty_map())),
        ("model", Some(model)),
        ("tools_available", Some(Node::Seq(tools))),
        ("retrieved_documents", Some(Node::Seq(documents))),
        ("tool_calls", Some(Node::Seq(tool_runs))),
    ])
}
