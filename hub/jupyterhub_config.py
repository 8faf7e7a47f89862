# JupyterHub for a class, on one machine: every student signs in and gets a JupyterLab server of their own,
# a container of the lecture's image (golecture-lab:cpu, ../Dockerfile) started by DockerSpawner.
# docker-compose.yml runs it (service hub, profile class); docs/class.md is the instructor's guide.
#
# Everything a course changes is an environment variable of the hub service (docker-compose.yml passes them):
#   HUB_ADMIN          the instructor's user name (default instructor): an admin, who approves sign-ups at
#                      /hub/authorize and sees and stops every student's server at /hub/admin
#   HUB_MEM_LIMIT      memory limit of a student's container (default 2G)
#   HUB_CPU_LIMIT      CPU limit of a student's container, in cores (default 1)
#   HUB_IDLE_TIMEOUT   seconds without activity before a student's server is stopped (default 3600)
#   HUB_CULL_EVERY     how often, in seconds, the culler looks (default 300)
#   HUB_IMAGE          the students' image (default golecture-lab:cpu)
#   HUB_NETWORK        the Docker network of the hub and the students' containers (default golecture-class)
#   HUB_NAME_PREFIX    prefix of the students' containers and volumes (default golecture-class)
#   HUB_FITS_VOLUME    the shared, read-only fit cache volume (default golecture-class-fits)
import os
import sys

import nativeauthenticator

c = get_config()  # noqa: F821 (JupyterHub's config loader defines it)
env = os.environ.get
prefix = env("HUB_NAME_PREFIX", "golecture-class")

# ---- the hub and its proxy ---------------------------------------------------------------------------------
# Inside the container; docker-compose.yml publishes port 8000 on the host's loopback only (see docs/class.md
# for TLS). The students' servers reach the hub's API by its compose service name on the class network.
c.JupyterHub.bind_url = "http://:8000"
c.JupyterHub.hub_ip = "0.0.0.0"
c.JupyterHub.hub_connect_ip = env("HUB_CONNECT_IP", "hub")
# The user database and the cookie secret live in the hub-data volume, so a restarted hub keeps its users,
# their sign-ups and their running servers.
c.JupyterHub.db_url = "sqlite:////srv/jupyterhub/data/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "/srv/jupyterhub/data/jupyterhub_cookie_secret"
# Stopping or updating the hub leaves the students' servers running (their work goes on; the restarted hub finds
# them again), rather than stopping every one of them.
c.JupyterHub.cleanup_servers = False

# ---- who may sign in -----------------------------------------------------------------------------------------
# NativeAuthenticator: students sign up at /hub/signup with a user name and password of their choosing, and can
# sign in once the instructor has approved them. No outside identity provider is needed; docs/class.md says
# how to switch to a university's OAuth or LTI instead.
c.JupyterHub.authenticator_class = "native"
c.JupyterHub.template_paths = [os.path.join(os.path.dirname(nativeauthenticator.__file__), "templates")]
c.NativeAuthenticator.open_signup = False
c.NativeAuthenticator.minimum_password_length = 8
c.NativeAuthenticator.check_common_password = True
# The instructor's approval is the gate, so JupyterHub itself allows every user NativeAuthenticator lets in.
c.Authenticator.allow_all = True
c.Authenticator.admin_users = {env("HUB_ADMIN", "instructor")}

# ---- the students' servers -----------------------------------------------------------------------------------
c.JupyterHub.spawner_class = "docker"
c.DockerSpawner.image = env("HUB_IMAGE", "golecture-lab:cpu")
c.DockerSpawner.network_name = env("HUB_NETWORK", "golecture-class")
c.DockerSpawner.use_internal_ip = True
c.DockerSpawner.prefix = prefix
c.DockerSpawner.name_template = "{prefix}-{username}"
# A stopped server's container is removed, so the next start uses the current image; what a student keeps
# lives in the volumes below.
c.DockerSpawner.remove = True
c.DockerSpawner.cmd = ["jupyterhub-singleuser"]
c.DockerSpawner.notebook_dir = "/workspace/notebooks"
c.Spawner.default_url = "/lab/tree/01_regularization.ipynb"
# Per student: their notebooks (Docker seeds the volume with the image's notebooks when it creates it) and
# their home, which holds their own new fits (~/.cache/golecture/fits-private). The image's warm fit cache is
# shared by every student, read-only: the lecture's package then saves a student's new fits in their home.
c.DockerSpawner.volumes = {
    f"{prefix}-{{username}}-notebooks": "/workspace/notebooks",
    f"{prefix}-{{username}}-home": "/home/jovyan",
    env("HUB_FITS_VOLUME", f"{prefix}-fits"): {"bind": "/var/cache/golecture/fits", "mode": "ro"},
}
c.DockerSpawner.mem_limit = env("HUB_MEM_LIMIT", "2G")
c.DockerSpawner.cpu_limit = float(env("HUB_CPU_LIMIT", "1"))
# A cold container links its first cells while JupyterLab starts; on a busy machine that can take a while.
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 120

# ---- idle servers are stopped --------------------------------------------------------------------------------
c.JupyterHub.services = [
    {
        "name": "idle-culler",
        "command": [
            sys.executable,
            "-m",
            "jupyterhub_idle_culler",
            f"--timeout={int(env('HUB_IDLE_TIMEOUT', '3600'))}",
            f"--cull-every={int(env('HUB_CULL_EVERY', '300'))}",
        ],
    }
]
c.JupyterHub.load_roles = [
    {
        "name": "idle-culler",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["idle-culler"],
    }
]
