#!/usr/bin/env python3
"""Assemble the eg4j base image (Debian's openjdk-17-jre-headless on a minimal root) as a
`docker save` tarball that Jib reads with `tar://`, without a Docker daemon or a registry.

Why: only package registries are reachable here and on CI, so no base image can be pulled. Debian's
.deb files are served, and a JRE plus the few shared libraries the JVM links against (libc, libgcc,
libstdc++, zlib) make a distroless-style root. Nothing is installed on the build machine: the .debs
are only unpacked with `dpkg-deb -x` into a scratch directory.

Usage: build-base-image.py [OUTPUT_TAR]   (default: $EG4J_CACHE/images/eg4j-base-jre17.tar)
The tarball is rebuilt only when the package versions change (a stamp file sits next to it).
"""
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

PACKAGES = ["libc6", "libgcc-s1", "libstdc++6", "zlib1g", "openjdk-17-jre-headless"]
JAVA_HOME = "/usr/lib/jvm/java-17-openjdk-amd64"
NONROOT_UID = 65532  # the distroless "nonroot" id, so runAsNonRoot works with a numeric user
EPOCH = 0  # fixed mtime: the same .debs give a byte-identical layer and image id


def candidate_versions():
    out = subprocess.run(["apt-cache", "policy", *PACKAGES], capture_output=True, text=True).stdout
    versions, current = {}, None
    for line in out.splitlines():
        if line and not line.startswith(" "):
            current = line.rstrip(":")
        elif line.strip().startswith("Candidate:") and current:
            versions[current] = line.split(":", 1)[1].strip()
    return versions


def download(workdir):
    debs = os.path.join(workdir, "debs")
    os.makedirs(debs, exist_ok=True)
    cmd = ["apt-get", "download", *PACKAGES]
    if subprocess.run(cmd, cwd=debs).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(cmd, cwd=debs, check=True)
    # apt-get download runs as the _apt user where it can; make sure we can read the files.
    return sorted(os.path.join(debs, f) for f in os.listdir(debs) if f.endswith(".deb"))


def extract(debs, root):
    for deb in debs:
        subprocess.run(["dpkg-deb", "-x", deb, root], check=True)
    # Trim what a headless server JVM never loads; it keeps the image small.
    for doc in ("usr/share/doc", "usr/share/man", "usr/share/locale", "usr/share/lintian"):
        shutil.rmtree(os.path.join(root, doc), ignore_errors=True)
    os.makedirs(os.path.join(root, "etc"), exist_ok=True)
    with open(os.path.join(root, "etc/passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/sbin/nologin\n")
        f.write(f"nonroot:x:{NONROOT_UID}:{NONROOT_UID}:nonroot:/home/nonroot:/sbin/nologin\n")
    with open(os.path.join(root, "etc/group"), "w") as f:
        f.write(f"root:x:0:\nnonroot:x:{NONROOT_UID}:\n")
    for d in ("tmp", "home/nonroot", "app"):
        os.makedirs(os.path.join(root, d), exist_ok=True)


def layer_tar(root):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in sorted(dirnames) + sorted(filenames):
                full = os.path.join(dirpath, name)
                arc = os.path.relpath(full, root)
                info = tar.gettarinfo(full, arcname=arc)
                info.mtime = EPOCH
                info.uname = info.gname = ""
                info.uid = info.gid = 0
                if arc in ("tmp",):
                    info.mode = 0o1777
                if arc == "home/nonroot":
                    info.uid = info.gid = NONROOT_UID
                if info.isreg():
                    with open(full, "rb") as f:
                        tar.addfile(info, f)
                else:
                    tar.addfile(info)
    return buf.getvalue()


def write_image(layer, versions, out):
    diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {
            "Env": [
                f"PATH={JAVA_HOME}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                f"JAVA_HOME={JAVA_HOME}",
                "LANG=C.UTF-8",
            ],
            "User": str(NONROOT_UID),
            "WorkingDir": "/app",
            "Labels": {"io.eg4j.base.packages": " ".join(f"{p}={v}" for p, v in sorted(versions.items()))},
        },
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created_by": "deploy/images/build-base-image.py"}],
    }
    config_bytes = json.dumps(config, sort_keys=True).encode()
    config_name = hashlib.sha256(config_bytes).hexdigest() + ".json"
    layer_name = diff_id.split(":")[1] + "/layer.tar"
    manifest = [{"Config": config_name, "RepoTags": ["eg4j/base-jre17:latest"], "Layers": [layer_name]}]
    tmp = out + ".tmp"
    with tarfile.open(tmp, "w") as tar:
        for name, data in ((config_name, config_bytes), (layer_name, layer),
                           ("manifest.json", json.dumps(manifest).encode())):
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), EPOCH
            tar.addfile(info, io.BytesIO(data))
    os.replace(tmp, out)


def main():
    cache = os.environ.get("EG4J_CACHE", os.path.expanduser("~/.cache/eg4j"))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(cache, "images", "eg4j-base-jre17.tar")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    versions = candidate_versions()
    stamp = json.dumps(versions, sort_keys=True)
    stamp_file = out + ".stamp"
    if os.path.exists(out) and os.path.exists(stamp_file) and open(stamp_file).read() == stamp:
        print(f"base image up to date: {out}")
        return
    with tempfile.TemporaryDirectory(prefix="eg4j-base-") as work:
        os.chmod(work, 0o755)  # apt-get download drops to the _apt user
        root = os.path.join(work, "root")
        extract(download(work), root)
        if not os.path.exists(os.path.join(root, JAVA_HOME.lstrip("/"), "bin/java")):
            sys.exit("openjdk-17-jre-headless did not unpack a java binary")
        write_image(layer_tar(root), versions, out)
    with open(stamp_file, "w") as f:
        f.write(stamp)
    print(f"base image written: {out} ({os.path.getsize(out) // (1024 * 1024)} MiB)")


if __name__ == "__main__":
    main()
