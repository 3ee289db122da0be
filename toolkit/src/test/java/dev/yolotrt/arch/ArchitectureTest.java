package dev.yolotrt.arch;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noFields;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The package picture the README describes, kept honest: packages by capability with no cycles
 * between them; the facade (model.Yolo) may use every worker, and only the layers above it (cli,
 * notebook, bench) use the facade; native TensorRT and CUDA calls stay in backend and export.
 */
class ArchitectureTest {

    private static final JavaClasses TOOLKIT = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.yolotrt");

    @Test
    void packagesAreFreeOfCycles() {
        org.junit.jupiter.api.Assertions.assertTrue(TOOLKIT.size() > 80, "classes imported: " + TOOLKIT.size());
        slices().matching("dev.yolotrt.(*)..").should().beFreeOfCycles().check(TOOLKIT);
    }

    @Test
    void workersNeverImportTheFacade() {
        noClasses().that().resideInAnyPackage("dev.yolotrt.backend..", "dev.yolotrt.data..", "dev.yolotrt.predict..",
                        "dev.yolotrt.pipeline..", "dev.yolotrt.tensor..", "dev.yolotrt.val..", "dev.yolotrt.export..", "dev.yolotrt.viz..",
                        "dev.yolotrt.cfg..", "dev.yolotrt.util..", "dev.yolotrt.task..", "dev.yolotrt.pt..")
                .should().dependOnClassesThat().resideInAPackage("dev.yolotrt.model..").check(TOOLKIT);
    }

    /** The task package is the bottom layer beside util: what a model is, read from its files, depends on nothing above it. */
    @Test
    void theTaskPackageIsLow() {
        noClasses().that().resideInAPackage("dev.yolotrt.task..").should().dependOnClassesThat()
                .resideOutsideOfPackages("dev.yolotrt.task..", "dev.yolotrt.util..", "java..").check(TOOLKIT);
    }

    /**
     * Predicting is letterboxing, decoding and NMS on tensors: the pure part knows no backend, and the pipeline
     * (dev.yolotrt.pipeline) runs it on the backends' sessions. Tensors are values below both.
     */
    @Test
    void predictIsFreeOfBackendClasses() {
        noClasses().that().resideInAPackage("dev.yolotrt.predict..").should().dependOnClassesThat().resideInAPackage("dev.yolotrt.backend..")
                .check(TOOLKIT);
        noClasses().that().resideInAPackage("dev.yolotrt.tensor..").should().dependOnClassesThat()
                .resideOutsideOfPackages("dev.yolotrt.tensor..", "java..").check(TOOLKIT);
    }

    @Test
    void nativeCallsStayInBackendAndExport() {
        noClasses().that().resideInAnyPackage("dev.yolotrt.predict..", "dev.yolotrt.pipeline..", "dev.yolotrt.val..", "dev.yolotrt.data..",
                        "dev.yolotrt.notebook..", "dev.yolotrt.viz..")
                .should().dependOnClassesThat().resideInAnyPackage("org.bytedeco.tensorrt..", "org.bytedeco.cuda..").check(TOOLKIT);
    }

    /** A result is a plain value: neither it nor what it holds keeps native memory (OpenCV, JavaCPP) for the collector to free. */
    @Test
    void resultsHoldNoNativeMemory() {
        noFields().that().areDeclaredInClassesThat().belongToAnyOf(dev.yolotrt.predict.Results.class, dev.yolotrt.predict.Boxes.class,
                        dev.yolotrt.predict.Extras.class, dev.yolotrt.predict.Masks.class, dev.yolotrt.predict.Keypoints.class,
                        dev.yolotrt.predict.Obb.class, dev.yolotrt.predict.Probs.class, dev.yolotrt.data.Pixels.class)
                .should().haveRawType(JavaClass.Predicates.resideInAPackage("org.bytedeco..")).check(TOOLKIT);
    }

    /**
     * A task is a {@code dev.yolotrt.task.Task}: its names ("detect" ... "obb") are parsed in the task package only. A
     * comparison with a task name ({@code task.equals("classify")}, {@code case "pose" ->}) compiles the name into the
     * class's constant pool, so a class outside the task package holding one is a task-string comparison (or a task
     * name written where {@code Task.id()} belongs).
     */
    @Test
    void taskNamesLiveInTheTaskPackage() {
        classes().that().resideOutsideOfPackage("dev.yolotrt.task..").should(holdNoTaskNames()).check(TOOLKIT);
    }

    private static final Set<String> TASK_NAMES = Arrays.stream(dev.yolotrt.task.Task.values()).map(dev.yolotrt.task.Task::id)
            .collect(Collectors.toSet());

    private static ArchCondition<JavaClass> holdNoTaskNames() {
        return new ArchCondition<>("hold no task name as a string constant") {
            @Override
            public void check(JavaClass c, ConditionEvents events) {
                List<String> found = stringConstants(c).stream().filter(TASK_NAMES::contains).toList();
                boolean ok = found.isEmpty();
                events.add(new SimpleConditionEvent(c, ok, c.getName() + (ok ? " holds no task name" : " compares or writes task names " + found
                        + " (use dev.yolotrt.task.Task)")));
            }
        };
    }

    /** The CONSTANT_String entries of a class file's constant pool (JVMS 4.4): every string literal its code uses. */
    static List<String> stringConstants(JavaClass c) {
        String resource = "/" + c.getName().replace('.', '/') + ".class";
        try (InputStream raw = ArchitectureTest.class.getResourceAsStream(resource)) {
            if (raw == null) throw new IllegalStateException("class file not found: " + resource);
            DataInputStream in = new DataInputStream(raw);
            in.readInt();
            in.readUnsignedShort();
            in.readUnsignedShort();
            int count = in.readUnsignedShort();
            String[] utf8 = new String[count];
            List<Integer> strings = new ArrayList<>();
            for (int i = 1; i < count; i++) {
                int tag = in.readUnsignedByte();
                switch (tag) {
                    case 1 -> utf8[i] = in.readUTF();
                    case 8 -> strings.add(in.readUnsignedShort());
                    case 7, 16, 19, 20 -> in.readUnsignedShort();
                    case 15 -> {
                        in.readUnsignedByte();
                        in.readUnsignedShort();
                    }
                    case 3, 4, 9, 10, 11, 12, 17, 18 -> in.readInt();
                    case 5, 6 -> {
                        in.readLong();
                        i++; // longs and doubles take two entries
                    }
                    default -> throw new IllegalStateException(resource + ": constant pool tag " + tag + " unknown");
                }
            }
            return strings.stream().map(k -> utf8[k]).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void theTaskNamesRuleSeesLiterals() {
        // The rule's reader, checked on a class known to hold the names: the task enum itself.
        JavaClass task = TOOLKIT.get(dev.yolotrt.task.Task.class);
        org.junit.jupiter.api.Assertions.assertTrue(stringConstants(task).containsAll(TASK_NAMES), String.valueOf(stringConstants(task)));
    }
}
