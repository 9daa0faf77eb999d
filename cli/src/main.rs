//! `genai-otel`: review traces as timelines, find them, and turn production traces into
//! eval datasets.
//!
//! ```text
//! genai-otel list [SOURCE] [--errors] [--model M] [--since 2h] ...   one line per trace
//! genai-otel show [SOURCE] TRACE_ID [--content] [--json]              the timeline tree
//! genai-otel export-trace [SOURCE] TRACE_ID... [--format yaml|jsonl]  eval cases with baselines
//! genai-otel eval DATASET... [--outputs FILE]                         check cases' assertions
//! ```
//!
//! SOURCE is optional and comes before any trace id: a local store directory written by the
//! library (default: `$GENAI_OTEL_STORE_DIR` or `.genai-otel/traces`), an OTLP/JSON file or
//! directory as the OpenTelemetry Collector's file exporter writes it, or, with
//! `--phoenix URL`, an Arize Phoenix server's REST API. `list` and `show` stream the store in
//! bounded memory: `list` holds only the traces still open (their root not yet read, a
//! capped number) and the `--limit` rows it will print (`summary` documents the bounds);
//! `show` and `export-trace` hold only the requested traces' spans.
//!
//! Module map: `source` resolves SOURCE and streams spans from it (`phoenix` for the REST
//! API); `summary` folds spans into per-trace rows for `list`; `show` renders one trace;
//! `export` builds eval cases that `dataset` writes as YAML or JSON Lines; `eval` checks
//! assertions; `timefmt` parses and prints times; `error` turns failures into exit codes.

mod dataset;
mod error;
mod eval;
mod export;
mod list;
mod phoenix;
mod redact;
mod show;
mod source;
mod summary;
mod timefmt;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Review traces as timelines, find them, and turn production traces into eval datasets.
///
/// Every command reads a SOURCE, given as the first positional argument (before any trace id)
/// or omitted:
///
///   (omitted)         the local store: $GENAI_OTEL_STORE_DIR, else .genai-otel/traces
///   DIR               a store directory, or any directory of OTLP/JSON files (*.jsonl, *.json)
///   FILE              one OTLP/JSON Lines file, e.g. the OTel Collector file exporter's output
///   --phoenix URL     an Arize Phoenix server (REST API), with --project NAME
#[derive(Debug, Parser)]
#[command(
    name = "genai-otel",
    verbatim_doc_comment,
    version,
    propagate_version = true,
    after_help = "Typical loop:\n  \
        genai-otel list --errors --since 1d          find interesting traces\n  \
        genai-otel show 4bf92f3577b34da6a3ce929d0e0e4736 --content\n  \
        genai-otel export-trace 4bf92f35... --output evals/\n  \
        genai-otel eval evals/*.yaml --outputs new-run.jsonl   in CI"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Each subcommand's help (`about`, `long_about`, examples) is declared on its `Args` struct,
// next to its options.
#[derive(Debug, Subcommand)]
enum Command {
    List(list::ListArgs),
    Show(show::ShowArgs),
    #[command(name = "export-trace")]
    ExportTrace(export::ExportArgs),
    Eval(eval::EvalArgs),
    Redact(redact::RedactArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::List(args) => error::report(list::run(&args)),
        Command::Show(args) => error::report(show::run(&args)),
        Command::ExportTrace(args) => error::report(export::run(&args)),
        Command::Eval(args) => eval::run(&args),
        Command::Redact(args) => redact::run(&args),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
