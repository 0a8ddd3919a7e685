# botocore's reading of shared config and credentials files, for
# differential_test.go. stdin: a JSON list of [config_path, credentials_path];
# stdout: a JSON list of {"config": ..., "credentials": ...}, each either
# {"error": "..."} or what botocore.configloader returns (load_config for
# the config file, raw_config_parse for the credentials file, as
# botocore.session.Session.full_config reads them).
import json
import sys

import botocore.configloader as cl
from botocore.exceptions import ConfigNotFound, ConfigParseError


def load(path, fn):
    try:
        return fn(path)
    except ConfigNotFound:
        return {}
    except ConfigParseError as e:
        return {"error": str(e.kwargs.get("error", e))}


out = []
for config, credentials in json.load(sys.stdin):
    out.append({"config": load(config, cl.load_config), "credentials": load(credentials, cl.raw_config_parse)})
json.dump(out, sys.stdout, ensure_ascii=False)
