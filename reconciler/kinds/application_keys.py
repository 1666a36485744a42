"""``application_keys``: a public key certificate bound to an application's credential.

This is the seed's "paste the public key into the application" step, made declarative without a
cycle: the cloud configuration needs the application's ID, AEM then generates the key pair, and
this resource binds AEM's certificate (``${cloud_configs.<name>.public_key}``) to the credential
(``POST /console/organizations/{orgId}/integrations/entp/{credentialId}/bindings``,
adobe-ims-console-api.md §3). Identity: application + certificate fingerprint (SHA-1 of the DER,
lowercase hex); a new certificate replaces the binding.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pydantic import Field

from reconciler.engine import Observed, PrefetchItem, RefreshItem, StateRecord, is_unknown
from reconciler.refs import RefTo

from .base import KindDef, KindProvider, Link, Parsed, Read, Spec, field_check, parse_model, prefetch_value


class ApplicationKeySpec(Spec):
    """A certificate (public key) bound to an application's credential."""

    application: Annotated[str, RefTo("applications")] = Field(
        description="The application (a resource of kind applications)."
    )
    certificate: str = Field(description="PEM certificate, usually ${cloud_configs.<name>.public_key}.")

    @field_check("certificate")
    def _cert(cls, v: str) -> str:
        if "PRIVATE KEY" in v:
            raise ValueError("this is a private key; bind the public certificate (-----BEGIN CERTIFICATE-----) instead")
        try:
            x509.load_pem_x509_certificate(v.encode())
        except ValueError:
            raise ValueError("must be a PEM X.509 certificate (-----BEGIN CERTIFICATE----- ...)") from None
        return v


def fingerprint(pem: str) -> str:
    """SHA-1 of the certificate's DER, lowercase hex without colons (Console certificateFingerprint)."""
    cert = x509.load_pem_x509_certificate(pem.encode())
    return hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).hexdigest()  # protocol-mandated SHA-1


class ApplicationKeyProvider(KindProvider[Parsed[ApplicationKeySpec]]):
    kind = "application_keys"
    replace_fields = frozenset({"fingerprint"})

    def parse(self, address: str, data: Any) -> Parsed[ApplicationKeySpec]:
        return parse_model(ApplicationKeySpec, address, data)

    def _fingerprint(self, spec: Parsed[ApplicationKeySpec]) -> str:
        cert = spec.model.certificate
        return cert if is_unknown(cert) else fingerprint(cert)

    def desired(self, spec: Parsed[ApplicationKeySpec]) -> dict[str, Any]:
        return {"fingerprint": self._fingerprint(spec)}

    def identity(self, spec: Parsed[ApplicationKeySpec]) -> str:
        fp = self._fingerprint(spec)
        return f"{spec.model.application}:{'(known after apply)' if is_unknown(fp) else fp}"

    def _bindings(self, conn: str, org: str, cred: str) -> Read:
        """The certificates bound to a credential (``ConsoleClient.list_bindings``)."""
        return ("console-bindings", conn, org, cred), lambda: self.ctx.console(conn).list_bindings(org, cred)

    def start_reads(self, items: list[PrefetchItem]) -> None:
        for item in items:
            conn = prefetch_value(item, "connection", link="connection")
            org = prefetch_value(item, "org_console_id", link="console_org_id")
            cred = prefetch_value(item, "credential_id", link="credential_id")
            if conn is not None and org is not None and cred is not None:
                self.start(self._bindings(conn, org, cred))

    async def refresh(self, items: list[RefreshItem[Parsed[ApplicationKeySpec]]]) -> dict[str, Observed | None]:
        out: dict[str, Observed | None] = {}
        listed: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        for item in items:
            if item.record is not None:
                rec = item.record
                conn, org, cred, fp = (
                    rec.outputs[k] for k in ("connection", "org_console_id", "credential_id", "fingerprint")
                )
            else:
                assert item.spec is not None
                if not item.spec.known("connection", "console_org_id", "credential_id"):
                    out[item.address] = None
                    continue
                conn, org, cred = (str(item.spec.link(k)) for k in ("connection", "console_org_id", "credential_id"))
                fp = self._fingerprint(item.spec)
            key = (conn, org, cred)
            if key not in listed:
                listed[key] = await self.read(self._bindings(conn, org, cred))
            binding = next((b for b in listed[key] if b.get("certificateFingerprint") == fp), None)
            out[item.address] = None if binding is None else self._observed(conn, org, cred, binding)
        return out

    @staticmethod
    def _observed(conn: str, org: str, cred: str, binding: dict[str, Any]) -> Observed:
        fp = binding["certificateFingerprint"]
        return Observed(
            str(binding["bindingId"]),
            {"fingerprint": fp},
            {
                "binding_id": str(binding["bindingId"]),
                "fingerprint": fp,
                "not_after": binding.get("notAfter"),
                "connection": conn,
                "org_console_id": org,
                "credential_id": cred,
            },
        )

    async def create(self, address: str, spec: Parsed[ApplicationKeySpec]) -> Observed:
        conn, org, cred = (str(spec.link(k)) for k in ("connection", "console_org_id", "credential_id"))
        bindings = await self.ctx.console(conn).add_binding(org, cred, spec.model.certificate)
        fp = self._fingerprint(spec)
        binding = next((b for b in bindings if b.get("certificateFingerprint") == fp), None)
        if binding is None:
            bindings = await self.ctx.console(conn).list_bindings(org, cred)
            binding = next(b for b in bindings if b.get("certificateFingerprint") == fp)
        return self._observed(conn, org, cred, binding)

    async def update(
        self, address: str, spec: Parsed[ApplicationKeySpec], observed: Observed, changes: Any
    ) -> Observed:
        return observed  # the fingerprint is the identity: any change is a replace

    async def delete(self, record: StateRecord) -> None:
        o = record.outputs
        await self.ctx.console(o["connection"]).delete_binding(o["org_console_id"], o["credential_id"], o["binding_id"])


KIND = KindDef(
    name="application_keys",
    model=ApplicationKeySpec,
    outputs=frozenset({"binding_id", "fingerprint", "not_after"}),
    provider=ApplicationKeyProvider,
    links={
        "connection": Link("application", "applications", "connection"),
        "console_org_id": Link("application", "applications", "org_console_id"),
        "credential_id": Link("application", "applications", "credential_id"),
    },
    description="Public key certificates bound to an application's credential (seed 000: paste the public key).",
)
