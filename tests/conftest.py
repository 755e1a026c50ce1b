import os, subprocess, sys, shutil
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent

def cli(*args, env=None, cwd=None, timeout=600):
    "Run the installed `transfer-course` console script; return the CompletedProcess"
    exe = shutil.which('transfer-course') or str(Path(sys.executable).parent/'transfer-course')
    e = {**os.environ, **(env or {})}
    return subprocess.run([exe, *map(str, args)], capture_output=True, text=True, env=e, cwd=cwd, timeout=timeout)

@pytest.fixture
def run_cli(): return cli
