//! Writes a synthetic store for volume measurements of `genai-otel list`.
//!
//! ```text
//! cargo run --release -p genai-otel-cli --example gen_store -- DIR 100000
//! /usr/bin/time -v target/release/genai-otel list DIR --limit 5
//! ```
//!
//! Trace `i` has four spans (agent, retrieval, chat, tool; every tenth with a tool error),
//! written as OTLP/JSON Lines with the library's `encode_request`: 100 traces per line (one
//! export batch), 200 lines per file. The generator is shared with the test suite
//! (`tests/cli/gen.rs`).

#[path = "../tests/cli/gen.rs"]
mod gen;

use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(dir), Some(count)) = (args.first(), args.get(1)) else {
        eprintln!("usage: gen_store DIR TRACES   (e.g. gen_store /tmp/big-store 100000)");
        return ExitCode::from(2);
    };
    let Ok(traces) = count.parse::<u64>() else {
        eprintln!("TRACES must be a number, got {count}");
        return ExitCode::from(2);
    };
    let started = Instant::now();
    match gen::write_store(std::path::Path::new(dir), traces, 100, 200) {
        Ok(bytes) => {
            println!(
                "wrote {traces} traces ({} spans, {:.1} MiB) to {dir} in {:.1?}",
                traces * 4,
                bytes as f64 / (1024.0 * 1024.0),
                started.elapsed()
            );
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("cannot write {dir}: {err}");
            ExitCode::FAILURE
        }
    }
}
