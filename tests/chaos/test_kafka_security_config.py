"""Kafka TLS and SASL_SSL client configuration (complements tests/foundation/test_runtime.py).

What is checked: the environment variables operators set reach every client the services
build (producer, runner consumer, admin); the TLS context really verifies the broker's
certificate against the configured CA and host name (a real TLS handshake with a local
server using a certificate made here); mutual TLS loads the client certificate; aiokafka
accepts each protocol's options; the SASL password never appears in reprs or logged settings.
"""

from __future__ import annotations

import asyncio
import ssl
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from mentionflow.kafka.producer import make_producer
from mentionflow.kafka.runner import BatchResult, Runner
from mentionflow.settings import KafkaSettings, RunnerSettings, ServiceSettings
from pydantic import ValidationError

SASL_PASSWORD = "sasl-pw-5f2c9d0e7a"


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A CA, a broker certificate for localhost/127.0.0.1 signed by it, a client certificate,
    and an unrelated second CA (for the negative case)."""
    d = tmp_path_factory.mktemp("pki")
    p = {name: d / name for name in ("ca.key", "ca.pem", "other-ca.key", "other-ca.pem", "broker.key",
                                     "broker.csr", "broker.pem", "client.key", "client.csr", "client.pem", "ext")}
    for ca in ("ca", "other-ca"):
        _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN=test {ca}",
                 "-keyout", str(p[f"{ca}.key"]), "-out", str(p[f"{ca}.pem"]))
    p["ext"].write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    for leaf in ("broker", "client"):
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={leaf}", "-keyout", str(p[f"{leaf}.key"]),
                 "-out", str(p[f"{leaf}.csr"]))
        _openssl("x509", "-req", "-in", str(p[f"{leaf}.csr"]), "-CA", str(p["ca.pem"]), "-CAkey", str(p["ca.key"]),
                 "-CAcreateserial", "-days", "1", "-extfile", str(p["ext"]), "-out", str(p[f"{leaf}.pem"]))
    return p


@pytest.fixture
async def tls_server(pki: dict[str, Path]) -> AsyncIterator[tuple[int, list[str]]]:
    """A TLS endpoint with the broker certificate; it requires no client certificate but
    records the subject of one when presented."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pki["broker.pem"], pki["broker.key"])
    context.load_verify_locations(pki["ca.pem"])
    context.verify_mode = ssl.CERT_OPTIONAL
    peers: list[str] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        cert = writer.get_extra_info("peercert")
        if cert:
            peers.append(dict(x[0] for x in cert["subject"])["commonName"])
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
    async with server:
        yield server.sockets[0].getsockname()[1], peers


async def _handshake(context: ssl.SSLContext, port: int, host: str) -> None:
    _, writer = await asyncio.wait_for(
        asyncio.open_connection("127.0.0.1", port, ssl=context, server_hostname=host), timeout=10)
    writer.close()


def _tls(pki: dict[str, Path], **fields: object) -> KafkaSettings:
    return KafkaSettings(bootstrap_servers="localhost:9093", security_protocol="SSL", ssl_cafile=str(pki["ca.pem"]),
                         **fields)


async def test_tls_context_trusts_the_configured_ca_and_checks_the_host_name(
    pki: dict[str, Path], tls_server: tuple[int, list[str]]
) -> None:
    port, _ = tls_server
    context = _tls(pki).client_kwargs()["ssl_context"]
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    await _handshake(context, port, "localhost")
    with pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch|doesn't match"):
        await _handshake(context, port, "kafka.example.org")
    # A broker certificate from another CA is refused.
    other = KafkaSettings(security_protocol="SSL", ssl_cafile=str(pki["other-ca.pem"])).client_kwargs()["ssl_context"]
    with pytest.raises(ssl.SSLCertVerificationError):
        await _handshake(other, port, "localhost")
    # check_hostname off (brokers reached by IP behind a proxy): the CA is still enforced.
    relaxed = _tls(pki, ssl_check_hostname=False).client_kwargs()["ssl_context"]
    assert relaxed.verify_mode == ssl.CERT_REQUIRED
    await _handshake(relaxed, port, "kafka.example.org")


async def test_mutual_tls_presents_the_client_certificate(pki: dict[str, Path],
                                                          tls_server: tuple[int, list[str]]) -> None:
    port, peers = tls_server
    settings = _tls(pki, ssl_certfile=str(pki["client.pem"]), ssl_keyfile=str(pki["client.key"]))
    await _handshake(settings.client_kwargs()["ssl_context"], port, "localhost")
    await asyncio.sleep(0)  # let the server record the peer
    assert peers == ["client"]


def test_missing_ca_file_is_an_error_at_start_up_not_a_silent_fallback(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        KafkaSettings(security_protocol="SSL", ssl_cafile=str(tmp_path / "absent.pem")).client_kwargs()


def test_sasl_ssl_from_the_environment_reaches_the_client_options(monkeypatch: pytest.MonkeyPatch,
                                                                 pki: dict[str, Path]) -> None:
    for key, value in {"SECURITY_PROTOCOL": "SASL_SSL", "SASL_MECHANISM": "SCRAM-SHA-512",
                       "SASL_USERNAME": "mentionflow-publish", "SASL_PASSWORD": SASL_PASSWORD,
                       "SSL_CAFILE": str(pki["ca.pem"]), "BOOTSTRAP_SERVERS": "k1:9096,k2:9096"}.items():
        monkeypatch.setenv(f"MENTIONFLOW_KAFKA__{key}", value)
    settings = ServiceSettings()
    kwargs = settings.kafka.client_kwargs()
    assert kwargs["bootstrap_servers"] == "k1:9096,k2:9096"
    assert (kwargs["security_protocol"], kwargs["sasl_mechanism"]) == ("SASL_SSL", "SCRAM-SHA-512")
    assert (kwargs["sasl_plain_username"], kwargs["sasl_plain_password"]) == ("mentionflow-publish", SASL_PASSWORD)
    assert kwargs["ssl_context"].verify_mode == ssl.CERT_REQUIRED
    # Never in what is logged or printed.
    assert SASL_PASSWORD not in str(settings.redacted())
    assert SASL_PASSWORD not in repr(settings) and SASL_PASSWORD not in str(settings.kafka)


@pytest.mark.parametrize("protocol", ["SASL_PLAINTEXT", "SASL_SSL"])
@pytest.mark.parametrize("field", ["sasl_mechanism", "sasl_username", "sasl_password"])
def test_sasl_without_a_mechanism_user_or_password_is_refused(protocol: str, field: str) -> None:
    complete = {"security_protocol": protocol, "sasl_mechanism": "PLAIN", "sasl_username": "u",
                "sasl_password": SASL_PASSWORD}
    with pytest.raises(ValidationError, match="needs sasl_mechanism"):
        KafkaSettings(**{k: v for k, v in complete.items() if k != field})


def test_unknown_protocols_and_mechanisms_are_refused() -> None:
    with pytest.raises(ValidationError):
        KafkaSettings(security_protocol="TLS")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        KafkaSettings(security_protocol="SASL_SSL", sasl_mechanism="GSSAPI", sasl_username="u",  # type: ignore[arg-type]
                      sasl_password=SASL_PASSWORD)


class _Idle:
    async def handle(self, messages: object) -> BatchResult:
        return BatchResult()


@pytest.mark.parametrize("protocol", ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"])
async def test_every_client_the_services_build_carries_the_security_settings(protocol: str,
                                                                             pki: dict[str, Path]) -> None:
    """Producer (make_producer), the runner's consumer and an admin client: aiokafka accepts
    the options and keeps them (nothing is connected: construction only)."""
    fields: dict[str, object] = {"bootstrap_servers": "localhost:9093", "security_protocol": protocol}
    if "SSL" in protocol:
        fields["ssl_cafile"] = str(pki["ca.pem"])
    if protocol.startswith("SASL"):
        fields |= {"sasl_mechanism": "SCRAM-SHA-256", "sasl_username": "svc", "sasl_password": SASL_PASSWORD}
    settings = KafkaSettings(**fields)  # type: ignore[arg-type]
    producer: AIOKafkaProducer = make_producer(settings, client_id="security-test")
    runner = Runner(service="security-test", group_id="g", topics=["mentions.raw"], handler=_Idle(),
                    producer=producer, kafka=settings, settings=RunnerSettings())
    admin = AIOKafkaAdminClient(**settings.client_kwargs())
    consumer: AIOKafkaConsumer = runner.consumer
    for client in (producer.client, consumer._client, admin._client):  # noqa: SLF001 - what aiokafka keeps
        assert client._security_protocol == protocol
        assert (client._ssl_context is not None) == ("SSL" in protocol)
        if protocol.startswith("SASL"):
            assert client._sasl_mechanism == "SCRAM-SHA-256"
            assert client._sasl_plain_password == SASL_PASSWORD
        else:
            assert client._sasl_plain_password is None
