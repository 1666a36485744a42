"""``reconciler init``: a commented starter configuration.

With ``sandbox=True`` every URL is ``sandbox://...`` and the IDs are the seeded world's (see
``reconciler sandbox info``), so the file plans and applies at once with no account; without it,
the same resources against a real AEM author and Adobe org, their URLs and IDs from the environment.
"""

from __future__ import annotations

_HEAD = """\
# yaml-language-server: $schema=./reconciler.schema.json
#
# A starter configuration for the AEM Assets reconciler: an Adobe application, AEM's
# "Adobe Experience Cloud" configuration that uses it, AEM's public key bound to it, and one folder.
# {where}
#   reconciler validate      # offline checks
#   reconciler plan          # what would change
#   reconciler apply         # do it (asks first)
version: 1

connections:
  author:                    # the AEM author instance
    type: aem
    url: {aem_url}
    username: admin
    password: ${{env:AEM_PASSWORD{aem_default}}}   # never write a password here
  adobe:                     # Adobe IMS + Developer Console, with the reconciler's own credential
    type: adobe
{adobe_urls}    client_id: {client_id}
    client_secret: ${{env:ADOBE_CLIENT_SECRET{secret_default}}}

orgs:                        # verified (the reconciler must be an admin there), never created
  acme:
    connection: adobe
    ims_org_id: {ims_org_id}

applications:                # a Developer Console project with an OAuth credential
  assets-sync:
    org: acme
    title: AEM Assets sync
    scopes: [dam-read, dam-sync, dam-write, cc-share]

cloud_configs:               # AEM: Tools > Cloud Services > Adobe Experience Cloud
  assets-sync:
    connection: author
    title: Assets sync
    tenant_url: {tenant_url}
    client_id: ${{applications.assets-sync.application_id}}   # the application ID, never the secret
    synchronization: enabled

application_keys:            # AEM's public key, bound to the application
  aem-author:
    application: assets-sync
    certificate: ${{cloud_configs.assets-sync.public_key}}

folders:                     # a plain (not ordered) folder: shareable with Experience Cloud
  demo:
    connection: author
    title: Demo
    ordered: false
"""

_SANDBOX = {
    "where": "Every URL is sandbox://..., the embedded emulator: no server, no Adobe account.\n"
             "# The IDs are the sandbox's seeded world (`reconciler sandbox info` lists them).",
    "aem_url": "sandbox://aem",
    "aem_default": ":-admin",
    "adobe_urls": "    ims_url: sandbox://ims\n    console_url: sandbox://console\n    umapi_url: sandbox://umapi\n",
    "client_id": "5f0c2ab1d3e94c7a8b6d1e2f3a4b5c6d",
    "secret_default": ":-p8e-SandboxReconcilerSecret0123456789ab",
    "ims_org_id": "A1B2C3D4E5F6A7B8C9D0E1F2@AdobeOrg",
    "tenant_url": "https://acme.experiencecloud.adobe.com",
}

_REAL = {
    "where": "Fill in your AEM author and Adobe org (the environment variables below), then:",
    "aem_url": "${env:AEM_URL}                   # e.g. http://localhost:4502",
    "aem_default": "",
    "adobe_urls": "",
    "client_id": "${env:ADOBE_CLIENT_ID}         # the reconciler's OAuth Server-to-Server credential",
    "secret_default": "",
    "ims_org_id": "${env:ADOBE_IMS_ORG_ID}        # ...@AdobeOrg",
    "tenant_url": "${env:EXPERIENCE_CLOUD_URL}    # https://<tenant>.experiencecloud.adobe.com",
}

FILE_NAME = "main.yaml"


def starter_config(*, sandbox: bool) -> str:
    """The starter ``main.yaml`` text: against the embedded sandbox (``sandbox=True``), or a real
    AEM and Adobe org with URLs and IDs from ``${env:...}``."""
    return _HEAD.format(**(_SANDBOX if sandbox else _REAL))
