package dev.yolotrt.task;

import dev.yolotrt.util.Text;
import dev.yolotrt.util.YoloException;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What a YOLO model predicts. Ultralytics names tasks by strings (in model metadata, checkpoints, the CLI's
 * {@code task=} and run folders); they are parsed here once, at those boundaries, and everything inside switches
 * on this type.
 */
public enum Task {
    DETECT("detect", "DetectionModel", null),
    SEGMENT("segment", "SegmentationModel", "Mask"),
    POSE("pose", "PoseModel", "Pose"),
    CLASSIFY("classify", "ClassificationModel", null),
    OBB("obb", "OBBModel", null);

    private final String id;
    private final String modelClass;
    private final String secondMetric;

    Task(String id, String modelClass, String secondMetric) {
        this.id = id;
        this.modelClass = modelClass;
        this.secondMetric = secondMetric;
    }

    /** Ultralytics' name of the task: metadata, {@code task=}, run folders ({@code runs/detect/predict}). */
    public String id() {
        return id;
    }

    /**
     * The name of the metric val reports beside the boxes ("Mask" for segment, "Pose" for pose), as Ultralytics'
     * tables head it; null for tasks scored on boxes (or classes) only.
     */
    public String secondMetric() {
        return secondMetric;
    }

    /** Whether the model letterboxes its input and predicts boxes (every task but classify). */
    public boolean boxes() {
        return this != CLASSIFY;
    }

    /** The task named {@code name} (Ultralytics' spelling); {@code what} says where it was read, for the error line. */
    public static Task parse(String name, String what) {
        String n = name == null ? "" : name.strip().toLowerCase(Locale.ROOT);
        for (Task t : values()) if (t.id.equals(n)) return t;
        throw new YoloException(what + "=" + Text.clip(String.valueOf(name)) + " is not one of " + names());
    }

    /** The task named {@code name} exactly (the TASK word of {@code yolo TASK MODE}), or empty. */
    public static java.util.Optional<Task> find(String name) {
        for (Task t : values()) if (t.id.equals(name)) return java.util.Optional.of(t);
        return java.util.Optional.empty();
    }

    /** The task of an Ultralytics checkpoint's model class ({@code DetectionModel} ...), or null for another class. */
    public static Task ofModelClass(String className) {
        for (Task t : values()) if (t.modelClass.equals(className)) return t;
        return null;
    }

    /** The tasks' names, comma separated, for help and error lines. */
    public static String names() {
        return Arrays.stream(values()).map(Task::id).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return id;
    }
}
