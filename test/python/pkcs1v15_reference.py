"""OpenSSL's own RSAES-PKCS1-v1_5 decryption (with implicit rejection since OpenSSL 3.2), through the pinned
`cryptography` package, as the reference aksemu's decoding (src/keyvault/pkcs1v15.ts) is compared with.

Usage: pkcs1v15_reference.py BITS COUNT. Prints JSON: a fresh key (PKCS#8 PEM, only on stdout), and for COUNT random
ciphertexts (almost all of them badly padded) and COUNT proper ones, the ciphertext and what OpenSSL decrypts.
"""
import json
import os
import sys

from cryptography.hazmat.backends.openssl import backend
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

bits, count = int(sys.argv[1]), int(sys.argv[2])
key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
n = key.public_key().public_numbers().n
size = (n.bit_length() + 7) // 8
cases = []
for _ in range(count):
    ciphertext = (int.from_bytes(os.urandom(size), "big") % n).to_bytes(size, "big")
    cases.append({"ciphertext": ciphertext.hex(), "plaintext": key.decrypt(ciphertext, padding.PKCS1v15()).hex(), "proper": False})
for i in range(count):
    message = os.urandom(1 + i % 64)
    ciphertext = key.public_key().encrypt(message, padding.PKCS1v15())
    cases.append({"ciphertext": ciphertext.hex(), "plaintext": key.decrypt(ciphertext, padding.PKCS1v15()).hex(), "proper": True})
pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
print(json.dumps({"openssl": backend.openssl_version_text(), "pem": pem, "cases": cases}))
