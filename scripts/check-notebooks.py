#!/usr/bin/python3
"""Checks executed notebooks (nbformat 4): no cell error, and the outputs a reader is promised.
Usage: scripts/check-notebooks.py DIR   (DIR holds the executed 01-...ipynb .. 07-...ipynb)
Prints one line per notebook; exit 1 when any check fails."""
import json
import pathlib
import sys

# What each notebook must show, CPU or GPU: mimetypes that must occur among its outputs, and text that
# must appear in them (bus.jpg's image in 01 is the first image/png, a prediction of bus.jpg).
EXPECT = {
    "01-quickstart": {"mimes": ["image/png", "text/html"], "text": ["bus"]},
    "02-export-tensorrt": {"mimes": ["image/png", "text/html"], "text": ["bus.jpg detections per backend"]},
    "03-int8-calibration-tuning": {"mimes": ["image/png", "text/html"], "text": ["Activation ranges per module", "Layer groups"]},
    "04-benchmark-and-map": {"mimes": ["image/png", "text/html"], "text": ["benchmark", "precision-recall curve"]},
    "05-tasks": {"mimes": ["image/png", "text/html"], "text": ["segment", "pose", "classify", "obb", "Masks of bus.jpg"]},
    "06-video-and-tracking": {"mimes": ["image/png", "text/html"], "text": ["<video", "frames tracked", "persons crossing the line"]},
    "07-spark": {"mimes": ["image/png"], "text": ["Spark 4", "128 images, 0 unreadable", "every metric printed, per class too, is the same",
                                               "|Megamind.avi|"]},
}


def check(path):
    nb = json.loads(path.read_text())
    problems, mimes, text = [], set(), []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        for out in cell.get("outputs", []):
            if out["output_type"] == "error":
                problems.append(f"cell {i}: {out['ename']}: {out['evalue']}"[:300])
            if out["output_type"] == "stream":
                text.append("".join(out["text"]))
            for mime, data in out.get("data", {}).items():
                mimes.add(mime)
                if mime.startswith("text/"):
                    text.append(data if isinstance(data, str) else "".join(data))
    want = EXPECT.get(path.stem)
    if want is None:
        problems.append("no expectations for this notebook: add it to scripts/check-notebooks.py")
    else:
        problems += [f"no {m} output" for m in want["mimes"] if m not in mimes]
        blob = "\n".join(text)
        problems += [f"no output mentions '{t}'" for t in want["text"] if t not in blob]
    return problems, sorted(mimes)


def main():
    folder = pathlib.Path(sys.argv[1])
    files = sorted(folder.glob("*.ipynb"))
    failed = not files
    if not files:
        print(f"no notebooks in {folder}")
    for f in files:
        problems, mimes = check(f)
        failed |= bool(problems)
        print(f"{f.name}: {'ok' if not problems else 'FAILED'} ({', '.join(mimes)})")
        for p in problems:
            print(f"  {p}")
    sys.exit(1 if failed else 0)


main()
