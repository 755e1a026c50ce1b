#!/usr/bin/env python
"""Build the docs as far as this machine allows: the processed notebooks that feed Quarto (`nbdev.serve.proc_nbs`)
for every notebook, then the site itself with `nbdev_docs` where Quarto is on PATH. Fails if a processed page holds a
`[source]` link that points at no line (`#LNone`), or a cell that mixes imports with other code."""
import re, shutil, sys, warnings
from pathlib import Path

def fix_source_links():
    """nbdev 3.3.26's `NbdevLookup.code` looks a symbol up by its full name (`transfer_course.fastdata.fast_dls`) in a
    table of line numbers keyed by its name in the module (`fast_dls`), so the `[source]` link of a symbol shown outside
    its own module's notebook (lesson 4's `show_doc(fast_dls)`) ends in `#LNone`: look it up without the module prefix. (It holds in this process only, so the build runs serially here.)"""
    import nbdev.doclinks as dl
    if getattr(dl._lineno, 'fixed', False): return
    lineno = dl._lineno
    def _lineno(sym, fname):
        mod = fname[:-3].replace('/', '.') + '.' if fname else ''
        return lineno(sym[len(mod):] if mod and isinstance(sym, str) and sym.startswith(mod) else sym, fname)
    _lineno.fixed = True
    dl._lineno = _lineno

def main():
    fix_source_links()
    # the docs build re-runs import cells to render `show_doc`: a cell mixing imports with other code would run that code too
    warnings.filterwarnings('error', message='Found cells containing imports and other code')
    from nbdev.serve import proc_nbs
    cache = proc_nbs(n_workers=0, force=True) # serial, in this process: the fix above holds (forced: a page `nbdev-preview` left is redone)
    for d in ('runs', 'models'): shutil.rmtree(cache/d, ignore_errors=True) # what a lesson run in nbs/ saved: not pages of the site
    nbs = sorted(Path('nbs').glob('*.ipynb'))
    missing = [n.name for n in nbs if not (cache/n.name).exists()]
    if missing: sys.exit(f"FAIL: proc_nbs made no Quarto input for {missing}")
    dead = [n.name for n in nbs if '#LNone' in (cache/n.name).read_text()]
    if dead: sys.exit(f"FAIL: [source] links to no line (#LNone) in {dead}: see fix_source_links")
    stale = [n.name for n in nbs if re.search(r'/transfer_course/\w+\.py#L', n.read_text())]
    if stale: sys.exit(f"FAIL: kept outputs in {stale} link [source] lines, which go stale: python tools/outputs.py --tidy nbs/NAME.ipynb")
    print(f"processed for Quarto: {len(nbs)} notebooks in {cache}")
    if shutil.which('quarto'):
        from nbdev.quarto import nbdev_docs
        nbdev_docs.__wrapped__(n_workers=0) # in this process, so that the fix above holds (unwrapped: no command-line parsing)
    else: print("quarto not on PATH: skipping nbdev-docs (the site builds where Quarto is installed)")

if __name__ == '__main__': main()
