package dev.yolotrt.pt;

import dev.yolotrt.task.Task;
import dev.yolotrt.util.AtomicWrite;
import dev.yolotrt.util.Downloads;
import dev.yolotrt.util.YoloException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The ONNX graph of a .pt checkpoint, rebuilt in Java (read as data, nothing in it run) and kept in a
 * cache folder by the checkpoint's hash, so the conversion happens once.
 */
public final class Converted {

    private Converted() {
    }

    /** The cached ONNX file of {@code pt}, converted now when it is not in {@code cacheDir}/converted yet. */
    public static Path onnx(Path pt, Path cacheDir) {
        return onnx(pt, cacheDir, null);
    }

    /**
     * As {@link #onnx(Path, Path)} for an input of {@code hw} = (height, width) instead of the checkpoint's square
     * size: Ultralytics runs a PyTorch model on the letterbox padded to the stride only (rect), e.g. 480×640 for a
     * 4:3 video. Cached per shape.
     */
    public static Path onnx(Path pt, Path cacheDir, int[] hw) {
        byte[] bytes;
        try {
            if (Files.size(pt) > Integer.MAX_VALUE - 16) throw new YoloException(pt + " is larger than 2 GB, more than any YOLO checkpoint; not converted");
            bytes = Files.readAllBytes(pt);
        } catch (IOException e) {
            throw new YoloException("cannot read " + pt + ": " + e.getMessage());
        }
        String stem = pt.getFileName().toString().replaceFirst("(?i)\\.pt$", "");
        String shape = hw == null ? "" : "-" + hw[0] + "x" + hw[1];
        Path out = cacheDir.resolve("converted").resolve(stem + "-" + Downloads.sha256(bytes).substring(0, 12) + shape + ".onnx");
        if (Files.isRegularFile(out)) return out;
        try (Checkpoint c = Checkpoint.read(pt)) {
            byte[] onnx;
            try {
                // Classifiers pool globally, so any size runs; Ultralytics exports them at 224 by default.
                onnx = hw != null ? OnnxWriter.write(c, hw[0], hw[1]) : OnnxWriter.write(c, c.kind() == Task.CLASSIFY ? 224 : c.imgsz());
            } catch (RuntimeException | StackOverflowError e) {
                // A module layout the converter does not know (or a damaged one) is one line, never a stack trace.
                throw new YoloException(pt.getFileName() + " (an Ultralytics " + c.task() + " checkpoint) cannot be converted in Java: "
                        + Damage.describe(e)
                        + ". Export it once with `yolo export model=" + pt.getFileName() + " format=onnx` and load the .onnx", e);
            }
            return AtomicWrite.write(out, onnx);
        }
    }
}
