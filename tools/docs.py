#!/usr/bin/env python
"""Build the docs as far as this machine allows: the processed notebooks that feed Quarto (`nbdev.serve.proc_nbs`)
for every notebook, then the site itself with `nbdev-docs` where Quarto is on PATH."""
import shutil, subprocess, sys
from pathlib import Path

def main():
    from nbdev.serve import proc_nbs
    cache = proc_nbs(n_workers=1)
    nbs = sorted(Path('nbs').glob('*.ipynb'))
    missing = [n.name for n in nbs if not (cache/n.name).exists()]
    if missing: sys.exit(f"FAIL: proc_nbs made no Quarto input for {missing}")
    print(f"processed for Quarto: {len(nbs)} notebooks in {cache}")
    if shutil.which('quarto'): subprocess.run(['nbdev-docs'], check=True)
    else: print("quarto not on PATH: skipping nbdev-docs (the site builds where Quarto is installed)")

if __name__ == '__main__': main()
