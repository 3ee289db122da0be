#!/usr/bin/python3
"""Drives the installed yolo-trt Jupyter kernel as a notebook would (Debian's python3 with jupyter_client)
and checks that it stays usable: values, a cell that throws, an interrupted endless loop, a cell printing a
million lines. Usage: scripts/kernel-check.py [KERNEL_NAME]. Prints 'N passed, N failed'; exit 1 on failure."""
import sys
import time
from jupyter_client.manager import start_new_kernel

km, kc = start_new_kernel(kernel_name=sys.argv[1] if len(sys.argv) > 1 else "yolo-trt", startup_timeout=120)
results = []


def wait(msg_id, timeout):
    """Collects iopub messages of one request until the kernel is idle: ('idle' or 'timeout', [(type, content)])."""
    out, t0 = [], time.time()
    while time.time() - t0 < timeout:
        try:
            m = kc.get_iopub_msg(timeout=2)
        except Exception:
            continue
        if m["parent_header"].get("msg_id") != msg_id:
            continue
        if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
            return "idle", out
        out.append((m["msg_type"], m["content"]))
    return "timeout", out


def value(out):
    return next((c["data"]["text/plain"] for t, c in out if t == "execute_result"), None)


def check(name, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else ": " + str(detail)[:300]), flush=True)
    results.append(ok)


state, out = wait(kc.execute("int x = 20;\nx * 2 + 2"), 60)
check("a cell's value", value(out) == "42", out)
state, out = wait(kc.execute('throw new IllegalStateException("boom");'), 60)
check("an exception shows the Java error", any(t == "error" and "IllegalStateException: boom" in c["evalue"] for t, c in out), out)
state, out = wait(kc.execute("x"), 60)
check("alive after an exception", value(out) == "20", out)
loop = kc.execute("long n = 0; while (true) { n++; }")
time.sleep(3)
km.interrupt_kernel()
state, out = wait(loop, 30)
check("interrupt stops an endless loop", state == "idle", state)
state, out = wait(kc.execute("x + 1"), 60)
check("alive after an interrupt", value(out) == "21", out)
t0 = time.time()
state, out = wait(kc.execute('for (int i = 0; i < 1_000_000; i++) System.out.println("line " + i);'), 120)
text = "".join(c["text"] for t, c in out if t == "stream")
check(f"a million lines ({time.time() - t0:.1f} s, {len(text)} chars kept)", state == "idle" and "not kept" in text, state)
state, out = wait(kc.execute('"still here"'), 60)
check("alive after a million lines", value(out) == "still here", out)

km.shutdown_kernel(now=True)
passed = sum(results)
print(f"{passed} passed, {len(results) - passed} failed")
sys.exit(0 if passed == len(results) else 1)
