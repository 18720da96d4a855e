//! Credentials providers of both adapters against the emulator (portal and
//! STS with real SigV4 verification): SSO role credentials from a cached
//! token, an AssumeRole chain on top, the AWS CLI cache entry, and one
//! GetRoleCredentials for ten concurrent callers.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Barrier};
use std::time::{Duration, SystemTime};

use oidc_core::cache::credentials::CachedCredentials;
use oidc_core::cache::CachedToken;
use oidc_core::secret::AccessToken;
use oidc_core::sigv4::SigV4Signer;
use oidc_core::sts::assume_role::AssumeRoleInput;
use oidc_core::sts::get_caller_identity::{GetCallerIdentityInput, GetCallerIdentityOutput};
use oidc_core::Credentials;
use oidc_emulator::{Emulator, EmulatorConfig};
use oidc_host::adapter::RunOptions;
use oidc_host::{
    CacheDir, Config, CredentialsCacheDir, CredentialsProvider, CredentialsSource, Error, Session,
    Signal,
};

const START_URL: &str = "https://my-sso-portal.awsapps.com/start";
const SESSION: &str = "emu-sso";
const ACCOUNT: &str = "111111111111";
const ROLE: &str = "ReadOnly";
const REGION: &str = "us-east-1";

#[derive(Debug, Clone, Copy)]
enum Kind {
    Ureq,
    Hyper,
}

const KINDS: [Kind; 2] = [Kind::Ureq, Kind::Hyper];

/// One adapter's client; hyper's on a multi-threaded tokio runtime.
#[allow(clippy::large_enum_variant)]
enum Adapter {
    Ureq(oidc_ureq::Client),
    Hyper {
        client: oidc_hyper::Client,
        rt: tokio::runtime::Runtime,
    },
}

impl Adapter {
    fn new(kind: Kind, emu: &Emulator) -> Adapter {
        let config = Config::for_region(REGION)
            .with_endpoint_url(emu.base_url())
            .with_call_timeout(Duration::from_secs(10));
        match kind {
            Kind::Ureq => Adapter::Ureq(oidc_ureq::Client::new(config).expect("client")),
            Kind::Hyper => {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("runtime");
                let client = {
                    let _entered = rt.enter();
                    oidc_hyper::Client::tokio(config).expect("client")
                };
                Adapter::Hyper { client, rt }
            }
        }
    }

    fn credentials(&self, provider: &CredentialsProvider) -> Result<Credentials, Error> {
        let options = RunOptions::new();
        match self {
            Adapter::Ureq(c) => c.credentials(provider, |_| {}, &options),
            Adapter::Hyper { client, rt } => {
                rt.block_on(client.credentials(provider, |_| {}, &options))
            }
        }
    }

    fn caller_identity(&self, credentials: Credentials) -> Result<GetCallerIdentityOutput, Error> {
        let options =
            RunOptions::new().with_signer(Arc::new(SigV4Signer::new(credentials, REGION)));
        let input = GetCallerIdentityInput::new();
        match self {
            Adapter::Ureq(c) => c.call_with(&input, &options),
            Adapter::Hyper { client, rt } => rt.block_on(client.call_with(&input, &options)),
        }
    }

    /// `n` callers at once on one provider: threads (ureq) or tasks on
    /// the multi-threaded runtime (hyper).
    fn concurrent(
        &self,
        provider: &CredentialsProvider,
        n: usize,
    ) -> Vec<Result<Credentials, Error>> {
        match self {
            Adapter::Ureq(client) => {
                let barrier = Barrier::new(n);
                std::thread::scope(|s| {
                    let handles: Vec<_> = (0..n)
                        .map(|_| {
                            s.spawn(|| {
                                barrier.wait();
                                client.credentials(provider, |_| {}, &RunOptions::new())
                            })
                        })
                        .collect();
                    handles
                        .into_iter()
                        .map(|h| h.join().expect("thread"))
                        .collect()
                })
            }
            Adapter::Hyper { client, rt } => rt.block_on(async {
                // Every task waits at the gate; opening it releases them all.
                let gate = Arc::new(Signal::<()>::default());
                let tasks: Vec<_> = (0..n)
                    .map(|_| {
                        let client = client.clone();
                        let provider = provider.clone();
                        let gate = Arc::clone(&gate);
                        tokio::spawn(async move {
                            gate.wait().await;
                            client
                                .credentials(&provider, |_| {}, &RunOptions::new())
                                .await
                        })
                    })
                    .collect();
                gate.set(());
                let mut out = Vec::new();
                for task in tasks {
                    out.push(task.await.expect("task"));
                }
                out
            }),
        }
    }
}

struct Env {
    emu: Emulator,
    _scratch: tempfile::TempDir,
    sso: CacheDir,
    cli: CredentialsCacheDir,
}

impl Env {
    /// An emulator and a token for it in a fresh SSO cache; the CLI cache
    /// is empty.
    fn new() -> Env {
        let emu = Emulator::start(EmulatorConfig::default()).expect("emulator");
        let scratch = tempfile::tempdir().expect("scratch");
        let sso = CacheDir::new(scratch.path().join("sso"));
        let cli = CredentialsCacheDir::new(scratch.path().join("cli"));
        let issued = emu.issue_token(&["sso:account:access"]);
        let token = CachedToken::new(
            AccessToken::new(issued.access_token),
            SystemTime::now() + Duration::from_secs(u64::from(issued.expires_in)),
        )
        .with_start_url(START_URL)
        .with_region(REGION);
        sso.write_token(SESSION, &token).expect("seed the token");
        Env {
            emu,
            _scratch: scratch,
            sso,
            cli,
        }
    }

    fn sso_role(&self) -> CredentialsSource {
        let session = Session::new(self.sso.clone(), SESSION, START_URL).with_region(REGION);
        CredentialsSource::sso_role(session, ACCOUNT, ROLE, self.cli.clone())
    }
}

#[test]
fn sso_role_credentials_sign_get_caller_identity() {
    for kind in KINDS {
        let env = Env::new();
        let adapter = Adapter::new(kind, &env.emu);
        let provider = CredentialsProvider::new(env.sso_role());

        let credentials = adapter.credentials(&provider).expect("role credentials");
        assert_eq!(credentials.account_id.as_deref(), Some(ACCOUNT), "{kind:?}");
        assert!(credentials.expires_at.is_some());
        assert_eq!(env.emu.stats().get_role_credentials, 1, "{kind:?}");

        let identity = adapter
            .caller_identity(credentials.clone())
            .expect("GetCallerIdentity");
        assert_eq!(identity.account, ACCOUNT, "{kind:?}");
        assert!(identity.arn.contains(":assumed-role/"), "{}", identity.arn);

        // Written in the AWS CLI's layout, under the CLI's file name.
        let file = CredentialsCacheDir::sso_role_file_name(
            &Session::new(env.sso.clone(), SESSION, START_URL),
            ACCOUNT,
            ROLE,
        );
        let bytes = std::fs::read(env.cli.entry_path(&file)).expect("cache entry");
        let text = String::from_utf8(bytes.clone()).expect("utf-8");
        assert!(
            text.starts_with(r#"{"ProviderType": "sso", "Credentials": {"AccessKeyId": ""#),
            "{kind:?}"
        );
        let entry = CachedCredentials::from_json(&bytes).expect("parses");
        assert_eq!(entry.credentials.access_key_id, credentials.access_key_id);

        // Memory, then disk: no more portal calls.
        adapter.credentials(&provider).expect("from memory");
        let fresh_provider = CredentialsProvider::new(env.sso_role());
        let from_disk = adapter
            .credentials(&fresh_provider)
            .expect("from the CLI cache");
        assert_eq!(from_disk.access_key_id, credentials.access_key_id);
        assert_eq!(env.emu.stats().get_role_credentials, 1, "{kind:?}");
    }
}

#[test]
fn assume_role_chain_on_top_of_sso_role() {
    for kind in KINDS {
        let env = Env::new();
        let adapter = Adapter::new(kind, &env.emu);
        let source = env.sso_role().assume_role(AssumeRoleInput::new(
            "arn:aws:iam::222222222222:role/Chained",
            "chain-session",
        ));
        let provider = CredentialsProvider::new(source);
        let credentials = adapter.credentials(&provider).expect("assumed credentials");
        assert_eq!(
            credentials.account_id.as_deref(),
            Some("222222222222"),
            "{kind:?}"
        );

        let identity = adapter
            .caller_identity(credentials)
            .expect("GetCallerIdentity");
        assert_eq!(identity.account, "222222222222", "{kind:?}");
        assert!(
            identity
                .arn
                .ends_with(":assumed-role/Chained/chain-session"),
            "{kind:?}: {}",
            identity.arn
        );
        let stats = env.emu.stats();
        assert_eq!(stats.get_role_credentials, 1, "{kind:?}");
        // A second call is served from memory.
        adapter.credentials(&provider).expect("from memory");
        assert_eq!(env.emu.stats(), stats, "{kind:?}");
    }
}

#[test]
fn ten_concurrent_callers_cause_one_get_role_credentials() {
    for kind in KINDS {
        let env = Env::new();
        let adapter = Adapter::new(kind, &env.emu);
        let provider = CredentialsProvider::new(env.sso_role());
        env.emu.reset_stats();

        let results = adapter.concurrent(&provider, 10);
        let keys: Vec<String> = results
            .into_iter()
            .map(|r| r.expect("credentials").access_key_id)
            .collect();
        assert_eq!(keys.len(), 10);
        assert!(keys.iter().all(|k| *k == keys[0]), "{kind:?}: {keys:?}");
        assert_eq!(env.emu.stats().get_role_credentials, 1, "{kind:?}");
        assert_eq!(provider.fetches(), 1, "{kind:?}");
    }
}
