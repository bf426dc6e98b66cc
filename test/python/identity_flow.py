"""
The KMS plugin's view of the key, with the Azure SDKs for Python signed in as the cluster's user-assigned managed
identity (the environment of `aksemu env --identity`: IDENTITY_ENDPOINT and IDENTITY_HEADER, which
DefaultAzureCredential's ManagedIdentityCredential reads, and the identity's AZURE_CLIENT_ID; no client secret). The
identity holds encrypt and decrypt on the vault's access policy and nothing else: it wraps and unwraps a data key,
and signing or reading the vault's key list is refused with Key Vault's 403 (SPEC P-1, X-2).
Usage: identity_flow.py KEY_ID
"""
import base64
import json
import os
import sys

from azure.core.exceptions import HttpResponseError
from azure.keyvault.keys import KeyClient
from azure.keyvault.keys.crypto import CryptographyClient, EncryptionAlgorithm, SignatureAlgorithm

from sdkcheck import credential, expect, step

key_id = sys.argv[1]
vault_uri = key_id.split("/keys/")[0] + "/"

# The token is the identity's own: its client id, from the managed identity endpoint.
token = credential.get_token("https://vault.azure.net/.default").token
payload = token.split(".")[1]
claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
expect("token: appid", claims["appid"], os.environ["AZURE_CLIENT_ID"])
expect("token: audience", claims["aud"], "https://vault.azure.net")
step("token", appid=claims["appid"])

# What the KMS plugin does with the key: encrypt (wrap) a data encryption key and decrypt it back.
crypto = CryptographyClient(key_id, credential)
dek = os.urandom(32)
wrapped = crypto.encrypt(EncryptionAlgorithm.rsa_oaep_256, dek)
expect("encrypt: key id", wrapped.key_id, key_id)
expect("encrypt: ciphertext length", len(wrapped.ciphertext), 256)
expect("decrypt: the data key back", crypto.decrypt(EncryptionAlgorithm.rsa_oaep_256, wrapped.ciphertext).plaintext, dek)
step("encrypt-decrypt", bytes=len(wrapped.ciphertext))


def refused(what: str, call) -> str:
    try:
        call()
    except HttpResponseError as err:
        expect(f"{what}: status", err.status_code, 403)
        expect(f"{what}: error code", err.error.code if err.error else None, "Forbidden")
        return err.error.code
    expect(f"{what}: refused", "allowed", "refused")


refused("sign without the sign permission", lambda: crypto.sign(SignatureAlgorithm.rs256, b"\0" * 32))
refused("list keys without the list permission", lambda: list(KeyClient(vault_uri, credential).list_properties_of_keys()))
step("refused", code="Forbidden")
