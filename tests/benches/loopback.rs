//! StartDeviceAuthorization and CreateToken over loopback against the
//! in-process emulator, with one oidc-ureq `Client` reused (keep-alive: one
//! pooled connection carries every call).
//!
//! `cargo bench -p oidc-tests --bench loopback` runs the criterion benches and
//! then prints, per operation, the p50/p90 wall time of single calls and the
//! CPU time per call: the calling thread's (`RUSAGE_THREAD`, i.e. the client
//! alone, since ureq is blocking) and the whole process's (`RUSAGE_SELF`,
//! client plus the emulator's server thread).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use oidc_core::secret::{ClientSecret, RefreshToken};
use oidc_core::sso_oidc::create_token::{CreateTokenInput, Grant};
use oidc_core::sso_oidc::start_device_authorization::StartDeviceAuthorizationInput;
use oidc_emulator::{Emulator, EmulatorConfig};
use oidc_ureq::{Client, Config};

const START_URL: &str = "https://d-1234567890.awsapps.com/start";
/// Calls per operation for the percentile / CPU report.
const REPORT_CALLS: usize = 2000;

struct Bench {
    emulator: Emulator,
    client: Client,
    client_id: String,
    client_secret: ClientSecret,
    refresh_token: RefreshToken,
}

impl Bench {
    fn new() -> Bench {
        let emulator = Emulator::start(EmulatorConfig::default()).expect("start the emulator");
        let client = Client::new(
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
            .start_device_authorization(&StartDeviceAuthorizationInput::new(
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
            .create_token(&CreateTokenInput::new(
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
            .start_device_authorization(&StartDeviceAuthorizationInput::new(
                self.client_id.clone(),
                self.client_secret.clone(),
                START_URL,
            ))
            .expect("StartDeviceAuthorization");
        assert!(self.emulator.approve(&started.user_code));
        let out = self
            .client
            .create_token(&CreateTokenInput::new(
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

/// Client-side sockets (any state, TIME_WAIT included) whose remote end is
/// 127.0.0.1:`port`, from `/proc/net/tcp`: with keep-alive this stays at
/// one however many calls were made.
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

/// Runs `call` `REPORT_CALLS` times and prints wall-time percentiles and CPU
/// time per call.
fn report(name: &str, mut call: impl FnMut()) {
    for _ in 0..50 {
        call(); // warm-up (connection established, caches warm)
    }
    let mut samples = Vec::with_capacity(REPORT_CALLS);
    let thread_before = cpu_time(libc::RUSAGE_THREAD);
    let process_before = cpu_time(libc::RUSAGE_SELF);
    for _ in 0..REPORT_CALLS {
        let t = Instant::now();
        call();
        samples.push(t.elapsed());
    }
    let thread_cpu = cpu_time(libc::RUSAGE_THREAD) - thread_before;
    let process_cpu = cpu_time(libc::RUSAGE_SELF) - process_before;
    samples.sort();
    let pct = |p: usize| samples[(samples.len() * p / 100).min(samples.len() - 1)];
    let n = REPORT_CALLS as u32;
    println!(
        "{name:<28} p50 {:>9.1?}  p90 {:>9.1?}  p99 {:>9.1?}  cpu/call client {:>9.1?}  process {:>9.1?}",
        pct(50),
        pct(90),
        pct(99),
        thread_cpu / n,
        process_cpu / n,
    );
}

fn main() {
    let mut bench = Bench::new();
    let mut criterion = Criterion::default()
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    criterion.bench_function("start_device_authorization", |b| {
        b.iter(|| black_box(bench.start_device_authorization()))
    });
    criterion.bench_function("create_token_refresh", |b| {
        b.iter(|| bench.create_token_refresh())
    });
    criterion.bench_function("device_round (start + approve + create_token)", |b| {
        b.iter(|| bench.device_round())
    });
    criterion.final_summary();

    // `cargo test --benches` runs each bench once without `--bench`; the
    // percentile report is for real bench runs only.
    if std::env::args().any(|a| a == "--bench") {
        println!("\nper call over loopback, keep-alive, {REPORT_CALLS} calls each:");
        report("StartDeviceAuthorization", || {
            black_box(bench.start_device_authorization());
        });
        report("CreateToken (refresh_token)", || {
            bench.create_token_refresh()
        });
        report("device round (2 calls)", || bench.device_round());
        println!(
            "client sockets to the emulator (any state, from /proc/net/tcp) after all calls: {}",
            client_sockets_to(bench.emulator.addr().port())
        );
    }
}
