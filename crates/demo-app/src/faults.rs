//! Fault knobs: latency added to API requests and the share of them
//! answered 500. Lock-free, read on every request, changed by flag at
//! start and through `/admin/faults` at runtime.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

#[derive(Debug)]
pub struct Faults {
    latency_micros: AtomicU64,
    /// The error rate's f64 bits.
    error_rate: AtomicU64,
    rng: AtomicU64,
}

impl Faults {
    pub fn new(latency: Duration, error_rate: f64) -> Faults {
        let f = Faults {
            latency_micros: AtomicU64::new(0),
            error_rate: AtomicU64::new(0),
            rng: AtomicU64::new(0x9E37_79B9_7F4A_7C15),
        };
        f.set_latency(latency);
        f.set_error_rate(error_rate);
        f
    }

    pub fn latency(&self) -> Duration {
        Duration::from_micros(self.latency_micros.load(Ordering::Relaxed))
    }

    pub fn set_latency(&self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.latency_micros.store(micros, Ordering::Relaxed);
    }

    pub fn error_rate(&self) -> f64 {
        f64::from_bits(self.error_rate.load(Ordering::Relaxed))
    }

    /// Clamped to [0, 1]; NaN counts as 0.
    pub fn set_error_rate(&self, rate: f64) {
        let rate = if rate.is_nan() {
            0.0
        } else {
            rate.clamp(0.0, 1.0)
        };
        self.error_rate.store(rate.to_bits(), Ordering::Relaxed);
    }

    /// Whether this request should fail: true with probability
    /// `error_rate` (splitmix64 over a shared counter; good enough for
    /// fault injection and free of locks).
    pub fn should_fail(&self) -> bool {
        let rate = self.error_rate();
        if rate <= 0.0 {
            return false;
        }
        if rate >= 1.0 {
            return true;
        }
        let mut z = self
            .rng
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
            .wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        ((z >> 11) as f64 / (1u64 << 53) as f64) < rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_rate_is_roughly_honoured() {
        let f = Faults::new(Duration::ZERO, 0.25);
        let fails = (0..20_000).filter(|_| f.should_fail()).count();
        assert!((4_000..6_000).contains(&fails), "{fails} of 20000 failed");
        f.set_error_rate(0.0);
        assert!(!(0..1000).any(|_| f.should_fail()));
        f.set_error_rate(7.0);
        assert_eq!(f.error_rate(), 1.0);
        assert!((0..1000).all(|_| f.should_fail()));
    }
}
