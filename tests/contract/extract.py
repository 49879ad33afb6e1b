"""Writes ``graph-v1.0.json``: what the contract test needs of Microsoft's Graph v1.0 metadata (CSDL).

    .venv/bin/python tests/contract/extract.py ../shared/graph-metadata/v1.0-Prod.csdl

Kept: the entity types the app can reach from the entity sets and singletons it uses (through
navigation properties and derived types), each with its base type, property names and navigation
properties; those entity sets and singletons; alternate keys; bound actions; and the TopSupported
capability of the kept types and entity sets. The source commit is written beside it (the metadata's README).
"""

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

EDM = "{http://docs.oasis-open.org/odata/ns/edm}"
ROOTS_SETS = ["users", "groups", "devices", "directoryObjects", "directoryRoles", "servicePrincipals", "contacts"]
ROOTS_SINGLETONS = ["me", "directory"]
SOURCE = ("microsoftgraph/msgraph-metadata schemas/v1.0-Prod.csdl @ f54f11b60956ea7b185ca0447b2b80805836ec7b "
          "(2026-08-20), MIT licence")


def short(type_name: str) -> str:
    """``Collection(graph.user)`` / ``microsoft.graph.user`` -> ``user``."""
    name = type_name.removeprefix("Collection(").removesuffix(")")
    return name.rsplit(".", 1)[-1]


def main(csdl: str, out: Path) -> None:
    root = ET.parse(csdl).getroot()
    schema = next(s for s in root.iter(f"{EDM}Schema") if s.get("Namespace") == "microsoft.graph")
    types = {}
    for entity in schema.findall(f"{EDM}EntityType"):
        keys = []
        for annotation in entity.findall(f"{EDM}Annotation"):
            if annotation.get("Term") == "Org.OData.Core.V1.AlternateKeys":
                keys = [value.get("String") for value in annotation.iter(f"{EDM}PropertyValue") if value.get("Property") == "Alias"]
        types[entity.get("Name")] = {
            "base": short(entity.get("BaseType")) if entity.get("BaseType") else None,
            "properties": sorted(p.get("Name") for p in entity.findall(f"{EDM}Property")),
            "navigation": {n.get("Name"): {"type": short(n.get("Type")), "many": n.get("Type").startswith("Collection(")}
                           for n in entity.findall(f"{EDM}NavigationProperty")},
            "alternate_keys": keys,
        }
    actions = {}
    for action in schema.findall(f"{EDM}Action"):
        if action.get("IsBound") == "true":
            binding = action.find(f"{EDM}Parameter").get("Type")
            actions.setdefault(action.get("Name"), []).append(binding.replace("graph.", ""))
    container = root.find(f".//{EDM}EntityContainer")
    sets = {s.get("Name"): short(s.get("EntityType")) for s in container.findall(f"{EDM}EntitySet")}
    singletons = {s.get("Name"): short(s.get("Type")) for s in container.findall(f"{EDM}Singleton")}
    top_unsupported = sorted(
        short(annotations.get("Target", "").split("/")[-1]) for annotations in root.iter(f"{EDM}Annotations")
        for a in annotations.findall(f"{EDM}Annotation")
        if a.get("Term") == "Org.OData.Capabilities.V1.TopSupported" and a.get("Bool") == "false")
    keep = _reachable(types, [sets[s] for s in ROOTS_SETS] + [singletons[s] for s in ROOTS_SINGLETONS])
    extract = {
        "source": SOURCE,
        "types": {name: types[name] for name in sorted(keep)},
        "entity_sets": {name: sets[name] for name in ROOTS_SETS},
        "singletons": {name: singletons[name] for name in ROOTS_SINGLETONS},
        "actions": {name: sorted(bindings) for name, bindings in sorted(actions.items()) if name in {"getByIds"}},
        "top_unsupported": [name for name in top_unsupported if name in keep or name in ROOTS_SETS],
    }
    out.write_text(json.dumps(extract, indent=1, sort_keys=True) + "\n")


def _reachable(types: dict, roots: list[str]) -> set[str]:
    """The roots, the types their navigation properties lead to (one step further from a singleton's
    own navigation, enough for /me/... and /directory/...), their base types and the directory
    objects' derived types (casts)."""
    wanted = set(roots)
    for name in roots:
        wanted |= {nav["type"] for nav in types[name]["navigation"].values()}
    derived = {name for name, t in types.items() if _is_a(types, name, "directoryObject")}
    wanted |= derived
    for name in list(wanted):
        while name and name in types:
            wanted.add(name)
            name = types[name]["base"]
    return {name for name in wanted if name in types}


def _is_a(types: dict, name: str, ancestor: str) -> bool:
    while name:
        if name == ancestor:
            return True
        name = types.get(name, {}).get("base")
    return False


if __name__ == "__main__":
    main(sys.argv[1], Path(__file__).with_name("graph-v1.0.json"))
