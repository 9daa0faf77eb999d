//! The deterministic per-trace rate rule shared by content sampling and tail sampling.

use opentelemetry::trace::TraceId;

/// The position of a trace in `[0, 1)`, taken from the low 64 bits of its id exactly as the
/// SDK's `TraceIdRatioBased` sampler does, so every process agrees on it.
pub(crate) fn trace_id_position(trace_id: TraceId) -> f64 {
    let bytes = trace_id.to_bytes();
    let mut low = [0u8; 8];
    low.copy_from_slice(&bytes[8..16]);
    let value = u64::from_be_bytes(low) >> 1;
    value as f64 / (1u64 << 63) as f64
}

/// True when the trace falls in the first `rate` of the id space.
pub(crate) fn trace_id_below(trace_id: TraceId, rate: f64) -> bool {
    if rate >= 1.0 {
        return true;
    }
    if rate <= 0.0 || rate.is_nan() {
        return false;
    }
    trace_id_position(trace_id) < rate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        let id = TraceId::from_hex("ffffffffffffffffffffffffffffffff").unwrap();
        assert!(trace_id_below(id, 1.0));
        assert!(!trace_id_below(id, 0.999));
        let id = TraceId::from_hex("00000000000000000000000000000001").unwrap();
        assert!(trace_id_below(id, 0.0001));
        assert!(!trace_id_below(id, 0.0));
    }
}
