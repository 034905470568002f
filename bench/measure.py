"""Runs a command and prints its wall time, its CPU time and the peak RSS of its largest process as JSON.

getrusage(RUSAGE_CHILDREN) reports the largest resident set among the waited-for descendants, which
is what "peak memory" of a synth means: npm, cdktf and node each run as their own process. CPU time
(user + system, summed over them) is the work done; unlike wall time it hardly moves when other
processes compete for the cores.
"""
import json
import os
import resource
import subprocess
import sys
import time

# What the run before wrote (the naive way's 2,000 stacks: gigabytes) is flushed first, so that no
# write-back of it lands in this run's wall time.
os.sync()
start = time.monotonic()
proc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.monotonic() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peakMiB": usage.ru_maxrss / 1024, "code": proc.returncode, "stderr": proc.stderr.decode()[-2000:]}))
