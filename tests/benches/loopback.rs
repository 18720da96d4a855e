//! StartDeviceAuthorization and CreateToken over loopback against the
//! in-process emulator, through each adapter's one reused `Client`
//! (keep-alive: one pooled connection carries every call). oidc-hyper runs
//! on a current-thread tokio runtime driven by the calling thread, so for
//! both adapters the calling thread does all of the client's work.
//!
//! `cargo bench -p oidc-tests --bench loopback` runs the criterion benches,
//! then prints per adapter and operation: p50/p90/p99 wall time of single
//! calls, the client's CPU time per call (the calling thread's
//! `RUSAGE_THREAD`: the emulator serves on its own threads), the process's
//! (`RUSAGE_SELF`, client plus emulator), and the threads created per call
//! (new entries in `/proc/self/task`; steady state must be 0).
//! `-- --test` runs every bench once and a short report.

// A test target: panicking on an unexpected failure is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)]
#[path = "../tests/conformance/adapter.rs"]
mod adapter;

use std::collections::HashSet;
use std::hint::black_box;
use std::time::{Duration, Instant};

use adapter::{Adapter, Kind};
use criterion::Criterion;
use oidc_core::secret::{ClientSecret, RefreshToken};
use oidc_core::sso_oidc::create_token::{CreateTokenInput, Grant};
use oidc_core::sso_oidc::start_device_authorization::StartDeviceAuthorizationInput;
use oidc_emulator::{Emulator, EmulatorConfig};
use oidc_host::Config;

const START_URL: &str = "https://d-1234567890.awsapps.com/start";

struct Bench {
    emulator: Emulator,
    client: Adapter,
    client_id: String,
    client_secret: ClientSecret,
    refresh_token: RefreshToken,
}

impl Bench {
    fn new(kind: Kind) -> Bench {
        let emulator = Emulator::start(EmulatorConfig::default()).expect("start the emulator");
        let client = Adapter::new(
            kind,
            Config::for_region("us-east-1")
                .with_endpoint_url(emulator.base_url())
                .with_call_timeout(Duration::from_secs(10)),
        )
        .expect("client for the emulator");
        let issued = emulator.issue_token(&["sso:account:access"]);
        Bench {
            client,
            client_id: issued.client_id,
            client_secret: ClientSecret::new(issued.client_secret),
            refresh_token: RefreshToken::new(issued.refresh_token),
            emulator,
        }
    }

    fn start_device_authorization(&self) -> String {
        let out = self
            .client
            .call(&StartDeviceAuthorizationInput::new(
                self.client_id.clone(),
                self.client_secret.clone(),
                START_URL,
            ))
            .expect("StartDeviceAuthorization");
        out.user_code
    }

    /// CreateToken with the refresh-token grant; the emulator rotates
    /// refresh tokens, so the new one is kept for the next call.
    fn create_token_refresh(&mut self) {
        let out = self
            .client
            .call(&CreateTokenInput::new(
                self.client_id.clone(),
                self.client_secret.clone(),
                Grant::RefreshToken {
                    refresh_token: self.refresh_token.clone(),
                },
            ))
            .expect("CreateToken (refresh_token)");
        self.refresh_token = out.refresh_token.expect("a rotated refresh token");
    }

    /// One device-flow round: StartDeviceAuthorization, approval (in
    /// process, no HTTP), one CreateToken device-code poll that succeeds.
    fn device_round(&self) {
        let started = self
            .client
            .call(&StartDeviceAuthorizationInput::new(
                self.client_id.clone(),
                self.client_secret.clone(),
                START_URL,
            ))
            .expect("StartDeviceAuthorization");
        assert!(self.emulator.approve(&started.user_code));
        let out = self
            .client
            .call(&CreateTokenInput::new(
                self.client_id.clone(),
                self.client_secret.clone(),
                Grant::DeviceCode {
                    device_code: started.device_code,
                },
            ))
            .expect("CreateToken (device_code)");
        black_box(out);
    }
}

/// CPU time (user + system) consumed so far by `who`.
fn cpu_time(who: libc::c_int) -> Duration {
    // SAFETY: getrusage writes a `rusage` into the pointed-to zeroed value;
    // RUSAGE_SELF and RUSAGE_THREAD are valid selectors on Linux.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        assert_eq!(libc::getrusage(who, &mut usage), 0, "getrusage failed");
        usage
    };
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// The ids of this process's threads (`/proc/self/task`).
fn thread_ids() -> HashSet<u64> {
    std::fs::read_dir("/proc/self/task")
        .map(|dir| {
            dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Client-side sockets (any state, TIME_WAIT included) whose remote end is
/// 127.0.0.1:`port`, from `/proc/net/tcp`.
fn client_sockets_to(port: u16) -> usize {
    let remote = format!("0100007F:{port:04X}");
    std::fs::read_to_string("/proc/net/tcp")
        .map(|table| {
            table
                .lines()
                .skip(1)
                .filter(|line| line.split_whitespace().nth(2) == Some(remote.as_str()))
                .count()
        })
        .unwrap_or(0)
}

/// Runs `call` `calls` times and prints wall-time percentiles, CPU time
/// per call and threads created per call.
fn report(name: &str, calls: usize, mut call: impl FnMut()) {
    for _ in 0..calls.min(50) {
        call(); // warm-up (connection established, caches warm)
    }
    let mut samples = Vec::with_capacity(calls);
    let threads_before = thread_ids();
    let thread_before = cpu_time(libc::RUSAGE_THREAD);
    let process_before = cpu_time(libc::RUSAGE_SELF);
    for _ in 0..calls {
        let t = Instant::now();
        call();
        samples.push(t.elapsed());
    }
    let thread_cpu = cpu_time(libc::RUSAGE_THREAD) - thread_before;
    let process_cpu = cpu_time(libc::RUSAGE_SELF) - process_before;
    let new_threads = thread_ids().difference(&threads_before).count();
    samples.sort();
    let pct = |p: usize| samples[(samples.len() * p / 100).min(samples.len() - 1)];
    let n = calls as u32;
    println!(
        "{name:<40} p50 {:>8.1?} p90 {:>8.1?} p99 {:>8.1?}  cpu/call client {:>6.1} µs  process {:>6.1} µs  threads/call {:.3}",
        pct(50),
        pct(90),
        pct(99),
        (thread_cpu / n).as_secs_f64() * 1e6,
        (process_cpu / n).as_secs_f64() * 1e6,
        new_threads as f64 / calls as f64,
    );
}

fn main() {
    let test_mode = std::env::args().any(|a| a == "--test");
    let mut criterion = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    let mut benches: Vec<(Kind, Bench)> = Kind::ALL.map(|k| (k, Bench::new(k))).into();
    for (kind, bench) in &mut benches {
        let name = kind.name();
        criterion.bench_function(&format!("{name}/start_device_authorization"), |b| {
            b.iter(|| black_box(bench.start_device_authorization()))
        });
        criterion.bench_function(&format!("{name}/create_token_refresh"), |b| {
            b.iter(|| bench.create_token_refresh())
        });
        criterion.bench_function(&format!("{name}/device_round"), |b| {
            b.iter(|| bench.device_round())
        });
    }
    criterion.final_summary();

    // `cargo test --benches` runs the binary without `--bench`: no report.
    if !test_mode && !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let calls = if test_mode { 50 } else { 2000 };
    println!("\nper call over loopback, one keep-alive connection, {calls} calls each:");
    for (kind, bench) in &mut benches {
        let name = kind.name();
        report(&format!("{name} StartDeviceAuthorization"), calls, || {
            black_box(bench.start_device_authorization());
        });
        report(
            &format!("{name} CreateToken (refresh_token)"),
            calls,
            || bench.create_token_refresh(),
        );
        report(&format!("{name} device round (2 calls)"), calls, || {
            bench.device_round()
        });
        println!(
            "{name}: client sockets to the emulator (any state) after all calls: {}",
            client_sockets_to(bench.emulator.addr().port())
        );
    }
}
