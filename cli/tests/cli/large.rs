//! `list` over a 5,000-trace store (20,000 spans), and its peak memory on a 5,000- and a
//! 50,000-trace store (the same). The 100,000-trace measurement is a documented command
//! (`cli/examples/gen_store.rs`, figures in `cli/README.md`), not part of the test suite.

use std::io::BufRead;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::{cli, command, json_lines, TempDir};
use crate::gen;

const TRACES: u64 = 5_000;

#[test]
fn list_streams_a_5k_trace_store() {
    let dir = TempDir::new("large");
    let store = dir.path().join("store");
    // 25 traces (100 spans) per line, 40 lines per file: 5 files.
    gen::write_store(&store, TRACES, 25, 40).expect("write store");
    // A span of trace 0 written long after the trace (in a file that sorts last).
    let late = gen::trace_spans(0).remove(0);
    gen::write_line(
        &store.join("traces-20260603T180000Z-1-000000.jsonl"),
        &[late],
    )
    .expect("late span");
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
    assert!(
        run.stderr.contains(
            "note: 1 span arrived after its trace was summarized (more than 4096 completed \
             traces later) and was left out of the trace's row"
        ),
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

    // --limit 0: every trace once (trace 0's late span does not start a second row), in
    // store order.
    let all = json_lines(cli(&["list", store_arg, "--limit", "0", "--json"]).ok());
    let ids: Vec<String> = all
        .iter()
        .map(|r| r["trace_id"].as_str().expect("id").to_owned())
        .collect();
    let written: Vec<String> = (0..TRACES)
        .map(|i| format!("{:032x}", gen::trace_id(i)))
        .collect();
    assert_eq!(ids, written);
    assert_eq!(all[0]["spans"], 4, "the late span is left out");

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

/// `genai-otel list --limit 0 | head -1`: once its output is closed, `list` stops reading
/// the store instead of reading the rest of it first. The store ends with an unreadable
/// line, and only a scan that reaches the end warns about it.
#[test]
fn list_stops_reading_the_store_when_its_output_is_closed() {
    let dir = TempDir::new("closed-output");
    let store = dir.path().join("store");
    gen::write_store(&store, TRACES, 25, 40).expect("write store");
    // A file that sorts after the generated ones.
    std::fs::write(
        store.join("traces-20260603T190000Z-1-000000.jsonl"),
        "not a span\n",
    )
    .expect("unreadable line");
    let store_arg = store.to_str().expect("utf-8 path");
    let args = ["list", store_arg, "--limit", "0", "--json"];
    const WARNING: &str = "skipped an unreadable line";

    // Read to the end, the scan reaches the last file.
    let whole = cli(&args);
    assert_eq!(whole.ok().lines().count() as u64, TRACES);
    assert!(whole.stderr.contains(WARNING), "{}", whole.stderr);

    // Read one row and close: about 1.5 MB of rows stay unread, far more than the pipe
    // holds, so `list` writes into a closed pipe long before the end of the store.
    let mut child = command(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn genai-otel");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut first = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut first)
        .expect("first row");
    assert!(first.starts_with('{'), "{first}");
    let closed = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&closed.stderr);
    assert!(closed.status.success(), "{stderr}");
    assert!(!stderr.contains(WARNING), "read to the end: {stderr}");
}

/// Peak resident set size, in bytes, of `genai-otel args…` (output discarded), from the
/// kernel's accounting of that one child (`wait4`), so it is exact and not polluted by other
/// tests' children.
#[cfg(any(target_os = "linux", target_os = "macos"))]
fn peak_rss(args: &[&str]) -> u64 {
    // Reaped by `wait4` below, which also returns its resource usage.
    #[allow(clippy::zombie_processes)]
    let child = command(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run genai-otel");
    let pid = libc::pid_t::try_from(child.id()).expect("pid fits pid_t");
    let mut status = 0;
    // SAFETY: `rusage` is plain data, for which all zeros is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our unwaited child; `status` and `usage` are valid for writes.
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid, "wait4: {}", std::io::Error::last_os_error());
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "genai-otel {args:?} failed: status {status}"
    );
    let max = u64::try_from(usage.ru_maxrss).expect("non-negative");
    // Linux reports kilobytes, macOS bytes.
    if cfg!(target_os = "macos") {
        max
    } else {
        max * 1024
    }
}

/// `list` holds only open traces and the rows it prints, `show` only the requested trace: a
/// store ten times larger needs no more memory, for `list` with the default limit and with
/// `--limit 0` (rows printed as they complete), and for `show`. Every root has a unique
/// name, so the string interner is tested too.
#[cfg(any(target_os = "linux", target_os = "macos"))]
#[test]
fn list_memory_does_not_grow_with_the_store() {
    const SMALL: u64 = 5_000;
    const BIG: u64 = 50_000;
    const MIB: u64 = 1024 * 1024;
    let dir = TempDir::new("flat");
    let small = dir.path().join("small");
    let big = dir.path().join("big");
    // 250 traces per line, 20 lines per file.
    gen::write_store_with(&small, SMALL, 250, 20, gen::lean_trace_spans).expect("small store");
    gen::write_store_with(&big, BIG, 250, 20, gen::lean_trace_spans).expect("big store");
    let small = small.to_str().expect("utf-8 path");
    let big = big.to_str().expect("utf-8 path");

    let first = format!("{:032x}", gen::trace_id(0));
    let commands: [(&str, &[&str]); 3] = [
        ("list", &[]),
        ("list", &["--limit", "0", "--json"]),
        ("show", &[&first[..12]]),
    ];
    for (command, extra) in commands {
        let run = |store: &str| {
            let mut args = vec![command, store];
            args.extend_from_slice(extra);
            peak_rss(&args)
        };
        let (small_rss, big_rss) = (run(small), run(big));
        eprintln!(
            "{command} {extra:?}: peak RSS {:.1} MiB for {SMALL} traces, {:.1} MiB for {BIG}",
            small_rss as f64 / MIB as f64,
            big_rss as f64 / MIB as f64
        );
        // The scan needs the same memory however many traces there are; allow 2 MiB of
        // allocator noise. Holding 200 bytes per trace would add 9 MiB.
        assert!(
            big_rss <= small_rss + 2 * MIB,
            "{command} {extra:?}: {big_rss} bytes for {BIG} traces vs {small_rss} for {SMALL}"
        );
    }
    // `show` stops counting distinct traces for its "not found" message.
    let missing = cli(&["show", big, "ffffffffffff"]);
    assert!(
        missing.stderr.contains(&format!(
            "(more than 10000 traces, {} spans scanned)",
            2 * BIG
        )),
        "{}",
        missing.stderr
    );

    // The rows are still right: every trace once, exact tokens.
    let rows = json_lines(cli(&["list", big, "--limit", "0", "--json"]).ok());
    assert_eq!(rows.len() as u64, BIG);
    let ids: std::collections::HashSet<&str> =
        rows.iter().filter_map(|r| r["trace_id"].as_str()).collect();
    assert_eq!(ids.len() as u64, BIG, "no trace listed twice");
    let row = &rows[1234];
    let i: u64 = row["root"].as_str().expect("root")["GET /orders/".len()..]
        .parse()
        .expect("trace number");
    assert_eq!(
        row["trace_id"],
        format!("{:032x}", gen::trace_id(i)).as_str()
    );
    let (input, output) = gen::tokens(i);
    assert_eq!(
        (row["input_tokens"].clone(), row["output_tokens"].clone()),
        (input.into(), output.into())
    );
    assert_eq!(row["spans"], 2);
}
