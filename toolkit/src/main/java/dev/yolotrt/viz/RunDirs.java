package dev.yolotrt.viz;

import dev.yolotrt.task.Task;
import dev.yolotrt.cfg.Cfg;
import dev.yolotrt.util.Contained;
import dev.yolotrt.util.YoloException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Ultralytics' run folders: runs/&lt;task&gt;/predict, predict2, predict3 ... unless exist_ok. */
public final class RunDirs {
    private RunDirs() {
    }

    public static Path next(Cfg cfg, String mode) {
        return next(cfg, mode, Task.DETECT);
    }

    /** The next run folder of {@code mode} for a {@code task} model: runs/pose/predict, runs/segment/val ... */
    public static Path next(Cfg cfg, String mode, Task task) {
        Path project = Path.of(cfg.get("project") != null ? cfg.string("project") : "runs/" + task.id());
        String name = cfg.get("name") != null ? cfg.string("name") : mode;
        // A run is one folder inside project: a name with separators or dots could write anywhere.
        if (name.isBlank() || name.equals(".") || name.equals("..") || name.contains("/") || name.contains("\\") || name.indexOf('\0') >= 0) {
            throw new YoloException("name=" + name + " must be a plain folder name inside project (" + project + "), without / or ..");
        }
        Path dir = project.resolve(name);
        if (!cfg.bool("exist_ok")) {
            for (int i = 2; Files.exists(dir); i++) dir = project.resolve(name + i);
        }
        // A name that is a link to elsewhere (with exist_ok) would write outside project.
        Contained.check(dir, java.util.List.of(project), "run folder");
        try {
            Files.createDirectories(dir);
            return dir; // as given: createDirectories may hand back an absolute path
        } catch (IOException e) {
            throw new YoloException("cannot create run folder " + dir + ": " + e.getMessage());
        }
    }
}
