"""results_md.py: sections of bench/results/RESULTS.md that one kind of run owns (the
kernel fast path, transcoding quality), kept between marker lines so that a run of
another kind leaves them as they are."""

import os


def splice(path, text, begin, end):
    """Put TEXT between the markers BEGIN and END in PATH (appended when there is no
    section yet)."""
    old = open(path).read() if os.path.exists(path) else ""
    block = begin + "\n" + text.rstrip("\n") + "\n" + end + "\n"
    if begin in old and end in old:
        a = old.index(begin)
        b = old.index(end) + len(end)
        new = old[:a] + block.rstrip("\n") + old[b:]
    else:
        new = old.rstrip("\n") + "\n\n" + block
    with open(path, "w") as f:
        f.write(new)
