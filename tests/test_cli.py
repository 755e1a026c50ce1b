"The `transfer-course` console script as a user meets it."

def test_help_lists_commands(run_cli):
    r = run_cli('--help')
    assert r.returncode == 0
    assert 'info' in r.stdout and 'usage: transfer-course' in r.stdout

def test_info_warns_loudly_on_cpu_in_full_mode(run_cli):
    r = run_cli('info', env={'TRANSFER_COURSE_QUICK': '0', 'CUDA_VISIBLE_DEVICES': ''})
    assert r.returncode == 0
    assert 'fine_tune will run on cpu' in r.stdout
    assert 'WARNING: no GPU found' in r.stderr and 'Change runtime type' in r.stderr

def test_info_quick_mode_only_notes_cpu(run_cli):
    r = run_cli('info', '--quick', env={'CUDA_VISIBLE_DEVICES': ''})
    assert r.returncode == 0 and 'Quick mode' in r.stdout and 'WARNING' not in r.stderr

def test_unknown_command_is_one_line_error(run_cli):
    r = run_cli('fly')
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("transfer-course: error: unknown command 'fly'; choose one of: info")

def test_bad_mode_variable_is_explained(run_cli):
    r = run_cli('info', env={'TRANSFER_COURSE_QUICK': 'maybe'})
    assert r.returncode == 2 and 'set it to 1' in r.stderr
