"""Stand-ins for the files a static Envoy config names on the proxy's machine, so that
`envoy --mode validate` (which opens them) can check the config here. Used by
validate-envoy-static.py and fuzz-validate.py.

- MaxMind database paths: an empty test database of each type (tools/test-mmdb.py).
- /certs/* (the control plane's CA the provisioner mounts into every proxy): a test CA.
- The local path of a dynamic module (the operator puts it on the proxy): the test module
  (services/xds-server's eg4j_test_module.c, compiled once with the machine's compiler)."""
import os
import subprocess
import sys
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DB_TYPES = {"city_db_path": "GeoIP2-City", "asn_db_path": "GeoLite2-ASN",
            "isp_db_path": "GeoIP2-ISP", "anon_db_path": "GeoIP2-Anonymous-IP"}


class StandIns:
    """Replaces, in place, the proxy-local files of a config; the files live under `tmp`."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.lock = threading.Lock()

    def _once(self, path, make):
        with self.lock:
            if not os.path.exists(path):
                make(path)
        return path

    def ca_file(self):
        return self._once(os.path.join(self.tmp, "certs-ca.crt"), lambda p: subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", "/CN=eg4j-validate-ca", "-keyout", p + ".key", "-out", p],
            check=True, capture_output=True))

    def module(self):
        src = os.path.join(ROOT, "services", "xds-server", "src", "test", "resources", "io", "eg4j",
                           "xds", "testing", "eg4j_test_module.c")
        return self._once(os.path.join(self.tmp, "libeg4j_test_module.so"), lambda p: subprocess.run(
            ["cc", "-shared", "-fPIC", "-O2", "-o", p, src], check=True, capture_output=True))

    def database(self, key):
        return self._once(os.path.join(self.tmp, key + ".mmdb"), lambda p: subprocess.run(
            [sys.executable, os.path.join(ROOT, "tools", "test-mmdb.py"), p, DB_TYPES[key], "-"],
            check=True))

    def apply(self, node):
        if isinstance(node, dict):
            for k, v in node.items():
                if (k == "dynamic_module_config" and isinstance(v, dict)
                        and isinstance(v.get("module"), dict)
                        and isinstance(v["module"].get("local"), dict)
                        and "filename" in v["module"]["local"]):
                    v["module"]["local"]["filename"] = self.module()
                elif k == "filename" and isinstance(v, str) and v.startswith("/certs/"):
                    node[k] = self.ca_file()
                elif k in DB_TYPES and isinstance(v, str):
                    node[k] = self.database(k)
                else:
                    self.apply(v)
        elif isinstance(node, list):
            for v in node:
                self.apply(v)
