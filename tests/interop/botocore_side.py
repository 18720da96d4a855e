#!/usr/bin/env python3
"""botocore's side of the cache interop test (tests/tests/interop_botocore.rs).

Every command works on the caches of the current user exactly as botocore
and the AWS CLI locate them: HOME (`~/.aws/sso/cache`, `~/.aws/cli/cache`),
AWS_CONFIG_FILE, and the endpoints from AWS_ENDPOINT_URL(_SSO_OIDC/_SSO).
Each prints one JSON object on stdout.

  version                        botocore and Python versions
  token --profile P              botocore.tokens.SSOTokenProvider's token
                                 (refreshes and rewrites the cache entry when
                                 less than 15 minutes remain)
  credentials --profile P        role credentials of a botocore session for
                                 profile P, with the AWS CLI's role-credential
                                 cache (~/.aws/cli/cache) plugged in as the
                                 AWS CLI does it
  write-login-entry              (JSON on stdin) writes a token entry the way
                                 `aws sso login` does: datetimes serialised by
                                 botocore's own dumps function, saved through
                                 botocore's SSOTokenLoader + JSONFileCache
  describe FILE                  the key order of a cache file and whether
                                 botocore would write exactly its bytes
  sso-cache-key ACCOUNT ROLE SESSION
                                 botocore's ~/.aws/cli/cache key for a role
"""

import argparse
import datetime
import json
import os
import sys

import botocore
import botocore.session
from botocore.credentials import SSOCredentialFetcher
from botocore.tokens import SSOTokenProvider, _sso_json_dumps
from botocore.utils import JSONFileCache, SSOTokenLoader

SSO_CACHE_DIR = os.path.expanduser(os.path.join("~", ".aws", "sso", "cache"))
CLI_CACHE_DIR = os.path.expanduser(os.path.join("~", ".aws", "cli", "cache"))


def out(obj):
    json.dump(obj, sys.stdout)
    sys.stdout.write("\n")


def iso(dt):
    return None if dt is None else dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def cmd_version(_args):
    out({"botocore": botocore.__version__, "python": sys.version.split()[0]})


def cmd_token(args):
    session = botocore.session.Session(profile=args.profile)
    provider = SSOTokenProvider(session, profile_name=args.profile)
    loaded = provider.load_token()
    if loaded is None:
        raise SystemExit("SSOTokenProvider found no sso-session for the profile")
    frozen = loaded.get_frozen_token()
    expiration = frozen.expiration
    if isinstance(expiration, datetime.datetime):
        expiration = iso(expiration)
    out({"token": frozen.token, "expiration": expiration})


def inject_cli_cache(session):
    # What the AWS CLI does on `session-initialized`
    # (awscli/customizations/assumerole.py): the role-credential providers
    # cache in ~/.aws/cli/cache instead of in memory.
    resolver = session.get_component("credential_provider")
    for name in ("assume-role", "assume-role-with-web-identity", "sso"):
        provider = resolver.get_provider(name)
        if provider is not None:
            provider.cache = JSONFileCache(CLI_CACHE_DIR)


def cmd_credentials(args):
    session = botocore.session.Session(profile=args.profile)
    if not args.no_cli_cache:
        inject_cli_cache(session)
    credentials = session.get_credentials()
    if credentials is None:
        raise SystemExit("no credentials")
    frozen = credentials.get_frozen_credentials()
    out(
        {
            "method": credentials.method,
            "accessKeyId": frozen.access_key,
            "secretAccessKey": frozen.secret_key,
            "sessionToken": frozen.token,
            "expiration": iso(getattr(credentials, "_expiry_time", None)),
        }
    )


def cmd_write_login_entry(_args):
    spec = json.load(sys.stdin)
    now = datetime.datetime.now(datetime.timezone.utc)
    token = {
        "startUrl": spec["startUrl"],
        "region": spec["region"],
        "accessToken": spec["accessToken"],
        "expiresAt": now + datetime.timedelta(seconds=spec["expiresIn"]),
    }
    if spec.get("refreshToken"):
        # The AWS CLI keeps the registration next to a refreshable token.
        token["clientId"] = spec["clientId"]
        token["clientSecret"] = spec["clientSecret"]
        token["registrationExpiresAt"] = datetime.datetime.fromtimestamp(
            spec["clientSecretExpiresAt"], datetime.timezone.utc
        )
        token["refreshToken"] = spec["refreshToken"]
    cache = JSONFileCache(SSO_CACHE_DIR, dumps_func=_sso_json_dumps)
    SSOTokenLoader(cache=cache).save_token(
        spec["startUrl"], token, session_name=spec.get("sessionName")
    )
    out({"expiresAt": iso(token["expiresAt"])})


def cmd_describe(args):
    with open(args.file, "rb") as f:
        raw = f.read()
    text = raw.decode("utf-8")
    value = json.loads(text)
    if "Credentials" in value:
        # Role credentials: JSONFileCache's default dumps.
        redumped = JSONFileCache(CLI_CACHE_DIR)._dumps(value)
    else:
        redumped = _sso_json_dumps(value)
    out(
        {
            "keys": list(value.keys()),
            "innerKeys": list(value["Credentials"].keys())
            if isinstance(value.get("Credentials"), dict)
            else None,
            "botocoreWouldWriteTheseBytes": redumped == text,
            "mode": oct(os.stat(args.file).st_mode & 0o777),
            "value": value,
        }
    )


def cmd_sso_cache_key(args):
    fetcher = SSOCredentialFetcher(
        start_url="unused",
        sso_region="unused",
        role_name=args.role,
        account_id=args.account,
        client_creator=None,
        sso_session_name=args.session,
    )
    out({"key": fetcher._create_cache_key()})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("version").set_defaults(run=cmd_version)
    p = sub.add_parser("token")
    p.add_argument("--profile", required=True)
    p.set_defaults(run=cmd_token)
    p = sub.add_parser("credentials")
    p.add_argument("--profile", required=True)
    p.add_argument("--no-cli-cache", action="store_true")
    p.set_defaults(run=cmd_credentials)
    sub.add_parser("write-login-entry").set_defaults(run=cmd_write_login_entry)
    p = sub.add_parser("describe")
    p.add_argument("file")
    p.set_defaults(run=cmd_describe)
    p = sub.add_parser("sso-cache-key")
    p.add_argument("account")
    p.add_argument("role")
    p.add_argument("session")
    p.set_defaults(run=cmd_sso_cache_key)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
