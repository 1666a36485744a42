"""Orgs, applications, application keys and users from the Adobe snapshots (pure: no network).

What each field is written from (so that ``plan`` on the result adopts without an update):

- ``orgs``: every org the connection's Console listing shows (``code`` = IMS org id).
- ``applications``: a Console project with a credential; ``scopes`` are the scopes of the services
  its credential is subscribed to (``serviceProperties``), ``credential`` its type, ``title`` and
  ``description`` the project's.
- ``application_keys``: a key binding whose fingerprint is the public key of an exported cloud
  configuration becomes ``certificate: ${cloud_configs.<name>.public_key}`` (the Console gives only
  the fingerprint of a binding, so other bindings cannot be exported and are listed as skipped).
- ``users``: the members of an org's Marketing Cloud product profile (seed 000: only they can share
  to Creative Cloud), and the members of exported shares; ``groups`` as the user has them (the
  ``_``-prefixed system groups such as ``_org_admin`` cannot be granted and are left out).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ruamel.yaml.scalarstring import LiteralScalarString

from reconciler.kinds.application_keys import fingerprint
from reconciler.kinds.applications import KNOWN_SCOPES
from reconciler.kinds.users import WIRE_TYPES
from reconciler.refs import NAME_RE

from .context import BuildContext, sorted_by
from .model import Entry, ref, slug
from .read import AdobeSnapshot, AemSnapshot, ProjectSnapshot

#: product profiles that are "the Marketing Cloud product profile" of seed 000, by name or product
MARKETING_CLOUD_NAMES = frozenset({"Marketing Cloud"})
MARKETING_CLOUD_PRODUCTS = frozenset({"Adobe Experience Cloud", "Marketing Cloud"})


def build_orgs(bc: BuildContext, adobe: list[AdobeSnapshot]) -> None:
    """One ``orgs`` resource per IMS org (an org two connections see is exported once)."""
    for snap in adobe:
        for org in snap.orgs:
            code = str(org.get("code"))
            if ("orgs", code) in bc.index:
                continue
            entry = Entry({"connection": snap.connection, "ims_org_id": code})
            entry.header.append(f"{org.get('name')} (Console org {org.get('id')}): read only, never created")
            if org.get("role") != "ADMIN":
                entry.notes["ims_org_id"] = (
                    f"the reconciler's account is {org.get('role') or 'no'} member here, not ADMIN: plan reports it"
                )
            bc.add("orgs", slug(str(org.get("name") or code), "org"), entry, ("orgs", code))


def _scopes(project: ProjectSnapshot) -> tuple[list[str], list[str]]:
    """(scopes, service names) of the project's credential subscriptions."""
    scopes: set[str] = set()
    services = []
    for sp in (project.integration or {}).get("serviceProperties") or []:
        scopes.update(sp.get("scopes") or [])
        services.append(str(sp.get("name") or sp.get("sdkCode")))
    return sorted(scopes), sorted(services)


def _application(org_name: str, project: ProjectSnapshot) -> Entry:
    p = project.project
    scopes, services = _scopes(project)
    entry = Entry({"org": org_name})
    entry.data["title"] = p.get("title") or p["name"]
    if p.get("description"):
        entry.data["description"] = p["description"]
    ctype = (project.credential or {}).get("integration_type")
    if ctype == "service":
        entry.data["credential"] = "service_account_jwt"
        entry.notes["credential"] = "a Service Account (JWT) credential, past end of life: plan warns"
    entry.data["scopes"] = scopes
    entry.notes["scopes"] = "from the subscribed services: " + (", ".join(services) or "none")
    unknown = [s for s in scopes if s not in KNOWN_SCOPES]
    if unknown:
        entry.notes["scopes"] += f"; {', '.join(unknown)} unknown to this tool: validate reports it"
    apikey = (project.integration or {}).get("apikey")
    entry.header.append(f"Developer Console project {p['name']} (id {p['id']}), application ID {apikey}")
    return entry


def build_applications(bc: BuildContext, adobe: list[AdobeSnapshot]) -> None:
    """One ``applications`` resource per Console project with a credential, org by org."""
    for snap in adobe:
        for org in snap.orgs:
            org_name = bc.index.get(("orgs", str(org.get("code"))))
            for project in snap.projects.get(str(org["id"]), []):
                pname = str(project.project["name"])
                if project.credential is None or project.integration is None:
                    bc.out.skip("applications", f"Console project {pname} in {org.get('name')}: it has no credential")
                    continue
                if org_name is None:
                    bc.out.skip("applications", f"Console project {pname}: its org {org.get('code')} is not exported")
                    continue
                entry = _application(org_name, project)
                base = pname if NAME_RE.fullmatch(pname) else slug(pname, "application")
                name = bc.add("applications", base, entry, ("apps", str(project.integration.get("apikey"))))
                if name is not None and name != pname:
                    entry.data = {"org": org_name, "name": pname, **{k: v for k, v in entry.data.items() if k != "org"}}
                if name is not None:
                    bc.index[("app-project", snap.connection, str(org["id"]), pname)] = name


def build_application_keys(bc: BuildContext, adobe: list[AdobeSnapshot], aem: list[AemSnapshot]) -> None:
    """One ``application_keys`` resource per binding whose certificate is an AEM public key."""
    pems: dict[str, tuple[AemSnapshot, str, str]] = {}  # fingerprint -> (snapshot, config node, pem)
    for a in aem:
        for node, pem in a.public_keys.items():
            pems.setdefault(fingerprint(pem), (a, node, pem))
    for snap in adobe:
        for org in snap.orgs:
            for project in snap.projects.get(str(org["id"]), []):
                app = bc.index.get(("app-project", snap.connection, str(org["id"]), str(project.project["name"])))
                if app is None:
                    if project.bindings:
                        bc.out.skip("application_keys",
                                    f"the keys of Console project {project.project['name']}: it is not exported")
                    continue
                for binding in sorted_by(project.bindings, "certificateFingerprint"):
                    _key(bc, app, str(binding.get("certificateFingerprint")), pems)


def _key(bc: BuildContext, app: str, fp: str, pems: dict[str, tuple[AemSnapshot, str, str]]) -> None:
    found = pems.get(fp)
    if found is None:
        bc.out.skip(
            "application_keys",
            f"key {fp} of applications.{app}: not an AEM configuration's public key, and the Console gives"
            " only a binding's fingerprint, not its certificate",
        )
        return
    snap, node, pem = found
    config = bc.index.get(("cloud_configs", snap.connection, node))
    entry = Entry({"application": app})
    if config is not None:
        entry.data["certificate"] = ref("cloud_configs", config, "public_key")
        entry.notes["certificate"] = f"fingerprint {fp}: AEM's public key of cloud_configs.{config}"
        base = f"{app}-aem-key" if config == app else f"{app}-{config}"
    else:
        entry.data["certificate"] = LiteralScalarString(pem)
        entry.header.append(f"fingerprint {fp}: the public key of {snap.root}/{node}, which is not exported")
        base = f"{app}-{slug(node)}"
    bc.add("application_keys", slug(base, "key"), entry)


def _marketing_cloud(groups: Iterable[dict[str, Any]]) -> set[str]:
    return {
        str(g.get("groupName"))
        for g in groups
        if g.get("type") == "PRODUCT_PROFILE"
        and (g.get("groupName") in MARKETING_CLOUD_NAMES or g.get("productName") in MARKETING_CLOUD_PRODUCTS)
    }


def _user(org_name: str, user: dict[str, Any], why: str) -> Entry:
    utype = WIRE_TYPES.get(str(user.get("type")), str(user.get("type")))
    entry = Entry({"org": org_name, "email": str(user.get("email", "")).lower(), "type": utype})
    if utype != "adobe_id":
        for key in ("firstname", "lastname"):
            if user.get(key) is not None:
                entry.data[key] = user[key]
    groups = sorted(str(g) for g in user.get("groups") or [])
    entry.data["groups"] = [g for g in groups if not g.startswith("_")]
    system = [g for g in groups if g.startswith("_")]
    entry.notes["groups"] = why + (f"; {', '.join(system)} left out (cannot be granted)" if system else "")
    return entry


def build_users(bc: BuildContext, adobe: list[AdobeSnapshot], members: set[str]) -> None:
    """The Marketing Cloud product profile's members of every exported org, then the members of
    shares (``members``: lower-case emails) found in an org's listing, each user once per org."""
    wanted = set(members)
    for snap in adobe:
        for org in snap.orgs:
            code = str(org.get("code"))
            org_name = bc.index.get(("orgs", code))
            if org_name is None:
                if snap.users.get(code):
                    bc.out.skip("users", f"the users of org {code}: the org is not exported")
                continue
            profiles = _marketing_cloud(snap.groups.get(code, []))
            for user in sorted_by(snap.users.get(code, []), "email"):
                email = str(user.get("email", "")).lower()
                in_profile = sorted(profiles & set(user.get("groups") or []))
                if not in_profile and email not in wanted:
                    continue
                if ("users", code, email) in bc.index:
                    continue
                why = f"in the product profile {in_profile[0]}" if in_profile else "a member of an exported share"
                name = bc.add("users", slug(email.split("@")[0], "user"), _user(org_name, user, why),
                              ("users", code, email))
                if name is not None:
                    bc.index.setdefault(("user-email", email), name)
