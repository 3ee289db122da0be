package dev.yolotrt.data;

import dev.yolotrt.util.Text;
import dev.yolotrt.util.YoloException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * YOLO label files: one {@code cls cx cy w h} line per box, normalized to [0, 1]; a polygon line
 * ({@code cls x1 y1 x2 y2 ...}) counts as its bounding box, as in Ultralytics. A missing file is a
 * background image.
 */
public final class Labels {
    private Labels() {
    }

    /** The label file of an image: the last {@code /images/} becomes {@code /labels/}, the suffix {@code .txt}. */
    public static Path labelFile(Path image) {
        String s = image.toString();
        String sep = java.io.File.separator;
        int at = s.lastIndexOf(sep + "images" + sep);
        String swapped = at < 0 ? s : s.substring(0, at) + sep + "labels" + sep + s.substring(at + 8);
        int dot = swapped.lastIndexOf('.');
        int slash = swapped.lastIndexOf(sep);
        return Path.of((dot > slash ? swapped.substring(0, dot) : swapped) + ".txt");
    }

    static final long MAX_LABEL_BYTES = 16L << 20;

    /** Reads a label file; {@code nc} bounds the class ids. Returns an empty list when there is none. */
    public static List<Label> read(Path file, int nc) {
        return read(file, nc, null);
    }

    /** As {@link #read(Path, int)}, for a pose dataset with {@code kptShape} (keypoints, values per keypoint), or null. */
    public static List<Label> read(Path file, int nc, int[] kptShape) {
        if (!Files.exists(file)) return List.of();
        List<String> lines;
        try {
            // A label file holds a line per object: megabytes at most. A larger one is not a label file.
            if (Files.size(file) > MAX_LABEL_BYTES) {
                throw new YoloException("label file " + file + " is " + Files.size(file) + " bytes, more than the " + (MAX_LABEL_BYTES >> 20)
                        + " MiB a label file can be; check the dataset's labels folder");
            }
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new YoloException("cannot read label file " + file + ": " + e.getMessage());
        }
        List<Label> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) continue;
            out.add(kptShape == null ? parse(line, file, i + 1, nc) : parsePose(line, file, i + 1, nc, kptShape));
        }
        return out;
    }

    /** A pose label line: {@code cls cx cy w h} then K × D keypoint values (x, y[, visibility]), normalized. */
    static Label parsePose(String line, Path file, int lineNo, int nc, int[] kptShape) {
        String[] f = line.split("\\s+");
        int want = 5 + kptShape[0] * kptShape[1];
        if (f.length != want) {
            throw new YoloException(file + ":" + lineNo + ": a pose label has " + want + " values (class, box, " + kptShape[0] + " x "
                    + kptShape[1] + " keypoint values), got " + f.length + "; are these labels of another task?");
        }
        Label box = parse(String.join(" ", java.util.Arrays.copyOf(f, 5)), file, lineNo, nc);
        double[] k = new double[want - 5];
        try {
            for (int i = 0; i < k.length; i++) k[i] = Double.parseDouble(f[5 + i]);
        } catch (NumberFormatException e) {
            throw new YoloException(file + ":" + lineNo + ": not numbers: '" + Text.clip(line) + "'");
        }
        return new Label(box.cls(), box.cx(), box.cy(), box.w(), box.h(), k, null);
    }

    /** One label line; errors name {@code file}:{@code lineNo}. */
    public static Label parse(String line, Path file, int lineNo, int nc) {
        String where = file + ":" + lineNo;
        String[] f = line.split("\\s+");
        if (f.length < 5 || (f.length > 5 && f.length % 2 == 0)) {
            throw new YoloException(where + ": expected 'class cx cy w h' (or a polygon 'class x1 y1 x2 y2 ...'), got '" + Text.clip(line) + "'");
        }
        int cls;
        double[] v = new double[f.length - 1];
        try {
            double c = Double.parseDouble(f[0]);
            if (c != Math.rint(c)) throw new NumberFormatException();
            cls = (int) c;
            for (int k = 1; k < f.length; k++) v[k - 1] = Double.parseDouble(f[k]);
        } catch (NumberFormatException e) {
            throw new YoloException(where + ": not numbers: '" + Text.clip(line) + "'");
        }
        if (cls < 0 || cls >= nc) {
            throw new YoloException(where + ": class id " + cls + " is out of range; the dataset names " + nc + " classes (0-" + (nc - 1) + ")");
        }
        for (double x : v) {
            // Ultralytics' verify_image_label allows 1 % beyond the image either way.
            if (x < -0.01 || x > 1.01 || Double.isNaN(x)) {
                throw new YoloException(where + ": coordinates must be normalized to 0..1 (1 % tolerance), got '" + Text.clip(line) + "'");
            }
        }
        if (v.length == 4) {
            if (v[2] <= 0 || v[3] <= 0) throw new YoloException(where + ": width and height must be positive, got '" + Text.clip(line) + "'");
            return new Label(cls, v[0], v[1], v[2], v[3]);
        }
        double x1 = 1, y1 = 1, x2 = 0, y2 = 0;
        for (int k = 0; k < v.length; k += 2) {
            x1 = Math.min(x1, v[k]);
            x2 = Math.max(x2, v[k]);
            y1 = Math.min(y1, v[k + 1]);
            y2 = Math.max(y2, v[k + 1]);
        }
        return new Label(cls, (x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1, null, v);
    }
}
