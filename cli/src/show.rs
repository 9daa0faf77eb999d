//! `genai-otel show`: one trace as a timeline tree.

use std::fmt::Write as _;
use std::io::IsTerminal;

use clap::{Args, ValueEnum};
use genai_otel::otlp_json::SpanRecord;
use genai_otel::semconv;
use genai_otel::timeline::{format_duration, render, TimelineOptions};

use crate::error::{out, CliError};
use crate::list::clean;
use crate::source::{collect_traces, split_source, BackendArgs, Source};
use crate::summary::is_model_call;
use crate::timefmt::rfc3339_millis;

/// When to colour the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    /// When standard output is a terminal and `NO_COLOR` is not set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

impl ColorChoice {
    fn enabled(self) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none()
                    && std::env::var("TERM").map_or(true, |t| t != "dumb")
            }
        }
    }
}

/// Arguments of `genai-otel show`.
#[derive(Debug, Args)]
#[command(
    about = "One trace as a timeline tree",
    long_about = "One trace as a timeline tree, one line per span: offset from the trace's start, \
the tree, status, duration and key attributes — prompt name and version, retrieval document ids \
and scores, model tokens and finish reasons, tool errors with their messages, the parser's \
outcome, route, tenant, hashed user and the sampling decision.\n\n\
Colour is used on a terminal; piped output is plain.",
    override_usage = "genai-otel show [OPTIONS] [SOURCE] <TRACE_ID>",
    after_help = "Examples:\n  \
genai-otel show 4bf92f3577b34da6a3ce929d0e0e4736\n  \
genai-otel show traces.jsonl 4bf92f35 --content      a unique prefix of 8+ digits is enough\n  \
genai-otel show 4bf92f35 --json | jq 'select(.status.code == \"error\")'"
)]
pub(crate) struct ShowArgs {
    #[arg(
        value_name = "TRACE_ID",
        num_args = 1..=2,
        required = true,
        help = "[SOURCE] TRACE_ID: an optional store directory or OTLP/JSON file or directory \
                (default: the local store), then the trace id (32 hex digits, or a unique \
                prefix of at least 8)"
    )]
    args: Vec<String>,
    #[command(flatten)]
    backend: BackendArgs,
    /// Include recorded content (prompts, completions, tool arguments and results, retrieved
    /// documents) under each span. Recorded only when the application turned content capture
    /// on.
    #[arg(long)]
    content: bool,
    /// With --content: characters of each value shown before it is cut (0 = no limit).
    #[arg(long, value_name = "N", default_value_t = 200)]
    content_chars: usize,
    /// Print the raw spans instead, one JSON object per line (JSON Lines), in start order.
    #[arg(long)]
    json: bool,
    /// Colour: auto (on a terminal), always or never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

/// Runs `genai-otel show`.
pub(crate) fn run(args: &ShowArgs) -> Result<(), CliError> {
    let (source_arg, ids) = split_source(&args.args, args.backend.phoenix.is_some())?;
    if ids.len() != 1 {
        return Err(CliError::usage(format!(
            "show takes one trace id, got {}: {}",
            ids.len(),
            ids.join(" ")
        )));
    }
    let source = Source::resolve(source_arg.as_deref(), &args.backend)?;
    let mut traces = collect_traces(&source, &ids)?;
    let Some((trace_id, spans)) = traces.pop() else {
        return Err(CliError::failed("no trace found"));
    };
    if args.json {
        let mut text = String::new();
        for span in &spans {
            let line = serde_json::to_string(span)
                .map_err(|err| CliError::failed(format!("cannot encode span as JSON: {err}")))?;
            text.push_str(&line);
            text.push('\n');
        }
        return out(&text);
    }
    let color = args.color.enabled();
    let options = TimelineOptions::default()
        .with_color(color)
        .with_content(args.content)
        .with_content_max_chars(if args.content_chars == 0 {
            usize::MAX
        } else {
            args.content_chars
        });
    let mut text = header(&trace_id, &spans);
    text.push_str(&render(&spans, &options));
    text.push_str(&footer(&spans));
    out(&text)?;
    if args.content
        && !spans
            .iter()
            .any(|s| s.attributes.iter().any(|(k, _)| semconv::is_content_key(k)))
    {
        eprintln!(
            "note: no content was recorded for trace {trace_id}; the application records prompts \
             and completions only with content capture on (Config::record_content(true) or \
             OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true)"
        );
    }
    Ok(())
}

fn header(trace_id: &str, spans: &[SpanRecord]) -> String {
    let start = spans
        .iter()
        .map(|s| s.start_unix_nanos)
        .filter(|&t| t != 0)
        .min()
        .unwrap_or(0);
    let end = spans.iter().map(|s| s.end_unix_nanos).max().unwrap_or(0);
    let errors = spans.iter().filter(|s| s.status.is_error()).count();
    let service = spans.iter().find_map(|s| s.resource_str("service.name"));
    let mut parts = vec![format!("trace {trace_id}")];
    if let Some(service) = service {
        parts.push(clean(service));
    }
    parts.push(rfc3339_millis(start));
    parts.push(format!(
        "{} span{}",
        spans.len(),
        if spans.len() == 1 { "" } else { "s" }
    ));
    parts.push(format_duration(end.saturating_sub(start)));
    parts.push(match errors {
        0 => "ok".into(),
        1 => "1 error".into(),
        n => format!("{n} errors"),
    });
    format!("{}\n\n", parts.join("  ·  "))
}

fn footer(spans: &[SpanRecord]) -> String {
    let calls: Vec<&SpanRecord> = spans.iter().filter(|s| is_model_call(s)).collect();
    if calls.is_empty() {
        return String::new();
    }
    let sum = |key: &str| -> i64 { calls.iter().filter_map(|s| s.attr_i64(key)).sum() };
    let mut models: Vec<String> = Vec::new();
    for span in &calls {
        if let Some(model) = span.attr_str(semconv::GEN_AI_REQUEST_MODEL) {
            if !models.iter().any(|m| m == model) {
                models.push(clean(model));
            }
        }
    }
    let mut text = format!(
        "\n{} model call{}",
        calls.len(),
        if calls.len() == 1 { "" } else { "s" }
    );
    if !models.is_empty() {
        let _ = write!(text, " ({})", models.join(", "));
    }
    let _ = write!(
        text,
        "  ·  tokens in={} out={}",
        sum(semconv::GEN_AI_USAGE_INPUT_TOKENS),
        sum(semconv::GEN_AI_USAGE_OUTPUT_TOKENS)
    );
    let cached = sum(semconv::GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS);
    if cached > 0 {
        let _ = write!(text, " cached={cached}");
    }
    let costs: Vec<f64> = calls
        .iter()
        .filter_map(|s| s.attr_f64(semconv::COST_USD))
        .collect();
    if !costs.is_empty() {
        let _ = write!(text, "  ·  cost ${:.4}", costs.iter().sum::<f64>());
    }
    text.push('\n');
    text
}
