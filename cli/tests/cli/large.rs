//! `list` over a 5,000-trace store (20,000 spans). The 100,000-trace measurement is a
//! documented command (`cli/examples/gen_store.rs`), not part of the test suite.

use std::time::{Duration, Instant};

use crate::common::{cli, json_lines, TempDir};
use crate::gen;

const TRACES: u64 = 5_000;

#[test]
fn list_streams_a_5k_trace_store() {
    let dir = TempDir::new("large");
    let store = dir.path().join("store");
    // 25 traces (100 spans) per line, 40 lines per file: 5 files.
    gen::write_store(&store, TRACES, 25, 40).expect("write store");
    let store_arg = store.to_str().expect("utf-8 path");

    let started = Instant::now();
    let run = cli(&["list", store_arg, "--limit", "5"]);
    let elapsed = started.elapsed();
    let text = run.ok();
    assert_eq!(text.lines().count(), 6, "{text}");
    assert!(
        run.stderr
            .contains(&format!("5 of {TRACES} matching traces shown")),
        "{}",
        run.stderr
    );
    // Newest first: the last trace written.
    let newest = format!("{:032x}", gen::trace_id(TRACES - 1));
    assert!(
        text.lines().nth(1).is_some_and(|l| l.starts_with(&newest)),
        "{text}"
    );
    // Generous bound for an unoptimised build on a shared 2-core machine.
    assert!(elapsed < Duration::from_secs(30), "list took {elapsed:?}");
    eprintln!("list over {TRACES} traces: {elapsed:?} (debug build)");

    // Every trace is counted and aggregated exactly.
    let rows = json_lines(cli(&["list", store_arg, "--errors", "--limit", "0", "--json"]).ok());
    assert_eq!(
        rows.len() as u64,
        (0..TRACES).filter(|&i| gen::has_error(i)).count() as u64
    );
    let row = rows
        .iter()
        .find(|r| r["trace_id"] == format!("{:032x}", gen::trace_id(13)).as_str())
        .expect("trace 13 has an error");
    let (input, output) = gen::tokens(13);
    assert_eq!(row["spans"], 4);
    assert_eq!(row["input_tokens"], input);
    assert_eq!(row["output_tokens"], output);
    assert_eq!(row["sampling"], "keep:error");
    assert_eq!(row["start"], "2026-06-03T17:00:13.000Z");
    let by_tenant = json_lines(
        cli(&[
            "list", store_arg, "--tenant", "globex", "--model", "gpt-4.1", "--limit", "0", "--json",
        ])
        .ok(),
    );
    let expected = (0..TRACES)
        .filter(|i| {
            gen::TENANTS[(i % 3) as usize] == "globex"
                && gen::MODELS[(i / 3 % 3) as usize] == "gpt-4.1"
        })
        .count();
    assert_eq!(by_tenant.len(), expected);
}
