"""Runs a command and prints its wall time and the peak RSS of its largest process as JSON.

getrusage(RUSAGE_CHILDREN) reports the largest resident set among the waited-for descendants, which
is what "peak memory" of a synth means: npm, cdktf and node each run as their own process.
"""
import json
import resource
import subprocess
import sys
import time

start = time.monotonic()
proc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.monotonic() - start
peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"wall": wall, "peakMiB": peak_kib / 1024, "code": proc.returncode, "stderr": proc.stderr.decode()[-2000:]}))
