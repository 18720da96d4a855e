#!/usr/bin/env python3
"""botocore's side of the profile-resolution table (tests/tests/profiles_botocore.rs).

Every command runs with the caller's environment as botocore and the AWS
CLI read it: HOME (`~/.aws/sso/cache`, `~/.aws/cli/cache`),
AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, and the endpoints from
AWS_ENDPOINT_URL(_STS/_SSO/_SSO_OIDC). Each prints one JSON object on
stdout and exits 0, also when botocore fails (then `"ok": false`).

  version                  botocore and Python versions
  identity --profile P [--mfa-code CODE]
                           resolves the credentials of profile P the way the
                           AWS CLI does (its ~/.aws/cli/cache plugged into
                           the role providers) and calls GetCallerIdentity
                           with them: {"ok": true, "arn", "accessKeyId",
                           "method", "expiration"} or {"ok": false, "stage":
                           "credentials"|"identity", "error": "Type: text"}
  identity-of              (credentials JSON on stdin: AccessKeyId,
                           SecretAccessKey, SessionToken, as
                           `credential_process` prints them) GetCallerIdentity
                           with exactly those credentials
  session-token            (credentials JSON on stdin) GetSessionToken with
                           them; prints the temporary credentials
"""

import argparse
import json
import os
import sys

import botocore
import botocore.session
from botocore.utils import JSONFileCache

CLI_CACHE_DIR = os.path.expanduser(os.path.join("~", ".aws", "cli", "cache"))


def out(obj):
    json.dump(obj, sys.stdout)
    sys.stdout.write("\n")


def error_text(e):
    return f"{type(e).__name__}: {e}"


def inject_cli_cache(session):
    # What the AWS CLI does on `session-initialized`
    # (awscli/customizations/assumerole.py): the role-credential providers
    # cache in ~/.aws/cli/cache instead of in memory ("assume-role" and
    # "assume-role-with-web-identity"; the AWS CLI v2 gives the SSO
    # provider the same cache). The providers built for a *source* profile
    # come from the assume-role provider's profile provider builder, which
    # the AWS CLI hands the same cache.
    resolver = session.get_component("credential_provider")
    for name in ("assume-role", "assume-role-with-web-identity", "sso"):
        provider = resolver.get_provider(name)
        if provider is not None:
            provider.cache = JSONFileCache(CLI_CACHE_DIR)
    assume_role = resolver.get_provider("assume-role")
    builder = getattr(assume_role, "_profile_provider_builder", None)
    if builder is not None:
        builder._cache = JSONFileCache(CLI_CACHE_DIR)
    return resolver


def sts_client(session, frozen=None):
    kwargs = {}
    if frozen is not None:
        kwargs = {
            "aws_access_key_id": frozen["AccessKeyId"],
            "aws_secret_access_key": frozen["SecretAccessKey"],
            "aws_session_token": frozen.get("SessionToken"),
        }
    return session.create_client("sts", **kwargs)


def cmd_version(_args):
    out({"botocore": botocore.__version__, "python": sys.version.split()[0]})


def cmd_identity(args):
    try:
        session = botocore.session.Session(profile=args.profile)
        resolver = inject_cli_cache(session)
        if args.mfa_code is not None:
            code = args.mfa_code
            resolver.get_provider("assume-role")._prompter = lambda _prompt: code
        credentials = session.get_credentials()
        if credentials is None:
            raise RuntimeError("no credentials")
        frozen = credentials.get_frozen_credentials()
    except Exception as e:  # noqa: BLE001 - every failure is a table cell
        out({"ok": False, "stage": "credentials", "error": error_text(e)})
        return
    try:
        client = session.create_client(
            "sts",
            aws_access_key_id=frozen.access_key,
            aws_secret_access_key=frozen.secret_key,
            aws_session_token=frozen.token,
        )
        arn = client.get_caller_identity()["Arn"]
    except Exception as e:  # noqa: BLE001
        out({"ok": False, "stage": "identity", "error": error_text(e)})
        return
    expiry = getattr(credentials, "_expiry_time", None)
    out(
        {
            "ok": True,
            "arn": arn,
            "accessKeyId": frozen.access_key,
            "method": credentials.method,
            "expiration": None
            if expiry is None
            else expiry.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    )


def read_credentials():
    spec = json.load(sys.stdin)
    for key in ("AccessKeyId", "SecretAccessKey"):
        if not spec.get(key):
            raise SystemExit(f"stdin JSON lacks {key}")
    return spec


def cmd_identity_of(_args):
    spec = read_credentials()
    try:
        session = botocore.session.Session()
        arn = sts_client(session, spec).get_caller_identity()["Arn"]
    except Exception as e:  # noqa: BLE001
        out({"ok": False, "stage": "identity", "error": error_text(e)})
        return
    out({"ok": True, "arn": arn, "accessKeyId": spec["AccessKeyId"]})


def cmd_session_token(_args):
    spec = read_credentials()
    session = botocore.session.Session()
    c = sts_client(session, spec).get_session_token()["Credentials"]
    out(
        {
            "AccessKeyId": c["AccessKeyId"],
            "SecretAccessKey": c["SecretAccessKey"],
            "SessionToken": c["SessionToken"],
        }
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("version").set_defaults(run=cmd_version)
    p = sub.add_parser("identity")
    p.add_argument("--profile", required=True)
    p.add_argument("--mfa-code")
    p.set_defaults(run=cmd_identity)
    sub.add_parser("identity-of").set_defaults(run=cmd_identity_of)
    sub.add_parser("session-token").set_defaults(run=cmd_session_token)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
