#!/usr/bin/env python3
"""An SMTP server for the tests: aiosmtpd (python3-aiosmtpd) on 127.0.0.1 that
requires STARTTLS and, after it, a login.

Usage: starttls-server.py DIRECTORY USERNAME PASSWORD

Makes a private CA and a certificate it signed for 127.0.0.1 with openssl in
DIRECTORY (ca.pem is what a client must trust), listens on a free port, prints
"port N" once it accepts connections, and writes every message it accepts to
DIRECTORY/mail-N.eml. Runs until killed.
"""
import os
import socket
import ssl
import subprocess
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

directory, username, password = sys.argv[1], sys.argv[2].encode(), sys.argv[3].encode()


def openssl(*arguments):
    subprocess.run(["openssl", *arguments], cwd=directory, check=True, capture_output=True)


openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=btcrate test CA", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
with open(os.path.join(directory, "server.ext"), "w") as extensions:
    extensions.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.pem", "-days", "2", "-extfile", "server.ext")

context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(os.path.join(directory, "server.pem"), os.path.join(directory, "server.key"))


class Handler:
    count = 0

    async def handle_DATA(self, server, session, envelope):
        Handler.count += 1
        path = os.path.join(directory, f"mail-{Handler.count}.eml")
        with open(path + ".tmp", "wb") as mail:
            mail.write(envelope.original_content or envelope.content)
        os.rename(path + ".tmp", path)
        return "250 OK"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == username and auth_data.password == password
    return AuthResult(success=ok)


with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
controller = Controller(Handler(), hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
                        authenticator=authenticator, auth_require_tls=True)
controller.start()
print(f"port {port}", flush=True)
while True:
    time.sleep(3600)
