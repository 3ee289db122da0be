package dev.yolotrt.tensor;

import java.util.List;

/**
 * What a detect batch brings back when its candidates are picked on the device ({@code gpu_decode}): per image the
 * (anchor, class) pairs that scored above conf with their boxes, or, when an image had more of them than the session
 * keeps, the whole head as a backend session's {@code infer} returns it (then {@code images} is null).
 */
public record Picked(List<Candidates> images, List<Tensor> head) {

    /** Which pairs to keep: score above {@code conf}; every class with {@code multiLabel}, else each anchor's best. */
    public record Pick(float conf, boolean multiLabel) {
    }

    /** One image's pairs, in no particular order: anchor, class, score and the anchor's box (cx, cy, w, h). */
    public record Candidates(int[] anchor, int[] cls, float[] score, float[] cxcywh) {
        public int size() {
            return anchor.length;
        }
    }
}
