package dev.yolotrt.video;

import dev.yolotrt.predict.Results;
import dev.yolotrt.util.YoloException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Function;

/**
 * Several videos or streams read side by side, as Ultralytics reads a {@code .streams} file: each source has its own
 * pipeline (decoder, batches, tracker, writer), and results come out in turns, one frame of each source that still
 * has frames. Closing closes them all.
 */
public final class MultiVideo implements Iterator<Results>, AutoCloseable {
    private final List<VideoPredictions> parts;
    private int turn;

    public MultiVideo(List<VideoPredictions> parts) {
        this.parts = List.copyOf(parts);
    }

    /** The sources a {@code .streams} file lists, one per line (blank lines and {@code #} comments skipped). */
    public static List<String> sources(Path file) {
        List<String> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(file)) {
                String s = line.strip();
                if (!s.isEmpty() && !s.startsWith("#")) out.add(s);
            }
        } catch (IOException e) {
            throw new YoloException("cannot read " + file + ": " + e.getMessage());
        }
        if (out.isEmpty()) throw new YoloException(file + " lists no sources; put one video, stream URL or camera index per line");
        return out;
    }

    /** A {@code .streams} file of sources, each opened by {@code open}; one that fails to open closes those opened. */
    public static MultiVideo open(Path file, Function<String, VideoPredictions> open) {
        List<VideoPredictions> parts = new ArrayList<>();
        try {
            for (String s : sources(file)) parts.add(open.apply(s));
        } catch (RuntimeException e) {
            for (int i = parts.size() - 1; i >= 0; i--) parts.get(i).close();
            throw e;
        }
        return new MultiVideo(parts);
    }

    public List<VideoPredictions> parts() {
        return parts;
    }

    @Override
    public boolean hasNext() {
        for (VideoPredictions p : parts) if (p.hasNext()) return true;
        return false;
    }

    @Override
    public Results next() {
        for (int k = 0; k < parts.size(); k++) {
            VideoPredictions p = parts.get((turn + k) % parts.size());
            if (p.hasNext()) {
                turn = (turn + k + 1) % parts.size();
                return p.next();
            }
        }
        throw new NoSuchElementException();
    }

    @Override
    public void close() {
        RuntimeException first = null;
        for (int i = parts.size() - 1; i >= 0; i--) {
            try {
                parts.get(i).close();
            } catch (RuntimeException e) {
                if (first == null) first = e;
            }
        }
        if (first != null) throw first;
    }
}
