//! Compile-fail tests of the attribute macros: every argument error, the token it points at,
//! and that the function survives it (each case calls its function from `main`: were it
//! removed, the `.stderr` would show a second, "cannot find function" error).
//!
//! The messages are rustc's and ours; refresh them with `TRYBUILD=overwrite` after a
//! toolchain change (the toolchain is pinned).

#[test]
fn compile_fail() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
