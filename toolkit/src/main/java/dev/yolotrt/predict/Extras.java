package dev.yolotrt.predict;

/** What a task adds to the boxes of one image: masks, keypoints, oriented boxes or class probabilities (null where none). */
public record Extras(Masks masks, Keypoints keypoints, Obb obb, Probs probs) {

    public static final Extras NONE = new Extras(null, null, null, null);
}
