"""
What the flows of this folder share: the credential and subscription a user's script takes from its environment
(DefaultAzureCredential reads AZURE_CLIENT_ID/SECRET/TENANT_ID; HTTPS_PROXY and REQUESTS_CA_BUNDLE reach aksemu
through `requests`), and checks that report each step on stdout so the driving test sees how far a flow got.
Nothing here knows about aksemu: the same scripts run against Azure with that subscription's settings.
"""
import base64
import json
import os
import sys

from azure.core.exceptions import HttpResponseError
from azure.identity import DefaultAzureCredential

credential = DefaultAzureCredential()
subscription_id = os.environ["AZURE_SUBSCRIPTION_ID"]
location = os.environ.get("AZURE_LOCATION", "eastus")


def caller_object_id() -> str:
    """The signed-in principal's object id, from the `oid` claim of its ARM token (for a vault access policy)."""
    token = credential.get_token("https://management.azure.com/.default").token
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["oid"]


def expect(what: str, actual, expected) -> None:
    """Fails the flow (exit status 1, the step and both values on stderr) unless actual == expected."""
    if actual != expected:
        sys.stderr.write(f"FAILED {what}: expected {expected!r}, got {actual!r}\n")
        sys.exit(1)


def step(name: str, **facts) -> None:
    """One line per finished step: `ok <name> <facts as JSON>`."""
    print(f"ok {name} {json.dumps(facts, sort_keys=True)}", flush=True)


def expect_refused(what: str, call, status: int, code: str) -> HttpResponseError:
    """Runs `call`, which must fail with an ARM error the SDK parses: the HTTP status and the error body's code."""
    try:
        call()
    except HttpResponseError as err:
        expect(f"{what}: status", err.status_code, status)
        expect(f"{what}: error code", err.error.code if err.error else None, code)
        expect(f"{what}: error message given", bool(err.error.message), True)
        return err
    sys.stderr.write(f"FAILED {what}: expected HTTP {status} {code}, but the call succeeded\n")
    sys.exit(1)
