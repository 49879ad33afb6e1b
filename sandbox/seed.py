"""The seeded sandbox tenant: Contoso, deterministic, sized by settings.

``seed_tenant(**sizes)`` replaces the directory with a fresh tenant and returns ``WELL_KNOWN``:
stable keys -> ``Known(id, display_name)`` for the objects tests and demos rely on. Ids are
``uuid5(NAMESPACE, name)`` of fixed names, so they are the same on every seed and known before
seeding; everything else comes from ``random.Random(SEED)``, so two seeds give the same tenant.

Sizes: ``SANDBOX_SEED_USERS`` (2000), ``SANDBOX_SEED_GROUPS`` (300), ``SANDBOX_SEED_BIG_GROUP_MEMBERS``
(5000). The big group ("All Employees") holds every ordinary user, every device and the generated
security groups; when that is fewer than the size asked for, the tenant gets more users — so the
user count grows to cover the big group (about 3,800 users with the defaults).
"""

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction

from sandbox import authz, knobs
from sandbox.models import (
    AuthorizationCode,
    Consent,
    DemoAccount,
    DirectoryObject,
    Kind,
    Link,
    RefreshToken,
    ScopedRoleMembership,
)

NAMESPACE = uuid.UUID("0f5e8f5c-3a7d-4b61-9c2e-5d4b3a291807")
SEED = 20240507
DOMAIN = "contoso.example"
PARTNER_DOMAIN = "fabrikam.example"  # where the seeded guests come from
GUEST_EVERY = 12  # every 12th generated person is a guest
DISABLED_EVERY = 17  # every 17th generated account is disabled
EPOCH = datetime(2023, 1, 9, 8, 0, tzinfo=UTC)
UNIT_COUNT = 15
READ_ONLY_SCOPES = (
    "User.Read User.ReadBasic.All Directory.Read.All Device.Read.All GroupMember.Read.All "
    "AdministrativeUnit.Read.All RoleManagement.Read.Directory"
)

FIRST_NAMES = [
    "Aiden", "Amara", "Ben", "Carla", "Chen", "Dana", "Elif", "Emma", "Farid", "Grace", "Hana", "Ivan",
    "Jonas", "Julia", "Kofi", "Lena", "Liam", "Maya", "Mateo", "Nadia", "Noah", "Omar", "Paula", "Quinn",
    "Rafael", "Rosa", "Sam", "Sofia", "Tariq", "Uma", "Victor", "Wen", "Yara", "Zoe", "Lukas", "Ines",
]
LAST_NAMES = [
    "Anders", "Baker", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Hansen", "Ito", "Jensen", "Kim",
    "Lopez", "Meyer", "Novak", "Okafor", "Patel", "Quint", "Rossi", "Schmidt", "Tanaka", "Ueda", "Varga",
    "Walker", "Xu", "Young", "Zimmer", "Nakamura", "Silva", "Moreau", "Kowalski",
]
DEPARTMENTS = {
    "Sales": ["Account Executive", "Sales Manager", "Sales Engineer"],
    "Marketing": ["Marketing Specialist", "Content Strategist", "Brand Manager"],
    "Engineering": ["Software Engineer", "Site Reliability Engineer", "Engineering Manager"],
    "Finance": ["Accountant", "Financial Analyst", "Controller"],
    "Human Resources": ["HR Generalist", "Recruiter", "HR Business Partner"],
    "IT": ["Helpdesk Technician", "Systems Administrator", "Network Engineer"],
    "Legal": ["Counsel", "Paralegal"],
    "Operations": ["Operations Analyst", "Facilities Coordinator", "Logistics Lead"],
}
OFFICES = ["Seattle", "Paris", "London", "Berlin", "Tokyo", "Sydney", "Toronto", "Madrid", "Dublin", "Chicago"]
UNIT_CITIES = ["London", "Berlin", "Tokyo", "Sydney", "Toronto", "Madrid", "Dublin", "Chicago", "Oslo", "Singapore"]
GROUP_SUFFIXES = ["Team", "Readers", "Approvers", "Leads", "Contractors", "Champions", "On-Call", "Reviewers"]
CODENAMES = ["Atlas", "Borealis", "Cobalt", "Drake", "Ember", "Fjord", "Granite", "Harbor", "Iris", "Juniper"]
DEVICE_SYSTEMS = [("Windows", "10.0.22631.3447", "DESKTOP"), ("Windows", "10.0.19045.4291", "LAPTOP"),
                  ("MacMDM", "14.4.1", "MAC"), ("iOS", "17.4.1", "IPHONE"), ("Android", "14", "ANDROID")]

# (key, roleTemplateId, displayName, description, activated) — Microsoft's real built-in roles.
ROLES = [
    ("global_administrator", authz.GLOBAL_ADMINISTRATOR, "Global Administrator",
     "Can manage all aspects of Microsoft Entra ID and Microsoft services that use Microsoft Entra identities.", True),
    ("privileged_role_administrator", authz.PRIVILEGED_ROLE_ADMINISTRATOR, "Privileged Role Administrator",
     "Can manage role assignments in Microsoft Entra ID, and all aspects of Privileged Identity Management.", True),
    ("groups_administrator", authz.GROUPS_ADMINISTRATOR, "Groups Administrator",
     "Members of this role can create/manage groups, create/manage groups settings like naming and expiration "
     "policies, and view groups activity and audit reports.", True),
    ("user_administrator", authz.USER_ADMINISTRATOR, "User Administrator",
     "Can manage all aspects of users and groups, including resetting passwords for limited admins.", True),
    ("helpdesk_administrator", authz.HELPDESK_ADMINISTRATOR, "Helpdesk Administrator",
     "Can reset passwords for non-administrators and Helpdesk Administrators.", True),
    ("directory_readers", authz.DIRECTORY_READERS, "Directory Readers",
     "Can read basic directory information. Commonly used to grant directory read access to applications and guests.",
     True),
    ("global_reader", authz.GLOBAL_READER, "Global Reader",
     "Can read everything that a Global Administrator can, but not update anything.", True),
    ("intune_administrator", authz.INTUNE_ADMINISTRATOR, "Intune Administrator",
     "Can manage all aspects of the Intune product.", True),
    ("exchange_administrator", authz.EXCHANGE_ADMINISTRATOR, "Exchange Administrator",
     "Can manage all aspects of the Exchange product.", True),
    ("directory_writers", authz.DIRECTORY_WRITERS, "Directory Writers",
     "Can read and write basic directory information. For granting access to applications, not intended for users.",
     True),
    ("security_administrator", "194ae4cb-b126-40b2-bd5b-6091b380977d", "Security Administrator",
     "Can read security information and reports, and manage configuration in Microsoft Entra ID and Office 365.",
     False),
    ("billing_administrator", "b0f54661-2d74-4c50-afa3-1ec803f12efe", "Billing Administrator",
     "Can perform common billing related tasks like updating payment information.", False),
]
NOT_ACTIVATED_ROLE_TEMPLATES = [template for _, template, _, _, active in ROLES if not active]

# (key, upn local part, given name, surname, description shown on the sign-in page)
DEMO_ACCOUNTS = [
    ("admin", "admin", "Avery", "Lee",
     "Global Administrator: changes any membership but those of the groups in the restricted-management "
     "Executive Office unit (that unit's own member list it may change)."),
    ("pra", "pra", "Priya", "Raman",
     "Privileged Role Administrator: unit members, directory roles, role-assignable groups."),
    ("helpdesk", "helpdesk", "Henry", "Dawson", "Groups Administrator (tenant-wide): members of ordinary groups."),
    ("unitadmin", "unitadmin", "Uma", "Thompson",
     "Groups Administrator over the Seattle Office unit only: the groups in that unit."),
    ("owner", "owner", "Olivia", "Owens", "Owner of the Project Falcon group; no admin role."),
    ("user", "user", "Ulrich", "Berg", "No admin role: can look, every change is refused."),
    ("noconsent", "noconsent", "Nora", "Quinn",
     "Groups Administrator, but the app was consented read-only scopes: changes are refused."),
]
# Named users that are not demo accounts.
NAMED_USERS = [
    ("restricted_unit_admin", "rmau.admin", "Rhea", "Morgan"),
    ("hidden_unit_member", "harriet.hughes", "Harriet", "Hughes"),
    ("role_member", "hugo.brandt", "Hugo", "Brandt"),
]
SPARE_USERS = [("adele.vance", "Adele", "Vance"), ("alex.wilber", "Alex", "Wilber"), ("megan.bowen", "Megan", "Bowen"),
               ("lynne.robbins", "Lynne", "Robbins"), ("diego.siciliani", "Diego", "Siciliani"),
               ("isaiah.langer", "Isaiah", "Langer")]

# (key, displayName, kind) kind in security | m365 | mail_security | distribution | dynamic | synced | role_assignable
NAMED_GROUPS = [
    ("helpdesk_group", "Helpdesk Tier 1", "security"),
    ("helpdesk_leads_group", "Helpdesk Tier 1 Leads", "security"),
    ("m365_group", "Contoso Marketing", "m365"),
    ("role_assignable_group", "Tier 0 Operators", "role_assignable"),
    ("dynamic_group", "Sales Team (dynamic)", "dynamic"),
    ("distribution_list", "Contoso Announcements", "distribution"),
    ("mail_enabled_security_group", "Finance Approvers", "mail_security"),
    ("synced_group", "CORP File Share Readers", "synced"),
    ("owned_group", "Project Falcon", "security"),
    ("group_in_unit", "Seattle Helpdesk", "security"),
    ("seattle_printers_group", "Seattle Printers", "security"),
    ("seattle_engineering_group", "Seattle Engineering", "m365"),
    ("group_outside_unit", "Paris Helpdesk", "security"),
    ("restricted_group", "Executive Assistants", "security"),
    ("big_group", "All Employees", "security"),
]
# The groups the owners pages show (built without a draw of their own, so every random draw and every count
# stays as it was): the first generated group, renamed, has its owner taken away (no one owns it); the
# Microsoft 365 group "Contoso Marketing" keeps its single owner (Graph refuses to remove the last owner).
OWNERLESS_GROUP_NAME = "Legacy Operations Archive"
# (key, displayName, description, extra properties)
NAMED_UNITS = [
    ("unit_of_unitadmin", "Seattle Office", "Users, groups and devices of the Seattle office.", {}),
    ("restricted_unit", "Executive Office", "Executives and their assistants (restricted management).",
     {"isMemberManagementRestricted": True}),
    ("dynamic_unit", "Sales Department", "Everyone in Sales (dynamic membership).",
     {"membershipType": "Dynamic", "membershipRule": '(user.department -eq "Sales")',
      "membershipRuleProcessingState": "On"}),
    ("hidden_unit", "HR Confidential", "People under HR review; membership is hidden.", {"visibility": "HiddenMembership"}),
    ("plain_unit", "Paris Office", "Users, groups and devices of the Paris office.", {}),
]


@dataclass(frozen=True)
class Known:
    """A seeded object tests rely on."""

    id: str
    display_name: str


def object_id(name: str) -> str:
    """The deterministic id of the seeded object called ``name``."""
    return str(uuid.uuid5(NAMESPACE, name))


def upn(local: str) -> str:
    return f"{local}@{DOMAIN}"


def _build_well_known() -> dict:
    known: dict = {}
    for key, local, given, surname, _ in DEMO_ACCOUNTS:
        known[key] = Known(object_id(f"user/{upn(local)}"), f"{given} {surname}")
    for key, local, given, surname in NAMED_USERS:
        known[key] = Known(object_id(f"user/{upn(local)}"), f"{given} {surname}")
    known["spare_users"] = [Known(object_id(f"user/{upn(local)}"), f"{given} {surname}") for local, given, surname in SPARE_USERS]
    for key, name, _ in NAMED_GROUPS:
        known[key] = Known(object_id(f"group/{key}"), name)
    for key, name, _, _ in NAMED_UNITS:
        known[key] = Known(object_id(f"unit/{key}"), name)
    known["device"] = Known(object_id("device/named"), "SEA-LAPTOP-0042")
    known["service_principal"] = Known(object_id("servicePrincipal/sync"), "Contoso Sync App")
    known["org_contact"] = Known(object_id("orgContact/vendor"), "Vendor Contact")
    # The groups of the owners pages (``build_owner_groups``).
    known["ownerless_group"] = Known(object_id("group/generated/0"), OWNERLESS_GROUP_NAME)
    known["single_owner_m365_group"] = known["m365_group"]
    known["roles"] = {template: Known(object_id(f"role/{template}"), name)
                      for _, template, name, _, active in ROLES if active}
    known["not_activated_role_templates"] = list(NOT_ACTIVATED_ROLE_TEMPLATES)
    return known


WELL_KNOWN = _build_well_known()


def sizes_from_settings() -> dict:
    return {
        "users": int(getattr(settings, "SANDBOX_SEED_USERS", 2000)),
        "groups": int(getattr(settings, "SANDBOX_SEED_GROUPS", 300)),
        "big_group_members": int(getattr(settings, "SANDBOX_SEED_BIG_GROUP_MEMBERS", 5000)),
    }


def clear_tenant() -> None:
    """Delete every directory object and what hangs on them (sign-in state too; the signing key stays)."""
    for model in (Link, ScopedRoleMembership, Consent, DemoAccount, AuthorizationCode, RefreshToken):
        model.objects.all().delete()
    DirectoryObject.objects.all().delete()


def seed_tenant(*, users: int | None = None, groups: int | None = None, big_group_members: int | None = None) -> dict:
    """Replace the directory with the seeded Contoso tenant and reset the knobs; returns ``WELL_KNOWN``."""
    sizes = sizes_from_settings()
    sizes.update({key: value for key, value in
                  {"users": users, "groups": groups, "big_group_members": big_group_members}.items() if value is not None})
    builder = _TenantBuilder(random.Random(SEED), **sizes)
    builder.build()
    with transaction.atomic():
        clear_tenant()
        builder.save()
    knobs.reset_all()  # a fresh tenant: empty request log, full write budget, fault sequence from its seed
    return WELL_KNOWN


def is_seeded() -> bool:
    return DirectoryObject.objects.exists()


class _TenantBuilder:
    """Collects objects and links in memory, then writes them with bulk_create."""

    def __init__(self, rng: random.Random, *, users: int, groups: int, big_group_members: int):
        self.rng = rng
        self.size_users = max(users, 0)
        self.size_groups = max(groups, 0)
        self.size_big = max(big_group_members, 0)
        self.objects: dict[str, DirectoryObject] = {}
        self.links: list[tuple[str, str, str]] = []  # (container, member, relation)
        self.scoped: list[tuple[str, str, str]] = []  # (unit, role, principal)
        self.demo: list[tuple[str, int, str]] = []
        self.consents: list[tuple[str, str]] = []
        self.generated_users: list[str] = []
        self.users_by_department: dict[str, list[str]] = {}
        self.devices: list[str] = []
        self.generated_groups: list[tuple[str, str]] = []  # (id, kind)
        self.used_upns: set[str] = set()
        self.used_group_names: set[str] = set()

    # ------------------------------------------------------------ helpers

    def when(self, max_days: int = 700) -> str:
        return (EPOCH + timedelta(days=self.rng.randrange(max_days), minutes=self.rng.randrange(1440))).strftime(
            "%Y-%m-%dT%H:%M:%SZ")

    def add(self, object_id_: str, kind: str, display_name: str, principal_name: str, data: dict) -> str:
        self.objects[object_id_] = DirectoryObject(id=object_id_, kind=kind, display_name=display_name,
                                                   principal_name=principal_name.lower(),
                                                   mail=(data.get("mail") or "").lower(), data=data)
        return object_id_

    def link(self, container: str, member: str, relation: str = Link.MEMBERS) -> None:
        self.links.append((container, member, relation))

    def members(self, container: str, ids) -> None:
        for member in ids:
            self.link(container, member)

    def pick(self, population: list[str], count: int) -> list[str]:
        return self.rng.sample(population, min(count, len(population)))

    # ------------------------------------------------------------ objects

    def user(self, object_id_: str, local: str, given: str, surname: str, department: str, office: str) -> str:
        address = upn(local)
        self.used_upns.add(address)
        data = {
            "businessPhones": [f"+1 425 555 {self.rng.randrange(100, 9999):04d}"] if self.rng.random() < 0.6 else [],
            "displayName": f"{given} {surname}",
            "givenName": given,
            "jobTitle": self.rng.choice(DEPARTMENTS[department]),
            "mail": address,
            "mobilePhone": None,
            "officeLocation": office,
            "preferredLanguage": "en-US",
            "surname": surname,
            "userPrincipalName": address,
            "accountEnabled": True,
            "department": department,
            "userType": "Member",
            "createdDateTime": self.when(),
            "onPremisesSyncEnabled": None,
            "isManagementRestricted": None,
        }
        self.users_by_department.setdefault(department, []).append(object_id_)
        return self.add(object_id_, Kind.USER, data["displayName"], address, data)

    def generated_user(self, index: int) -> str:
        given, surname = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        local = f"{given}.{surname}".lower()
        number = 1
        while upn(local) in self.used_upns:
            number += 1
            local = f"{given}.{surname}{number}".lower()
        department = self.rng.choice(list(DEPARTMENTS))
        user_id = self.user(object_id(f"user/{index}"), local, given, surname, department, self.rng.choice(OFFICES))
        self.vary(user_id, index)
        self.generated_users.append(user_id)
        return user_id

    def vary(self, user_id: str, index: int) -> None:
        """Some generated people are guests, invited from a partner (their sign-in name is Entra's
        ``#EXT#`` form of their own address), and some accounts are disabled (leavers not yet
        removed): the cases a helpdesk person looks for. By index, so no random draw is added."""
        record = self.objects[user_id]
        if index % GUEST_EVERY == GUEST_EVERY - 1:
            local = record.principal_name.split("@")[0]
            home = f"{local}@{PARTNER_DOMAIN}"
            address = f"{home.replace('@', '_')}#EXT#@{DOMAIN}"
            record.data.update(userType="Guest", mail=home, userPrincipalName=address, jobTitle=None)
            self.used_upns.add(address)
            record.principal_name, record.mail = address.lower(), home.lower()
        if index % DISABLED_EVERY == DISABLED_EVERY - 1:
            record.data["accountEnabled"] = False

    def group(self, object_id_: str, name: str, kind: str) -> str:
        nickname = "".join(ch for ch in name.lower() if ch.isalnum()) or "group"
        mail_enabled = kind in {"m365", "mail_security", "distribution"}
        data = {
            "deletedDateTime": None,
            "classification": None,
            "createdDateTime": self.when(),
            "description": f"{name} ({'Microsoft 365' if kind == 'm365' else kind.replace('_', ' ')} group)",
            "displayName": name,
            "expirationDateTime": None,
            "groupTypes": {"m365": ["Unified"], "dynamic": ["DynamicMembership"]}.get(kind, []),
            "isAssignableToRole": True if kind == "role_assignable" else None,
            "mail": f"{nickname}@{DOMAIN}" if mail_enabled else None,
            "mailEnabled": mail_enabled,
            "mailNickname": nickname,
            "membershipRule": '(user.department -eq "Sales")' if kind == "dynamic" else None,
            "membershipRuleProcessingState": "On" if kind == "dynamic" else None,
            "onPremisesDomainName": "corp.contoso.example" if kind == "synced" else None,
            "onPremisesLastSyncDateTime": self.when() if kind == "synced" else None,
            "onPremisesNetBiosName": "CORP" if kind == "synced" else None,
            "onPremisesSamAccountName": nickname if kind == "synced" else None,
            "onPremisesSecurityIdentifier": f"S-1-5-21-{self.rng.randrange(10**9)}-1104" if kind == "synced" else None,
            "onPremisesSyncEnabled": True if kind == "synced" else None,
            "preferredDataLocation": None,
            "preferredLanguage": None,
            "proxyAddresses": [f"SMTP:{nickname}@{DOMAIN}"] if mail_enabled else [],
            "renewedDateTime": self.when(),
            "resourceBehaviorOptions": [],
            "resourceProvisioningOptions": ["Team"] if kind == "m365" and self.rng.random() < 0.5 else [],
            "securityEnabled": kind != "distribution" and kind != "m365",
            "securityIdentifier": f"S-1-12-1-{self.rng.randrange(10**9)}-{self.rng.randrange(10**9)}",
            "theme": None,
            "visibility": "Private" if kind == "m365" else None,
            "onPremisesProvisioningErrors": [],
            "isManagementRestricted": None,
        }
        self.used_group_names.add(name)
        return self.add(object_id_, Kind.GROUP, name, data["mail"] or "", data)

    def device(self, object_id_: str, name: str, system: tuple[str, str, str]) -> str:
        data = {
            "deletedDateTime": None,
            "accountEnabled": True,
            "approximateLastSignInDateTime": self.when(),
            "deviceId": str(uuid.uuid5(NAMESPACE, f"deviceId/{object_id_}")),
            "displayName": name,
            "isCompliant": self.rng.random() < 0.9,
            "isManaged": True,
            "operatingSystem": system[0],
            "operatingSystemVersion": system[1],
            "trustType": "AzureAd",
            "isManagementRestricted": None,
        }
        return self.add(object_id_, Kind.DEVICE, name, "", data)

    def unit(self, object_id_: str, name: str, description: str, extra: dict) -> str:
        data = {
            "deletedDateTime": None,
            "displayName": name,
            "description": description,
            "isMemberManagementRestricted": None,
            "membershipRule": None,
            "membershipType": None,
            "membershipRuleProcessingState": None,
            "visibility": None,
            **extra,
        }
        return self.add(object_id_, Kind.ADMINISTRATIVE_UNIT, name, "", data)

    # ------------------------------------------------------------ the tenant

    def build(self) -> None:
        roles = self.build_roles()
        self.build_named_users()
        self.build_principals()
        named_groups = self.build_named_groups()
        generated_kinds = self.plan_generated_groups(len(named_groups))
        security_generated = sum(1 for kind in generated_kinds if kind == "security")
        fixed_users = len(self.objects) - len(roles) - 2 - len(named_groups)
        wanted_users = max(self.size_users - fixed_users, 20)
        # The big group holds every user, device and generated security group: devices (laptops and
        # phones, ~1.5 a person at the default size) make up the rest, so the user count stays as set.
        device_count = max(10, self.size_users // 2, self.size_big - wanted_users - security_generated)
        for index in range(wanted_users):
            self.generated_user(index)
        self.build_devices(device_count)
        self.build_generated_groups(generated_kinds)
        self.fill_named_groups()
        self.build_units()
        self.assign_roles()
        self.build_owner_groups()

    def build_owner_groups(self) -> None:
        """No one owns the first generated group (renamed: its name was drawn, the draw stays); after every
        other draw. "Contoso Marketing" (Microsoft 365) keeps the one owner ``fill_named_groups`` drew."""
        if not self.generated_groups:
            return
        group_id = WELL_KNOWN["ownerless_group"].id
        group = self.objects[group_id]
        group.display_name = group.data["displayName"] = OWNERLESS_GROUP_NAME
        group.data["description"] = f"{OWNERLESS_GROUP_NAME} (no one owns it)"
        self.links = [link for link in self.links if not (link[0] == group_id and link[2] == Link.OWNERS)]

    def build_roles(self) -> list[str]:
        ids = []
        for _, template, name, description, active in ROLES:
            if active:
                data = {"deletedDateTime": None, "description": description, "displayName": name,
                        "roleTemplateId": template}
                ids.append(self.add(object_id(f"role/{template}"), Kind.DIRECTORY_ROLE, name, "", data))
        return ids

    def build_named_users(self) -> None:
        for position, (key, local, given, surname, description) in enumerate(DEMO_ACCOUNTS, start=1):
            self.user(WELL_KNOWN[key].id, local, given, surname, "IT", "Seattle")
            self.demo.append((WELL_KNOWN[key].id, position, description))
        self.consents.append((WELL_KNOWN["noconsent"].id, READ_ONLY_SCOPES))
        for key, local, given, surname in NAMED_USERS:
            self.user(WELL_KNOWN[key].id, local, given, surname, "Human Resources", "Seattle")
        for (local, given, surname), known in zip(SPARE_USERS, WELL_KNOWN["spare_users"]):
            self.user(known.id, local, given, surname, "Operations", "Paris")

    def build_principals(self) -> None:
        self.add(WELL_KNOWN["service_principal"].id, Kind.SERVICE_PRINCIPAL, "Contoso Sync App", "", {
            "deletedDateTime": None, "accountEnabled": True, "appId": object_id("app/sync"),
            "appDisplayName": "Contoso Sync App", "displayName": "Contoso Sync App", "servicePrincipalType": "Application",
        })
        self.add(WELL_KNOWN["org_contact"].id, Kind.ORG_CONTACT, "Vendor Contact", "vendor@fabrikam.example", {
            "deletedDateTime": None, "companyName": "Fabrikam", "displayName": "Vendor Contact", "givenName": "Vendor",
            "mail": "vendor@fabrikam.example", "surname": "Contact",
        })

    def build_named_groups(self) -> list[str]:
        return [self.group(WELL_KNOWN[key].id, name, kind) for key, name, kind in NAMED_GROUPS]

    def plan_generated_groups(self, named: int) -> list[str]:
        return ["security" if self.rng.random() < 0.65 else "m365" for _ in range(max(self.size_groups - named, 0))]

    def build_devices(self, count: int) -> None:
        self.devices.append(self.device(WELL_KNOWN["device"].id, WELL_KNOWN["device"].display_name, DEVICE_SYSTEMS[1]))
        for index in range(count - 1):
            system = self.rng.choice(DEVICE_SYSTEMS)
            name = f"{system[2]}-{self.rng.getrandbits(28):07X}"
            self.devices.append(self.device(object_id(f"device/{index}"), name, system))

    def build_generated_groups(self, kinds: list[str]) -> None:
        for index, kind in enumerate(kinds):
            department = self.rng.choice(list(DEPARTMENTS))
            suffix = self.rng.choice(GROUP_SUFFIXES + [f"Project {self.rng.choice(CODENAMES)}"])
            name = f"{department} {suffix}"
            number = 1
            while name in self.used_group_names:
                number += 1
                name = f"{department} {suffix} {number}"
            group_id = self.group(object_id(f"group/generated/{index}"), name, kind)
            self.generated_groups.append((group_id, kind))
            self.members(group_id, self.pick(self.generated_users, self.rng.randrange(3, 26)))
            if kind == "security" and self.rng.random() < 0.3:
                self.members(group_id, self.pick(self.devices, 2))
            self.link(group_id, self.rng.choice(self.generated_users), Link.OWNERS)

    def fill_named_groups(self) -> None:
        known = WELL_KNOWN
        users = self.generated_users
        sales = self.users_by_department.get("Sales", [])  # only generated users work in Sales
        self.members(known["helpdesk_group"].id, self.pick(users, 6))
        self.members(known["helpdesk_group"].id, [known["user"].id, known["helpdesk_leads_group"].id, known["device"].id,
                                                  known["service_principal"].id, known["org_contact"].id])
        self.members(known["helpdesk_leads_group"].id, self.pick(users, 2))
        self.members(known["m365_group"].id, self.pick(users, 8) + [known["user"].id])
        self.members(known["role_assignable_group"].id, self.pick(users, 2))
        self.members(known["dynamic_group"].id, sales)
        self.members(known["distribution_list"].id, self.pick(users, 10) + [known["org_contact"].id])
        self.members(known["mail_enabled_security_group"].id, self.pick(users, 4))
        self.members(known["synced_group"].id, self.pick(users, 5))
        self.members(known["owned_group"].id, self.pick(users, 4))
        self.members(known["group_in_unit"].id, self.pick(users, 5) + [self.devices[-1]])
        self.members(known["seattle_printers_group"].id, self.pick(self.devices, 3))
        self.members(known["seattle_engineering_group"].id, self.pick(users, 6))
        self.members(known["group_outside_unit"].id, self.pick(users, 4))
        self.members(known["restricted_group"].id, self.pick(users, 3))
        for key, _, _ in NAMED_GROUPS:
            if key != "owned_group":
                self.link(known[key].id, self.rng.choice(users), Link.OWNERS)
        self.link(known["owned_group"].id, known["owner"].id, Link.OWNERS)
        self.fill_big_group()

    def fill_big_group(self) -> None:
        security_groups = [group_id for group_id, kind in self.generated_groups if kind == "security"]
        candidates = self.generated_users + self.devices + security_groups
        self.members(WELL_KNOWN["big_group"].id, candidates[: self.size_big])

    def build_units(self) -> None:
        known = WELL_KNOWN
        users = self.generated_users
        for key, name, description, extra in NAMED_UNITS:
            self.unit(known[key].id, name, description, extra)
        others = [self.unit(object_id(f"unit/office/{office}"), f"{office} Office",
                            f"Users, groups and devices of the {office} office.", {})
                  for office in UNIT_CITIES[: UNIT_COUNT - len(NAMED_UNITS)]]
        seattle = known["unit_of_unitadmin"].id
        self.members(seattle, [known["group_in_unit"].id, known["seattle_printers_group"].id,
                               known["seattle_engineering_group"].id])
        self.members(seattle, self.pick(users, 10) + self.pick(self.devices, 3))
        restricted = known["restricted_unit"].id
        restricted_members = [known["restricted_group"].id] + self.pick(users, 5)
        self.members(restricted, restricted_members)
        for member in restricted_members:
            self.objects[member].data["isManagementRestricted"] = True
        sales = self.users_by_department.get("Sales", [])  # only generated users work in Sales
        self.members(known["dynamic_unit"].id, sales)
        self.members(known["hidden_unit"].id, self.pick(users, 5) + [known["hidden_unit_member"].id])
        self.members(known["plain_unit"].id, [known["group_outside_unit"].id] + self.pick(users, 8) + self.pick(self.devices, 2))
        for unit_id in others:
            self.members(unit_id, self.pick(users, self.rng.randrange(5, 21)))
            self.members(unit_id, [group_id for group_id, _ in self.pick(self.generated_groups, 2)])

    def assign_roles(self) -> None:
        known = WELL_KNOWN
        role = {template: known["roles"][template].id for template in known["roles"]}
        self.link(role[authz.GLOBAL_ADMINISTRATOR], known["admin"].id)
        self.link(role[authz.PRIVILEGED_ROLE_ADMINISTRATOR], known["pra"].id)
        self.link(role[authz.GROUPS_ADMINISTRATOR], known["helpdesk"].id)
        self.link(role[authz.GROUPS_ADMINISTRATOR], known["noconsent"].id)
        self.link(role[authz.HELPDESK_ADMINISTRATOR], known["role_assignable_group"].id)
        self.link(role[authz.HELPDESK_ADMINISTRATOR], known["role_member"].id)
        self.link(role[authz.DIRECTORY_READERS], known["service_principal"].id)
        for template in (authz.GLOBAL_READER, authz.USER_ADMINISTRATOR, authz.INTUNE_ADMINISTRATOR,
                         authz.EXCHANGE_ADMINISTRATOR, authz.DIRECTORY_WRITERS):
            self.members(role[template], self.pick(self.generated_users, 2))
        self.scoped.append((known["unit_of_unitadmin"].id, role[authz.GROUPS_ADMINISTRATOR], known["unitadmin"].id))
        self.scoped.append((known["restricted_unit"].id, role[authz.GROUPS_ADMINISTRATOR], known["restricted_unit_admin"].id))
        self.scoped.append((known["plain_unit"].id, role[authz.USER_ADMINISTRATOR], self.rng.choice(self.generated_users)))
        self.scoped.append((known["unit_of_unitadmin"].id, role[authz.HELPDESK_ADMINISTRATOR],
                            self.rng.choice(self.generated_users)))

    # ------------------------------------------------------------ writing

    def save(self) -> None:
        DirectoryObject.objects.bulk_create(self.objects.values(), batch_size=500)
        unique_links = list(dict.fromkeys(self.links))
        Link.objects.bulk_create(
            [Link(container_id=container, member_id=member, relation=relation, member_name=self.objects[member].display_name)
             for container, member, relation in unique_links],
            batch_size=900,
        )
        ScopedRoleMembership.objects.bulk_create([
            ScopedRoleMembership(id=object_id(f"scoped/{unit}/{role}/{principal}"), unit_id=unit, role_id=role,
                                 principal_id=principal)
            for unit, role, principal in self.scoped
        ])
        DemoAccount.objects.bulk_create([DemoAccount(user_id=user, position=position, description=description)
                                         for user, position, description in self.demo])
        Consent.objects.bulk_create([Consent(user_id=user, scopes=scopes) for user, scopes in self.consents])
