//! Encoding throughput (filled in below).
fn main() {}
