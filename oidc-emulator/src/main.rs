//! `oidc-emulator` binary: starts the emulator and serves until killed or
//! until stdin reaches end-of-file.
#![forbid(unsafe_code)]

use std::io::{BufRead, Write};
use std::process::ExitCode;

use oidc_emulator::{AuthorizeMode, Emulator, EmulatorConfig, RoleTrust};

const USAGE: &str = "\
usage: oidc-emulator [options]

  --port N               listen on 127.0.0.1:N (default 0 = any free port)
  --interval N           device-flow polling interval in seconds (default 1)
  --omit-interval        leave `interval` out of StartDeviceAuthorization
  --expires-in N         device code lifetime in seconds (default 600)
  --token-expires-in N   access token lifetime in seconds (default 3600)
  --authorize-mode M     auto-approve | auto-deny | interactive
  --no-stdin             do not stop when stdin closes (serve until killed)
  --static-credentials AKID:SECRET
                         accept this long-term access key for SigV4-signed
                         STS / CreateTokenWithIAM requests (repeatable)
  --instance-role NAME   IMDS instance profile role (default
                         emulator-instance-role)
  --no-imds              do not serve the IMDSv2 routes
  --container-authorization TOKEN
                         Authorization value /container-credentials requires
                         (default emulator-container-token)
  --container-role NAME  container task role (default emulator-task-role)
  --mfa-device SERIAL=SEED
                         virtual MFA device (SerialNumber ARN, base32 TOTP
                         seed) for AssumeRole / GetSessionToken (repeatable)
  --role-trust ROLE_ARN[,external-id=ID][,mfa]
                         AssumeRole of ROLE_ARN requires this ExternalId
                         and/or a valid MFA code (repeatable)
  -h, --help             show this help

Prints `listening on http://127.0.0.1:PORT` once ready.

Credential endpoints on the same base URL:
  PUT  /latest/api/token   IMDSv2 session token
       (x-aws-ec2-metadata-token-ttl-seconds: 1..21600)
  GET  /latest/meta-data/iam/security-credentials/[ROLE]
       role name / credentials (x-aws-ec2-metadata-token: TOKEN)
       AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:PORT/
  GET  /container-credentials   (Authorization: TOKEN)
       AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:PORT/container-credentials
  GET  /federation?Action=getSigninToken|login   console federation endpoint
       AWS_ENDPOINT_URL_SIGNIN=http://127.0.0.1:PORT/federation

Control API (JSON bodies, `Content-Type: application/json`):
  GET    /_emulator/health         {\"ok\":true,\"baseUrl\":..}
  GET    /_emulator/pending        pending device-flow user codes
  POST   /_emulator/approve        {\"userCode\":\"BCDF-GHJK\"}
  POST   /_emulator/deny           {\"userCode\":\"BCDF-GHJK\"}
  POST   /_emulator/advance        {\"seconds\":60}  (moves the emulator's clock)
  GET    /_emulator/stats          request counts per operation
  POST   /_emulator/reset-stats
  GET    /_emulator/clients        registered clients
  GET    /_emulator/sts-sessions   STS sessions issued
  POST   /_emulator/issue-token    {..} issue a token without a sign-in
  POST   /_emulator/revoke         {..} revoke a refresh token
  POST   /_emulator/trade-in-token {\"principalArn\":\"arn:..\"}
  GET    /_emulator/faults         injected faults; POST adds, DELETE clears
  GET    /_emulator/requests       the request log (last 1000); DELETE clears

  e.g. curl -X POST -H 'Content-Type: application/json' \\
         -d '{\"userCode\":\"BCDF-GHJK\"}' http://127.0.0.1:PORT/_emulator/approve";

fn parse_num(name: &str, v: Option<String>) -> Result<u32, String> {
    v.ok_or_else(|| format!("{name} needs a value"))?
        .parse::<u32>()
        .map_err(|_| format!("{name} needs a non-negative integer"))
}

fn parse_args(args: Vec<String>) -> Result<Option<(EmulatorConfig, bool)>, String> {
    let mut cfg = EmulatorConfig::default();
    let mut watch_stdin = true;
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-h" | "--help" => return Ok(None),
            "--port" => {
                let p = parse_num("--port", it.next())?;
                cfg.port = u16::try_from(p).map_err(|_| "--port out of range".to_string())?;
            }
            "--interval" => cfg.interval = parse_num("--interval", it.next())?,
            "--omit-interval" => cfg.omit_interval = true,
            "--expires-in" => cfg.device_code_expires_in = parse_num("--expires-in", it.next())?,
            "--token-expires-in" => {
                cfg.access_token_expires_in = parse_num("--token-expires-in", it.next())?
            }
            "--authorize-mode" => {
                cfg.authorize_mode = match it.next().as_deref() {
                    Some("auto-approve") => AuthorizeMode::AutoApprove,
                    Some("auto-deny") => AuthorizeMode::AutoDeny,
                    Some("interactive") => AuthorizeMode::Interactive,
                    _ => {
                        return Err(
                            "--authorize-mode needs auto-approve, auto-deny or interactive".into(),
                        )
                    }
                }
            }
            "--no-stdin" => watch_stdin = false,
            "--static-credentials" => {
                let v = it.next().ok_or("--static-credentials needs AKID:SECRET")?;
                let (id, secret) = v
                    .split_once(':')
                    .filter(|(id, secret)| !id.is_empty() && !secret.is_empty())
                    .ok_or("--static-credentials needs AKID:SECRET")?;
                cfg = cfg.with_static_credentials(id, secret);
            }
            "--instance-role" => {
                let v = it.next().ok_or("--instance-role needs a role name")?;
                cfg = cfg.with_instance_role(&v);
            }
            "--no-imds" => cfg = cfg.with_imds(false),
            "--container-authorization" => {
                let v = it.next().ok_or("--container-authorization needs a token")?;
                cfg = cfg.with_container_authorization(&v);
            }
            "--container-role" => {
                let v = it.next().ok_or("--container-role needs a role name")?;
                cfg = cfg.with_container_role(&v);
            }
            "--mfa-device" => {
                let v = it.next().ok_or("--mfa-device needs SERIAL=SEED")?;
                let (serial, seed) = v
                    .split_once('=')
                    .filter(|(serial, seed)| !serial.is_empty() && !seed.is_empty())
                    .ok_or("--mfa-device needs SERIAL=SEED")?;
                cfg = cfg.with_mfa_device(serial, seed);
            }
            "--role-trust" => {
                let v = it
                    .next()
                    .ok_or("--role-trust needs ROLE_ARN[,external-id=ID][,mfa]")?;
                let mut parts = v.split(',');
                let arn = parts.next().unwrap_or_default();
                if arn.is_empty() {
                    return Err("--role-trust needs ROLE_ARN[,external-id=ID][,mfa]".into());
                }
                let mut trust = RoleTrust::default();
                for part in parts {
                    trust = match part.split_once('=') {
                        Some(("external-id", id)) if !id.is_empty() => {
                            trust.require_external_id(id)
                        }
                        None if part == "mfa" => trust.require_mfa(),
                        _ => return Err(format!("--role-trust: unknown condition `{part}`")),
                    };
                }
                cfg = cfg.with_role_trust(arn, trust);
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(Some((cfg, watch_stdin)))
}

fn main() -> ExitCode {
    let (cfg, watch_stdin) = match parse_args(std::env::args().skip(1).collect()) {
        Ok(Some(x)) => x,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("oidc-emulator: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let emu = match Emulator::start(cfg) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("oidc-emulator: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut out = std::io::stdout();
    let _ = writeln!(out, "listening on {}", emu.base_url());
    let _ = out.flush();

    if watch_stdin {
        // Serve until stdin is closed (or errors).
        let stdin = std::io::stdin();
        let mut line = String::new();
        while let Ok(n) = stdin.lock().read_line(&mut line) {
            if n == 0 {
                break;
            }
            line.clear();
        }
    } else {
        loop {
            std::thread::park();
        }
    }
    emu.shutdown();
    ExitCode::SUCCESS
}
