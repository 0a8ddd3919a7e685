# botocore's choice of credential source for the profiles with sso_*
# settings, for differential_sso_test.go. stdin: a JSON list of
# [config_path, credentials_path]; stdout: a JSON list of
# {profile: {"decision": ..., ...}}, one per pair.
#
# The order is botocore's own: the assume-role provider (role_arn) comes
# before the profile providers (create_credential_resolver), whose order is
# ProfileProviderBuilder.providers: web identity, SSO, keys in the
# credentials file, login, credential_process, keys in the config file.
# The SSO provider's reading is its own _load_sso_config (which raises
# botocore's errors for a missing session or key, or a mismatch); no
# provider is asked to fetch anything.
import json
import sys

import botocore.session
from botocore.credentials import ProfileProviderBuilder, SSOProvider


def decide(session, name, profile):
    if "role_arn" in profile and "web_identity_token_file" not in profile:
        if "source_profile" not in profile and "credential_source" not in profile:
            return {"decision": "error", "error": "role_arn without source_profile or credential_source"}
        return {"decision": "assume-role"}
    for p in ProfileProviderBuilder(session).providers(name):
        method = getattr(p, "METHOD", type(p).__name__)
        if isinstance(p, SSOProvider):
            try:
                c = p._load_sso_config()
            except Exception as e:  # InvalidConfigError and its kind
                return {"decision": "error", "error": str(e)}
            if c:
                return {"decision": "sso", "start_url": c["sso_start_url"], "region": c["sso_region"],
                        "account": c["sso_account_id"], "role": c["sso_role_name"], "session": c.get("sso_session", "")}
            continue
        if method == "custom-process":
            if profile.get("credential_process"):
                return {"decision": "process"}
            continue
        if method in ("shared-credentials-file", "config-file"):
            try:
                if p.load() is not None:
                    return {"decision": "keys"}
            except Exception as e:
                return {"decision": "error", "error": str(e)}
            continue
        if method == "assume-role-with-web-identity":
            if "web_identity_token_file" in profile:
                return {"decision": "web-identity"}
            continue
        if method == "login" and profile.get("login_session"):
            return {"decision": "login"}
    return {"decision": "none"}


out = []
for config, credentials in json.load(sys.stdin):
    s = botocore.session.Session()
    s.set_config_variable("config_file", config)
    s.set_config_variable("credentials_file", credentials)
    try:
        profiles = s.full_config.get("profiles", {})
    except Exception as e:
        out.append({})
        continue
    res = {}
    for name, profile in profiles.items():
        if any(k.startswith("sso_") for k in profile):
            res[name] = decide(s, name, profile)
    out.append(res)
json.dump(out, sys.stdout)
