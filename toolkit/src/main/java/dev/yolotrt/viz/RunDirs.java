package dev.yolotrt.viz;

import dev.yolotrt.task.Task;
import dev.yolotrt.cfg.Cfg;
import dev.yolotrt.util.Contained;
import dev.yolotrt.util.YoloException;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;

/** Ultralytics' run folders: runs/&lt;task&gt;/predict, predict2, predict3 ... unless exist_ok. */
public final class RunDirs {
    private RunDirs() {
    }

    public static Path next(Cfg cfg, String mode) {
        return next(cfg, mode, Task.DETECT);
    }

    /** The next run folder of {@code mode} for a {@code task} model, created: runs/pose/predict, runs/segment/val ... */
    public static Path next(Cfg cfg, String mode, Task task) {
        Path dir = reserve(cfg, mode, task);
        try {
            Files.createDirectories(dir);
            return dir; // as given: createDirectories may hand back an absolute path
        } catch (IOException e) {
            throw new YoloException("cannot create run folder " + dir + ": " + reason(e));
        }
    }

    /**
     * The next run folder's path, not yet created: its writers create it with their first file, so a run that fails
     * before writing anything leaves no empty folder and the next run gets the same number. A folder that could not be
     * created (no permission, a file in the way) is refused here, before the run's work.
     */
    public static Path reserve(Cfg cfg, String mode, Task task) {
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
        // Made and taken away again: the only sure test that it can be made (root ignores permission bits, /proc takes nothing).
        Path existing = dir.toAbsolutePath();
        while (existing.getParent() != null && !Files.exists(existing)) existing = existing.getParent();
        try {
            Files.createDirectories(dir);
            for (Path p = dir.toAbsolutePath(); !p.equals(existing); p = p.getParent()) Files.delete(p);
        } catch (IOException e) {
            throw new YoloException("cannot create run folder " + dir + ": " + reason(e));
        }
        return dir;
    }

    /** Why a folder could not be made, in words (the exception's message alone is often just the path). */
    static String reason(IOException e) {
        String detail = e instanceof FileSystemException f && f.getReason() != null ? f.getReason() : e.getMessage();
        if (e instanceof AccessDeniedException) return "no permission" + (detail != null ? " (" + detail + ")" : "");
        if (e instanceof FileAlreadyExistsException || e instanceof NotDirectoryException || "Not a directory".equals(detail)) return "a file of that name is in the way, not a folder";
        if (e instanceof NoSuchFileException) return "the file system takes no new folders there";
        if (detail != null && detail.toLowerCase(java.util.Locale.ROOT).contains("read-only")) return "read-only file system";
        return detail != null ? detail : e.getClass().getSimpleName();
    }
}
