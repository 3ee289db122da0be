package dev.yolotrt.predict;

import dev.yolotrt.data.Images;
import dev.yolotrt.data.Pixels;
import dev.yolotrt.util.YoloException;
import org.bytedeco.opencv.opencv_core.Mat;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The prediction for one image, a plain value holding no native memory: boxes in original pixels, the image's shape,
 * and timings in ms (preprocess, inference, postprocess). Of the image it keeps the path, and the pixels on the Java
 * heap only where they cannot be read again (video frames, images given in memory, downloads): {@link #origImg}
 * decodes a file again. {@code viz.Annotator} draws it (a notebook shows a result as that image) and
 * {@code viz.ResultWriter} saves it.
 */
public final class Results {
    private final String path;
    /** The original pixels, or null where the file at {@code path} is read again to draw. */
    private final Pixels pixels;
    private final int origH;
    private final int origW;
    private final int[] inputShape;
    private final Boxes boxes;
    private final Extras extras;
    private final List<String> names;
    private final Map<String, Double> speed;
    /** The frame's number from 0 among the frames read (vid_stride keeps every n-th) and presentation time, or -1 for images. */
    private final int frame;
    private final long timestampUs;
    /** BoT-SORT's camera motion into this frame, computed ahead by the video pipeline, or null. */
    private final double[] motion;

    public Results(String path, Pixels pixels, int origH, int origW, int[] inputShape, Boxes boxes, Map<String, Double> speed) {
        this(path, pixels, origH, origW, inputShape, boxes, Extras.NONE, List.of(), speed);
    }

    public Results(String path, Pixels pixels, int origH, int origW, int[] inputShape, Boxes boxes, Extras extras, List<String> names,
                   Map<String, Double> speed) {
        this.path = path;
        this.pixels = pixels;
        this.origH = origH;
        this.origW = origW;
        this.inputShape = inputShape.clone();
        this.boxes = boxes;
        this.extras = extras == null ? Extras.NONE : extras;
        this.names = List.copyOf(names);
        this.speed = Map.copyOf(speed);
        this.frame = -1;
        this.timestampUs = -1;
        this.motion = null;
    }

    private Results(Results r, Boxes boxes, Extras extras, int frame, long timestampUs, double[] motion) {
        this.path = r.path;
        this.pixels = r.pixels;
        this.origH = r.origH;
        this.origW = r.origW;
        this.inputShape = r.inputShape;
        this.boxes = boxes;
        this.extras = extras == null ? Extras.NONE : extras;
        this.names = r.names;
        this.speed = r.speed;
        this.frame = frame;
        this.timestampUs = timestampUs;
        this.motion = motion;
    }

    /** This result as frame {@code index} (from 0) of a video, shown at {@code timestampUs}. */
    public Results withFrame(int index, long timestampUs) {
        return new Results(this, boxes, extras, index, timestampUs, motion);
    }

    /** This result with the camera motion into its frame (a 2×3 transform, computed ahead for the tracker). */
    public Results withMotion(double[] h) {
        return new Results(this, boxes, extras, frame, timestampUs, h.clone());
    }

    /** The camera motion into this frame computed ahead (BoT-SORT), or null. */
    public double[] motion() {
        return motion == null ? null : motion.clone();
    }

    /** This result with other boxes and task outputs (the tracker's). */
    public Results withBoxes(Boxes boxes, Extras extras) {
        return new Results(this, boxes, extras, frame, timestampUs, motion);
    }

    /**
     * The frame's number from 0 among the frames this run read, or -1 for an image: with {@code vid_stride=n} it counts
     * the kept frames (every n-th), as Ultralytics' frame counter does; the CLI prints it and names save_txt files from 1.
     */
    public int frame() {
        return frame;
    }

    /** The frame's presentation time in microseconds, or -1 for an image. */
    public long timestampUs() {
        return timestampUs;
    }

    /** Masks, keypoints, oriented boxes or probabilities, as the task gives them. */
    public Extras extras() {
        return extras;
    }

    /** Instance masks (segment), or null. */
    public Masks masks() {
        return extras.masks();
    }

    /** Keypoints (pose), or null. */
    public Keypoints keypoints() {
        return extras.keypoints();
    }

    /** Oriented boxes (obb), or null. */
    public Obb obb() {
        return extras.obb();
    }

    /** Class probabilities (classify), or null. */
    public Probs probs() {
        return extras.probs();
    }

    public String path() {
        return path;
    }

    public Boxes boxes() {
        return boxes;
    }

    /** (height, width) of the original image. */
    public int[] origShape() {
        return new int[] {origH, origW};
    }

    /** Milliseconds per stage: preprocess, inference, postprocess. */
    public Map<String, Double> speed() {
        return speed;
    }

    /**
     * The original image (BGR, Ultralytics' {@code orig_img}) as a new Mat the caller owns and closes: the pixels kept,
     * or the image file decoded again (a video frame is only there when its run kept frames).
     */
    public Mat origImg() {
        if (pixels != null) return pixels.toMat();
        if (frame >= 0) {
            throw new YoloException("frame " + frame + " of " + path + " was not kept with its result (the run drew nothing, so it kept no"
                    + " frames); predict or track the video through the Java API, which keeps them, to draw it");
        }
        Mat m = Images.read(Path.of(path));
        if (m.rows() != origH || m.cols() != origW) {
            int h = m.rows(), w = m.cols();
            m.close();
            throw new YoloException(path + " is " + w + "x" + h + " now but was " + origW + "x" + origH
                    + " when predicted; predict it again to draw it");
        }
        return m;
    }

    /** The model input's height and width this result was predicted at (Ultralytics' "at shape"). */
    public int[] inputShape() {
        return inputShape.clone();
    }

    /** Counts per class name, in class order: {person=4, bus=1}. */
    public Map<String, Integer> counts() {
        Map<Integer, Integer> byCls = new TreeMap<>();
        for (int i = 0; i < boxes.size(); i++) byCls.merge(boxes.cls(i), 1, Integer::sum);
        Map<String, Integer> out = new LinkedHashMap<>();
        byCls.forEach((cls, n) -> out.put(boxes.className(cls), n));
        return out;
    }

    /** The detections as a table: class, name, confidence, x1, y1, x2, y2 (original pixels). */
    public tech.tablesaw.api.Table table() {
        var cls = tech.tablesaw.api.IntColumn.create("class");
        var name = tech.tablesaw.api.StringColumn.create("name");
        var conf = tech.tablesaw.api.DoubleColumn.create("conf");
        var x1 = tech.tablesaw.api.DoubleColumn.create("x1");
        var y1 = tech.tablesaw.api.DoubleColumn.create("y1");
        var x2 = tech.tablesaw.api.DoubleColumn.create("x2");
        var y2 = tech.tablesaw.api.DoubleColumn.create("y2");
        for (int i = 0; i < boxes.size(); i++) {
            float[] b = boxes.xyxy(i);
            cls.append(boxes.cls(i));
            name.append(boxes.name(i));
            conf.append(boxes.conf(i));
            x1.append(b[0]);
            y1.append(b[1]);
            x2.append(b[2]);
            y2.append(b[3]);
        }
        return tech.tablesaw.api.Table.create(path, cls, name, conf, x1, y1, x2, y2);
    }

    /**
     * Ultralytics' save_txt lines (normalised), with the confidence when asked: {@code cls cx cy w h} for
     * boxes, {@code cls x1 y1 x2 y2 ...} polygons for masks, box then {@code x y v} per keypoint for pose,
     * the four corners for oriented boxes, {@code prob name} for the top 5 of a classification.
     */
    public String labelLines(boolean withConf) {
        StringBuilder sb = new StringBuilder();
        if (probs() != null) {
            for (int c : probs().top5()) sb.append(String.format(Locale.ROOT, "%.2f %s%n", probs().data()[c], boxes.className(c)));
            return sb.toString();
        }
        int n = obb() != null ? obb().size() : boxes.size();
        for (int i = 0; i < n; i++) {
            if (obb() != null) {
                sb.append(obb().cls(i));
                float[] c = obb().xyxyxyxy(i);
                for (int k = 0; k < 8; k += 2) sb.append(String.format(Locale.ROOT, " %.6f %.6f", c[k] / origW, c[k + 1] / origH));
                if (withConf) sb.append(String.format(Locale.ROOT, " %.6f", obb().conf(i)));
                sb.append('\n');
                continue;
            }
            sb.append(boxes.cls(i));
            if (masks() != null) {
                float[] xyn = masks().xyn(i);
                for (float v : xyn) sb.append(String.format(Locale.ROOT, " %.6f", v));
            } else {
                float[] b = boxes.xywh(i);
                sb.append(String.format(Locale.ROOT, " %.6f %.6f %.6f %.6f", b[0] / origW, b[1] / origH, b[2] / origW, b[3] / origH));
                if (keypoints() != null) {
                    float[] xyn = keypoints().xyn(i);
                    float[] v = keypoints().conf(i);
                    for (int q = 0; q < xyn.length / 2; q++) {
                        sb.append(String.format(Locale.ROOT, " %.6f %.6f", xyn[2 * q], xyn[2 * q + 1]));
                        if (v != null) sb.append(String.format(Locale.ROOT, " %.6f", v[q]));
                    }
                }
            }
            if (withConf) sb.append(String.format(Locale.ROOT, " %.6f", boxes.conf(i)));
            // Track mode: the id ends the line, after the confidence, as Ultralytics writes it.
            if (boxes.isTrack()) sb.append(' ').append(boxes.id(i));
            sb.append('\n');
        }
        return sb.toString();
    }

    /** "640x640 4 persons, 1 bus" (or "224x224 cats 0.51, dogs 0.49") like Ultralytics' per-image line, without the timing. */
    public String summary() {
        StringBuilder sb = new StringBuilder().append(inputShape[0]).append('x').append(inputShape[1]).append(' ');
        if (probs() != null) return sb.append(probs().summary(names)).toString();
        if (boxes.size() == 0) return sb.append("(no detections)").toString();
        List<String> parts = counts().entrySet().stream()
                .map(e -> e.getValue() + " " + e.getKey() + (e.getValue() > 1 ? "s" : "")).toList();
        return sb.append(String.join(", ", parts)).toString();
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s: %s, %.1fms", path, summary(), speed.getOrDefault("inference", 0.0));
    }
}
