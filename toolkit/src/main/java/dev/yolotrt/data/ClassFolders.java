package dev.yolotrt.data;

import dev.yolotrt.util.YoloException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** An ImageNet-style classification dataset: {@code root/split/<class>/*.jpg}, classes in sorted folder order. */
public final class ClassFolders {
    private ClassFolders() {
    }

    /** The images of {@code root}'s {@code split} (class folder by class folder), e.g. to calibrate or time a classifier. */
    public static List<Path> images(Path root, String split) {
        List<Path> images = new ArrayList<>();
        Path dir = splitDir(root, split);
        for (Path c : classDirs(dir)) images.addAll(imagesIn(c));
        if (images.isEmpty()) throw new YoloException("no images in the class folders of " + dir);
        return images;
    }

    /** {@code root/split}; {@code root/test} stands in for a missing val split, as Ultralytics reads it. */
    public static Path splitDir(Path root, String split) {
        Path dir = root.resolve(split);
        if (!Files.isDirectory(dir) && split.equals("val") && Files.isDirectory(root.resolve("test"))) dir = root.resolve("test");
        if (!Files.isDirectory(dir)) {
            throw new YoloException("classification val needs a folder " + dir + " with one subfolder of images per class (ImageNet layout: "
                    + root + "/" + split + "/<class>/*.jpg)");
        }
        return dir;
    }

    /** The class folders of a split, sorted: class i is the i-th. */
    public static List<Path> classDirs(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
        } catch (IOException e) {
            throw new YoloException("cannot list " + dir + ": " + e.getMessage());
        }
    }

    /** The images of one class folder, sorted. */
    public static List<Path> imagesIn(Path classDir) {
        try (Stream<Path> s = Files.list(classDir)) {
            return s.filter(ImageSource::isImageFile).sorted().toList();
        } catch (IOException e) {
            throw new YoloException("cannot list " + classDir + ": " + e.getMessage());
        }
    }

}
