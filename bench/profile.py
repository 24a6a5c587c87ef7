#!/usr/bin/env python3
"""Where the API's threads spend their time, from a dotnet-trace `dotnet-sampled-thread-time` trace in speedscope format
(run.sh writes them with TRACE_DIR=DIR: DIR/<size>-<scenario>.speedscope.json and the load's DIR/<size>-<scenario>.load.json).

Usage: python3 bench/profile.py DIR/large-dashboard-cold.speedscope.json [...]

Each sampled stack is either waiting (a thread parked in the thread pool, epoll, a timer, a semaphore: not work) or
working. A working sample goes to the layer of its innermost frame that belongs to one (an async continuation's stack
holds the awaited library below its awaiters), by module; socket calls belong to their caller; a thread on a CPU
inside a wait is the thread pool's:
  JSON            System.Text.Json
  authentication  the session handler and the authorization middleware, with the session cache and its Redis calls
  cache (Redis)   the dashboard's cache lookups (RedisCache and the Redis client under it)
  Dapper          Dapper's own frames and the mapping methods it emits (the Npgsql readers they call are Npgsql's)
  Npgsql          the PostgreSQL client: writing the statements, reading and decoding the rows, its socket calls
  telemetry       OpenTelemetry and System.Diagnostics activities and metrics
  HTTP            Kestrel, the ASP.NET Core pipeline (routing, middleware, result writing), its socket calls, pipes
  endpoint        the endpoint's own code (DrAssistant.*)
  socket engine   the thread that waits on epoll for every socket (HTTP, PostgreSQL, Redis) and dispatches completions
  thread pool     a thread on a CPU inside a wait (spinning before it blocks, or just woken): .NET's thread pool and
                  the Redis client's own scheduler threads
  other           the rest (the runtime's own frames with nothing of ours under them)
A thread parked in native code (the thread pool's semaphore, epoll, a timer, a blocking poll) is not working.
The trace's thread time is a sample of where threads are, about every 10 ms each: a working sample is a thread on a
CPU or ready to run, so on a loaded machine it overstates CPU; the shares are what to read, multiplied by the API's CPU
per request that run.sh measures from /proc in the same run. Per request figures here divide by the requests the
trace's load run counted (its measured part, not the 2 s warm-up the trace also sees): an upper bound.
"""
import json
import os
import re
import sys

# A thread in native code (the pseudo-frame UNMANAGED_CODE_TIME) whose last managed frame is one of these is parked.
WAIT = re.compile(r"Wait|Sleep|\.Poll$|RunWorkLoop$|WorkerThreadStart$|EventLoop$|FileSystemWatcher|Interop\+Sys\.Read$|Accept")

PSEUDO = {"CPU_TIME", "UNMANAGED_CODE_TIME", "BLOCKED_TIME"}
ORDER = ["HTTP", "authentication", "cache (Redis)", "Redis (other)", "Dapper", "JSON", "Npgsql", "telemetry", "endpoint",
         "socket engine (epoll)", "thread pool (spinning, waking)", "other"]
# A thread on a CPU in a wait: spinning before it blocks, or just woken.
SPIN = re.compile(r"Wait|Semaphore|RunWorkLoop$|WorkerThreadStart$|Dispatch$")


def bucket_of(frame):
    """A frame's bucket by its module ("Module!Namespace.Type.Method"); None for the runtime's own (CoreLib: async
    machinery, thread pool, collections), which belongs to whoever called it."""
    module, _, method = frame.partition("!")
    if not method:
        return None
    if module == "Npgsql":
        return "Npgsql"
    if module == "Dapper" or method.startswith("dynamicClass.Deserialize"):
        return "Dapper"
    if module == "System.Text.Json":
        return "JSON"
    if (module.startswith("Microsoft.AspNetCore.Authentication") or module.startswith("Microsoft.AspNetCore.Authorization")
            or method.startswith("DrAssistant.Api.Auth.")):
        return "authentication"
    if module in ("StackExchange.Redis", "Pipelines.Sockets.Unofficial"):
        return "Redis"
    if (module.startswith("OpenTelemetry") or module == "System.Diagnostics.DiagnosticSource"
            or module.startswith("Microsoft.Extensions.Diagnostics")):
        return "telemetry"
    if module.startswith("Microsoft.AspNetCore") or module == "System.IO.Pipelines":
        return "HTTP"
    if module.startswith("DrAssistant"):
        return "endpoint"
    return None


def classify(names):
    """None for a parked thread; else the bucket of the innermost frame that has one (an async continuation's stack
    holds the awaited code below its awaiters: Npgsql's read completing runs Dapper, then the endpoint, then JSON).
    Socket calls belong to their caller (Kestrel's are HTTP, Npgsql's are Npgsql, Redis's authentication); a stack
    with only the socket engine under it is HTTP."""
    managed = [n for n in names if "!" in n and n != "?!?"]
    if not managed:
        return None
    if names[-1] == "UNMANAGED_CODE_TIME" and WAIT.search(managed[-1].split("!", 1)[1].split("(")[0]):
        return None
    if SPIN.search(managed[-1].split("!", 1)[1].split("(")[0]):
        return "thread pool (spinning, waking)"
    for name in reversed(managed):
        bucket = bucket_of(name)
        if bucket == "Redis":
            # The Redis client's work for a session lookup is the session lookup's; for the dashboard's cache, the cache's.
            if any(".Auth." in n for n in managed):
                return "authentication"
            if any("RedisCache" in n for n in managed):
                return "cache (Redis)"
            return "Redis (other)"
        if bucket:
            return bucket
    if any("SocketAsyncEngine.EventLoop" in n for n in managed):
        return "socket engine (epoll)"
    if any(n.startswith("System.Net") for n in managed):
        return "HTTP"
    return "other"


def analyse(path):
    with open(path) as f:
        data = json.load(f)
    frames = [frame["name"] for frame in data["shared"]["frames"]]
    totals = {}
    top = {}
    for profile in data["profiles"]:
        stack, last = [], None
        events = profile.get("events", [])
        for event in events:
            at = event["at"]
            if last is not None and at > last and stack:
                names = [frames[i] for i in stack]
                bucket = classify(names)
                if bucket:
                    totals[bucket] = totals.get(bucket, 0) + at - last
                    leaf = names[-1] if names[-1] not in ("CPU_TIME", "UNMANAGED_CODE_TIME") or len(names) < 2 else names[-2]
                    top[(bucket, leaf)] = top.get((bucket, leaf), 0) + at - last
            last = at
            if event["type"] == "O":
                stack.append(event["frame"])
            elif stack:
                stack.pop()
    return totals, top


def main():
    for path in sys.argv[1:]:
        totals, top = analyse(path)
        load_path = re.sub(r"\.speedscope\.json$|\.nettrace$", "", path) + ".load.json"
        requests = None
        if os.path.exists(load_path):
            with open(load_path) as f:
                load = json.load(f)
            requests = load["requests"]
        working = sum(totals.values())
        print(f"== {os.path.basename(path)}: {working:.0f} ms of working thread time"
              + (f", {requests} requests, {working * 1000 / requests:.0f} µs per request" if requests else ""))
        for bucket in ORDER:
            ms = totals.get(bucket, 0)
            per = f"{ms * 1000 / requests:8.0f} µs" if requests else ""
            print(f"   {bucket:31s} {ms:9.0f} ms {100 * ms / working if working else 0:5.1f}% {per}")
        print("   top leaves:")
        for (bucket, leaf), ms in sorted(top.items(), key=lambda kv: -kv[1])[:25]:
            print(f"     {ms:8.0f} ms  {bucket:18s} {leaf[:150]}")


if __name__ == "__main__":
    main()
