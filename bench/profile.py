#!/usr/bin/env python3
"""Where the API's threads spend their time, from a dotnet-trace `dotnet-sampled-thread-time` trace in speedscope format
(run.sh writes them with TRACE_DIR=DIR: DIR/<size>-<scenario>.speedscope.json and the load's DIR/<size>-<scenario>.load.json).

Usage: python3 bench/profile.py DIR/large-dashboard-cold.speedscope.json [...]

Each sampled stack is either waiting (a thread parked in the thread pool, epoll, a timer, a semaphore: not work) or
working; working time is put in one bucket, the first of these that its stack matches:
  JSON            System.Text.Json (writing the response, reading nothing else)
  authentication  the session handler and the authorization middleware, with the session cache and any Redis call
  Dapper          Dapper's own frames and the mapping methods it emits, when they are the innermost known frames
  Npgsql          the PostgreSQL client: writing the statements, reading and decoding the rows, its socket calls
  telemetry       OpenTelemetry and System.Diagnostics activities and metrics
  HTTP            Kestrel, the ASP.NET Core pipeline (routing, middleware, result writing), sockets and pipes
  endpoint        the endpoint's own code (DrAssistant.*)
  GC / JIT / runtime, other
Divided by the requests served during the trace (the .load.json beside it), each bucket is CPU per request.
The trace's thread time is a sample of where threads are, about every 10 ms each: a working sample is a thread on a
CPU or ready to run, so on a loaded machine it is an upper bound of the CPU it uses.
"""
import json
import os
import re
import sys

WAIT = re.compile(
    r"WaitForSocketEvents|LowLevelLifoSemaphore|LowLevelMonitor|Monitor\.Wait|WaitHandle\.Wait|WaitOneCore|"
    r"Thread\.Sleep|SleepEx|ManualResetEventSlim\.Wait|SemaphoreSlim\.Wait|TimerQueue\.TimerThread|"
    r"WaitForSignal|WaitSubsystem|PortableThreadPool\+GateThread|WaitForPendingFinalizers|FinalizerThread|"
    r"Console.*Read|EventPipe|DiagnosticServer|Task\.SpinThenBlockingWait|Task\.InternalWait|"
    r"Interop\+Sys\.Read\(|SocketAsyncEngine\.EventLoop$")

BUCKETS = [
    ("JSON", re.compile(r"System\.Text\.Json")),
    ("authentication", re.compile(
        r"DrAssistant\.Api\.Auth\.|AuthenticationMiddleware|AuthorizationMiddleware|AuthenticationHandler|"
        r"AuthenticationService|PolicyEvaluator|AuthorizationService|StackExchange\.Redis")),
]
# Innermost match wins among these: Dapper's mapping calls Npgsql's readers, whose time is Npgsql's.
INNER = [
    ("Npgsql", re.compile(r"^Npgsql|[^A-Za-z]Npgsql\.")),
    ("Dapper", re.compile(r"Dapper\.|Deserialize[0-9a-f]{8}|^dynamicClass")),
    ("telemetry", re.compile(r"OpenTelemetry|System\.Diagnostics\.(Activity|Metrics|DiagnosticListener)")),
    ("HTTP", re.compile(r"Microsoft\.AspNetCore|System\.Net\.|System\.IO\.Pipelines|Kestrel")),
    ("endpoint", re.compile(r"DrAssistant\.")),
    ("GC / JIT / runtime", re.compile(r"GarbageCollect|gc_heap|GCHeap|WKS::|SVR::|JIT|Jit|CompileMethod|ThePreStub|"
                                      r"coreclr|libclrjit")),
]
PSEUDO = {"CPU_TIME", "UNMANAGED_CODE_TIME", "BLOCKED_TIME"}
ORDER = ["HTTP", "authentication", "Dapper", "JSON", "Npgsql", "telemetry", "endpoint", "GC / JIT / runtime", "other"]


def classify(names):
    text = "\n".join(names)
    if any(WAIT.search(n) for n in names[-6:]) or not names:
        return None
    for bucket, pattern in BUCKETS:
        if pattern.search(text):
            return bucket
    for name in reversed(names):
        if name in PSEUDO:
            continue
        for bucket, pattern in INNER:
            if pattern.search(name):
                return bucket
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
            print(f"   {bucket:22s} {ms:9.0f} ms {100 * ms / working if working else 0:5.1f}% {per}")
        print("   top leaves:")
        for (bucket, leaf), ms in sorted(top.items(), key=lambda kv: -kv[1])[:25]:
            print(f"     {ms:8.0f} ms  {bucket:18s} {leaf[:150]}")


if __name__ == "__main__":
    main()
