"""Refresh the outputs a lesson keeps for its readers: run it in quick mode and keep its tables, plots and logs.

    python tools/outputs.py nbs/10_dog_breeds.ipynb [more notebooks] [--width 480 --quality 50] [--tidy]

The docs site and Colab show the outputs stored in a notebook, so the lessons carry the ones their quick-mode run
computed. This executes each notebook top to bottom in quick mode (as `nbdev-test` does, skipping `notest` cells),
then keeps what a learner should see: plots become small JPEGs, progress bars and download/weight-loading noise are
dropped, this machine's home, cache and site-packages paths are shortened, and `[source]` links keep their file but
not its line (a kept line number goes stale with the next edit of the module; the docs site makes its own). Each
notebook should stay under ~200 KB; lower `--width`/`--quality` if it does not. Finishes with `nbdev-clean`, so the
result commits as is. `--tidy` applies the same clean-ups to the outputs a notebook keeps, without running it.
"""
import os, sys, re, json, io, base64, site, tempfile, subprocess
from pathlib import Path
from fastcore.script import call_parse

PROG = re.compile(r'(Epoch \d+/\d+ : )?\|[█-]*\| *[\d.]+% \[[^\]]*\]( [\d.]+)?')  # fastprogress bars printed as text
NOISE = ('Loading weights', 'Writing model shards', 'warnings.warn', 'Warning:')
SHORT = [(site.getsitepackages()[0] + '/', '.../site-packages/'), (os.path.expanduser('~') + '/', '~/')]
LINE = re.compile(r'(/transfer_course/\w+\.py)#L(?:\d+|None)') # a `[source]` link's line

def shorten(t:str)->str:
    "`t` without this machine's site-packages, cache and home paths, and with `[source]` links to files, not lines"
    from transfer_course.core import tc_home
    for a,b in [(str(tc_home()) + '/', '~/.cache/transfer_course/')] + SHORT: t = t.replace(a, b) # (the cache first: it may be under home)
    return LINE.sub(r'\1', t)

WARNING = re.compile(r'\S.*:\d+: \w*Warning: ') # the first line of a warning as Python prints it; its source line follows, indented

def clean_text(t:str)->str:
    "Printed text without progress bars, carriage-return redraws, library noise, warnings' source lines and repeats"
    lines = [PROG.sub('', l).replace('█', '').rstrip() for l in t.replace('\r', '\n').split('\n')]
    lines = [l for i,l in enumerate(lines) if not (l.startswith('  ') and i and WARNING.match(lines[i-1]))]
    lines = [l for l in lines if l.strip() and not any(n in l for n in NOISE) and not re.fullmatch(r'\s*Epoch \d+/\d+ :', l)]
    out = [] # a line printed several times in a row (a note from each call of a test) is kept once, with the count
    for l in lines:
        if out and out[-1][0]==l: out[-1][1] += 1
        else: out.append([l, 1])
    lines = [l if n==1 else f"{l}  ({n} times)" for l,n in out]
    return shorten('\n'.join(lines) + '\n') if lines else ''

def jpeg(b64:str, width:int, quality:int)->str:
    "An image output (base64) as a JPEG at most `width` pixels wide"
    from PIL import Image
    im = Image.open(io.BytesIO(base64.b64decode(b64))).convert('RGB')
    if im.width > width: im = im.resize((width, round(im.height*width/im.width)), Image.LANCZOS)
    b = io.BytesIO(); im.save(b, 'JPEG', quality=quality, optimize=True)
    return base64.b64encode(b.getvalue()).decode()

def keep(o:dict, width:int, quality:int):
    "The output `o` as a reader should see it, or None to drop it"
    d = o.get('data', {})
    html = ''.join(d.get('text/html', ''))
    if '<progress' in html or 'progress-bar' in html: return None
    for k in ('text/plain', 'text/markdown'):
        if k in d: d[k] = shorten(''.join(d[k]))
    if 'image/png' in d: d['image/jpeg'] = jpeg(''.join(d.pop('image/png')), width, quality)
    if o.get('output_type') == 'stream':
        o['text'] = clean_text(''.join(o['text']))
        if not o['text']: return None
    return o

@call_parse
def main(*nbs:str, # Notebooks to run, e.g. nbs/10_dog_breeds.ipynb
         width:int=560, # Widest image kept, in pixels
         quality:int=60, # JPEG quality
         tidy:bool=False): # Only clean up the outputs the notebooks keep: run nothing
    "Execute lessons in quick mode and keep the outputs a learner should see"
    os.environ.update(TRANSFER_COURSE_QUICK='1', IN_TEST='1', TRANSFER_COURSE_RUNS=tempfile.mkdtemp())
    from execnb.shell import CaptureShell
    if not nbs: sys.exit("name the notebooks to run, e.g. python tools/outputs.py nbs/10_dog_breeds.ipynb")
    for p in map(Path, nbs):
        if not p.exists(): sys.exit(f"no notebook at {p}")
        if not tidy: CaptureShell().execute(p, p, exc_stop=True, preproc=lambda c: 'notest' in c.source or 'nbdev_export()' in c.source)
        nb = json.loads(p.read_text())
        for c in nb['cells']:
            if c['cell_type'] == 'code': c['outputs'] = [o for o in (keep(o, width, quality) for o in c.get('outputs', [])) if o]
        p.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')
        subprocess.run([str(Path(sys.executable).parent/'nbdev-clean'), '--fname', str(p)], check=True) # this venv's, activated or not
        kb = p.stat().st_size // 1024
        print(f"{p}: {kb} KB" + ('  (over 200 KB: lower --width or --quality)' if kb > 200 else ''), flush=True)
