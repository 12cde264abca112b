"""A throwaway PostgreSQL 15 cluster from the system binaries.

initdb refuses to run as root, so as root the cluster belongs to the unprivileged `nobody`
user. Durability settings are relaxed (fsync off): this cluster is for tests and demos.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from mentionflow_tools.infra.processes import free_port

PG_MAJOR = 15
DATABASE = "mentionflow"
UNPRIVILEGED_USER = "nobody"


def pg_bindir() -> Path:
    """The PostgreSQL 15 binaries, installing Debian's `postgresql` package when missing."""
    candidate = Path(f"/usr/lib/postgresql/{PG_MAJOR}/bin")
    if not (candidate / "initdb").exists():
        if os.geteuid() != 0:
            raise RuntimeError(f"PostgreSQL {PG_MAJOR} binaries missing; install the 'postgresql' package")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-q"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-q", f"postgresql-{PG_MAJOR}"], check=True, env=env)
    return candidate


def _as_owner(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", UNPRIVILEGED_USER, "--", *cmd] if os.geteuid() == 0 else cmd


@dataclass
class PostgresCluster:
    directory: str
    port: int

    @property
    def data_dir(self) -> Path:
        return Path(self.directory) / "data"

    @property
    def log_file(self) -> Path:
        return Path(self.directory) / "postgres.log"

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def save(self) -> None:
        Path(self.directory, "postgres.json").write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, directory: Path) -> PostgresCluster:
        return cls(**json.loads((directory / "postgres.json").read_text()))

    def pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(pg_bindir() / "pg_ctl"), "-D", str(self.data_dir), *args]
        return subprocess.run(_as_owner(cmd), check=check, capture_output=True, text=True)

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self.pg_ctl("-o", options, "-l", str(self.log_file), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self.pg_ctl("-m", mode, "-w", "stop", check=False)

    def server_version(self) -> str:
        psql = pg_bindir() / "psql"
        out = subprocess.run(
            [str(psql), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", DATABASE,
             "-Atc", "SHOW server_version"],
            check=True, capture_output=True, text=True,
        )
        return out.stdout.strip()


def start_postgres(directory: Path) -> PostgresCluster:
    bindir = pg_bindir()
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    if os.geteuid() == 0:
        shutil.chown(directory, UNPRIVILEGED_USER)
        # The unprivileged owner must be able to reach its folder through every parent.
        for parent in directory.parents:
            if parent == Path("/"):
                break
            mode = parent.stat().st_mode
            if not mode & 0o001:
                os.chmod(parent, mode | 0o001)
    cluster = PostgresCluster(str(directory), free_port())
    subprocess.run(
        _as_owner([str(bindir / "initdb"), "-D", str(cluster.data_dir), "-A", "trust", "-U", "postgres",
                   "-E", "UTF8", "--no-sync", "--no-instructions"]),
        check=True, capture_output=True, text=True,
    )
    cluster.start()
    subprocess.run(
        [str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres", DATABASE],
        check=True, capture_output=True, text=True,
    )
    cluster.save()
    return cluster


def stop_postgres(cluster: PostgresCluster, *, remove: bool = True) -> None:
    cluster.stop()
    if remove:
        shutil.rmtree(cluster.directory, ignore_errors=True)
