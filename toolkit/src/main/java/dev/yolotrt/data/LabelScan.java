package dev.yolotrt.data;

import dev.yolotrt.util.YoloException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The labels of a split, checked the way Ultralytics' dataset scan does: an image without a label
 * file is a background, a label file that cannot be read or holds a bad line makes its image corrupt
 * (left out, as Ultralytics does), duplicate boxes are dropped, and label files without an image are
 * counted. {@link #summary()} is Ultralytics' one scan line; {@link #warning()} the one warning.
 */
public record LabelScan(List<Path> images, List<List<Label>> labels, int backgrounds, int corrupt, int duplicates,
                        int orphanLabels, String firstProblem) {

    /** Scans the label file of each image; {@code nc} bounds the class ids. */
    public static LabelScan of(List<Path> images, int nc) {
        return of(images, nc, null);
    }

    /** As {@link #of(List, int)}, reading pose labels when {@code kptShape} is given. */
    public static LabelScan of(List<Path> images, int nc, int[] kptShape) {
        List<Path> kept = new ArrayList<>();
        List<List<Label>> labels = new ArrayList<>();
        int backgrounds = 0, corrupt = 0, duplicates = 0;
        String first = null;
        Set<Path> labelFiles = new HashSet<>();
        for (Path image : images) {
            Path file = Labels.labelFile(image);
            labelFiles.add(file.toAbsolutePath().normalize());
            List<Label> l;
            try {
                l = Labels.read(file, nc, kptShape);
            } catch (YoloException e) {
                corrupt++;
                if (first == null) first = e.getMessage();
                continue;
            }
            List<Label> unique = new ArrayList<>(new LinkedHashSet<>(l));
            duplicates += l.size() - unique.size();
            if (unique.isEmpty()) backgrounds++;
            kept.add(image);
            labels.add(List.copyOf(unique));
        }
        return new LabelScan(List.copyOf(kept), List.copyOf(labels), backgrounds, corrupt, duplicates,
                orphans(images, labelFiles), first);
    }

    /** Label files beside the images' label folders that no image of the split points to. */
    private static int orphans(List<Path> images, Set<Path> labelFiles) {
        Set<Path> dirs = new LinkedHashSet<>();
        for (Path f : labelFiles) if (f.getParent() != null && Files.isDirectory(f.getParent())) dirs.add(f.getParent());
        int n = 0;
        for (Path d : dirs) {
            try (Stream<Path> s = Files.list(d)) {
                n += (int) s.filter(p -> p.toString().endsWith(".txt") && !labelFiles.contains(p.toAbsolutePath().normalize())).count();
            } catch (IOException e) {
                // an unlistable folder has no orphans we can count
            }
        }
        return images.isEmpty() ? 0 : n;
    }

    public int instances() {
        return labels.stream().mapToInt(List::size).sum();
    }

    /** e.g. "126 images, 2 backgrounds, 0 corrupt" as Ultralytics prints it, plus what else was found. */
    public String summary() {
        StringBuilder s = new StringBuilder().append(images.size() + corrupt).append(" images, ").append(backgrounds)
                .append(" backgrounds, ").append(corrupt).append(" corrupt");
        if (duplicates > 0) s.append(", ").append(duplicates).append(" duplicate labels removed");
        if (orphanLabels > 0) s.append(", ").append(orphanLabels).append(orphanLabels == 1 ? " label file" : " label files")
                .append(" without an image (ignored)");
        return s.toString();
    }

    /** One line about the corrupt files, or null when there are none. */
    public String warning() {
        if (corrupt == 0) return null;
        return "WARNING: " + corrupt + (corrupt == 1 ? " image" : " images") + " left out for a bad label file; first: "
                + firstProblem;
    }
}
