#!/usr/bin/env python3
"""Wall time of `oidc-cli token` / `oidc-cli credentials` against botocore
resolving the same profile from the same caches (run by scripts/bench-cli).

Every sample is one process, from spawn to exit (os.posix_spawn + waitpid,
stdout to /dev/null), as a `credential_process` consumer sees it: the
botocore samples include the interpreter's start and botocore's import.

The setup is private: a temporary HOME with an `[sso-session]` + profile in
`~/.aws/config`, the emulator binary (killed at the end), a token issued by
the emulator's control API written to `~/.aws/sso/cache` in the AWS CLI's
format (an hour left: no refresh happens while measuring).
"""

import argparse
import datetime
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

START_URL = "https://my-sso-portal.awsapps.com/start"
SESSION = "emu-sso"
PROFILE = "dev"
CHAINED = "deploy"
DEPLOY_ROLE = "arn:aws:iam::333333333333:role/Deploy"
ACCOUNT = "111111111111"
ROLE = "ReadOnly"
REGION = "us-east-1"

PY_TOKEN = (
    "import botocore.session;from botocore.tokens import SSOTokenProvider;"
    f"s=botocore.session.Session(profile='{PROFILE}');"
    f"print(SSOTokenProvider(s,profile_name='{PROFILE}').load_token().get_frozen_token().token)"
)
# The AWS CLI plugs ~/.aws/cli/cache into the SSO and assume-role
# providers the same way.
def py_credentials(profile):
    return (
        "import json,os,botocore.session;from botocore.utils import JSONFileCache;"
        f"s=botocore.session.Session(profile='{profile}');"
        "p=s.get_component('credential_provider');"
        "c=JSONFileCache(os.path.expanduser('~/.aws/cli/cache'));"
        "p.get_provider('sso').cache=c;p.get_provider('assume-role').cache=c;"
        "c=s.get_credentials().get_frozen_credentials();"
        "print(json.dumps({'Version':1,'AccessKeyId':c.access_key,"
        "'SecretAccessKey':c.secret_key,'SessionToken':c.token}))"
    )


PY_CREDENTIALS = py_credentials(PROFILE)


# Run as the child of `exec --server`: times requests to the credential
# server over one kept-alive connection.
SERVER_PROBE = """
import http.client, json, os, statistics, time, urllib.parse
url = urllib.parse.urlsplit(os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"])
token = os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
conn = http.client.HTTPConnection(url.hostname, url.port, timeout=5)
samples = []
for i in range(1100):
    t0 = time.perf_counter_ns()
    conn.request("GET", url.path, headers={"Authorization": token})
    r = conn.getresponse()
    r.read()
    assert r.status == 200, r.status
    if i >= 100:
        samples.append((time.perf_counter_ns() - t0) / 1000)
samples.sort()
print(json.dumps({"n": len(samples), "p50_us": statistics.median(samples),
                  "p90_us": samples[int(0.9 * len(samples))]}))
"""


def fmt(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


class Emulator:
    def __init__(self, binary):
        # Without --no-stdin the emulator stops when our stdin pipe closes,
        # so it cannot outlive this script.
        self.proc = subprocess.Popen(
            [binary],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        line = self.proc.stdout.readline()
        if "listening on " not in line:
            raise SystemExit(f"emulator did not start: {line!r}")
        self.url = line.split("listening on ", 1)[1].strip()

    def control(self, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.url + "/_emulator/" + path,
            data=data,
            method="GET" if body is None else "POST",
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r)

    def stop(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def setup_home(home, emu):
    aws = os.path.join(home, ".aws")
    os.makedirs(os.path.join(aws, "sso", "cache"), mode=0o700)
    with open(os.path.join(aws, "config"), "w") as f:
        f.write(
            f"[sso-session {SESSION}]\nsso_start_url = {START_URL}\n"
            f"sso_region = {REGION}\nsso_registration_scopes = sso:account:access\n\n"
            f"[profile {PROFILE}]\nsso_session = {SESSION}\n"
            f"sso_account_id = {ACCOUNT}\nsso_role_name = {ROLE}\nregion = {REGION}\n\n"
            f"[profile {CHAINED}]\nrole_arn = {DEPLOY_ROLE}\nsource_profile = {PROFILE}\n"
            f"role_session_name = bench\nregion = {REGION}\n"
        )
    issued = emu.control("issue-token", {"scopes": ["sso:account:access"]})
    now = datetime.datetime.now(datetime.timezone.utc)
    entry = {
        "startUrl": START_URL,
        "region": REGION,
        "accessToken": issued["accessToken"],
        "expiresAt": fmt(now + datetime.timedelta(seconds=issued["expiresIn"])),
        "clientId": issued["clientId"],
        "clientSecret": issued["clientSecret"],
        "registrationExpiresAt": fmt(
            datetime.datetime.fromtimestamp(
                issued["clientSecretExpiresAt"], datetime.timezone.utc
            )
        ),
        "refreshToken": issued["refreshToken"],
    }
    name = hashlib.sha1(SESSION.encode()).hexdigest() + ".json"
    path = os.path.join(aws, "sso", "cache", name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(json.dumps(entry))
    return issued["accessToken"]


def clear_role_cache(home):
    shutil.rmtree(os.path.join(home, ".aws", "cli", "cache"), ignore_errors=True)


def spawn_time(argv, env):
    """Nanoseconds from spawn to exit of one process (stdout discarded)."""
    actions = [(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)]
    t0 = time.perf_counter_ns()
    pid = os.posix_spawn(argv[0], argv, env, file_actions=actions)
    _, status = os.waitpid(pid, 0)
    t1 = time.perf_counter_ns()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv} failed (status {status})")
    return t1 - t0


def measure(argv, env, runs, warmup, before=None):
    for _ in range(warmup):
        if before:
            before()
        spawn_time(argv, env)
    samples = []
    for _ in range(runs):
        if before:
            before()
        samples.append(spawn_time(argv, env) / 1e6)
    samples.sort()
    p90 = samples[min(len(samples) - 1, int(round(0.9 * len(samples))) - 1)]
    return statistics.median(samples), p90


def output(argv, env):
    r = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise SystemExit(f"{argv} failed: {r.stderr.strip()}")
    return r.stdout.strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--emulator", required=True)
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=5)
    args = ap.parse_args()

    try:
        import botocore

        boto_version = botocore.__version__
    except ImportError:
        boto_version = None
        print(
            f"note: {sys.executable} has no botocore; botocore columns skipped",
            file=sys.stderr,
        )

    emu = Emulator(args.emulator)
    home = tempfile.mkdtemp(prefix="oidc-bench-cli-")
    try:
        token = setup_home(home, emu)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": home,
            "LANG": "C.UTF-8",
            "AWS_CONFIG_FILE": os.path.join(home, ".aws", "config"),
            "AWS_SHARED_CREDENTIALS_FILE": os.path.join(home, ".aws", "credentials"),
            "AWS_ENDPOINT_URL": emu.url,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        ours_token = [args.cli, "token", "--profile", PROFILE]
        ours_creds = [args.cli, "credentials", "--profile", PROFILE, "--format", "process"]
        ours_chained = [args.cli, "credentials", "--profile", CHAINED, "--format", "process"]
        py = [sys.executable, "-c"]
        boto_token = py + [PY_TOKEN]
        boto_creds = py + [PY_CREDENTIALS]
        boto_chained = py + [py_credentials(CHAINED)]

        # Both sides see the same token and the same role credentials.
        assert output(ours_token, env) == token, "oidc-cli token"
        ours = json.loads(output(ours_creds, env))
        if boto_version:
            assert output(boto_token, env) == token, "botocore token"
            boto = json.loads(output(boto_creds, env))
            assert boto["AccessKeyId"] == ours["AccessKeyId"], "same cached role credentials"
        # The chain: oidc-cli assumes the role once and caches it under
        # botocore's key; botocore then answers from the same entry.
        ours_chain = json.loads(output(ours_chained, env))
        if boto_version:
            boto_chain = json.loads(output(boto_chained, env))
            assert boto_chain["AccessKeyId"] == ours_chain["AccessKeyId"], "same assume-role entry"

        cases = [
            ("token (token cached)", ours_token, boto_token, None),
            ("credentials (role credentials cached)", ours_creds, boto_creds, None),
            ("credentials, chained profile (every link cached)", ours_chained, boto_chained, None),
            (
                "credentials (only the token cached: 1 GetRoleCredentials)",
                ours_creds,
                boto_creds,
                lambda: clear_role_cache(home),
            ),
        ]
        load0 = os.getloadavg()[0]
        floor = measure(["/bin/true"], env, args.runs, args.warmup)
        rows = []
        for title, ours_argv, boto_argv, before in cases:
            calls0 = emu.control("stats")["total"]
            o = measure(ours_argv, env, args.runs, args.warmup, before)
            calls1 = emu.control("stats")["total"]
            b = (
                measure(boto_argv, env, args.runs, args.warmup, before)
                if boto_version
                else None
            )
            calls2 = emu.control("stats")["total"]
            n = args.runs + args.warmup
            rows.append((title, o, b, (calls1 - calls0) / n, (calls2 - calls1) / n))

        cpu = ""
        try:
            with open("/proc/cpuinfo") as f:
                cpu = next(
                    (l.split(":", 1)[1].strip() for l in f if l.startswith("model name")),
                    "",
                )
        except OSError:
            pass
        print(
            f"warm cache, {args.runs} runs each (+{args.warmup} warm-up), wall time "
            f"spawn→exit in ms; {os.cpu_count()} CPUs {cpu}; "
            f"load average before/after {load0:.2f}/{os.getloadavg()[0]:.2f}"
        )
        print(
            f"oidc-cli: {args.cli}\nbotocore: {boto_version or 'n/a'} "
            f"(Python {sys.version.split()[0]}: {sys.executable})"
        )
        print(f"spawn floor (/bin/true): median {floor[0]:.2f}, p90 {floor[1]:.2f}\n")
        head = f"{'case':<58} {'oidc-cli median':>15} {'p90':>7} {'botocore median':>16} {'p90':>7} {'requests/run (ours, boto)':>26}"
        print(head)
        print("-" * len(head))
        for title, o, b, co, cb in rows:
            bm = f"{b[0]:16.2f} {b[1]:7.2f}" if b else f"{'n/a':>16} {'n/a':>7}"
            print(f"{title:<58} {o[0]:15.2f} {o[1]:7.2f} {bm} {co:>15.2f}, {cb:.2f}")

        # exec: what it adds to the child's start (warm caches), and the
        # credential server's answer time on loopback (keep-alive).
        true_bin = shutil.which("true") or "/bin/true"
        plain = measure([true_bin], env, args.runs, args.warmup)
        wrapped = measure(
            [args.cli, "exec", "--profile", PROFILE, "--", true_bin], env, args.runs, args.warmup
        )
        print(
            f"\nexec (warm): `oidc-cli exec --profile {PROFILE} -- true` median {wrapped[0]:.2f} ms, "
            f"p90 {wrapped[1]:.2f}; `true` alone {plain[0]:.2f} ms: exec adds "
            f"{wrapped[0] - plain[0]:.2f} ms (aws-vault exec: tens of ms, its own figures)"
        )
        probe = os.path.join(home, "probe.py")
        with open(probe, "w") as f:
            f.write(SERVER_PROBE)
        out = output(
            [args.cli, "exec", "--profile", PROFILE, "--server", "--", sys.executable, probe],
            env,
        )
        r = json.loads(out)
        print(
            f"credential server (exec --server), {r['n']} keep-alive requests from Python's "
            f"http.client: p50 {r['p50_us']:.0f} µs, p90 {r['p90_us']:.0f} µs "
            f"(the client's own share included)"
        )
    finally:
        emu.stop()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
