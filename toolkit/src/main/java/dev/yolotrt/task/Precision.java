package dev.yolotrt.task;

import java.util.Locale;

/** The number format an engine computes in; named fp32, fp16, int8 in tables, file names and logs. */
public enum Precision {
    FP32, FP16, INT8;

    /** The precision of Ultralytics' export flags: int8 wins over half, neither is FP32. */
    public static Precision of(boolean half, boolean int8) {
        return int8 ? INT8 : half ? FP16 : FP32;
    }

    /** The lower-case name: fp32, fp16, int8. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return id();
    }
}
