"""Checks k8s/values.yaml, the Zero to JupyterHub values of the class hub on Kubernetes, offline (no cluster, no helm).

    .venv/bin/python scripts/check-k8s-values.py [VALUES_FILE]     (default: k8s/values.yaml)

1. Schema: the chart's default values (k8s/jupyterhub-4.4.0.values.yaml) with VALUES_FILE merged over them as helm
   merges them (maps merged key by key, lists and scalars replaced, null deletes a default) are validated against
   the chart's schema (k8s/jupyterhub-4.4.0.values.schema.yaml), as `helm install` does: an unknown key or a wrong
   type fails. The strings KubeSpawner expands ({username}, {user_server}, ...) must expand.
2. The same class as the compose hub (docker-compose.yml, hub/jupyterhub_config.py, read with their defaults):
   the image (name, ignoring a registry path, and tag) of the lab service, the notebook folder and default URL,
   the per-student mounts, the fit cache not mounted writable, the command, memory and CPU limits, the culler,
   the authenticator and admin, and the user and group of the Dockerfile. proxy.service is left at the chart's.
   hub.config's JupyterHub and Authenticator options must exist in the project's jupyterhub.
3. The checker itself: a copy with an unknown key must be rejected.
Prints what is wrong and exits 1, or prints what was checked.
"""

import copy
import os
import re
import sys
import types
from pathlib import Path

import jsonschema
import yaml
from traitlets.config import Config

REPO = Path(__file__).resolve().parent.parent
CHART = "4.4.0"
SCHEMA = REPO / "k8s" / f"jupyterhub-{CHART}.values.schema.yaml"
DEFAULTS = REPO / "k8s" / f"jupyterhub-{CHART}.values.yaml"

problems = []


def need(cond, what):
    if not cond:
        problems.append(what)


def load_yaml(path):
    with open(path) as f:
        return yaml.safe_load(f)


def merge(defaults, values):
    """helm's merge of user values over a chart's defaults."""
    out = dict(defaults)
    for key, value in values.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def schema_errors(values, schema, defaults):
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(merge(defaults, values)), key=lambda e: list(e.absolute_path))
    return [f"{'.'.join(str(p) for p in e.absolute_path) or '(top level)'}: {e.message}" for e in errors]


def template_errors(where, value):
    """KubeSpawner formats these strings with str.format and its user fields; an unknown field or a stray brace
    fails every spawn."""
    fields = dict.fromkeys(
        "userid unescaped_username unescaped_servername hubnamespace username servername user_server "
        "safe_username safe_servername safe_user_server escaped_username escaped_servername "
        "escaped_user_server pod_name pvc_name namespace".split(),
        "x",
    )
    if isinstance(value, dict):
        return [e for k, v in value.items() for e in template_errors(f"{where}.{k}", v)]
    if isinstance(value, list):
        return [e for i, v in enumerate(value) for e in template_errors(f"{where}[{i}]", v)]
    if isinstance(value, str):
        try:
            value.format(**fields)
        except (KeyError, IndexError, ValueError) as e:
            return [f"{where}: KubeSpawner cannot expand {value!r} ({type(e).__name__}: {e})"]
    return []


def get(d, dotted, default=None):
    for part in dotted.split("."):
        if not isinstance(d, dict) or part not in d:
            return default
        d = d[part]
    return d


def compose_hub_config():
    """hub/jupyterhub_config.py's settings with every HUB_* variable unset, i.e. its defaults."""
    path = REPO / "hub" / "jupyterhub_config.py"
    c = Config()
    try:
        import nativeauthenticator  # noqa: F401 (in the hub's image, not in the project's .venv)
    except ImportError:
        stub = types.ModuleType("nativeauthenticator")
        stub.__file__ = "/nativeauthenticator/__init__.py"
        sys.modules["nativeauthenticator"] = stub
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("HUB_")}
    try:
        exec(compile(path.read_text(), str(path), "exec"), {"get_config": lambda: c, "__file__": str(path)})
    finally:
        os.environ.update(saved)
    return c


def byte_spec(s):
    """JupyterHub's ByteSpecification (both spawners' mem_limit): K, M, G, T are powers of 1024."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGT]?)", str(s))
    if not m:
        return None
    return float(m.group(1)) * 1024 ** "_KMGT".index(m.group(2) or "_")


def split_image(ref):
    name, _, tag = ref.rpartition(":")
    return (name.rsplit("/", 1)[-1], tag) if name and "/" not in tag else (ref.rsplit("/", 1)[-1], "latest")


def main():
    values_path = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else REPO / "k8s" / "values.yaml"
    schema, defaults, values = load_yaml(SCHEMA), load_yaml(DEFAULTS), load_yaml(values_path)
    if not isinstance(values, dict):
        sys.exit(f"check-k8s-values: {values_path} is not a YAML mapping")
    su = values.get("singleuser", {})

    # 1. Schema, and KubeSpawner's templates.
    for e in schema_errors(values, schema, defaults):
        problems.append(f"schema of chart {CHART}: {e}")
    for key in ("initContainers", "storage.extraVolumeMounts", "storage.extraVolumes", "extraEnv",
                "storage.dynamic.volumeNameTemplate", "storage.dynamic.pvcNameTemplate"):
        problems.extend(template_errors(f"singleuser.{key}", get(su, key)))

    # 2. The same class as the compose hub.
    compose = load_yaml(REPO / "docker-compose.yml")
    hub = compose_hub_config()
    dockerfile = (REPO / "Dockerfile").read_text()

    lab_image = get(compose, "services.lab.image")
    image = (str(get(su, "image.name")).rsplit("/", 1)[-1], str(get(su, "image.tag")))
    need(image == split_image(lab_image),
         f"singleuser.image is {image[0]}:{image[1]} (registry path aside), docker-compose.yml's lab is {lab_image}")
    need(image == split_image(hub.DockerSpawner.image),
         f"singleuser.image is {image[0]}:{image[1]}, hub/jupyterhub_config.py's is {hub.DockerSpawner.image}")
    full = f"{get(su, 'image.name')}:{get(su, 'image.tag')}"
    for i, ic in enumerate(su.get("initContainers") or []):
        need(ic.get("image") == full, f"singleuser.initContainers[{i}].image is {ic.get('image')}, not {full}")

    nb_dir = hub.DockerSpawner.notebook_dir
    need(get(su, "cmd") in (hub.DockerSpawner.cmd, " ".join(hub.DockerSpawner.cmd)),
         f"singleuser.cmd is {get(su, 'cmd')!r}, the compose hub's is {hub.DockerSpawner.cmd}")
    need(get(values, "hub.config.KubeSpawner.notebook_dir") == nb_dir,
         f"hub.config.KubeSpawner.notebook_dir is {get(values, 'hub.config.KubeSpawner.notebook_dir')!r}, "
         f"the compose hub's notebook_dir is {nb_dir!r}")
    need(get(su, "defaultUrl") == hub.Spawner.default_url,
         f"singleuser.defaultUrl is {get(su, 'defaultUrl')!r}, the compose hub's is {hub.Spawner.default_url!r}")

    # Per student: the compose hub's {username} volumes, here one PVC mounted at the same places.
    compose_mounts = {(v if isinstance(v, str) else v["bind"]) for k, v in hub.DockerSpawner.volumes.items()
                      if "{username}" in k}
    pvc = get(merge(defaults, values), "singleuser.storage.dynamic.volumeNameTemplate")
    mounts = get(su, "storage.extraVolumeMounts") or []
    mounts = list(mounts.values()) if isinstance(mounts, dict) else mounts
    k8s_mounts = {get(su, "storage.homeMountPath")} | {m.get("mountPath") for m in mounts if m.get("name") == pvc}
    need(get(su, "storage.type") == "dynamic", "singleuser.storage.type is not dynamic (a PVC per student)")
    need(k8s_mounts == compose_mounts,
         f"the student's PVC is mounted at {sorted(k8s_mounts)}, the compose hub's volumes at {sorted(compose_mounts)}")
    need(nb_dir in k8s_mounts, f"the notebook folder {nb_dir} is not on the student's PVC")
    # The shared fit cache: read-only in the compose hub; here the image's own copy or a read-only mount.
    m = re.search(r"LECTURE_FIT_CACHE=(\S+)", dockerfile)
    fits = m.group(1) if m else None
    need(fits is not None, "the Dockerfile sets no LECTURE_FIT_CACHE")
    for mnt in mounts:
        need(mnt.get("mountPath") != fits or mnt.get("readOnly") is True,
             f"the fit cache {fits} is mounted from {mnt.get('name')} without readOnly: true")

    limit = get(su, "memory.limit")
    need(byte_spec(limit) is not None and byte_spec(limit) == byte_spec(hub.DockerSpawner.mem_limit),
         f"singleuser.memory.limit is {limit!r}, the compose hub's mem_limit is {hub.DockerSpawner.mem_limit!r}")
    guarantee = get(su, "memory.guarantee")
    need(guarantee is None or (byte_spec(guarantee) or 0) <= (byte_spec(limit) or 0),
         f"singleuser.memory.guarantee {guarantee!r} is above the limit {limit!r}")
    need(get(su, "cpu.limit") == hub.DockerSpawner.cpu_limit,
         f"singleuser.cpu.limit is {get(su, 'cpu.limit')!r}, "
         f"the compose hub's cpu_limit is {hub.DockerSpawner.cpu_limit!r}")
    need((get(su, "cpu.guarantee") or 0) <= (get(su, "cpu.limit") or 0),
         f"singleuser.cpu.guarantee {get(su, 'cpu.guarantee')!r} is above the limit {get(su, 'cpu.limit')!r}")

    culler = next((s["command"] for s in hub.JupyterHub.services if s.get("name") == "idle-culler"), [])
    flags = dict(a[2:].split("=", 1) for a in culler if a.startswith("--") and "=" in a)
    cull = get(values, "cull") or {}
    need(cull.get("enabled") is True, "cull.enabled is not true")
    need(str(cull.get("timeout")) == flags.get("timeout"),
         f"cull.timeout is {cull.get('timeout')}, the compose hub's culler has --timeout={flags.get('timeout')}")
    need(str(cull.get("every")) == flags.get("cull-every"),
         f"cull.every is {cull.get('every')}, the compose hub's culler has --cull-every={flags.get('cull-every')}")

    cfg = get(values, "hub.config") or {}
    # hub.config passes its sections to JupyterHub unchecked by the schema: JupyterHub's and Authenticator's
    # options are checked against the project's jupyterhub (KubeSpawner and NativeAuthenticator are not installed
    # here; their options are covered by the comparisons with the compose hub).
    from jupyterhub.app import JupyterHub
    from jupyterhub.auth import Authenticator

    for cls in (JupyterHub, Authenticator):
        for trait in get(cfg, cls.__name__) or {}:
            need(trait in cls.class_trait_names(config=True),
                 f"hub.config.{cls.__name__}.{trait}: JupyterHub has no such option")
    need(get(cfg, "JupyterHub.authenticator_class") == hub.JupyterHub.authenticator_class,
         f"hub.config.JupyterHub.authenticator_class is {get(cfg, 'JupyterHub.authenticator_class')!r}, "
         f"the compose hub's is {hub.JupyterHub.authenticator_class!r}")
    need(set(get(cfg, "Authenticator.admin_users") or []) == set(hub.Authenticator.admin_users),
         f"hub.config.Authenticator.admin_users is {get(cfg, 'Authenticator.admin_users')}, "
         f"the compose hub's is {sorted(hub.Authenticator.admin_users)}")
    need(get(cfg, "Authenticator.allow_all") == hub.Authenticator.allow_all,
         f"hub.config.Authenticator.allow_all is {get(cfg, 'Authenticator.allow_all')!r}, "
         f"the compose hub's is {hub.Authenticator.allow_all!r}")
    for trait, value in hub.NativeAuthenticator.items():
        need(get(cfg, f"NativeAuthenticator.{trait}") == value,
             f"hub.config.NativeAuthenticator.{trait} is {get(cfg, f'NativeAuthenticator.{trait}')!r}, "
             f"the compose hub's is {value!r}")

    uid = re.search(r"^ARG NB_UID=(\d+)", dockerfile, re.M)
    gid = re.search(r"^ARG NB_GID=(\d+)", dockerfile, re.M)
    uid, gid = (int(uid.group(1)) if uid else None), (int(gid.group(1)) if gid else None)
    need(get(su, "uid") == uid, f"singleuser.uid is {get(su, 'uid')!r}, the Dockerfile's NB_UID is {uid!r}")
    need(get(su, "fsGid") == gid, f"singleuser.fsGid is {get(su, 'fsGid')!r}, the Dockerfile's NB_GID is {gid!r}")
    for i, ic in enumerate(su.get("initContainers") or []):
        sc = ic.get("securityContext") or {}
        need(sc.get("runAsUser") == uid and sc.get("runAsGroup") == gid,
             f"singleuser.initContainers[{i}] does not run as {uid}:{gid}, the server's user")

    need(get(values, "proxy.service") is None,
         "proxy.service is set: the proxy is to be exposed only as the chart's default does (TLS: proxy.https)")

    # 3. The checker itself: an unknown key must be rejected.
    bad = copy.deepcopy(values)
    bad.setdefault("singleuser", {}).setdefault("storage", {})["notAKey"] = True
    need(schema_errors(bad, schema, defaults),
         "the schema accepted an unknown key (singleuser.storage.notAKey): the check checks nothing")

    if problems:
        print(f"check-k8s-values: {values_path} has problems:", file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        sys.exit(1)
    shown = values_path.relative_to(REPO) if values_path.is_relative_to(REPO) else values_path
    print(f"check-k8s-values: ok ({shown}: "
          f"schema of chart {CHART}; image {full}, {nb_dir}, mounts {sorted(k8s_mounts)}, memory {limit}, "
          f"cpu {get(su, 'cpu.limit')}, culler {cull.get('timeout')}/{cull.get('every')} s, uid {uid}:{gid}, "
          f"as the compose hub)")


if __name__ == "__main__":
    main()
